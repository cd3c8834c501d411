import SpiglassCapture
import SpiglassSAD
import SpiglassWire

/// What a worker needs of one frame besides its bytes: a plain value, so that filing a frame
/// in a batch is one append.
struct FrameSlot {
    /// Where the frame ends in the batch's bytes (it starts where the previous one ended).
    var end: Int
    var number: Int
    var header: PacketHeader
    /// The last frame before this one that carries IKE (0: none): worker 0 must be past it
    /// before another worker processes this frame (`IKEEventLog`).
    var horizon: Int
    /// For an IP fragment the run has seen already (a capture duplicate), the frame of its first
    /// copy; 0 for any other frame.
    var copyOf: Int
    /// Where what the reader's reassembly made of this fragment is in the batch's `fragments`
    /// (-1: not a fragment, or kept out of reassembly).
    var fragment: Int
    /// Whether the frame carries IKE (worker 0 publishes what it learnt after it).
    var carriesIKE: Bool
}

/// Frames the reader hands one worker: their bytes end to end, and per frame its number, its
/// header, what the reader's reassembly made of it, and the IKE horizon.
final class FrameBatch {
    // Filled by the reader, then read by one worker: one thread at a time, handed over
    // under the lock of `ReadingTurns`, so no overlapping access and no dynamic checks.
    @exclusivity(unchecked) var bytes: [UInt8] = []
    @exclusivity(unchecked) var slots: [FrameSlot] = []
    /// For the IP fragments among the frames, what the run's one reassembly made of each (a
    /// completed datagram goes to its owner with the frame that completed it).
    @exclusivity(unchecked) var fragments: [FragmentReassembler.Outcome] = []
    /// Every frame up to this one has been dealt out: the worker gets nothing before it again.
    var scannedThrough = 0
    /// Bytes of the capture file read so far, for the progress bar.
    var bytePosition: Int64 = 0
    /// Time of the capture's first frame, which reports count times from.
    var captureStart: Timestamp? = nil
    /// The reader's last batch.
    var finished = false
    /// Live capture: the key files were reloaded; the worker switches to these keys before
    /// the batch's first frame, as a single thread does between two frames.
    var reload: KeySet? = nil

    init() {
        // Room for a whole round at once: a batch is refilled, so it grows only once.
        bytes.reserveCapacity(FrameRouter.maxBatchBytes)
        slots.reserveCapacity(FrameRouter.framesPerRound)
    }

    func reset() {
        bytes.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
        fragments.removeAll(keepingCapacity: true)
        scannedThrough = 0
        bytePosition = 0
        captureStart = nil
        finished = false
        reload = nil
    }

    func append(_ frame: [UInt8], header: PacketHeader, number: Int, route: FrameRoute, horizon: Int) {
        let length = min(header.capturedLength, frame.count)
        frame.withUnsafeBufferPointer { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<length])) }
        var fragment = -1
        if let outcome = route.fragment {
            fragment = fragments.count
            fragments.append(outcome)
        }
        slots.append(
            FrameSlot(
                end: bytes.count, number: number, header: header, horizon: horizon, copyOf: route.copyOf ?? 0,
                fragment: fragment, carriesIKE: route.carriesIKE))
    }
}

/// The reading side of a parallel run: one thread reads the capture once, numbers the frames,
/// and deals each to the one worker that processes and reports it. An ESP or AH frame goes to
/// its owner, chosen by its outermost SPI; IKE messages and RFC 8229 streams (which carry IKE)
/// go to worker 0, which alone follows IKE (the others learn its keys and CHILD_SAs through an
/// `IKEEventLog`); everything else goes to worker 0 too.
///
/// IP fragments are reassembled here, once for the run: a fragment that completes no datagram
/// goes to worker 0 with that outcome, the frame that completes one goes to the datagram's
/// owner with the datagram. Copies of a fragment (capture duplicates) and fragments cut by the
/// snapshot length are kept out of reassembly, as a single thread keeps them. So each bound (fragments, TCP connections, IKE state) holds for
/// the whole run, not per worker.
///
/// Owners are dealt in the order SPIs first appear, starting with worker 1 (worker 0 also owns
/// everything that is not ESP or AH), so the two SAs of a tunnel land on different workers
/// whatever their values.
/// Where the reader sends a frame, and what it already knows of it.
struct FrameRoute {
    /// The worker that processes and reports it.
    var owner = 0
    /// What the run's reassembly made of it (nil: not a fragment, or kept out of reassembly).
    var fragment: FragmentReassembler.Outcome? = nil
    var carriesIKE = false
    /// A fragment the run has seen already: the frame of its first copy.
    var copyOf: Int? = nil
}

