import SpiglassCapture
import SpiglassWire

// One worker of a parallel run (see `ParallelAnalysis`). The reader (`FrameRouter`) hands each
// worker the frames it reports and those every worker needs for the state they build (IKE,
// IP fragments, RFC 8229 streams), so that this state is the same in all of them; each ESP or
// AH frame is reported by exactly one worker, its owner, and reaches no other. Everything
// else is owned by worker 0.

/// A worker's part in a parallel run.
final class Shard {
    let index: Int
    /// Where the worker's reports and -w records go, frame by frame.
    let output: ShardOutput
    /// Whether -w was asked for: decrypted packets are then kept with the frame's report.
    let writesPackets: Bool
    /// The counters before a frame processed here only for the state it builds (another
    /// worker reports it), put back once the frame is done.
    @exclusivity(unchecked) var sharedSnapshot: (summary: AnalysisSummary, untracked: Int)? = nil
    /// Flows created by such frames: the frame's owner has (and reports) its own copy.
    var foreignFlows: Set<Int> = []

    /// The worker that reports the frame at hand, as the reader dealt it.
    @exclusivity(unchecked) var frameOwner = 0

    init(index: Int, output: ShardOutput, writesPackets: Bool) {
        self.index = index
        self.output = output
        self.writesPackets = writesPackets
    }
}

/// What a worker hands the merger: the report text and the -w records of the frames it owns,
/// in frame order (frames that produced nothing have no entry), and how far it has read.
final class ShardChunk {
    /// Frame number of each entry.
    var frames: [Int] = []
    /// Where each entry's text ends in `text` (it starts where the previous one ended).
    var textEnds: [Int] = []
    /// Where each entry's records end in `records`, and how many records there are up to it.
    var recordEnds: [Int] = []
    var recordCounts: [Int] = []
    var text: [UInt8] = []
    /// pcap records, ready to be written (`PcapWriter.appendRecord`).
    var records: [UInt8] = []
    /// Every frame up to this one has been read: the worker's next entry comes after it.
    var scannedThrough = 0
    /// Bytes of the capture file read so far, for the progress bar.
    var bytePosition: Int64 = 0
    /// The worker's last chunk.
    var finished = false

    func reset() {
        frames.removeAll(keepingCapacity: true)
        textEnds.removeAll(keepingCapacity: true)
        recordEnds.removeAll(keepingCapacity: true)
        recordCounts.removeAll(keepingCapacity: true)
        text.removeAll(keepingCapacity: true)
        records.removeAll(keepingCapacity: true)
        scannedThrough = 0
        bytePosition = 0
        finished = false
    }
}

/// A worker's reporter writes here: text and -w records pile up, filed per frame, and go to
/// the merger as a chunk once there are enough. After the run, worker 0's reporter prints the
/// tables through `forward`.
final class ShardOutput: OutputSink {
    let channel: HandoffChannel<ShardChunk>
    /// Set after the run: writes go straight there.
    var forward: OutputSink? = nil

    // The chunk being filled (see `ShardChunk`), held here rather than in a chunk object so
    // that appending costs no exclusivity check; `send` moves it into one.
    @exclusivity(unchecked) private var frames: [Int] = []
    @exclusivity(unchecked) private var textEnds: [Int] = []
    @exclusivity(unchecked) private var recordEnds: [Int] = []
    @exclusivity(unchecked) private var recordCounts: [Int] = []
    @exclusivity(unchecked) private var text: [UInt8] = []
    @exclusivity(unchecked) private var records: [UInt8] = []
    @exclusivity(unchecked) private var recordCount = 0
    @exclusivity(unchecked) private var lastEntryText = 0
    @exclusivity(unchecked) private var lastEntryRecords = 0
    @exclusivity(unchecked) private var lastSent = 0

    // A chunk goes when any of these is reached; they bound its size (a record is at most
    // one 64 KiB datagram past the limit) and how long the merger may wait for news.
    static let maxEntries = 1024
    static let maxTextBytes = 128 << 10
    static let maxRecordBytes = 256 << 10
    static let maxFramesPerChunk = 4096

    init(channel: HandoffChannel<ShardChunk>) { self.channel = channel }

    func write(_ text: String) {
        if let forward {
            forward.write(text)
        } else {
            self.text.append(contentsOf: text.utf8)
        }
    }

    func flush() { forward?.flush() }

