import Foundation
import SpiglassAnalysis
import SpiglassCapture
import Testing

/// Several capture files read as one stream (`-r a -r b`, `-r 'dir/*.pcap'`): merged by time,
/// numbered as one stream with each record naming its file and frame there, link types per
/// file, IKE state, SAs and flows carried across files. A capture split with `editcap -c`
/// and read as its parts gives exactly the verdicts and the `-w` bytes of the whole, at every
/// thread count.
@Suite(.enabled(if: MessyCaptures.toolsPresent, "editcap/mergecap are not installed (Debian wireshark-common)"))
struct MultiFileInputTests {
    /// Text and JSON without what only a multi-file run adds (the file of each record).
    static func withoutFileNames(_ text: String) -> String {
        var out = text.replacingOccurrences(of: #" \[[^\]\s]+\.pcap:\d+\]"#, with: "", options: .regularExpression)
        out = out.replacingOccurrences(of: #""file":"[^"]*","file_frame":\d+,"#, with: "", options: .regularExpression)
        return out
    }

    static let modes: [[String]] = [["analyze"], ["analyze", "--json"], ["ike"], ["ike", "--json"]]

    @Test(arguments: MessyCaptures.sources, [2, 5])
    func aSplitCaptureReadAsItsPartsIsTheWholeCapture(_ source: MessyCaptures.Source, every count: Int) throws {
        let parts = try MessyCaptures.parts(source, every: count)
        #expect(parts.count >= 2)
        let keys = ["-k", Paths.fixture(source.keys)]
        for mode in Self.modes {
            let whole = try ParallelAnalysisTests.run(mode + ["-r", Paths.fixture(source.capture)] + keys, threads: 1)
            #expect(whole.status == 0)
            // The parts one -r each, in reverse (the stream orders them by time), at 1 to 3 threads.
            let arguments = mode + parts.reversed().flatMap { ["-r", $0] } + keys
            let split = try ParallelAnalysisTests.expectSameOutput(arguments)
            #expect(split.status == whole.status)
            #expect(split.written == whole.written, "\(source.name) in parts of \(count) \(mode): -w differs")
            #expect(split.stderr == whole.stderr)
            let a = Self.withoutFileNames(split.stdout)
            let b = whole.stdout
            if a != b {
                let left = a.split(separator: "\n")
                let right = b.split(separator: "\n")
                let first =
                    (0..<min(left.count, right.count)).first { left[$0] != right[$0] } ?? min(left.count, right.count)
                Issue.record(
                    "\(source.name) in parts of \(count) \(mode): line \(first + 1) differs:\n  parts: \(first < left.count ? left[first] : "<end>")\n  whole: \(first < right.count ? right[first] : "<end>")"
                )
            }
        }
    }

    @Test func everyRecordNamesItsFileAndItsFrameThere() throws {
        let source = MessyCaptures.sources[0]
        let parts = try MessyCaptures.parts(source, every: 5)
        let result = try analyzeStream(parts, keys: [Paths.fixture(source.keys)])
        #expect(result.frames.count == 32)
        #expect(result.analyzer.sourcePaths == parts)
        var expected = (file: 0, frame: 0)
        for (index, frame) in result.frames.enumerated() {
            #expect(frame.record.frame == index + 1)
            if frame.record.source != expected.file { expected = (frame.record.source, 0) }
            expected.frame += 1
            #expect(frame.record.sourceFrame == expected.frame, "frame \(index + 1)")
            #expect(frame.record.source == index / 5, "frame \(index + 1) from file \(frame.record.source)")
        }
        let text = try CLITests.run(["-r", parts[1], "-r", parts[0], "-k", Paths.fixture(source.keys)])
        let line = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix("    6 ") })
        #expect(line.hasPrefix("    6 [\(parts[1].split(separator: "/").last!):1] 0.516084 "), "\(line)")
        let json = try CLITests.run(["-r", parts[1], "-r", parts[0], "-k", Paths.fixture(source.keys), "--json"])
        let record = try #require(json.stdout.split(separator: "\n").first { $0.contains("\"frame\":6,") })
        #expect(record.contains("\"frame\":6,\"file\":\"\(parts[1])\",\"file_frame\":1,"), "\(record)")
    }

    /// The regression: `-r a -r b` read only b, silently.
    @Test func twoFilesAreBothRead() throws {
        let gcm = MessyCaptures.sources[0]
        let cbc = MessyCaptures.sources[1]
        let result = try CLITests.run([
            "-q", "-r", Paths.fixture(gcm.capture), "-r", Paths.fixture(cbc.capture),
            "-k", Paths.fixture(gcm.keys), "-k", Paths.fixture(cbc.keys),
        ])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Frames: 64  ESP: 52"), "\(result.stdout)")
        #expect(result.stdout.contains("Verdicts: decrypted 52, ike 12"))
    }