final class FrameRouter {
    let reader: any FrameSource
    /// How many workers the frames are dealt to.
    let workerCount: Int
    /// A spent batch to fill again, if there is one.
    var spare: () -> FrameBatch? = { nil }
    /// Link type of each input of the stream.
    private let linkTypes: [LinkType?]
    /// Where a plain ESP frame's IPv4 header is on each input's link (`PlainESPFrame`).
    private let plainLayouts: [(ipStart: Int, etherType: Int?)?]
    private let tcpEncapsulationPorts: Set<UInt16>
    private let reassembler: FragmentReassembler
    /// The run's filter of fragment copies (see `Analyzer.process`).
    private var fragmentCopies = RecentCopies()
    private let duplicateWindow: Int64
    /// Owner of each outermost SPI seen so far.
    @exclusivity(unchecked) private var owners: [SPI: Int] = [:]
    /// The owners of SPIs seen lately, by a hash of the SPI (64 places): the SPI in the high
    /// half, its owner + 1 in the low half (0: empty). A hit saves the table's hashing.
    @exclusivity(unchecked) private var ownerCache = [UInt64](repeating: 0, count: 64)
    /// Past this many SPIs, owners come from the SPI's value instead of the table.
    static let maxOwnerEntries = 1 << 20
    /// Batches being filled, one per worker.
    @exclusivity(unchecked) private var filling: [FrameBatch]

    /// Frames read, their bytes, the first and last times, and how the file ended: what every
    /// worker used to count alike, now counted once.
    private(set) var frames = 0
    /// Frames the `-f` filter rejected (counted in `frames`).
    private(set) var filterExcluded = 0
    private(set) var bytes = 0
    private(set) var firstTime: Timestamp? = nil
    private(set) var lastTime: Timestamp? = nil
    /// Why inputs ended early, in the order the stream reported them, each with the number of
    /// frames read by then.
    private(set) var damages: [(damage: CaptureDamage, frames: Int)] = []
    /// Warnings about the frames' timestamps, with the frame each was raised at (see
    /// `TimestampAudit`): the reader sees every frame, a worker only some.
    private(set) var timestampWarnings: [(frame: Int, warning: RunWarning)] = []
    private var timestampAudit = TimestampAudit()

    /// A batch goes to its worker after this many frames read (whatever it holds, so that
    /// every worker, and through it the merge, learns how far the reader has got), or once
    /// it holds `maxBatchBytes`.
    static let framesPerRound = 512
    /// This run's `framesPerRound` (tests make rounds of a frame or two).
    var roundFrames = FrameRouter.framesPerRound
    static let maxBatchBytes = 1 << 20

    /// The last frame read that carries IKE (see `FrameBatch.horizons`).
    private var lastIKEFrame = 0
    /// Frames read when the last round was closed.
    private var dealtThrough = 0
    /// Live capture: libpcap's counters when the capture ended.
    private(set) var captureStatistics: CaptureStatistics? = nil
    /// Live capture: called at once with each timestamp warning, as a single thread notices it.
    var notice: ((String) -> Void)? = nil

    /// `fragmentLimits` are the run's: this is its only reassembly.
    init(
        reader: any FrameSource, workerCount: Int, tcpEncapsulationPorts: Set<UInt16>,
        fragmentLimits: FragmentReassembler.Limits, duplicateWindow: Int64
    ) {
        self.reader = reader
        self.reassembler = FragmentReassembler(limits: fragmentLimits)
        self.duplicateWindow = duplicateWindow
        self.workerCount = workerCount
        self.linkTypes = reader.sources.map { LinkType(dlt: $0.linkType) }
        self.plainLayouts = linkTypes.map { $0.flatMap(PlainESPFrame.layout) }
        self.tcpEncapsulationPorts = tcpEncapsulationPorts
        self.filling = (0..<workerCount).map { _ in FrameBatch() }
    }

    /// Set when `stopRequested` ended the reading before the end of the file.
    private(set) var stoppedEarly = false
    /// The last round has been read: `readRound` must not be called again.
    private(set) var exhausted = false
    /// Live capture: how the reading ends after a stop (kept from one round to the next).
    private var drain = LiveStopDrain()
    /// Live capture: keys reloaded after the last round, which go out in a round of their own.
    private var reloadNext: KeySet? = nil

