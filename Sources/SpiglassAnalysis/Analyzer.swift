import SpiglassCapture
import SpiglassESP
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// The pipeline: frames in, dissection, SA lookup, verification and decryption, reports and
/// the decrypted-output pcap out. One instance per capture; not thread-safe.
public final class Analyzer {
    public internal(set) var sad: SADatabase
    /// AH SAs, looked up apart from ESP's.
    public internal(set) var ahSAD: SADatabase
    var ahEngines: [IntegrityEngine?]
    var ahEngineFailures: [Int: String] = [:]
    /// Canonical form of the packet an AH ICV covers; sized once.
    @exclusivity(unchecked) var ahScratch = [UInt8](repeating: 0, count: 65_536 + 1024)
    public let options: AnalysisOptions
    let reporter: Reporter
    let writer: PcapWriter?

    // The per-packet state below is touched many times per packet by this single-threaded
    // pipeline and never through overlapping accesses; dynamic exclusivity checks on it cost
    // about a seventh of the run time, so they are turned off for these properties only.
    @exclusivity(unchecked) var cryptoStates: [ESPCryptoState?]
    var cryptoFailures: [Int: String] = [:]
    /// The ICV-failure diagnosis of each SA that has had one (nil: no variant verified). One per
    /// SA, whichever of its flows failed first: the keys tried are the SA's. Each may try
    /// `maxDiagnosisCandidates` other SAs' keys, so a run makes at most `maxICVDiagnoses`.
    var icvDiagnoses: [Int: String?] = [:]
    static let maxICVDiagnoses = 1024
    @exclusivity(unchecked) var flowIndex: [FlowKey: Int] = [:]
    /// Indices into `flows` of recently seen flows, by SPI bits (-1: empty); see `flow(for:)`.
    @exclusivity(unchecked) var recentFlows = [Int](repeating: -1, count: Analyzer.recentFlowSlots)
    static let recentFlowSlots = 256
    @exclusivity(unchecked) public internal(set) var flows: [FlowStatistics] = []
    var untrackedFlowPackets = 0
    @exclusivity(unchecked) public internal(set) var summary = AnalysisSummary()
    let reassembler: FragmentReassembler
    let tcpStreams: TCPEncapsulation
    var diagnosticsSeen: Set<String> = []
    var linkType: LinkType?
    var linkTypeDescription = ""

    /// The IKE story of the capture, rebuilt as its messages arrive.
    public let ike: IKEReconstruction
    /// The SPD checks: decrypted packets against their SA's selectors, cleartext for leaks.
    let policyCheck: PolicyCheck

    @exclusivity(unchecked) var record = PacketRecord()
    /// Called after each frame with its record and, when something was decrypted, the inner
    /// packet as written to -w (empty otherwise). For tests and embedding; nil costs nothing.
    // Read for every frame; set before a run, never while one calls it.
    @exclusivity(unchecked) public var packetObserver: ((PacketRecord, ArraySlice<UInt8>) -> Void)?
    /// Called at once with warnings and events (key reloads), for live captures whose summary
    /// comes only at the end.
    public var notice: ((String) -> Void)?
    /// Plaintext of the ESP layer being decrypted; sized once for the largest datagram.
    @exclusivity(unchecked) var plain = [UInt8](repeating: 0, count: 65_536 + 1024)
    /// The decrypted inner packet (tunnel) or the rebuilt one (transport).
    @exclusivity(unchecked) var inner = [UInt8](repeating: 0, count: 65_536 + 1024)
    @exclusivity(unchecked) var innerLength = 0

    /// Parallel runs (`ParallelAnalysis`): this worker's part. Nil in a single-threaded run,
    /// which then pays a nil check per frame for it (a `let`: no exclusivity check).
    let shard: Shard?
    /// Parallel runs: whether this worker counts and reports the current frame.
    @exclusivity(unchecked) var frameOwned = true

    /// `policies`: the SPD entries of the policy files (`KeySet.policies`).
    public convenience init(sad: SADatabase, ahSAD: SADatabase = SADatabase(), ikeKeys: [IKESecurityAssociation] = [],
                            policies: [SecurityPolicy] = [], options: AnalysisOptions, output: OutputSink) throws {
        try self.init(sad: sad, ahSAD: ahSAD, ikeKeys: ikeKeys, policies: policies, options: options, output: output, shard: nil)
    }

