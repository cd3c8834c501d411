import SpiglassCapture
import SpiglassWire

/// Frames the reader hands one worker: their bytes end to end, and per frame its number, its
/// header and the worker that reports it.
final class FrameBatch {
    // Filled by the reader, then read by one worker: one thread at a time, handed over
    // through a `HandoffChannel`, so no overlapping access and no dynamic checks.
    @exclusivity(unchecked) var bytes: [UInt8] = []
    /// Where each frame ends in `bytes` (it starts where the previous one ended).
    @exclusivity(unchecked) var ends: [Int] = []
    @exclusivity(unchecked) var numbers: [Int] = []
    @exclusivity(unchecked) var headers: [PacketHeader] = []
    /// The worker that counts and reports each frame (the others only build state from it).
    @exclusivity(unchecked) var owners: [Int] = []
    /// Every frame up to this one has been dealt out: the worker gets nothing before it again.
    var scannedThrough = 0
    /// Bytes of the capture file read so far, for the progress bar.
    var bytePosition: Int64 = 0
    /// Time of the capture's first frame, which reports count times from.
    var captureStart: Timestamp? = nil
    /// The reader's last batch.
    var finished = false

    func reset() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        numbers.removeAll(keepingCapacity: true)
        headers.removeAll(keepingCapacity: true)
        owners.removeAll(keepingCapacity: true)
        scannedThrough = 0
        bytePosition = 0
        captureStart = nil
        finished = false
    }

    func append(_ frame: [UInt8], header: PacketHeader, number: Int, owner: Int) {
        let length = min(header.capturedLength, frame.count)
        frame.withUnsafeBufferPointer { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<length])) }
        ends.append(bytes.count)
        numbers.append(number)
        headers.append(header)
        owners.append(owner)
    }
}

/// The reading side of a parallel run: one thread reads the capture once, numbers the frames,
/// and deals each to the workers that need it. An ESP or AH frame goes to its owner alone,
/// chosen by its outermost SPI; IKE messages, IP fragments and RFC 8229 streams go to every
/// worker (each builds the same IKE story, reassembly and stream state from them) with the
/// owner that reports them; everything else goes to worker 0, which reports it.
///
/// Owners are dealt in the order SPIs first appear, starting with worker 1 (worker 0 also owns
/// everything that is not ESP or AH), so the two SAs of a tunnel land on different workers
/// whatever their values. A reassembled datagram's owner is found here too: the router keeps
/// a reassembler fed exactly as the workers' are (with every fragment, in order).
final class FrameRouter {
    let reader: CaptureStream
    let channels: [HandoffChannel<FrameBatch>]
    /// Link type of each input of the stream.
    private let linkTypes: [LinkType?]
    private let tcpEncapsulationPorts: Set<UInt16>
    private let reassembler: FragmentReassembler
    /// The workers' filter of fragment copies, fed alike (see `Analyzer.process`).
    private var fragmentCopies = RecentCopies()
    private let duplicateWindow: Int64
    /// Owner of each outermost SPI seen so far.
    @exclusivity(unchecked) private var owners: [UInt32: Int] = [:]
    /// Past this many SPIs, owners come from the SPI's value instead of the table.
    static let maxOwnerEntries = 1 << 20
    /// Batches being filled, one per worker.
    @exclusivity(unchecked) private var filling: [FrameBatch]

    /// Frames read, their bytes, the first and last times, and how the file ended: what every
    /// worker used to count alike, now counted once.
    private(set) var frames = 0
    private(set) var bytes = 0
    private(set) var firstTime: Timestamp? = nil
    private(set) var lastTime: Timestamp? = nil
    /// Why inputs ended early, in the order the stream reported them, each with the number of
    /// frames read by then.
    private(set) var damages: [(message: String, frames: Int)] = []

    /// A batch goes to its worker after this many frames read (whatever it holds, so that
    /// every worker, and through it the merger, learns how far the reader has got), or once
    /// it holds `maxBatchBytes`.
    static let framesPerRound = 512
    static let maxBatchBytes = 1 << 20

    /// `fragmentLimits` must be the workers' own: the router's reassembly has to complete the
    /// datagrams theirs completes.
    init(reader: CaptureStream, channels: [HandoffChannel<FrameBatch>], tcpEncapsulationPorts: Set<UInt16>,
         fragmentLimits: FragmentReassembler.Limits, duplicateWindow: Int64) {
        self.duplicateWindow = duplicateWindow
        self.reader = reader
        self.reassembler = FragmentReassembler(limits: fragmentLimits)
        self.channels = channels
        self.linkTypes = reader.sources.map { LinkType(dlt: $0.linkType) }
        self.tcpEncapsulationPorts = tcpEncapsulationPorts
        self.filling = channels.map { _ in FrameBatch() }
    }

