import SpiglassCapture
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

// One worker of a parallel run (see `ParallelAnalysis`). The reader (`FrameRouter`) hands each
// frame to exactly one worker, which processes and reports it: each ESP or AH frame to the
// worker that owns its SPI, IKE and RFC 8229 streams to worker 0, which alone follows IKE and
// publishes what the others need of it (`IKEEventLog`), and everything else to worker 0. IP
// fragments are reassembled by the reader, once.

/// A worker's part in a parallel run.
final class Shard {
    let index: Int
    /// Where the worker's reports and -w records go, frame by frame.
    let output: ShardOutput
    /// Whether -w was asked for: decrypted packets are then kept with the frame's report.
    let writesPackets: Bool
    /// Worker 0's IKE events, published by worker 0 and read by the others.
    let ikeEvents: IKEEventLog
    /// This worker's share of the run's `maxTrackedFlows`: the bound holds for the run.
    let flowShare: Int
    /// What the reader's reassembly made of the frame at hand (nil: not a fragment).
    @exclusivity(unchecked) var fragmentOutcome: FragmentReassembler.Outcome? = nil
    /// The frame at hand is a copy of this earlier fragment (nil: it is not).
    @exclusivity(unchecked) var fragmentDuplicateOf: Int? = nil
    /// Worker 0: the events of the frame at hand, published after it.
    var pendingEvents: [IKEEventLog.Event] = []
    /// The other workers: how many of worker 0's events are applied, and up to which frame.
    var appliedEvents = 0
    var appliedHorizon = 0
    /// The other workers: worker 0's SPI → CHILD_SA answers.
    let childReplica: ChildSAReplica?
    /// The other workers: the SAs worker 0 derived from IKE, which a key reload keeps.
    var derived: [SecurityAssociation] = []
    /// Reassembles a fragment the reader said nothing of (it says what came of every fragment
    /// it deals out; this keeps a worker whole should that ever change).
    private let reassembler: FragmentReassembler

    init(
        index: Int, output: ShardOutput, writesPackets: Bool, ikeEvents: IKEEventLog, flowShare: Int,
        fragmentLimits: FragmentReassembler.Limits
    ) {
        self.index = index
        self.output = output
        self.writesPackets = writesPackets
        self.ikeEvents = ikeEvents
        self.flowShare = flowShare
        self.childReplica = index == 0 ? nil : ChildSAReplica()
        self.reassembler = FragmentReassembler(limits: fragmentLimits)
    }
}

/// A worker of a parallel run: the reader has audited the timestamps and reassembled the
/// fragments, the merge writes -w, the run diagnoses ICV failures over all the workers, and only
/// worker 0 follows IKE, publishing what the others must learn of it.
extension Shard: FrameOwnership {
    var followsIKE: Bool { index == 0 }
    var diagnosesForTheRun: Bool { false }

    func flowLimit(_ options: AnalysisOptions) -> Int { flowShare }

    func auditTimestamp(_ header: PacketHeader, frame: Int) -> [RunWarning] { [] }

    func fragmentFate(
        _ bytes: [UInt8], ip: IPLayer, time: Int64, frame: Int, sourceFrame: Int, window: Int64
    ) -> FragmentFate {
        if let original = fragmentDuplicateOf { return .copy(of: original) }
        return .reassembly(fragmentOutcome ?? reassembler.add(bytes, ip: ip, time: time, frame: sourceFrame))
    }

    func writePacket(_ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp) -> Bool {
        guard writesPackets else { return false }
        // Kept with the frame's report until the merge writes it in order.
        output.appendPacket(bytes, range: range, timestamp: timestamp)
        return true
    }

    func writePacketBlock(
        _ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp, dlt: Int32, comment: [UInt8],
        commentRange: Range<Int>
    ) -> Bool {
        guard writesPackets else { return false }
        output.appendPacketBlock(
            bytes, range: range, timestamp: timestamp, dlt: dlt, comment: comment, commentRange: commentRange)
        return true
    }

    func publish(_ event: IKEEventLog.Event) {
        pendingEvents.append(event)
    }

    func follow(_ ike: IKEReconstruction) {
        ike.onChildSPI = { [unowned self, unowned ike] spi, index in
            self.pendingEvents.append(.child(spi: spi, selectors: ike.negotiatedSelectors(child: index)))
        }
    }

    /// Closes nothing: the merge writes the run's -w file.
    func closeOutput() throws {}
}

