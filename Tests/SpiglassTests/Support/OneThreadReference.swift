import SpiglassCapture
import SpiglassSAD

@testable import SpiglassAnalysis

/// A capture analysed with its keys on one thread, as JSON: the reference the parallel runs of
/// the same capture are compared with (`ParallelAnalysisTests`, `ReadingTurnsTests`).
struct OneThreadReference {
    let capture: String
    let keySet: KeySet
    let options: AnalysisOptions
    let analyzer: Analyzer
    /// The one thread's output and summary.
    let text: String
    let summary: AnalysisSummary

    init(capture: String, keys: [String]) throws {
        self.capture = capture
        keySet = try Analyzer.loadKeySet(keys)
        var options = AnalysisOptions()
        options.format = .json
        self.options = options
        let single = StringSink()
        analyzer = try Analyzer(
            sad: Analyzer.espDatabase(keySet), ahSAD: Analyzer.ahDatabase(keySet), ikeKeys: keySet.ikeSAs,
            options: options, output: single)
        summary = analyzer.run(try CaptureReader(path: capture))
        text = single.text
    }

    /// The same capture, keys and options on `threads` threads, writing to `output`.
    func parallel(threads: Int, output: StringSink) throws -> ParallelAnalysis {
        try ParallelAnalysis(
            path: capture, sad: Analyzer.espDatabase(keySet), ahSAD: Analyzer.ahDatabase(keySet),
            ikeKeys: keySet.ikeSAs, options: options, threads: threads, output: output)
    }
}