    /// `shard`: a worker of a parallel run (see `ParallelAnalysis`).
    init(sad: SADatabase, ahSAD: SADatabase, ikeKeys: [IKESecurityAssociation], policies: [SecurityPolicy], options: AnalysisOptions,
         output: OutputSink, shard: Shard?) throws {
        self.shard = shard
        self.ike = IKEReconstruction(keys: ikeKeys, limits: options.ikeLimits)
        self.policyCheck = PolicyCheck(policies: policies, ike: ike)
        self.reassembler = FragmentReassembler(limits: options.fragmentLimits)
        self.tcpStreams = TCPEncapsulation(limits: options.tcpLimits)
        self.sad = sad
        self.ahSAD = ahSAD
        self.ahEngines = [IntegrityEngine?](repeating: nil, count: ahSAD.count)
        self.options = options
        self.cryptoStates = [ESPCryptoState?](repeating: nil, count: sad.count)
        switch (options.report, options.format) {
        case (.packets, .text): reporter = TextReporter(sink: output, quiet: options.quiet)
        case (.packets, .json): reporter = JSONReporter(sink: output, quiet: options.quiet)
        case (.ike, .text): reporter = IKETextReporter(sink: output, quiet: options.quiet, ike: ike)
        case (.ike, .json): reporter = IKEJSONReporter(sink: output, quiet: options.quiet, ike: ike)
        }
        if let path = options.writePath {
            writer = try PcapWriter(path: path, flushEachPacket: options.flushEachPacket)
        } else {
            writer = nil
        }
        if options.deriveChildKeys {
            ike.onDerivedSA = { [unowned self] sa in self.addDerived(sa) }
        }
        ike.onDiagnostic = { [unowned self] message in self.diagnose(message) }
        policyCheck.diagnose = { [unowned self] message in self.diagnose(message) }
    }

    /// Loads and merges key files, in order, each in `format` or the detected one.
    public static func loadKeySet(_ paths: [String], inline: [String] = [], format: KeyFileFormat? = nil) throws -> KeySet {
        var keys = KeySet()
        func add(_ more: KeySet, from name: String) throws {
            keys.merge(more)
            guard keys.sas.count + keys.ikeSAs.count <= KeyFileLimits.maxSAs else {
                throw KeyFileError(.tooLarge, file: name, line: 0, "more than \(KeyFileLimits.maxSAs) SAs in all key files")
            }
        }
        for path in paths {
            try add(try KeyFileLoader.loadKeys(path: path, format: format), from: path)
        }
        for (index, spec) in inline.enumerated() {
            try add(try KeyFileLoader.loadInlineKeys(spec, index: index + 1, format: format), from: KeyArgument.inlineName(index + 1))
        }
        return keys
    }

    /// The ESP SAs of `keys`, as the database packets are looked up in.
    public static func espDatabase(_ keys: KeySet) -> SADatabase {
        SADatabase(keys.sas.filter { $0.ipsecProtocol == .esp })
    }

    /// The AH SAs of `keys`.
    public static func ahDatabase(_ keys: KeySet) -> SADatabase {
        SADatabase(keys.sas.filter { $0.ipsecProtocol == .ah })
    }

    /// Loads key files and returns their ESP and AH SAs as databases.
    public static func loadDatabases(_ paths: [String], format: KeyFileFormat? = nil) throws -> (esp: SADatabase, ah: SADatabase) {
        let keys = try loadKeySet(paths, format: format)
        return (espDatabase(keys), ahDatabase(keys))
    }

    /// Loads key files and returns their ESP SAs as a database.
    public static func loadKeys(_ paths: [String], format: KeyFileFormat? = nil) throws -> SADatabase {
        espDatabase(try loadKeySet(paths, format: format))
    }

    /// When a run stops early, and what to do between packets (live captures).
    public struct RunControl {
        /// Stop after this many frames (`-c`).
        public var maxFrames: Int? = nil
        /// Stop once this monotonic time (seconds, `ProgressReporter.now()`) has passed.
        public var deadline: Double? = nil
        /// Polled between packets and on read timeouts: true ends the run (signals).
        public var stopRequested: () -> Bool = { false }
        /// Polled the same way: new keys to switch to (key reload), or nil.
        public var reloadRequested: () -> KeySet? = { nil }

        public init() {}
    }