    /// Reads the capture (up to `control.maxFrames` frames, or until `control.stopRequested`,
    /// polled as a single-threaded run polls it) until one round is read, and returns it: one
    /// batch per worker, each saying how far the reading has got. The last round (`finished`)
    /// comes once the capture has ended. A live capture also ends at `control.deadline`;
    /// whenever its ring is empty (a read timeout) what was read makes a round at once, so that
    /// a packet is reported within the read timeout of its arrival, not once a batch fills; and
    /// a key reload goes to every worker in a round of its own, after the frames read with the
    /// old keys. Called by one worker at a time (the one whose turn it is to read).
    func readRound(control: Analyzer.RunControl) -> [FrameBatch] {
        precondition(!exhausted, "the capture has been read")
        if let fresh = reloadNext {
            reloadNext = nil
            for batch in filling { batch.reload = fresh }
            return closeRound(finished: false)
        }
        let live = reader.isLive
        loop: while true {
            if let limit = control.maxFrames, frames - filterExcluded >= limit { break }
            if !live && frames & (Analyzer.framesBetweenStopChecks - 1) == 0 && control.stopRequested() {
                stoppedEarly = true
                break
            }
            switch reader.next() {
            case .packet(let header) where header.excludedByFilter:
                // Counted for the numbering (see `Analyzer.process`); no worker sees it.
                frames += 1
                filterExcluded += 1
                bytes += header.originalLength
                if firstTime == nil { firstTime = header.timestamp }
                lastTime = header.timestamp
                if frames % roundFrames == 0 { return closeRound(finished: false) }
            case .packet(let header):
                frames += 1
                bytes += header.originalLength
                for warning in timestampAudit.check(header, frame: frames) {
                    timestampWarnings.append((frames, warning))
                    notice?("warning: " + warning.sentence)
                }
                if firstTime == nil { firstTime = header.timestamp }
                lastTime = header.timestamp
                let frame = reader.buffer
                let route = self.route(frame, header: header)
                let batch = filling[route.owner]
                batch.append(frame, header: header, number: frames, route: route, horizon: lastIKEFrame)
                if route.carriesIKE { lastIKEFrame = frames }
                if live {
                    switch followLive(control, empty: false) {
                    case .stop: break loop
                    case .reloaded: return closeRound(finished: false)
                    case .goOn: break
                    }
                }
                if frames % roundFrames == 0 || batch.bytes.count >= FrameRouter.maxBatchBytes {
                    return closeRound(finished: false)
                }
            case .timeout where live, .interrupted where live:
                let unsent = frames > dealtThrough
                switch followLive(control, empty: true) {
                case .stop: break loop
                case .reloaded: return closeRound(finished: false)
                case .goOn: if unsent { return closeRound(finished: false) }
                }
            case .end, .timeout, .interrupted:
                break loop
            case .damaged(let damage):
                damages.append((damage, frames))
                // With several files the others go on; a single file has ended.
                if reader.sources.count == 1 { break loop }
            }
        }
        if let stats = reader.statistics() {
            captureStatistics = CaptureStatistics(
                received: Int(stats.received), dropped: Int(stats.dropped),
                interfaceDropped: Int(stats.interfaceDropped))
        }
        exhausted = true
        return closeRound(finished: true)
    }

    /// What a live capture does after a read.
    private enum LiveStep {
        case goOn
        /// Keys were reloaded: the frames read so far make a round, and the new keys the next.
        case reloaded
        case stop
    }

    /// Between two reads of a live capture: stop (after a stop request or the deadline, once
    /// `drain` has read what the ring held), or go on. New keys go out at once, in a round of
    /// their own after the frames read with the old ones, so that the reload is done (and said)
    /// even if no packet follows.
    private func followLive(_ control: Analyzer.RunControl, empty: Bool) -> LiveStep {
        if drain.ends(stop: control.stopDue, empty: empty) { return .stop }
        if let fresh = control.reloadRequested() {
            reloadNext = fresh
            return .reloaded
        }
        return .goOn
    }

    /// Ends the round being filled: its batches, one per worker, and fresh ones to fill.
    private func closeRound(finished: Bool) -> [FrameBatch] {
        dealtThrough = frames
        let round = filling
        for worker in filling.indices {
            let batch = filling[worker]
            batch.scannedThrough = frames
            batch.bytePosition = reader.bytePosition ?? 0
            batch.captureStart = firstTime
            batch.finished = finished
            let next = spare() ?? FrameBatch()
            next.reset()
            filling[worker] = next
        }
        return round
    }

