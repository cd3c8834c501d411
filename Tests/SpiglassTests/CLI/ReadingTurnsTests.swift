import Foundation
import SpiglassCapture
import Testing

@testable import SpiglassAnalysis

/// The workers of a parallel run read the capture in turns (`ReadingTurns`): a worker never
/// waits for room in a queue while it holds the reading turn, so no queue size, round size or
/// thread count may hang a run or change its output. The hand-over is run here at its tightest
/// (one batch and one chunk per queue, rounds of one or two frames) on captures far larger than
/// the queues, with IKE that the other workers wait for.
@Suite(.timeLimit(.minutes(5))) struct ReadingTurnsTests {
    /// Runs `capture` with `keys` on one thread, then on each of `threads` with the given queue
    /// and round sizes, and requires the same text.
    static func expectSameAsOneThread(
        capture: String, keys: [String], threads: [Int], chunks: Int, batches: Int, roundFrames: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let reference = try OneThreadReference(capture: capture, keys: keys)
        let expected = reference.summary
        for count in threads {
            let merged = StringSink()
            let parallel = try reference.parallel(threads: count, output: merged)
            parallel.setQueueCapacities(chunks: chunks, batches: batches, roundFrames: roundFrames)
            let summary = try parallel.run()
            let label = "\(capture) --threads \(count), queues \(chunks)/\(batches), rounds of \(roundFrames)"
            #expect(merged.text == reference.text, "\(label)", sourceLocation: sourceLocation)
            #expect(summary.frames == expected.frames, "\(label)", sourceLocation: sourceLocation)
            #expect(summary.verdicts == expected.verdicts, "\(label)", sourceLocation: sourceLocation)
            #expect(summary.diagnostics == expected.diagnostics, "\(label)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [(1, 1, 1), (1, 1, 2), (2, 1, 7), (1, 2, 64)])
    func tightQueuesOnTheGeneratedCapture(_ sizes: (chunks: Int, batches: Int, roundFrames: Int)) throws {
        let (capture, keys) = ParallelAnalysisTests.generated
        try Self.expectSameAsOneThread(
            capture: capture, keys: [keys], threads: [2, 3], chunks: sizes.chunks, batches: sizes.batches,
            roundFrames: sizes.roundFrames)
    }

    /// The -w file too, pcap and pcapng: the workers merge in turns and write the records
    /// straight from their chunks; with one chunk per queue, a worker waits for room whenever the
    /// merge is behind the other, so every hand-over of the merging turn is exercised.
    @Test(arguments: AnalysisOptions.WriteFormat.allCases, [(1, 1, 1), (1, 2, 7), (2, 1, 64)])
    func tightQueuesWriteTheFileOneThreadWrites(
        _ format: AnalysisOptions.WriteFormat, _ sizes: (chunks: Int, batches: Int, roundFrames: Int)
    ) throws {
        let (capture, keys) = ParallelAnalysisTests.generated
        let directory = CLITests.temporary("turns-write")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let single = directory + "/one.\(format)"
        let reference = try OneThreadReference(capture: capture, keys: [keys], write: (single, format))
        let expected = try #require(FileManager.default.contents(atPath: single))
        #expect(expected.count > 1_000_000)
        for count in [2, 3] {
            let path = directory + "/\(count).\(format)"
            let merged = StringSink()
            let parallel = try reference.parallel(threads: count, output: merged, writePath: path)
            parallel.setQueueCapacities(chunks: sizes.chunks, batches: sizes.batches, roundFrames: sizes.roundFrames)
            let summary = try parallel.run()
            let label =
                "--threads \(count) -w \(format), queues \(sizes.chunks)/\(sizes.batches), rounds of \(sizes.roundFrames)"
            #expect(merged.text == reference.text, "\(label)")
            #expect(summary.written == reference.summary.written, "\(label)")
            #expect(FileManager.default.contents(atPath: path) == expected, "\(label): -w differs")
        }
    }

    /// IKE and the ESP it keys, mixed: the other workers wait for worker 0 to derive each key,
    /// while the frames come one round at a time.
    @Test(arguments: ParallelAnalysisTests.ikeOnlyFixtures)
    func tightQueuesWithKeysDerivedFromIKE(_ fixture: String) throws {
        let all = try String(contentsOfFile: Paths.fixture(fixture + "/sa.spiglass"), encoding: .utf8)
        let keys = CLITests.temporary("turns-ike-only.keys")
        try (all.split(separator: "\n").filter { $0.hasPrefix("ike ") }.joined(separator: "\n") + "\n")
            .write(toFile: keys, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: keys) }
        try Self.expectSameAsOneThread(
            capture: Paths.fixture(fixture + "/capture.pcap"), keys: [keys], threads: [2, 3], chunks: 1, batches: 1,
            roundFrames: 1)
    }
}