    @Test func aPatternIsExpandedBySpiglass() throws {
        let source = MessyCaptures.sources[0]
        let parts = try MessyCaptures.parts(source, every: 2)
        let folder = String(parts[0].prefix(upTo: parts[0].lastIndex(of: "/")!))
        let keys = ["-k", Paths.fixture(source.keys)]
        let pattern = try CLITests.run(["-r", folder + "/*.pcap"] + keys)
        let listed = try CLITests.run(parts.flatMap { ["-r", $0] } + keys)
        #expect(pattern.status == 0)
        #expect(pattern.stdout == listed.stdout)
        // Named twice (the pattern and a part): read once, with a warning.
        let twice = try CLITests.run(["-r", folder + "/*.pcap", "-r", parts[0]] + keys)
        #expect(twice.stdout == listed.stdout)
        #expect(twice.stderr.contains("'\(parts[0])' is named more than once: read once"))
        let none = try CLITests.run(["-r", folder + "/*.pcapng"] + keys)
        #expect(none.status == 1)
        #expect(none.stderr.contains("no capture file matches '\(folder)/*.pcapng'"))
        let stdin = try CLITests.run(["-r", "-", "-r", parts[0]] + keys)
        #expect(stdin.status == 64)
        #expect(stdin.stderr.contains("standard input"))
    }

    /// Files of different link types: each frame is decoded with its own file's.
    @Test func linkTypesMayDiffer() throws {
        let folder = try MessyCaptures.path("links")
        let files = ["ethernet.pcap", "sll.pcap"].map { folder + "/" + $0 }
        let keys = [
            Paths.fixture("scapy/linktypes-sll.spiglass"), Paths.fixture("strongswan/aes128cbc-sha256-v4/sa.spiglass"),
        ]
        let merged = try analyzeStream(files, keys: keys)
        // The SLL capture is the older one: it comes first.
        #expect(merged.analyzer.sourcePaths == files.reversed())
        #expect(merged.frames.count == 34)
        #expect(merged.summary.count(.decrypted) == 28)
        for (source, path) in merged.analyzer.sourcePaths.enumerated() {
            let alone = try analyzeStream(path, keys: keys)
            let mine = merged.frames.filter { $0.record.source == source }
            #expect(mine.map(\.record.verdict) == alone.frames.map(\.record.verdict))
            #expect(mine.map(\.inner) == alone.frames.map(\.inner))
        }
        #expect(merged.summary.diagnostics.isEmpty, "\(merged.summary.diagnostics)")
    }

    /// An IKE SA negotiated in the first file keys the ESP of the later ones (SK_d only: no ESP
    /// keys are given).
    @Test func ikeStateCarriesAcrossFiles() throws {
        let source = try #require(MessyCaptures.sources.first { $0.name == "strongswan-ike-rekey-cbc-sha256" })
        let text = try String(contentsOfFile: Paths.fixture(source.keys), encoding: .utf8)
        let ikeOnly = CLITests.temporary("ike-only.spiglass")
        defer { try? FileManager.default.removeItem(atPath: ikeOnly) }
        try text.split(separator: "\n").filter { $0.hasPrefix("ike ") }.joined(separator: "\n").write(
            toFile: ikeOnly, atomically: true, encoding: .utf8)
        let parts = try MessyCaptures.parts(source, every: 5)
        let whole = try analyzeStream(Paths.fixture(source.capture), keys: [ikeOnly])
        let split = try analyzeStream(parts, keys: [ikeOnly])
        #expect(whole.summary.count(.decrypted) > 0)
        #expect(split.summary.count(.decrypted) == whole.summary.count(.decrypted))
        let lastPart = split.frames.filter { $0.record.source == parts.count - 1 }
        #expect(split.analyzer.ike.children.count == whole.analyzer.ike.children.count)
        #expect(split.frames.map(\.record.verdict) == whole.frames.map(\.record.verdict))
        #expect(!lastPart.isEmpty)
    }

    /// A damaged file ends early; the others are read to their end, and the exit status says so.
    @Test func aDamagedFileDoesNotStopTheOthers() throws {
        let folder = try MessyCaptures.path("damaged")
        let source = MessyCaptures.sources[0]
        let result = try CLITests.run(["-q", "-r", folder + "/*.pcap", "-k", Paths.fixture(source.keys)])
        #expect(result.status == 2)
        #expect(result.stdout.contains("Frames: 31"), "\(result.stdout)")
        let damaged = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()[1]
        #expect(
            result.stdout.contains("Warning: capture file '\(folder)/\(damaged)' damaged after its frame 4: "),
            "\(result.stdout)")
        #expect(result.stdout.contains("the rest of that file is not read (frame 9 of the stream)"), "\(result.stdout)")
        try ParallelAnalysisTests.expectSameOutput([
            "analyze", "-r", folder + "/*.pcap", "-k", Paths.fixture(source.keys),
        ])
    }
}
