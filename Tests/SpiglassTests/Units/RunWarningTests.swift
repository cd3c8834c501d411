import SpiglassIKE
import SpiglassSAD
import Testing

@testable import SpiglassAnalysis
@testable import SpiglassCapture

/// The run's warnings as typed values: each case makes its sentence (piped output, `--wide`,
/// JSON, HTML) and its terminal layout from the same fields, so that neither is found again by
/// reading the other; the sentences are those of before, character for character.
@Suite struct RunWarningTests {
    static func keysUnusable(_ error: IKEKeysUnusable.Error) -> IKEKeysUnusable {
        IKEKeysUnusable(
            IKESecurityAssociation(
                version: .v2, initiatorSPI: 0x500d_1235_fe70_942d, responderSPI: 9,
                origin: SAOrigin(file: "Fixtures/a/ikev2_decryption_table", line: 1)), error)
    }

    static let integrityUnknown = IKEv2ProtectionError(
        .unsupportedAlgorithm, .sa(.integrityUnknown(.aesCBC(keyBits: 256))))
    static let mixed = CaptureDamage(.mixedLinkTypes(otherLinkType: 101))

    /// One of each case, and of each shape a case takes, with whether a terminal lays it out.
    static let samples: [(RunWarning, laidOut: Bool)] = [
        (.timestampFraction(frame: 3, field: 1_000_000, resolution: .microseconds), true),
        (.timestampFraction(frame: 3, field: -1, resolution: .nanoseconds), true),
        (.timestampOutOfRange(frame: 1, seconds: 9_223_372_036_854), true),
        (.ike(.keysUnusable(keysUnusable(.v2(integrityUnknown)))), true),
        (
            .ike(
                .keysUnusable(keysUnusable(.v1(IKEv1ProtectionError(.missingHash, .hash(.hashNeedsHash(.quickMode1))))))
            ), false
        ),
        (.ike(.tooManyIKESAs(limit: 100)), false),
        (.captureEnded(frames: 4, damage: mixed), true),
        (.captureEnded(frames: 4, damage: CaptureDamage(.mixedLinkTypes(otherLinkType: nil))), true),
        (.captureEnded(frames: 7, damage: CaptureDamage(.reported("truncated dump file"))), false),
        (
            .captureEnded(
                frames: 9,
                damage: CaptureDamage(.mixedLinkTypes(otherLinkType: 101), file: .init(path: "b.pcapng", frames: 4))),
            false
        ),
        (.readingStopped(frames: 12), false),
        (.icvDiagnosisBound, false),
        (.other("IP fragment dropped: too many"), false),
    ]