    /// The worker that processes and reports a frame, what reassembly made of it when it is a
    /// fragment, and whether it carries IKE. Mirrors what `Analyzer.process` looks at: the
    /// frame's link and IP layers, its reassembled datagram, and the IPsec layers of that.
    private func route(_ frame: [UInt8], header: PacketHeader) -> FrameRoute {
        guard header.source < linkTypes.count, let linkType = linkTypes[header.source] else { return FrameRoute() }
        let length = min(header.capturedLength, frame.count)
        if let layout = plainLayouts[header.source], let plain = PlainESPFrame(frame, length: length, layout: layout) {
            return FrameRoute(owner: owner(spi: plain.spi))
        }
        var reader = ByteReader(frame, range: 0..<length)
        guard case .success(let link) = LinkDecoder.decode(&reader, as: linkType),
            case .success(let ip) = IPLayer.parse(&reader, announcedVersion: link.announcedVersion)
        else { return FrameRoute() }
        if ip.fragment != nil {
            // A cut fragment is reassembled nowhere: worker 0 reports it (see `Analyzer.process`).
            if Analyzer.isDatagramCut(ip, header: header, length: length) { return FrameRoute() }
            if let original = fragmentCopies.original(
                fragment: ip, bytes: frame, time: header.timestamp.totalMicroseconds,
                frame: frames, window: duplicateWindow)
            {
                return FrameRoute(copyOf: original)
            }
            let outcome = reassembler.add(
                frame, ip: ip, time: header.timestamp.totalMicroseconds, frame: header.sourceFrame)
            guard case .complete(let datagram, _) = outcome else { return FrameRoute(fragment: outcome) }
            var whole = ByteReader(datagram)
            guard case .success(let wholeIP) = IPLayer.parse(&whole) else { return FrameRoute(fragment: outcome) }
            let layers = IPsecLayers.classify(
                ByteReader(datagram, range: wholeIP.payloadRange), protocolNumber: wholeIP.protocolNumber)
            let ike = FrameRouter.carriesIKE(datagram, ip: wholeIP, layers: layers, tcpPorts: tcpEncapsulationPorts)
            return FrameRoute(owner: ike ? 0 : owner(of: layers), fragment: outcome, carriesIKE: ike)
        }
        let layers = IPsecLayers.classify(ByteReader(frame, range: ip.payloadRange), protocolNumber: ip.protocolNumber)
        let ike = FrameRouter.carriesIKE(frame, ip: ip, layers: layers, tcpPorts: tcpEncapsulationPorts)
        return FrameRoute(owner: ike ? 0 : owner(of: layers), carriesIKE: ike)
    }

    /// Whether a packet with these layers goes to the IKE story: an IKE message (even inside
    /// AH), or a segment of an RFC 8229 stream, which carries IKE too.
    static func carriesIKE(_ bytes: [UInt8], ip: IPLayer, layers: IPsecLayers, tcpPorts: Set<UInt16>) -> Bool {
        switch layers.payload {
        case .ike:
            return true
        case .other(let proto, _) where proto == IPProtocol.tcp && !tcpPorts.isEmpty:
            let start = layers.ah.last?.range.upperBound ?? ip.headerEnd
            var reader = ByteReader(bytes, range: start..<ip.end)
            guard case .success(let segment) = TCPEncapsulation.segment(&reader) else { return false }
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

    private func owner(spi: SPI) -> Int {
        let slot = Int(truncatingIfNeeded: (spi.rawValue &* 0x9E37_79B1) >> 26)
        let cached = ownerCache[slot]
        if cached >> 32 == UInt64(spi.rawValue) && cached & 0xffff_ffff != 0 { return Int(cached & 0xffff_ffff) - 1 }
        let owner = ownerFromTable(spi: spi)
        ownerCache[slot] = UInt64(spi.rawValue) << 32 | UInt64(owner + 1)
        return owner
    }

    private func ownerFromTable(spi: SPI) -> Int {
        let count = workerCount
        if let owner = owners[spi] { return owner }
        guard owners.count < FrameRouter.maxOwnerEntries else { return Int(spi.rawValue % UInt32(count)) }
        let owner = (owners.count + 1) % count
        owners[spi] = owner
        return owner
    }
}