    func appendPacket(_ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp) {
        PcapWriter.appendRecord(bytes, range: range, timestamp: timestamp, to: &records)
        recordCount += 1
    }

    /// Files what frame `frame` produced, if anything. True when the chunk should be sent.
    func endFrame(_ frame: Int) -> Bool {
        if text.count != lastEntryText || records.count != lastEntryRecords {
            lastEntryText = text.count
            lastEntryRecords = records.count
            frames.append(frame)
            textEnds.append(lastEntryText)
            recordEnds.append(lastEntryRecords)
            recordCounts.append(recordCount)
        }
        return frames.count >= ShardOutput.maxEntries || lastEntryText >= ShardOutput.maxTextBytes
            || lastEntryRecords >= ShardOutput.maxRecordBytes || frame - lastSent >= ShardOutput.maxFramesPerChunk
    }

    /// Sends what was filed, saying that every frame up to `frame` has been read, and starts
    /// anew with the buffers of a spent chunk.
    func send(scannedThrough frame: Int, bytePosition: Int64, finished: Bool = false) {
        let chunk = channel.spare() ?? ShardChunk()
        chunk.reset()
        swap(&chunk.frames, &frames)
        swap(&chunk.textEnds, &textEnds)
        swap(&chunk.recordEnds, &recordEnds)
        swap(&chunk.recordCounts, &recordCounts)
        swap(&chunk.text, &text)
        swap(&chunk.records, &records)
        chunk.scannedThrough = frame
        chunk.bytePosition = bytePosition
        chunk.finished = finished
        channel.send(chunk)
        recordCount = 0
        lastEntryText = 0
        lastEntryRecords = 0
        lastSent = frame
    }
}

extension Analyzer {
    /// Parallel runs: what this worker does with a frame whose outermost packet (reassembled,
    /// when it came in fragments) is `layers`. Returns false when the frame concerns this
    /// worker no further.
    func claim(_ bytes: [UInt8], ip: IPLayer, layers: IPsecLayers, shard: Shard) -> Bool {
        frameOwned = shard.frameOwner == shard.index
        if frameOwned { return true }
        // Another worker reports this frame; it is processed here, silently, only for the
        // state every worker builds (a reassembled datagram reaches every worker whatever it is).
        guard FrameRouter.everyWorkerNeeds(bytes, ip: ip, layers: layers, tcpPorts: options.tcpEncapsulationPorts) else {
            return false
        }
        shard.sharedSnapshot = (summary, untrackedFlowPackets)
        return true
    }

    /// A worker's loop: the frames the reader deals it, batch by batch, filing this worker's
    /// output per frame and sending it to the merger after each batch (so the merger learns
    /// how far the reader has got even from a worker that reports nothing). The tables are
    /// printed later, from the merged state.
    func runShard(_ batches: HandoffChannel<FrameBatch>, sources: [CaptureStream.Source], shard: Shard) {
        setSources(sources)
        // Frames are copied here from the batch, so that `process` gets an array of its own.
        var frame = [UInt8](repeating: 0, count: 262_144)
        while true {
            let batch = batches.receive()
            if summary.firstTime == nil { summary.firstTime = batch.captureStart }
            // Read once per batch: each access to the batch's own arrays would count a
            // reference on memory the reader's core wrote last. (In a scope of their own, so
            // that the reader gets the arrays back unshared, to refill without reallocating.)
            do {
                let bytes = batch.bytes, ends = batch.ends, numbers = batch.numbers
                let headers = batch.headers, owners = batch.owners
                var start = 0
                for index in numbers.indices {
                    copyBytes(bytes, start..<ends[index], into: &frame, at: 0)
                    start = ends[index]
                    // Frame numbers are the reader's: this worker does not see every frame.
                    summary.frames = numbers[index] - 1
                    frameOwned = shard.index == 0
                    shard.frameOwner = owners[index]
                    process(frame, header: headers[index])
                    if let saved = shard.sharedSnapshot {
                        summary = saved.summary
                        untrackedFlowPackets = saved.untracked
                        shard.sharedSnapshot = nil
                    }
                    if shard.output.endFrame(numbers[index]) {
                        shard.output.send(scannedThrough: numbers[index], bytePosition: batch.bytePosition)
                    }
                }
            }
            let finished = batch.finished
            shard.output.send(scannedThrough: batch.scannedThrough, bytePosition: batch.bytePosition, finished: finished)
            batches.recycle(batch)
            if finished { break }
        }
    }
}