    /// Whatever the case: the whole line is the label and the sentence, piped it is that one
    /// line, and on 80 columns a laid-out warning's rows each fit.
    @Test(arguments: samples) func everyWarningIsItsSentenceOnOneLine(warning: RunWarning, laidOut: Bool) {
        let line = warning.line("Warning:")
        #expect(line.whole == "Warning: \(warning.sentence)")
        #expect(line.text(indent: "", width: nil) == "Warning: \(warning.sentence)\n")
        #expect(line.text(indent: "", width: 10_000) == "Warning: \(warning.sentence)\n")
        #expect(line.rows.isEmpty == !laidOut)
        let rows = laidOut ? line.text(indent: "", width: 80).split(separator: "\n") : []
        for row in rows { #expect(TerminalRows.columns(String(row)) <= 80, "\(row)") }
    }

    @Test func theTimestampWarnings() {
        let range = RunWarning.timestampOutOfRange(frame: 1, seconds: 9_223_372_036_854)
        #expect(
            range.sentence
                == "frame 1: timestamp 9223372036854 s since 1970 lies outside the years 0000-9999 (a damaged or crafted "
                + "capture): shown as an invalid time (null in JSON), and times relative to it saturate")
        #expect(range.line("Warning:").headline == "Warning: frame 1: timestamp 9223372036854 s since 1970")
        #expect(
            range.line("Warning:").rows == [
                "outside: the years 0000-9999 (a damaged or crafted capture)",
                "shown: as an invalid time (null in JSON), and times relative to it saturate",
            ])
        let carry = RunWarning.timestampFraction(frame: 2, field: 1_000_000, resolution: .microseconds)
        #expect(
            carry.sentence
                == "frame 2: timestamp microseconds field 1000000 is outside 0-999999 (a damaged or crafted capture): "
                + "carried into the seconds, here and in any later such frame")
        #expect(carry.line("warning:").headline == "warning: frame 2: timestamp microseconds field 1000000")
        #expect(
            carry.line("warning:").rows == [
                "outside: 0-999999 (a damaged or crafted capture)",
                "shown: carried into the seconds, here and in any later such frame",
            ])
        let nanoseconds = RunWarning.timestampFraction(frame: 2, field: -5, resolution: .nanoseconds)
        #expect(nanoseconds.sentence.hasPrefix("frame 2: timestamp nanoseconds field -5 is outside 0-999999999 ("))
    }

    /// IKEv2 key sets give the error's code, and are laid out; IKEv1's reason stays one line.
    @Test func unusableIKEKeys() {
        let v2 = RunWarning.ike(.keysUnusable(Self.keysUnusable(.v2(Self.integrityUnknown))))
        #expect(
            v2.sentence
                == "IKE SA 500d1235fe70942d (Fixtures/a/ikev2_decryption_table:1): keys unusable: unsupportedAlgorithm: "
                + "no integrity algorithm for aes-cbc-256, so the ICV length is unknown")
        #expect(v2.line("warning:").headline == "warning: IKE SA 500d1235fe70942d: keys unusable")
        #expect(
            v2.line("warning:").rows == [
                "keys: ikev2_decryption_table:1", "cause: unsupportedAlgorithm",
                "so: no integrity algorithm for aes-cbc-256, so the ICV length is unknown",
            ])
        let v1 = RunWarning.ike(
            .keysUnusable(
                Self.keysUnusable(.v1(IKEv1ProtectionError(.missingHash, .hash(.hashNeedsHash(.quickMode1)))))))
        #expect(v1.sentence.hasPrefix("IKE SA 500d1235fe70942d (Fixtures/a/ikev2_decryption_table:1): "))
        #expect(v1.line("warning:").rows.isEmpty)
    }

    /// A stream of one file that libpcap read up to a pcapng's second link type: the damage's
    /// rows, then what the results cover. Any other end, or one file of several, is one line.
    @Test func aCaptureThatEndedEarly() {
        let mixed = RunWarning.captureEnded(frames: 4, damage: Self.mixed)
        #expect(
            mixed.sentence
                == "capture read up to frame 4 only: \(CaptureDamageText.sentence(Self.mixed)); results cover the frames "
                + "before it")
        let line = mixed.line("Warning:")
        #expect(line.headline == "Warning: capture read up to frame 4 only: the pcapng mixes link types")
        #expect(line.rows == CaptureDamageText.laidOut(Self.mixed)!.rows + ["results: cover the frames before it"])
        let cut = RunWarning.captureEnded(frames: 7, damage: CaptureDamage(.reported("truncated dump file")))
        #expect(
            cut.sentence == "capture damaged after frame 7: truncated dump file; results cover the frames before it")
        #expect(cut.line("Warning:").rows.isEmpty)
        let ofSeveral = RunWarning.captureEnded(
            frames: 9, damage: CaptureDamage(.reported("truncated dump file"), file: .init(path: "b.pcap", frames: 4)))
        #expect(
            ofSeveral.sentence
                == "capture file 'b.pcap' damaged after its frame 4: truncated dump file; the rest of that file is not "
                + "read (frame 9 of the stream)")
        #expect(ofSeveral.line("Warning:").rows.isEmpty)
        #expect(
            RunWarning.readingStopped(frames: 12).sentence
                == "reading stopped by a signal after frame 12; results cover the frames before it")
    }
}