/// The report text and the -w records of the frames a worker owns, filed per frame in frame
/// order (frames that produced nothing have no entry).
struct ShardEntries {
    /// Frame number of each entry.
    var frames: [Int] = []
    /// Where each entry's text ends in `text` (it starts where the previous one ended).
    var textEnds: [Int] = []
    /// Where each entry's records end in `records`, and how many records there are up to it.
    var recordEnds: [Int] = []
    var recordCounts: [Int] = []
    var text: [UInt8] = []
    /// pcap records, ready to be written (`PcapWriter.appendRecord`), or pcapng blocks
    /// (`PcapngBlock.appendPacket`) when -w writes pcapng.
    var records: [UInt8] = []

    mutating func removeAll() {
        frames.removeAll(keepingCapacity: true)
        textEnds.removeAll(keepingCapacity: true)
        recordEnds.removeAll(keepingCapacity: true)
        recordCounts.removeAll(keepingCapacity: true)
        text.removeAll(keepingCapacity: true)
        records.removeAll(keepingCapacity: true)
    }
}

/// What a worker hands the merge: its entries and how far it has read.
final class ShardChunk {
    var entries = ShardEntries()

    init() {
        // Room for a full chunk at once: a chunk is refilled, so it grows only once.
        entries.records.reserveCapacity(ShardOutput.maxRecordBytes)
        entries.text.reserveCapacity(ShardOutput.maxTextBytes)
    }
    /// Every frame up to this one has been read: the worker's next entry comes after it.
    var scannedThrough = 0
    /// Bytes of the capture file read so far, for the progress bar.
    var bytePosition: Int64 = 0
    /// The worker's last chunk.
    var finished = false

    func reset() {
        entries.removeAll()
        scannedThrough = 0
        bytePosition = 0
        finished = false
    }
}

/// A worker's reporter writes here: text and -w records pile up, filed per frame, and go to
/// the merge as a chunk once there are enough (`MergingTurns`). After the run, worker 0's
/// reporter prints the tables through `forward`.
final class ShardOutput: OutputSink {
    /// Where the chunks go, and this worker's number there.
    let merging: MergingTurns
    let worker: Int
    /// Set after the run: writes go straight there.
    var forward: OutputSink? = nil
    /// The timestamp resolution of the run's -w file (`AnalysisOptions.writeResolution`).
    let writeResolution: TimestampResolution

    // The entries being filled, held here rather than in a chunk object so that appending
    // costs no exclusivity check; `send` moves them into one.
    @exclusivity(unchecked) private var entries = ShardEntries()
    @exclusivity(unchecked) private var recordCount = 0
    @exclusivity(unchecked) private var lastEntryText = 0
    @exclusivity(unchecked) private var lastEntryRecords = 0
    @exclusivity(unchecked) private var lastSent = 0

    // A chunk goes when any of these is reached; they bound its size (a record is at most
    // one 64 KiB datagram past the limit) and how long the merge may wait for news.
    static let maxEntries = 1024
    static let maxTextBytes = 128 << 10
    static let maxRecordBytes = 256 << 10
    static let maxFramesPerChunk = 4096

    init(merging: MergingTurns, worker: Int, writeResolution: TimestampResolution = .microseconds) {
        self.merging = merging
        self.worker = worker
        self.writeResolution = writeResolution
    }

    func write(_ text: String) {
        if let forward {
            forward.write(text)
        } else {
            entries.text.append(contentsOf: text.utf8)
        }
    }

    func flush() { forward?.flush() }

    func appendPacket(_ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp) {
        PcapWriter.appendRecord(
            bytes, range: range, timestamp: timestamp, resolution: writeResolution, to: &entries.records)
        recordCount += 1
    }

    /// A pcapng -w packet (`PcapngBlock.appendPacket`; the merge numbers its interface).
    func appendPacketBlock(
        _ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp, dlt: Int32, comment: [UInt8],
        commentRange: Range<Int>
    ) {
        PcapngBlock.appendPacket(
            bytes, range: range, timestamp: timestamp, resolution: writeResolution, interface: UInt32(bitPattern: dlt),
            comment: comment, commentRange: commentRange, to: &entries.records)
        recordCount += 1
    }

    /// Files what frame `frame` produced, if anything. True when the chunk should be sent.
    func endFrame(_ frame: Int) -> Bool {
        if entries.text.count != lastEntryText || entries.records.count != lastEntryRecords {
            lastEntryText = entries.text.count
            lastEntryRecords = entries.records.count
            entries.frames.append(frame)
            entries.textEnds.append(lastEntryText)
            entries.recordEnds.append(lastEntryRecords)
            entries.recordCounts.append(recordCount)
        }
        return entries.frames.count >= ShardOutput.maxEntries || lastEntryText >= ShardOutput.maxTextBytes
            || lastEntryRecords >= ShardOutput.maxRecordBytes || frame - lastSent >= ShardOutput.maxFramesPerChunk
    }