    /// Reads the capture (up to `maxFrames` frames) and deals it out, then sends every worker
    /// its last batch.
    func run(maxFrames: Int?) {
        loop: while true {
            if let limit = maxFrames, frames >= limit { break }
            switch reader.next() {
            case .packet(let header):
                frames += 1
                bytes += header.originalLength
                if firstTime == nil { firstTime = header.timestamp }
                lastTime = header.timestamp
                let frame = reader.buffer
                let (owner, everyone) = route(frame, header: header)
                if everyone {
                    for batch in filling { batch.append(frame, header: header, number: frames, owner: owner) }
                } else {
                    filling[owner].append(frame, header: header, number: frames, owner: owner)
                }
                if frames % FrameRouter.framesPerRound == 0 || filling.contains(where: { $0.bytes.count >= FrameRouter.maxBatchBytes }) {
                    sendRound(finished: false)
                }
            case .end, .timeout, .interrupted:
                break loop
            case .damaged(let message):
                damages.append((message, frames))
                // With several files the others go on; a single file has ended.
                if reader.sources.count == 1 { break loop }
            }
        }
        sendRound(finished: true)
    }

    private func sendRound(finished: Bool) {
        for worker in filling.indices {
            let batch = filling[worker]
            batch.scannedThrough = frames
            batch.bytePosition = reader.bytePosition ?? 0
            batch.captureStart = firstTime
            batch.finished = finished
            channels[worker].send(batch)
            let next = channels[worker].spare() ?? FrameBatch()
            next.reset()
            filling[worker] = next
        }
    }

    /// The worker that reports a frame, and whether every worker needs it. Mirrors what
    /// `Analyzer.process` and `claim` look at: the frame's link and IP layers, its reassembled
    /// datagram, and the IPsec layers of that.
    private func route(_ frame: [UInt8], header: PacketHeader) -> (owner: Int, everyone: Bool) {
        guard header.source < linkTypes.count, let linkType = linkTypes[header.source] else { return (0, false) }
        let length = min(header.capturedLength, frame.count)
        guard case .success(let link) = LinkDecoder.decode(frame, length: length, as: linkType),
              case .success(let ip) = IPLayer.parse(frame, offset: link.networkOffset, length: length,
                                                    announcedVersion: link.announcedVersion)
        else { return (0, false) }
        if ip.fragment != nil {
            // A cut fragment is reassembled nowhere (see `Analyzer.process`): worker 0 reports it.
            if Analyzer.isDatagramCut(ip, header: header, length: length) { return (0, false) }
            // Every worker sees every fragment, so their copy filters agree with this one.
            if fragmentCopies.original(fragment: ip, bytes: frame, time: header.timestamp.totalMicroseconds, frame: frames,
                                       window: duplicateWindow) != nil { return (0, true) }
            // Every worker reassembles; the frame completing a datagram belongs to its owner.
            guard case .complete(let datagram) = reassembler.add(frame, ip: ip, time: header.timestamp.totalMicroseconds),
                  case .success(let whole) = IPLayer.parse(datagram, offset: 0, length: datagram.count)
            else { return (0, true) }
            let layers = IPsecLayers.classify(datagram, protocolNumber: whole.protocolNumber, start: whole.headerEnd, end: whole.end)
            return (owner(of: layers), true)
        }
        let layers = IPsecLayers.classify(frame, protocolNumber: ip.protocolNumber, start: ip.headerEnd, end: ip.end)
        return (owner(of: layers), FrameRouter.everyWorkerNeeds(frame, ip: ip, layers: layers, tcpPorts: tcpEncapsulationPorts))
    }

    /// Whether every worker processes a packet with these layers, for the state all of them
    /// build: IKE messages (even inside AH) for the IKE story and the ESP keys it derives, and
    /// segments of RFC 8229 streams, which carry IKE too. (Fragments go to every worker before
    /// this can be asked: they are reassembled everywhere.)
    static func everyWorkerNeeds(_ bytes: [UInt8], ip: IPLayer, layers: IPsecLayers, tcpPorts: Set<UInt16>) -> Bool {
        switch layers.payload {
        case .ike:
            return true
        case .other(let proto, _) where proto == IPProtocol.tcp && !tcpPorts.isEmpty:
            let start = layers.ah.last?.range.upperBound ?? ip.headerEnd
            guard let segment = TCPEncapsulation.segment(bytes, start: start, end: ip.end) else { return false }
            return tcpPorts.contains(segment.sourcePort) || tcpPorts.contains(segment.destinationPort)
        default:
            return false
        }
    }

    /// The owner of a packet with these IPsec layers: by the outermost SPI, else worker 0.
    private func owner(of layers: IPsecLayers) -> Int {
        if let first = layers.ah.first { return owner(spi: first.spi) }
        if case .esp(let esp, _) = layers.payload { return owner(spi: esp.spi) }
        return 0
    }

    private func owner(spi: UInt32) -> Int {
        let count = channels.count
        if let owner = owners[spi] { return owner }
        guard owners.count < FrameRouter.maxOwnerEntries else { return Int(spi % UInt32(count)) }
        let owner = (owners.count + 1) % count
        owners[spi] = owner
        return owner
    }
}
