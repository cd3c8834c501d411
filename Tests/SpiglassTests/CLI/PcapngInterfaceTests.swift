import Foundation
import SpiglassCapture
import SpiglassWire
import Testing

@testable import SpiglassAnalysis

/// What a pcapng -w file says beyond each packet's comment: each interface's name and
/// description (so Wireshark no longer shows "interface unknown"), escaped and cut as the
/// comments are; and the frames a reassembled packet's fragments came in.
@Suite struct PcapngInterfaceTests {
    static func fields(_ capture: String, keys: String, keepOuter: Bool = false, threads: Int = 1) throws -> [[String]]
    {
        let out = CLITests.temporary("interfaces-\(threads).pcapng")
        defer { unlink(out) }
        let run = PcapngOutputTests.write(
            [capture], keys: [keys], to: out, format: .pcapng, keepOuter: keepOuter, threads: threads)
        #expect(run.status == .completed, "\(run.errors)")
        return try WrittenCaptures.fields(
            out, ["frame.interface_name", "frame.interface_description", "frame.comment"])
    }

    @Test(.enabled(if: Tshark.path != nil, "tshark is not installed"), arguments: [1, 2])
    func interfacesAreNamedAndFragmentsListed(threads: Int) throws {
        let (capture, keys) = PcapngOutputTests.scapy("fragmented")
        let frames = try Self.fields(capture, keys: keys, threads: threads)
        #expect(frames.count == 5)
        for frame in frames {
            #expect(
                frame[0] == "fragmented.pcap" && frame[1] == "decrypted by Spiglass from fragmented.pcap", "\(frame)")
        }
        // Frame 3 ended the first datagram (fragments 1, 2, 3); frames 4 and 5 came in reverse order.
        #expect(
            frames.map { $0[2].components(separatedBy: ";")[0] } == [
                "Spiglass: from fragmented.pcap frame 3 (reassembled from fragments in frames 1, 2, 3)",
                "Spiglass: from fragmented.pcap frame 6 (reassembled from fragments in frames 4, 5, 6)",
                "Spiglass: from fragmented.pcap frame 8 (reassembled from fragments in frames 7, 8)",
                "Spiglass: from fragmented.pcap frame 10 (reassembled from fragments in frames 9, 10)",
                "Spiglass: from fragmented.pcap frame 11",
            ])
    }

    /// With the outer headers kept the packets are on the input's link type, named so.
    @Test(.enabled(if: Tshark.path != nil, "tshark is not installed"))
    func keptOuterFramesNameTheirInput() throws {
        let (capture, keys) = PcapngOutputTests.scapy("linktypes-sll2")
        let frames = try Self.fields(capture, keys: keys, keepOuter: true)
        #expect(!frames.isEmpty)
        for frame in frames {
            #expect(frame[0] == "linktypes-sll2.pcap" && frame[1] == "outer frames kept from linktypes-sll2.pcap")
        }
    }

    /// A hostile file name reaches the interface escaped and cut, as in the comments.
    @Test(.enabled(if: Tshark.path != nil, "tshark is not installed"))
    func hostileNamesAreEscapedAndCut() throws {
        let (capture, keys) = PcapngOutputTests.scapy("fragmented")
        let directory = CLITests.temporary("hostile-name")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let name = "\u{1b}[31mred\u{7}<b>" + String(repeating: "é", count: 100) + ".pcap"
        try FileManager.default.copyItem(atPath: capture, toPath: directory + "/" + name)
        let frames = try Self.fields(directory + "/" + name, keys: keys)
        let shown = DisplayText.clipped(DisplayText.escaped(name), limit: ProvenanceComment.maxNameLength)
        #expect(shown.hasSuffix(" characters in all]") && !shown.contains("\u{1b}"), "\(shown)")
        #expect(frames.first?[0] == shown && frames.first?[1] == "decrypted by Spiglass from \(shown)")
        #expect(frames.first?[2].hasPrefix("Spiglass: from \(shown) frame 3") == true)
    }

    /// Many inputs are counted past the first few.
    @Test func longListsAreCounted() {
        #expect(PcapngInterfaceNames.list(["a"]) == "a")
        #expect(PcapngInterfaceNames.list(["a", "b", "c", "d"]) == "a, b, c, d")
        #expect(PcapngInterfaceNames.list(["a", "b", "c", "d", "e", "f"]) == "a, b, c, d and 2 more")
    }
}
