import Testing

@testable import SpiglassAnalysis
@testable import SpiglassCapture

/// Why a capture was not read to its end, in words: libpcap's refusal of a pcapng mixing link
/// types as the sentence of before, character for character, and as the terminal's rows, whose
/// commands are the sentence's own; a file of several says which file and how far.
@Suite struct CaptureDamageTextTests {
    /// The sentence `CaptureReader` wrote before the damage was typed.
    static func sentenceOfBefore(other: String, encapsulation: String) -> String {
        "the pcapng has an interface of \(other) besides the first interface's link type, and libpcap reads only "
            + "pcapng files whose interfaces share one link type; split it per interface and read each file, e.g. for "
            + "interface N: editcap -r -F pcap -T \(encapsulation) IN.pcapng IN-N.pcap $(tshark -r IN.pcapng -Y "
            + "'frame.interface_id == N' -T fields -e frame.number) (tshark -Y 'frame.interface_id == 0' -F pcap -w IN-0.pcap "
            + "works for the interfaces of the first one's link type)"
    }

    @Test func libpcapsRefusalIsTyped() {
        #expect(
            CaptureReader.cause("an interface has a type 101 different from the type of the first interface")
                == .mixedLinkTypes(otherLinkType: 101))
        #expect(
            CaptureReader.cause("an interface has a type different from the type of the first interface")
                == .mixedLinkTypes(otherLinkType: nil))
        #expect(
            CaptureReader.cause("truncated dump file; tried to read 16 header bytes")
                == .reported("truncated dump file; tried to read 16 header bytes"))
    }

    @Test(arguments: [
        (101 as Int?, "LINKTYPE 101 (rawip)", "rawip"), (147, "LINKTYPE 147", "<encapsulation: editcap -T lists them>"),
        (nil, "another link type", "<encapsulation: editcap -T lists them>"),
    ])
    func mixedLinkTypesInOneSentence(linkType: Int?, other: String, encapsulation: String) {
        let damage = CaptureDamage(.mixedLinkTypes(otherLinkType: linkType))
        #expect(CaptureDamageText.sentence(damage) == Self.sentenceOfBefore(other: other, encapsulation: encapsulation))
        #expect(damage.unreadable)
    }

    /// On 80 columns every row fits, and the commands, joined again at their " \\"
    /// continuations, are the sentence's own.
    @Test(arguments: [101, 147]) func mixedLinkTypesAreLaidOutAsCommandsToCopy(linkType: Int) throws {
        let damage = CaptureDamage(.mixedLinkTypes(otherLinkType: linkType))
        let sentence = CaptureDamageText.sentence(damage)
        let line = RunWarning.captureEnded(frames: 4, damage: damage).line("Warning:")
        #expect(line.headline == "Warning: capture read up to frame 4 only: the pcapng mixes link types")
        #expect(line.rows.last == "results: cover the frames before it")
        let text = line.text(indent: "", width: 80)
        for row in text.split(separator: "\n") { #expect(TerminalRows.columns(String(row)) <= 80, "\(row)") }
        let joined = text.replacing(#/ \\\n +/#, with: " ")
        let editcap = try #require(sentence.firstMatch(of: #/editcap [^$]+ \$\(tshark [^)]+\)/#)?.output)
        #expect(joined.contains(editcap))
        #expect(joined.contains("or: tshark -Y 'frame.interface_id == 0' -F pcap -w IN-0.pcap"))
        // Piped: the one sentence.
        #expect(
            line.text(indent: "", width: nil)
                == "Warning: capture read up to frame 4 only: \(sentence); results cover the frames before it\n")
    }

    @Test func aFileOfSeveral() {
        let damage = CaptureDamage(.mixedLinkTypes(otherLinkType: 101), file: .init(path: "b.pcapng", frames: 4))
        #expect(
            CaptureDamageText.sentence(damage)
                == "capture file 'b.pcapng' read up to its frame 4 only: "
                + Self.sentenceOfBefore(other: "LINKTYPE 101 (rawip)", encapsulation: "rawip")
                + "; the rest of that file is not read")
        #expect(CaptureDamageText.laidOut(damage) == nil)
        let cut = CaptureDamage(.reported("truncated dump file"), file: .init(path: "a.pcap", frames: 0))
        #expect(
            CaptureDamageText.sentence(cut)
                == "capture file 'a.pcap' damaged after its frame 0: truncated dump file; the rest of that file is not read"
        )
        #expect(CaptureDamageText.sentence([]) == nil)
        #expect(
            CaptureDamageText.sentence([cut, damage])
                == CaptureDamageText.sentence(cut) + "; " + CaptureDamageText.sentence(damage))
    }

    /// The IKE report's "capture ended early": laid out for libpcap's refusal alone, one line for
    /// several damages.
    @Test func theIKEReportsEndedEarlyLine() throws {
        let mixed = CaptureDamage(.mixedLinkTypes(otherLinkType: 101))
        let line = try #require(CaptureDamageText.endedEarly([mixed]))
        #expect(line.whole == "capture ended early: \(CaptureDamageText.sentence(mixed))")
        #expect(line.headline == "capture ended early: the pcapng mixes link types")
        #expect(line.rows == CaptureDamageText.laidOut(mixed)!.rows)
        let cut = CaptureDamage(.reported("truncated dump file"))
        #expect(CaptureDamageText.endedEarly([cut])?.rows == [])
        #expect(CaptureDamageText.endedEarly([])?.whole == nil)
    }
}
