import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassSAD
import Testing

/// The captures `Fixtures/messy/make.sh` derives from real fixtures with editcap and mergecap
/// (snapshot-length cuts, a capture merged with itself, a 30-second replay, split parts),
/// built once per test process into a temporary directory.
enum MessyCaptures {
    /// editcap and mergecap come with tshark (Debian wireshark-common).
    static let toolsPresent: Bool = ["editcap", "mergecap"].allSatisfy { tool in
        let dirs =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin"]
        return dirs.contains { FileManager.default.isExecutableFile(atPath: $0 + "/" + tool) }
    }

    /// A fixture the script derives from: its capture and key file, by its name in the output.
    struct Source: CustomStringConvertible, Sendable {
        var name: String
        var capture: String
        var keys: String
        var description: String { name }
    }

    static let sources: [Source] = [
        Source(
            name: "strongswan-aes256gcm16-v4", capture: "strongswan/aes256gcm16-v4/capture.pcap",
            keys: "strongswan/aes256gcm16-v4/sa.spiglass"),
        Source(
            name: "strongswan-aes128cbc-sha256-v4", capture: "strongswan/aes128cbc-sha256-v4/capture.pcap",
            keys: "strongswan/aes128cbc-sha256-v4/sa.spiglass"),
        Source(
            name: "strongswan-3des-sha1-v4", capture: "strongswan/3des-sha1-v4/capture.pcap",
            keys: "strongswan/3des-sha1-v4/sa.spiglass"),
        Source(
            name: "strongswan-ike-rekey-cbc-sha256", capture: "strongswan-ike/rekey-cbc-sha256/capture.pcap",
            keys: "strongswan-ike/rekey-cbc-sha256/sa.spiglass"),
        Source(
            name: "strongswan-ike-fragmentation", capture: "strongswan-ike/fragmentation/capture.pcap",
            keys: "strongswan-ike/fragmentation/sa.spiglass"),
        Source(
            name: "strongswan-ikev1-main-psk", capture: "strongswan-ikev1/main-psk/capture.pcap",
            keys: "strongswan-ikev1/main-psk/sa.spiglass"),
        Source(
            name: "strongswan-ikev1-aggressive-psk", capture: "strongswan-ikev1/aggressive-psk/capture.pcap",
            keys: "strongswan-ikev1/aggressive-psk/sa.spiglass"),
        Source(
            name: "scapy-ah-ah-v4-transport", capture: "scapy-ah/ah-v4-transport.pcap",
            keys: "scapy-ah/ah-v4-transport.spiglass"),
        Source(name: "scapy-fragmented", capture: "scapy/fragmented.pcap", keys: "scapy/fragmented.spiglass"),
    ]

    static func directory() -> String { NSTemporaryDirectory() + "spiglass-messy-\(getpid())" }

    /// The output directory, made on first use; nil (with an issue recorded) when the script failed.
    static let built: String? = {
        let out = directory()
        atexit { try? FileManager.default.removeItem(atPath: MessyCaptures.directory()) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Paths.fixture("messy/make.sh"), out]
        let errors = Pipe()
        process.standardError = errors
        do {
            try process.run()
            let message = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                Issue.record("Fixtures/messy/make.sh failed: \(String(decoding: message, as: UTF8.self))")
                return nil
            }
        } catch {
            Issue.record("cannot run Fixtures/messy/make.sh: \(error)")
            return nil
        }
        return out
    }()

    /// A derived capture: `snaplen-96/NAME.pcap` and the like.
    static func path(_ relative: String) throws -> String {
        let root = try #require(built)
        return root + "/" + relative
    }

    /// The parts `editcap -c N` made of a source, in name order (their time order).
    static func parts(_ source: Source, every count: Int) throws -> [String] {
        let folder = try path("split-\(count)/\(source.name)")
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".pcap") }.sorted().map
        { folder + "/" + $0 }
    }
}

/// Runs the pipeline over a capture with every key of `keys` (ESP, AH and IKE), collecting
/// each frame's record and the packet it wrote.
func analyzeStream(
    _ capture: String, keys: [String], options: AnalysisOptions = AnalysisOptions(),
    output: StringSink = StringSink()
) throws -> (frames: [FrameOutcome], summary: AnalysisSummary, analyzer: Analyzer) {
    try analyzeStream([capture], keys: keys, options: options, output: output)
}

/// The same over several captures read as one stream.
func analyzeStream(
    _ captures: [String], keys: [String], options: AnalysisOptions = AnalysisOptions(),
    output: StringSink = StringSink()
) throws -> (frames: [FrameOutcome], summary: AnalysisSummary, analyzer: Analyzer) {
    try analyze(
        try CaptureStream(paths: captures), keySet: try Analyzer.loadKeySet(keys), options: options, output: output)
}