    /// Sends what was filed, saying that every frame up to `frame` has been read, and starts
    /// anew with the buffers of a spent chunk. (May merge: see `MergingTurns.file`.)
    func send(scannedThrough frame: Int, bytePosition: Int64, finished: Bool = false) {
        let chunk = merging.spare(for: worker) ?? ShardChunk()
        chunk.reset()
        swap(&chunk.entries, &entries)
        chunk.scannedThrough = frame
        chunk.bytePosition = bytePosition
        chunk.finished = finished
        merging.file(chunk, from: worker)
        recordCount = 0
        lastEntryText = 0
        lastEntryRecords = 0
        lastSent = frame
    }
}

extension Analyzer {
    /// A worker's loop: the frames the reader deals it, batch by batch, filing this worker's
    /// output per frame and sending it to the merge after each batch (so the merge learns
    /// how far the reader has got even from a worker that reports nothing). The tables are
    /// printed later, from the merged state.
    func runShard(_ turns: ReadingTurns, sources: [CaptureStream.Source], shard: Shard) {
        setSources(sources)
        // Frames are copied here from the batch, so that `process` gets an array of its own.
        var frame = [UInt8](repeating: 0, count: 262_144)
        while true {
            let batch = turns.next(for: shard.index)
            if summary.firstTime == nil { summary.firstTime = batch.captureStart }
            if let keys = batch.reload { reload(keys, shard: shard) }
            // Read once per batch: each access to the batch's own arrays would count a
            // reference on memory the reader's core wrote last. (In a scope of their own, so
            // that the reader gets the arrays back unshared, to refill without reallocating.)
            do {
                let bytes = batch.bytes
                let slots = batch.slots
                let fragments = batch.fragments
                var start = 0
                for slot in slots {
                    if shard.index != 0 && slot.horizon > shard.appliedHorizon {
                        catchUpWithIKE(
                            through: slot.horizon, before: slot.number, shard: shard, bytePosition: batch.bytePosition)
                    }
                    copyBytes(bytes, start..<slot.end, into: &frame, at: 0)
                    start = slot.end
                    // Frame numbers are the reader's: this worker does not see every frame.
                    summary.frames = slot.number - 1
                    shard.fragmentOutcome = slot.fragment < 0 ? nil : fragments[slot.fragment]
                    shard.fragmentDuplicateOf = slot.copyOf == 0 ? nil : slot.copyOf
                    process(frame, header: slot.header)
                    if shard.index == 0 && slot.carriesIKE {
                        shard.ikeEvents.publish(shard.pendingEvents, through: slot.number)
                        shard.pendingEvents.removeAll(keepingCapacity: true)
                    }
                    if shard.output.endFrame(slot.number) {
                        shard.output.send(scannedThrough: slot.number, bytePosition: batch.bytePosition)
                    }
                }
            }
            let finished = batch.finished
            if finished && shard.index == 0 {
                // Nobody waits for a frame worker 0 will never see.
                shard.ikeEvents.publish(shard.pendingEvents, through: .max)
            }
            shard.output.send(
                scannedThrough: batch.scannedThrough, bytePosition: batch.bytePosition, finished: finished)
            turns.recycle(batch)
            if finished { break }
        }
    }

    /// A live capture's key reload, between two frames. Worker 0 reloads as a single thread
    /// does (and says so); the others, which hold no IKE keys, take the ESP and AH SAs and the
    /// policies, and keep what worker 0 derived from IKE.
    func reload(_ keys: KeySet, shard: Shard) {
        guard shard.index != 0 else { return reload(keys) }
        policyCheck.replace(keys.policies)
        var esp = Analyzer.espDatabase(keys).unshared()
        for sa in shard.derived { esp.add(sa) }
        let said = notice
        notice = nil
        reload(esp, ah: Analyzer.ahDatabase(keys).unshared())
        notice = said
    }

    /// Before frame `frame`: waits until worker 0 has processed every IKE-carrying frame up to
    /// `horizon`, then applies what they taught it (SAs keyed from SK_d, CHILD_SAs by SPI).
    /// While it waits the merge may need worker 0's output, which comes first in frame order:
    /// so the merge is told first that this worker has nothing more before `frame`.
    func catchUpWithIKE(through horizon: Int, before frame: Int, shard: Shard, bytePosition: Int64) {
        if !shard.ikeEvents.isPast(horizon) { shard.output.send(scannedThrough: frame - 1, bytePosition: bytePosition) }
        for event in shard.ikeEvents.events(from: shard.appliedEvents, after: horizon) {
            shard.appliedEvents += 1
            switch event {
            case .derived(let sa):
                let own = sa.unshared()
                shard.derived.append(own)
                addDerived(own)
            case .child(let spi, let selectors):
                shard.childReplica?.apply(spi: spi, selectors)
            }
        }
        shard.appliedHorizon = horizon
    }
}