    /// Reads every packet of `reader`, reporting as it goes, then the summary.
    public func run(_ reader: CaptureReader, progress: ProgressReporter? = nil, control: RunControl = RunControl()) -> AnalysisSummary {
        setLinkType(dlt: reader.linkType, name: reader.linkTypeName)
        if let warning = reader.warning { diagnose(warning) }
        loop: while true {
            if let limit = control.maxFrames, summary.frames >= limit { break }
            switch reader.next() {
            case .packet(let header):
                process(reader.buffer, header: header)
                if let progress, summary.frames & 1023 == 0 {
                    progress.update(bytes: reader.bytePosition ?? 0, total: reader.fileSize ?? 0, packets: summary.frames)
                }
                if reader.isLive && (control.stopRequested() || past(control.deadline)) { break loop }
                if reader.isLive, let fresh = control.reloadRequested() { reload(fresh) }
            case .timeout, .interrupted:
                if control.stopRequested() || past(control.deadline) { break loop }
                if let fresh = control.reloadRequested() { reload(fresh) }
            case .end:
                break loop
            case .damaged(let message):
                summary.damage = message
                diagnose("capture damaged after frame \(summary.frames): \(message); results cover the frames before it")
                break loop
            }
            if !reader.isLive && summary.frames & 4095 == 0 && control.stopRequested() { break loop }
        }
        if let stats = reader.statistics() {
            summary.capture = CaptureStatistics(received: Int(stats.received), dropped: Int(stats.dropped),
                                                interfaceDropped: Int(stats.interfaceDropped))
        }
        progress?.finish()
        finish()
        return summary
    }

    func past(_ deadline: Double?) -> Bool {
        guard let deadline else { return false }
        return ProgressReporter.now() >= deadline
    }

    /// Switches to a new SAD mid-run (SIGHUP): OpenSSL contexts are rebuilt on demand, and every
    /// flow seen so far is matched again, keeping its counters.
    public func reload(_ fresh: SADatabase, ah freshAH: SADatabase? = nil) {
        if let freshAH {
            ahSAD = freshAH
            ahEngines = [IntegrityEngine?](repeating: nil, count: freshAH.count)
            ahEngineFailures = [:]
        }
        var fresh = fresh
        for derived in ike.derivedSAs where derived.ipsecProtocol == .esp { fresh.add(derived) }
        sad = fresh
        cryptoStates = [ESPCryptoState?](repeating: nil, count: fresh.count)
        cryptoFailures = [:]
        icvDiagnoses = [:]
        for index in flows.indices {
            let key = flows[index].key
            let database = key.ipsecProtocol == .ah ? ahSAD : fresh
            let match = database.lookup(spi: key.spi, source: key.source, destination: key.destination)
            flows[index].saIndex = match?.index
            flows[index].saMatch = match?.match
        }
        notice?("keys reloaded: \(fresh.count) ESP SA(s) (\(ike.derivedSAs.count) derived from IKE), \(ahSAD.count) AH SA(s), \(ike.keyCount) IKE SA(s)")
    }

    /// Switches to new key files mid-run: ESP, AH and IKE keys, and the policies.
    public func reload(_ keys: KeySet) {
        ike.replaceKeys(keys.ikeSAs)
        policyCheck.replace(keys.policies)
        reload(Analyzer.espDatabase(keys), ah: Analyzer.ahDatabase(keys))
        if !keys.policies.isEmpty { notice?("policies reloaded: \(keys.policies.count) SPD entries") }
    }

    /// Sets the link type of the frames to come (done by `run`; tests call it directly).
    public func setLinkType(dlt: Int32, name: String) {
        linkType = LinkType(dlt: dlt)
        linkTypeDescription = "\(name) (DLT \(dlt))"
        if linkType == nil {
            diagnose("unsupported link-layer type \(linkTypeDescription): frames are counted but not dissected; supported are Ethernet, Linux SLL/SLL2, raw IP and BSD loopback")
        }
    }

    /// SAs whose keys an ICV-failure diagnosis tries; bounds the work on huge key files.
    static let maxDiagnosisCandidates = 256

    /// Writes the per-SA table and the summary, and flushes outputs.
    public func finish() {
        ike.finish()
        attachFlowsToChildren()
        summary.diagnostics = orderedDiagnostics
        summary.policy = policyCheck.summary(flows: flows)
        summary.findings = findings()
        summary.events = RunEventCounts(summary: summary, flows: flows, ike: ike)
        reporter.finish(summary: summary, flows: flows, sad: sad, ahSAD: ahSAD, untrackedFlowPackets: untrackedFlowPackets)
        writer?.flush()
    }

