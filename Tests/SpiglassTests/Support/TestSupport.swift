import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassSAD
import SpiglassWire

/// Paths of the repository's fixtures and of the shared corpus beside the repository.
enum Paths {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }  // Tests/SpiglassTests/Support/TestSupport.swift
        return url.path
    }()

    static func fixture(_ relative: String) -> String { root + "/Fixtures/" + relative }
    static func corpus(_ relative: String) -> String { root + "/../shared/corpus/" + relative }
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
    /// The shared corpus sits beside the repository in CI and on developer machines.
    static var corpusPresent: Bool { exists(corpus("README.md")) }
}

/// One frame's outcome as the tests see it.
struct FrameOutcome {
    var record: PacketRecord
    var inner: [UInt8]
}

/// Runs the whole pipeline over a capture with key files, collecting every frame.
func analyze(
    _ capture: String, keys: [String], options: AnalysisOptions = AnalysisOptions(),
    output: StringSink = StringSink()
) throws -> (frames: [FrameOutcome], summary: AnalysisSummary, analyzer: Analyzer) {
    let (sad, ahSAD) = try Analyzer.loadDatabases(keys)
    let reader = try CaptureReader(path: capture)
    let analyzer = try Analyzer(sad: sad, ahSAD: ahSAD, options: options, output: output)
    var frames: [FrameOutcome] = []
    analyzer.packetObserver = { record, inner in frames.append(FrameOutcome(record: record, inner: Array(inner))) }
    let summary = analyzer.run(reader)
    return (frames, summary, analyzer)
}

/// Runs the pipeline over a stream with the ESP, AH and IKE SAs of a key set, collecting every
/// frame.
func analyze(
    _ stream: CaptureStream, keySet: KeySet, options: AnalysisOptions = AnalysisOptions(),
    output: StringSink = StringSink()
) throws -> (frames: [FrameOutcome], summary: AnalysisSummary, analyzer: Analyzer) {
    let analyzer = try Analyzer(
        sad: Analyzer.espDatabase(keySet), ahSAD: Analyzer.ahDatabase(keySet), ikeKeys: keySet.ikeSAs,
        options: options, output: output)
    var frames: [FrameOutcome] = []
    analyzer.packetObserver = { record, inner in frames.append(FrameOutcome(record: record, inner: Array(inner))) }
    let summary = analyzer.run(stream)
    return (frames, summary, analyzer)
}

func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }
func unhex(_ text: String) -> [UInt8] { Hex.decode(text)! }
func hex(_ bytes: SecretBytes) -> String { Hex.encode(bytes) }

/// Keys are `SecretBytes`; tests compare them with the expected bytes.
func == (lhs: SecretBytes, rhs: [UInt8]) -> Bool { Array(lhs) == rhs }
func == (lhs: [UInt8], rhs: SecretBytes) -> Bool { lhs == Array(rhs) }
func == (lhs: SecretBytes, rhs: [UInt8]?) -> Bool { rhs.map { Array(lhs) == $0 } ?? false }

/// An esp_sa table as a Wireshark release newer than 4.0 would take it: the rows that
/// `KeyFileWriter` comments out for 4.0 (ChaCha20, IIV) uncommented.
func uncommentingRowsForNewerWireshark(_ table: String) -> String {
    var out: [Substring] = []
    var uncommentNext = false
    for line in table.split(separator: "\n", omittingEmptySubsequences: false) {
        if uncommentNext, line.hasPrefix("# ") {
            out.append(line.dropFirst(2))
        } else {
            out.append(line)
        }
        uncommentNext = line.hasPrefix("# Wireshark 4.0 and older reject")
    }
    return out.joined(separator: "\n")
}
