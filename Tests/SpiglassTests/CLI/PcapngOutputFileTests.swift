import Foundation
import SpiglassCapture
import Testing

/// The -w guarantees hold for pcapng: the name (or --write-format) chooses the format, `-w -`
/// stays pcap unless asked; an input is never written over; a failed write leaves nothing
/// half-written (a full file system: `OutputSafetyTests`); names an attacker chose cannot break the comment or the file.
@Suite(.serialized) struct PcapngOutputFileTests {
    static let pcapngMagic = "\n\r\r\n"

    @Test func theNameOrWriteFormatChoosesTheFormat() throws {
        let s = try OutputSafetyTests.Scratch()
        defer { s.remove() }
        let base = ["analyze", "-q", "-r", s.capture, "-k", s.keys]
        for (name, extra, pcapng) in [
            ("a.pcapng", [String](), true), ("b.PcapNG", [], true), ("w.pcap", [], false),
            ("d.cap", ["--write-format", "pcapng"], true), ("e.pcapng", ["--write-format", "pcap"], false),
        ] {
            let run = try CLITests.run(base + ["-w", s.dir + "/" + name] + extra)
            #expect(run.status == 0, "\(run.stderr)")
            let bytes = Array(s.contents(s.dir + "/" + name) ?? Data())
            #expect(bytes.starts(with: [0x0a, 0x0d, 0x0d, 0x0a]) == pcapng, "\(name)")
            #expect(bytes.starts(with: [0xd4, 0xc3, 0xb2, 0xa1]) == !pcapng, "\(name)")
            #expect(try WrittenCaptures.packets(s.dir + "/" + name).count == 26, "\(name)")
        }
        // Standard output: pcap, unless asked.
        #expect(!(try CLITests.run(base + ["-w", "-"])).stdout.hasPrefix(Self.pcapngMagic))
        #expect(try CLITests.run(base + ["-w", "-", "--write-format", "pcapng"]).stdout.hasPrefix(Self.pcapngMagic))
        for flag in [["--keep-outer"], ["--write-format", "pcapng"]] {
            let run = try CLITests.run(base + flag)
            #expect(run.status == 64 && run.stderr.contains("give -w FILE"), "\(flag): \(run.stderr)")
        }
    }

    @Test func anInputIsNeverWrittenOverAndAFailureLeavesNothing() throws {
        let s = try OutputSafetyTests.Scratch()
        defer { s.remove() }
        let before = s.contents(s.capture)
        let link = s.dir + "/link.pcapng"
        symlink(s.capture, link)
        for output in [s.capture, link] {
            let run = try CLITests.run([
                "analyze", "-q", "-r", s.capture, "-k", s.keys, "-w", output, "--write-format", "pcapng",
            ])
            #expect(run.status == 1 && run.stderr.contains("refusing to write"), "\(run.stderr)")
        }
        #expect(s.contents(s.capture) == before)
        for threads in ["1", "2"] {
            for extra in [[String](), ["--keep-outer"]] {
                let run = try CLITests.run(
                    [
                        "analyze", "-q", "-r", s.capture, "-k", s.keys, "-w", "/dev/full", "--write-format",
                        "pcapng", "--threads", threads,
                    ] + extra)
                #expect(run.status == 3)
                #expect(run.stderr.contains("cannot write '/dev/full': No space left on device"), "\(run.stderr)")
            }
        }
        let out = s.dir + "/out.pcapng"
        let run = try CLITests.run(["analyze", "-q", "-r", s.capture, "-k", s.keys, "-w", out, "--keep-outer"])
        #expect(run.status == 0)
        #expect(OutputSafetyTests.mode(out) & 0o777 == 0o600)
        #expect(s.temporaries.isEmpty)
    }

    /// A capture named with control characters, a bidi override, an escape sequence and 250
    /// bytes: the comment shows it escaped and cut, on one line, and both readers read the file.
    @Test(.enabled(if: Tshark.path != nil, "tshark is not installed")) func hostileFileNames() throws {
        let s = try OutputSafetyTests.Scratch()
        defer { s.remove() }
        let name = "evil\n\u{1b}[31m\u{202e}\"x\\" + String(repeating: "é", count: 100) + ".pcap"
        let hostile = s.dir + "/" + name
        try FileManager.default.copyItem(atPath: s.capture, toPath: hostile)
        let out = s.dir + "/out.pcapng"
        let run = try CLITests.run(["analyze", "-q", "-r", hostile, "-k", s.keys, "-w", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try WrittenCaptures.packets(out).count == 26)
        let comments = try WrittenCaptures.fields(out, ["frame.comment"]).map { $0[0] }
        #expect(comments.count == 26)
        let expectedName =
            "evil\\n\\x1b[31m\\u{202e}\\\"x\\\\" + String(repeating: "é", count: 93)
            + "…[132 characters in all]"
        #expect(comments.first?.hasPrefix("Spiglass: from \(expectedName) frame 5; ESP SPI ") == true, "\(comments)")
        #expect(comments.allSatisfy { !$0.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{202e}" } })
        let bytes = try #require(s.contents(out))
        let blocks = try #require(WrittenCaptures.pcapngBlocks(Array(bytes)))
        #expect(blocks.map(\.type) == [0x0A0D_0D0A, 1] + Array(repeating: 6, count: 26))
    }
}