    var orderedDiagnostics: [String] = []
    /// The frame during which each of `orderedDiagnostics` was raised (how a parallel run
    /// merges its workers' diagnostics in the order a single thread raises them).
    var diagnosticFrames: [Int] = []

    func diagnose(_ message: String) {
        guard diagnosticsSeen.count < 1000, !diagnosticsSeen.contains(message) else { return }
        diagnosticsSeen.insert(message)
        orderedDiagnostics.append(message)
        diagnosticFrames.append(summary.frames)
        notice?("warning: " + message)
    }

    /// Records reported for the current frame (more than one when a TCP segment carries
    /// several RFC 8229 messages).
    var unitsEmitted = 0

    /// Counts and reports the current record.
    func emit() {
        unitsEmitted += 1
        if shard != nil && !frameOwned { return }
        summary.verdicts[record.verdict] += 1
        // Every reporter is silent per packet under -q; not calling it spares the reference
        // counting of its arguments.
        if !options.quiet { reporter.packet(record, sad: sad, ahSAD: ahSAD, startTime: summary.firstTime!) }
        if let packetObserver {
            packetObserver(record, record.writtenLength > 0 ? inner[0..<record.writtenLength] : [])
        }
    }

    /// Processes one frame: `bytes[0..<header.capturedLength]`.
    public func process(_ bytes: [UInt8], header: PacketHeader) {
        summary.frames += 1
        summary.bytes += header.originalLength
        if summary.firstTime == nil { summary.firstTime = header.timestamp }
        summary.lastTime = header.timestamp
        record.reset(frame: summary.frames, header: header)
        unitsEmitted = 0
        defer {
            // A TCP segment carrying whole messages has reported each already.
            if unitsEmitted == 0 { emit() }
        }
        guard let linkType else {
            record.verdict = .undecodable
            record.detail = "unsupported link type \(linkTypeDescription)"
            return
        }
        let length = min(header.capturedLength, bytes.count)
        let link: LinkInfo
        switch LinkDecoder.decode(bytes, length: length, as: linkType) {
        case .success(let info): link = info
        case .failure(let error):
            record.verdict = error.code == .notIP ? .notIPsec : .malformed
            record.detail = error.description
            return
        }
        let ip: IPLayer
        switch IPLayer.parse(bytes, offset: link.networkOffset, length: length, announcedVersion: link.announcedVersion) {
        case .success(let layer): ip = layer
        case .failure(let error):
            record.verdict = .malformed
            record.detail = error.description
            return
        }
        record.outer = outerSummary(ip)
        if ip.fragment != nil {
            switch reassembler.add(bytes, ip: ip, time: header.timestamp.totalMicroseconds) {
            case .pending:
                record.verdict = .fragment
                return
            case .dropped(let reason):
                record.verdict = .fragment
                record.detail = "fragment dropped: \(reason)"
                diagnose("IP fragment dropped: \(reason)")
                return
            case .complete(let datagram):
                guard case .success(let whole) = IPLayer.parse(datagram, offset: 0, length: datagram.count) else {
                    record.verdict = .malformed
                    record.detail = "reassembled datagram is not a valid IP packet"
                    return
                }
                record.reassembledFrom = 1
                record.outer = outerSummary(whole)
                processIP(datagram, ip: whole, depth: 0)
                return
            }
        }
        processIP(bytes, ip: ip, depth: 0)
    }

    func outerSummary(_ ip: IPLayer) -> PacketSummary {
        PacketSummary(version: ip.version, source: ip.source, destination: ip.destination,
                      protocolNumber: ip.protocolNumber, sourcePort: nil, destinationPort: nil,
                      icmpType: nil, icmpCode: nil, length: ip.end - ip.headerStart, isFragment: ip.fragment != nil)
    }

