import SpiglassCapture
import SpiglassWire

// One worker of a parallel run (see `ParallelAnalysis`). Every worker reads every frame, so
// that the state built from the frames everybody needs (IKE, IP fragments, RFC 8229 streams,
// frame numbers and times) is the same in all of them, but each ESP or AH frame is owned by
// exactly one worker: only its owner decrypts, counts and reports it. Everything else is
// owned by worker 0.

/// A worker's part in a parallel run.
final class Shard {
    let index: Int
    let count: Int
    /// Where the worker's reports and -w records go, frame by frame.
    let output: ShardOutput
    /// Whether -w was asked for: decrypted packets are then kept with the frame's report.
    let writesPackets: Bool
    /// The counters before a frame processed here only for the state it builds (another
    /// worker reports it), put back once the frame is done.
    @exclusivity(unchecked) var sharedSnapshot: (summary: AnalysisSummary, untracked: Int)? = nil
    /// Flows created by such frames: the frame's owner has (and reports) its own copy.
    var foreignFlows: Set<Int> = []

    // Per-frame state of one thread, touched through no overlapping accesses: dynamic
    // exclusivity checks are off for it, as for the Analyzer's.
    /// Owner of each outermost SPI seen so far.
    @exclusivity(unchecked) private var owners: [UInt32: Int] = [:]
    /// Past this many SPIs, owners come from the SPI's value instead of the table.
    static let maxOwnerEntries = 1 << 20

    init(index: Int, count: Int, output: ShardOutput, writesPackets: Bool) {
        self.index = index
        self.count = count
        self.output = output
        self.writesPackets = writesPackets
    }

    /// The worker that owns the frames whose outermost SPI is `spi`. SPIs are dealt out in
    /// the order they first appear, starting with worker 1 (worker 0 also owns everything that
    /// is not ESP or AH): the two SAs of a tunnel land on different workers whatever their
    /// values. Every worker sees the same frames in the same order, so all deal alike.
    func owner(spi: UInt32) -> Int {
        if let owner = owners[spi] { return owner }
        guard owners.count < Shard.maxOwnerEntries else { return Int(spi % UInt32(count)) }
        let owner = (owners.count + 1) % count
        owners[spi] = owner
        return owner
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

/// A bounded queue of chunks from one worker to the merger, and the spent chunks going back
/// for reuse. A worker whose queue is full waits (back-pressure), so memory stays bounded by
/// `capacity` chunks per worker. Every access to the queues holds the lock; a chunk belongs
/// to the worker until `send` and to the merger after `receive`.
///
/// A merger that ran dry is woken only once the queue is half full (or the worker is done):
/// waking it for every chunk costs more than it saves, as the merger is much quicker than a
/// worker. A worker waiting for room is woken as soon as there is some.
final class ShardChannel: @unchecked Sendable {
    private let lock = ConditionLock()
    private var queue: [ShardChunk] = []
    private var spares: [ShardChunk] = []
    private var receiverWaiting = false
    private var senderWaiting = false
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func send(_ chunk: ShardChunk) {
        lock.withLock {
            while queue.count >= capacity {
                senderWaiting = true
                lock.wait()
            }
            senderWaiting = false
            queue.append(chunk)
            if receiverWaiting && (queue.count >= (capacity + 1) / 2 || chunk.finished) { lock.broadcast() }
        }
    }

    func receive() -> ShardChunk {
        lock.withLock {
            while queue.isEmpty {
                receiverWaiting = true
                lock.wait()
            }
            receiverWaiting = false
            if senderWaiting { lock.broadcast() }
            return queue.removeFirst()
        }
    }

    func recycle(_ chunk: ShardChunk) {
        lock.withLock { if spares.count < capacity { spares.append(chunk) } }
    }

    func spare() -> ShardChunk? {
        lock.withLock { spares.popLast() }
    }
}

/// A worker's reporter writes here: text and -w records pile up, filed per frame, and go to
/// the merger as a chunk once there are enough. After the run, worker 0's reporter prints the
/// tables through `forward`.
final class ShardOutput: OutputSink {
    let channel: ShardChannel
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

    init(channel: ShardChannel) { self.channel = channel }

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
        let owner: Int
        if let first = layers.ah.first {
            owner = shard.owner(spi: first.spi)
        } else if case .esp(let esp, _) = layers.payload {
            owner = shard.owner(spi: esp.spi)
        } else {
            owner = 0
        }
        frameOwned = owner == shard.index
        if frameOwned { return true }
        // Another worker reports this frame. IKE messages (even inside AH) and RFC 8229
        // streams are still processed here, silently, for the state they build: the IKE story,
        // with the ESP keys it derives from SK_d, and the streams that carry IKE.
        switch layers.payload {
        case .ike:
            break
        case .other(let proto, _) where proto == IPProtocol.tcp && !options.tcpEncapsulationPorts.isEmpty:
            let start = layers.ah.last?.range.upperBound ?? ip.headerEnd
            guard let segment = TCPEncapsulation.segment(bytes, start: start, end: ip.end),
                  options.tcpEncapsulationPorts.contains(segment.sourcePort)
                    || options.tcpEncapsulationPorts.contains(segment.destinationPort)
            else { return false }
        default:
            return false
        }
        shard.sharedSnapshot = (summary, untrackedFlowPackets)
        return true
    }

    /// A worker's loop: every frame of `reader`, filing this worker's output per frame and
    /// sending it to the merger in chunks. The tables are printed later, from the merged state.
    func runShard(_ reader: CaptureReader, shard: Shard, maxFrames: Int?) {
        setLinkType(dlt: reader.linkType, name: reader.linkTypeName)
        loop: while true {
            if let limit = maxFrames, summary.frames >= limit { break }
            switch reader.next() {
            case .packet(let header):
                frameOwned = shard.index == 0
                process(reader.buffer, header: header)
                if let saved = shard.sharedSnapshot {
                    summary = saved.summary
                    untrackedFlowPackets = saved.untracked
                    shard.sharedSnapshot = nil
                }
                if shard.output.endFrame(summary.frames) {
                    shard.output.send(scannedThrough: summary.frames, bytePosition: reader.bytePosition ?? 0)
                }
            case .end, .timeout, .interrupted:
                break loop
            case .damaged(let message):
                summary.damage = message
                let before = orderedDiagnostics.count
                diagnose("capture damaged after frame \(summary.frames): \(message); results cover the frames before it")
                // After every frame's diagnostics, whichever worker raised those.
                if orderedDiagnostics.count > before { diagnosticFrames[before] = Int.max }
                break loop
            }
        }
        shard.output.send(scannedThrough: summary.frames, bytePosition: reader.bytePosition ?? 0, finished: true)
    }
}
