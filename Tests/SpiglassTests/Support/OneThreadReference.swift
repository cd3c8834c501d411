import SpiglassCapture
import SpiglassSAD

@testable import SpiglassAnalysis

/// A capture analysed with its keys on one thread, as JSON: the reference the parallel runs of
/// the same capture are compared with (`ParallelAnalysisTests`, `ReadingTurnsTests`). With
/// `write`, the decrypted packets go to that file (pcap or pcapng) as `spiglass -w` writes them.
struct OneThreadReference {
    let capture: String
    let keySet: KeySet
    let options: AnalysisOptions
    let analyzer: Analyzer
    /// The one thread's output and summary.
    let text: String
    let summary: AnalysisSummary

    init(
        capture: String, keys: [String], write: (path: String, format: AnalysisOptions.WriteFormat)? = nil
    ) throws {
        self.capture = capture
        keySet = try Analyzer.loadKeySet(keys)
        var options = AnalysisOptions()
        options.format = .json
        // A run of the command reads a stream, which names its file in pcapng comments.
        let stream = try CaptureStream(paths: [capture])
        if let write {
            options.writePath = write.path
            options.writeFormat = write.format
            // What a run of the command sets for its -w file (`AnalysisSession`).
            PcapngInterfaceNames.name(&options, sources: stream.sources, live: false)
            options.writeResolution = stream.sources.finestTimestampResolution
        }
        self.options = options
        let single = StringSink()
        analyzer = try Analyzer(
            sad: Analyzer.espDatabase(keySet), ahSAD: Analyzer.ahDatabase(keySet), ikeKeys: keySet.ikeSAs,
            options: options, output: single)
        summary = write == nil ? analyzer.run(try CaptureReader(path: capture)) : analyzer.run(stream)
        text = single.text
    }

    /// The same capture, keys and options on `threads` threads, writing to `output` (and, when
    /// the reference writes a file, to `writePath`).
    func parallel(threads: Int, output: StringSink, writePath: String? = nil) throws -> ParallelAnalysis {
        var options = options
        if options.writePath != nil { options.writePath = writePath }
        return try ParallelAnalysis(
            path: capture, sad: Analyzer.espDatabase(keySet), ahSAD: Analyzer.ahDatabase(keySet),
            ikeKeys: keySet.ikeSAs, options: options, threads: threads, output: output)
    }
}