    func processIP(_ bytes: [UInt8], ip: IPLayer, depth: Int) {
        let layers = IPsecLayers.classify(bytes, protocolNumber: ip.protocolNumber, start: ip.headerEnd, end: ip.end)
        // Parallel runs: frames of other workers' SAs stop here.
        if depth == 0, let shard, !claim(bytes, ip: ip, layers: layers, shard: shard) { return }
        if depth == 0, let broken = layers.brokenAH {
            summary.ahPackets += 1
            record.ah.append(AHLayer(header: broken, sequence: UInt64(broken.sequence), verdict: .malformed, saIndex: nil, saMatch: nil,
                                     replay: nil, detail: nil))
        }
        if depth == 0 && !layers.ah.isEmpty {
            summary.ahPackets += 1
            // Nothing from a packet whose AH fails is processed further, let alone released.
            guard processAH(bytes, ip: ip, headers: layers.ah, payload: layers.payload) else { return }
        }
        switch layers.payload {
        case .esp(let esp, let ports):
            if depth == 0 {
                summary.espPackets += 1
                record.udpPorts = ports
            }
            processESP(bytes, ip: ip, esp: esp, ports: ports, depth: depth)
        case .ike(let header, let ports, let marker):
            if depth == 0 {
                summary.ikePackets += 1
                record.ike = header
                record.udpPorts = ports
                record.ikeNonESPMarker = marker
                record.verdict = .ike
                processIKE(bytes, range: header.range, source: ip.source, destination: ip.destination, ports: ports,
                           transport: marker ? .udpEncapsulated : .udp)
            }
        case .natKeepalive(let ports):
            if depth == 0 {
                record.udpPorts = ports
                record.verdict = .natKeepalive
            }
        case .malformed(let error):
            if depth == 0 {
                record.verdict = .malformed
                record.detail = error.description
            }
        case .other(let proto, let ports):
            if depth == 0 {
                record.udpPorts = ports
                if layers.ah.isEmpty {
                    record.verdict = .notIPsec
                    if policyCheck.isActive { checkCleartextPolicy(bytes, ip: ip) }
                }
                if proto == IPProtocol.tcp, !options.tcpEncapsulationPorts.isEmpty {
                    processTCP(bytes, ip: ip, start: layers.ah.last?.range.upperBound ?? ip.headerEnd)
                }
            }
        }
    }

    func flow(for key: FlowKey, time: Timestamp) -> Int? {
        // Most packets belong to a flow seen a moment ago: a small table indexed by SPI bits,
        // checked against the flow's own key (so it can never answer wrongly), spares hashing
        // the key into `flowIndex`.
        let slot = Int(truncatingIfNeeded: key.spi ^ (key.spi >> 8)) & (Analyzer.recentFlowSlots - 1)
        let recent = recentFlows[slot]
        if recent >= 0, recent < flows.count, flows[recent].key == key { return recent }
        if let index = flowIndex[key] {
            recentFlows[slot] = index
            return index
        }
        guard flows.count < options.maxTrackedFlows else {
            diagnose("more than \(options.maxTrackedFlows) ESP flows: further flows are counted together, not per SA")
            return nil
        }
        let database = key.ipsecProtocol == .ah ? ahSAD : sad
        let match = database.lookup(spi: key.spi, source: key.source, destination: key.destination)
        let high = match.map { database.entries[$0.index].initialSequenceHigh } ?? 0
        flows.append(FlowStatistics(key: key, saIndex: match?.index, saMatch: match?.match, firstSeen: time, lastSeen: time,
                                    sequenceTracker: SequenceNumberTracker(initialHigh: high, window: options.replayWindow),
                                    replay: ReplayWindow(size: Int(options.replayWindow))))
        flows[flows.count - 1].firstFrame = summary.frames
        if shard != nil && !frameOwned { shard!.foreignFlows.insert(flows.count - 1) }
        flowIndex[key] = flows.count - 1
        recentFlows[slot] = flows.count - 1
        return flows.count - 1
    }

    /// SA `index`'s cipher state, made on first use and kept. A setup failure is reported and
    /// remembered, except for a `candidate`: an SA whose keys are only tried on another SA's
    /// failing packet is skipped, and its failure reported if its own packets arrive.
    func cryptoState(_ index: Int, candidate: Bool = false) -> ESPCryptoState? {
        if let state = cryptoStates[index] { return state }
        if cryptoFailures[index] != nil { return nil }
        do {
            let state = try ESPCryptoState(sa: sad.entries[index])
            cryptoStates[index] = state
            return state
        } catch {
            guard !candidate else { return nil }
            let message = "SA \(sad.entries[index].origin): cannot set up \(sad.entries[index].algorithmDescription): \(error)"
            cryptoFailures[index] = message
            diagnose(message)
            return nil
        }
    }

}
