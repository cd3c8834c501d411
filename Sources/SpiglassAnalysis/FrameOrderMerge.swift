import SpiglassCapture

/// Writes a parallel run's output in frame order: the report text and the -w records that the
/// workers filed per frame (`ShardChunk`), whatever worker each frame went to. Run by whichever
/// worker holds the merging turn (`MergingTurns`), one at a time; it never waits: `writeAvailable`
/// writes what can go out and returns when the output that comes next is not filed yet.
final class FrameOrderMerge {
    private let output: OutputSink
    private let writer: DecryptedOutput
    private let cursors: [Cursor]
    /// The progress bar, updated as worker 0's chunks come (set before the run).
    var progress: ProgressReporter? = nil
    /// Size of the capture, for the progress bar.
    var total: Int64 = 0

    init(workers: Int, output: OutputSink, writer: DecryptedOutput) {
        self.output = output
        self.writer = writer
        cursors = (0..<workers).map { _ in Cursor() }
    }

    /// Every worker's output is written, its last chunk included.
    var finished: Bool { cursors.allSatisfy { $0.bound.frame == Int.max } }

    /// Where the merge stands in one worker's output: the chunk at hand, with its entries
    /// copied out (references, not bytes) so that reading them costs no exclusivity check. A
    /// class, so that looking at it copies one reference rather than the entries' seven.
    private final class Cursor {
        // The merge's alone (the chunk was filed through `MergingTurns`).
        @exclusivity(unchecked) private(set) var chunk: ShardChunk? = nil
        @exclusivity(unchecked) private(set) var entries = ShardEntries()
        @exclusivity(unchecked) private(set) var position = 0
        /// The first frame this worker may still have an entry for, and whether that entry is
        /// at hand; Int.max once the worker has finished. Kept up to date as the cursor moves,
        /// since the merge looks at every worker's bound for every entry it writes.
        @exclusivity(unchecked) private(set) var bound = (frame: 1, pending: false)

        /// Takes `next`, returning the spent chunk, of which it keeps nothing.
        func load(_ next: ShardChunk) -> ShardChunk? {
            let spent = chunk
            entries = next.entries
            chunk = next
            move(to: 0)
            return spent
        }

        func move(to next: Int) {
            position = next
            if let chunk {
                bound =
                    position < entries.frames.count
                    ? (entries.frames[position], true) : (chunk.finished ? Int.max : chunk.scannedThrough + 1, false)
            } else {
                bound = (1, false)
            }
        }
    }

    /// Writes every entry that can go out. A worker's next entry is known to come at or after
    /// its current head entry or, when it has none left, after the last frame it has read; the
    /// smallest such bound that is an entry goes out (with those of its worker that still come
    /// before every other bound). When the smallest bound is no entry, that worker's next chunk
    /// is taken (`take`; the spent one goes back through `giveBack`): none filed yet, and this
    /// returns, all written that could be.
    func writeAvailable(take: (_ worker: Int) -> ShardChunk?, giveBack: (_ worker: Int, _ spent: ShardChunk) -> Void) {
        while true {
            var best = -1
            var bestBound = (frame: Int.max, pending: false)
            var next = Int.max
            for worker in cursors.indices {
                let bound = cursors[worker].bound
                // On a tie, an entry goes first: no other worker can own that frame.
                if bound.frame < bestBound.frame
                    || (bound.frame == bestBound.frame && bound.pending && !bestBound.pending)
                {
                    next = min(next, bestBound.frame)
                    best = worker
                    bestBound = bound
                } else {
                    next = min(next, bound.frame)
                }
            }
            guard best >= 0, bestBound.frame != Int.max else { break }
            let cursor = cursors[best]
            if bestBound.pending {
                let from = cursor.position
                var to = from + 1
                let frames = cursor.entries.frames
                while to < frames.count && frames[to] < next { to += 1 }
                write(cursor.entries, of: best, from: from, to: to)
                cursor.move(to: to)
            } else {
                guard let fresh = take(best) else { break }
                // The records gathered so far may lie in the spent chunk, whose arrays the
                // worker refills: written first, and dropped here before it reuses them.
                writeGathered()
                if let spent = cursor.load(fresh) { giveBack(best, spent) }
                if best == 0, let progress {
                    progress.update(bytes: fresh.bytePosition, total: total, packets: fresh.scannedThrough)
                }
            }
        }
        writeGathered()
    }

    /// Writes entries `from..<to` of `worker`'s chunk: their text, and their -w records
    /// gathered (written from the chunk, in `writeGathered`).
    private func write(_ entries: ShardEntries, of worker: Int, from: Int, to: Int) {
        let textStart = from == 0 ? 0 : entries.textEnds[from - 1]
        let textEnd = entries.textEnds[to - 1]
        if textEnd > textStart { output.write(bytes: entries.text[textStart..<textEnd]) }
        let recordStart = from == 0 ? 0 : entries.recordEnds[from - 1]
        let recordEnd = entries.recordEnds[to - 1]
        if recordEnd > recordStart {
            let records = entries.recordCounts[to - 1] - (from == 0 ? 0 : entries.recordCounts[from - 1])
            writer.gather(entries.records, range: recordStart..<recordEnd, count: records, source: worker)
            if writer.gathered.isFull { writeGathered() }
        }
    }

    /// Writes the records gathered from the chunks at hand.
    private func writeGathered() {
        guard !writer.gathered.isEmpty else { return }
        writer.writeGathered(sources: cursors.map(\.entries.records))
    }
}
