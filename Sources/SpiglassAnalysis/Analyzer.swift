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
    /// The ICV-failure diagnosis of each SA whose ICVs failed, made when the run finishes (see
    /// `ICVFailureSample`). One per SA, whichever of its flows failed first: the keys tried are
    /// the SA's. Each may try `maxDiagnosisCandidates` other SAs' keys, and a run makes at most
    /// `maxICVDiagnoses` (ICV failures and garbled packets together).
    var icvDiagnoses: [Int: ICVDiagnosisOutcome] = [:]
    /// The first failing packet of each SA, by SA index, until the diagnoses are made.
    var icvFailureSamples: [Int: ICVFailureSample] = [:]
    /// The first packet of each SA that verified but decrypted to garbage (see
    /// `ICVFailureDiagnosis.diagnoseGarbled`), until the diagnoses are made.
    var garbledSamples: [Int: ICVFailureSample] = [:]
    /// The frame where an SA failed with `maxICVDiagnoses` samples kept already.
    var icvBoundPassedAt: Int? = nil
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
    var timestampAudit = TimestampAudit()
    /// Link type of each input of the stream (`PacketHeader.source`), nil where unsupported.
    /// Read for every frame (see the exclusivity note above).
    @exclusivity(unchecked) var linkTypes: [LinkType?] = [nil]
    var linkTypeDescriptions = [""]
    /// The inputs' paths, named in every record when there are several.
    public internal(set) var sourcePaths: [String] = []

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
    /// Whether this analyzer follows IKE itself (a single-threaded run, worker 0 of a parallel
    /// one); the other workers answer CHILD_SA lookups from `childReplica`.
    let followsIKE: Bool
    /// The other workers of a parallel run: worker 0's SPI → CHILD_SA answers.
    let childReplica = ChildSAReplica()

    /// `policies`: the SPD entries of the policy files (`KeySet.policies`).
    public convenience init(sad: SADatabase, ahSAD: SADatabase = SADatabase(), ikeKeys: [IKESecurityAssociation] = [],
                            policies: [SecurityPolicy] = [], options: AnalysisOptions, output: OutputSink) throws {
        try self.init(sad: sad, ahSAD: ahSAD, ikeKeys: ikeKeys, policies: policies, options: options, output: output, shard: nil)
    }

    /// `shard`: a worker of a parallel run (see `ParallelAnalysis`).
    init(sad: SADatabase, ahSAD: SADatabase, ikeKeys: [IKESecurityAssociation], policies: [SecurityPolicy], options: AnalysisOptions,
         output: OutputSink, shard: Shard?) throws {
        self.shard = shard
        self.followsIKE = shard == nil || shard!.index == 0
        // Only an analyzer that follows IKE gets the keys: the others never see an IKE message.
        self.ike = IKEReconstruction(keys: followsIKE ? ikeKeys : [], limits: options.ikeLimits)
        ike.captureDuplicateWindow = options.captureDuplicateWindow
        ike.decryptDespiteIntegrityFailure = options.ikeDecryptDespiteIntegrityFailure
        self.policyCheck = PolicyCheck(policies: policies, ike: ike, replica: followsIKE ? nil : childReplica)
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
            writer = try PcapWriter(path: path, flushEachPacket: options.flushEachPacket, inputs: options.inputPaths)
        } else {
            writer = nil
        }
        if options.deriveChildKeys {
            ike.onDerivedSA = { [unowned self] sa in
                self.addDerived(sa)
                // Worker 0 of a parallel run: the other workers get it through the event log.
                self.shard?.pendingEvents.append(.derived(sa))
            }
        }
        if let shard {
            ike.onChildSPI = { [unowned shard, unowned ike] spi, index in
                shard.pendingEvents.append(.child(spi: spi, selectors: ike.negotiatedSelectors(child: index)))
            }
        }
        ike.onDiagnostic = { [unowned self] message in self.diagnose(message) }
        policyCheck.diagnose = { [unowned self] message in self.diagnose(message) }
    }

    /// Loads and merges key files, in order, each in `format` or the detected one, then the
    /// `--key` specs; `includes` says where their includes may point.
    public static func loadKeySet(_ paths: [String], inline: [String] = [], format: KeyFileFormat? = nil,
                                  includes: KeyFileIncludes = .confined) throws -> KeySet {
        var keys = KeySet()
        func add(_ more: KeySet, from name: String) throws {
            keys.merge(more)
            guard keys.sas.count + keys.ikeSAs.count <= KeyFileLimits.maxSAs else {
                throw KeyFileError(.tooLarge, file: name, line: 0, "more than \(KeyFileLimits.maxSAs) SAs in all key files")
            }
        }
        for path in paths {
            try add(try KeyFileLoader.loadKeys(path: path, format: format, includes: includes), from: path)
        }
        for (index, spec) in inline.enumerated() {
            try add(try KeyFileLoader.loadInlineKeys(spec, index: index + 1, format: format, includes: includes),
                    from: KeyArgument.inlineName(index + 1))
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
        /// Polled between packets (live captures; every few thousand records of a file) and on
        /// read timeouts: true ends the run (signals) at a record boundary, with its summary.
        public var stopRequested: () -> Bool = { false }
        /// Polled the same way: new keys to switch to (key reload), or nil.
        public var reloadRequested: () -> KeySet? = { nil }

        public init() {}
    }

    /// Reads every packet of `reader`, reporting as it goes, then the summary.
    public func run(_ reader: CaptureReader, progress: ProgressReporter? = nil, control: RunControl = RunControl()) -> AnalysisSummary {
        run(CaptureStream(reader: reader, path: ""), progress: progress, control: control)
    }

    /// Reads every frame of `reader` (one or more files merged by time, or an interface),
    /// reporting as it goes, then the summary.
    public func run(_ reader: CaptureStream, progress: ProgressReporter? = nil, control: RunControl = RunControl()) -> AnalysisSummary {
        setSources(reader.sources)
        if let warning = reader.warning { diagnose(warning) }
        loop: while true {
            if let limit = control.maxFrames, summary.frames >= limit { break }
            if !reader.isLive && summary.frames & (Analyzer.framesBetweenStopChecks - 1) == 0 && control.stopRequested() {
                noteStopped()
                break
            }
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
                noteDamage(message, sources: reader.sources.count, unreadable: false)
                // With several files the others go on; a single file has ended.
                if reader.sources.count == 1 { break loop }
            case .unreadable(let message):
                noteDamage(message, sources: reader.sources.count, unreadable: true)
                if reader.sources.count == 1 { break loop }
            }
        }
        if let stats = reader.statistics() {
            summary.capture = CaptureStatistics(received: Int(stats.received), dropped: Int(stats.dropped),
                                                interfaceDropped: Int(stats.interfaceDropped))
        }
        progress?.finish()
        finish()
        return summary
    }

    /// A file run polls for a stop request every this many records (a power of two): a few
    /// milliseconds of work.
    static let framesBetweenStopChecks = 4096

    /// A file read that a signal stopped: said in the summary, like a damaged capture.
    func noteStopped() {
        summary.stoppedEarly = true
        diagnose(Analyzer.stoppedMessage(frames: summary.frames))
    }

    /// Why a capture file ended early: damaged (cut mid-record, corrupt), or sound but beyond
    /// what libpcap reads (`CaptureReader.Next.unreadable`).
    static func endMessage(frames: Int, damage: String, unreadable: Bool) -> String {
        unreadable ? "capture read up to frame \(frames) only: \(damage); results cover the frames before it"
            : "capture damaged after frame \(frames): \(damage); results cover the frames before it"
    }

    static func stoppedMessage(frames: Int) -> String {
        "reading stopped by a signal after frame \(frames); results cover the frames before it"
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
        icvFailureSamples = [:]
        garbledSamples = [:]
        icvBoundPassedAt = nil
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

    /// Sets the link type of the frames to come, all from one input (done by `run`; tests
    /// call it directly).
    public func setLinkType(dlt: Int32, name: String) {
        setLinkTypes([(dlt, name)])
    }

    /// The inputs of the stream to come: their link types, and their paths for the reports.
    func setSources(_ sources: [CaptureStream.Source]) {
        sourcePaths = sources.map(\.path)
        reporter.begin(sources: sourcePaths)
        setLinkTypes(sources.map { ($0.linkType, $0.linkTypeName) })
    }

    func setLinkTypes(_ types: [(dlt: Int32, name: String)]) {
        linkTypes = types.map { LinkType(dlt: $0.dlt) }
        linkTypeDescriptions = types.map { "\($0.name) (DLT \($0.dlt))" }
        for (index, description) in linkTypeDescriptions.enumerated() where linkTypes[index] == nil {
            let which = types.count > 1 ? " in '\(sourcePaths[index])'" : ""
            diagnose("unsupported link-layer type \(description)\(which): frames are counted but not dissected; supported are Ethernet, Linux SLL/SLL2, raw IP and BSD loopback")
        }
    }

    /// A damaged input (or one libpcap cannot read further): its frames before the damage
    /// count, the others' go on.
    func noteDamage(_ message: String, sources: Int, unreadable: Bool) {
        summary.damage = summary.damage.map { $0 + "; " + message } ?? message
        if sources == 1 {
            diagnose(Analyzer.endMessage(frames: summary.frames, damage: message, unreadable: unreadable))
        } else {
            diagnose("\(message) (frame \(summary.frames) of the stream)")
        }
    }

    /// SAs whose keys an ICV-failure diagnosis tries; bounds the work on huge key files.
    static let maxDiagnosisCandidates = 256

    /// Writes the per-SA table and the summary, and flushes outputs.
    public func finish() {
        ike.finish()
        attachFlowsToChildren()
        if shard == nil { icvDiagnoses = Analyzer.resolveICVDiagnoses([self], flows: &flows).outcomes }
        summary.diagnostics = orderedDiagnostics
        summary.policy = policyCheck.summary(flows: flows)
        summary.findings = findings()
        summary.events = RunEventCounts(summary: summary, flows: flows, ike: ike)
        reporter.finish(summary: summary, flows: flows, sad: sad, ahSAD: ahSAD, untrackedFlowPackets: untrackedFlowPackets)
        closeWriter(writer)
    }

    /// Finishes the -w file (put in place when complete); a failure goes to the summary.
    func closeWriter(_ writer: PcapWriter?) {
        do {
            try writer?.close()
        } catch {
            summary.outputFailure = "\(error)"
        }
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
    /// IP fragments seen lately, to recognise the capture's own duplicates of them.
    var fragmentCopies = RecentCopies()
    /// The snapshot length cut the current frame's outermost IP datagram.
    @exclusivity(unchecked) var datagramCut = false

    /// Counts and reports the current record.
    func emit() {
        unitsEmitted += 1
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
        datagramCut = false
        // A parallel run's reader audits the timestamps (it sees every frame).
        if shard == nil {
            for message in timestampAudit.check(header, frame: summary.frames) { diagnose(message) }
        }
        defer {
            // A TCP segment carrying whole messages has reported each already.
            if unitsEmitted == 0 { emit() }
        }
        let source = header.source < linkTypes.count ? header.source : 0
        guard let linkType = linkTypes[source] else {
            record.verdict = .undecodable
            record.detail = "unsupported link type \(linkTypeDescriptions[source])"
            return
        }
        let length = min(header.capturedLength, bytes.count)
        let link: LinkInfo
        switch LinkDecoder.decode(bytes, length: length, as: linkType) {
        case .success(let info): link = info
        case .failure(let error):
            record.verdict = error.code == .notIP ? .notIPsec : .malformed
            record.detail = error.description
            markCut(error)
            return
        }
        let ip: IPLayer
        switch IPLayer.parse(bytes, offset: link.networkOffset, length: length, announcedVersion: link.announcedVersion) {
        case .success(let layer): ip = layer
        case .failure(let error):
            record.verdict = .malformed
            record.detail = error.description
            markCut(error)
            return
        }
        record.outer = outerSummary(ip)
        datagramCut = Analyzer.isDatagramCut(ip, header: header, length: length)
        if datagramCut && (ip.fragment != nil || (ip.protocolNumber == IPProtocol.tcp && isTCPEncapsulated(bytes, ip: ip))) {
            // A cut fragment would leave a hole in its datagram, and a cut segment in its
            // RFC 8229 stream: neither is fed on.
            record.verdict = .truncated
            record.detail = record.cutDescription
            return
        }
        if ip.fragment != nil {
            // A parallel run's reader filters copies and reassembles, once for the run, and says
            // what came of the fragment.
            let original: Int?
            if let shard {
                original = shard.fragmentDuplicateOf
            } else {
                original = fragmentCopies.original(fragment: ip, bytes: bytes, time: header.timestamp.totalMicroseconds,
                                                   frame: record.frame, window: options.captureDuplicateWindow)
            }
            if let original {
                // Kept out of reassembly, which has (or had) the first copy.
                record.verdict = .captureDuplicate
                record.detail = "fragment: same bytes as frame \(original)"
                return
            }
            switch shard?.fragmentOutcome ?? reassembler.add(bytes, ip: ip, time: header.timestamp.totalMicroseconds) {
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

    /// Whether the snapshot length cut the frame's IP datagram: the IP length says so, or (an
    /// IP length of 0, as TSO captures carry) the frame was cut and nothing past the datagram
    /// was captured.
    static func isDatagramCut(_ ip: IPLayer, header: PacketHeader, length: Int) -> Bool {
        ip.truncated || (header.capturedLength < header.originalLength && ip.end == length)
    }

    /// A frame that stopped decoding because the capture cut it is `truncated`, not malformed.
    func markCut(_ error: WireError) {
        guard record.isCut, error.code == .truncated else { return }
        record.verdict = .truncated
        record.detail = "\(record.cutDescription); \(error.description)"
    }

    func isTCPEncapsulated(_ bytes: [UInt8], ip: IPLayer) -> Bool {
        guard !options.tcpEncapsulationPorts.isEmpty,
              let segment = TCPEncapsulation.segment(bytes, start: ip.headerEnd, end: ip.end) else { return false }
        return options.tcpEncapsulationPorts.contains(segment.sourcePort) || options.tcpEncapsulationPorts.contains(segment.destinationPort)
    }

    func outerSummary(_ ip: IPLayer) -> PacketSummary {
        PacketSummary(version: ip.version, source: ip.source, destination: ip.destination,
                      protocolNumber: ip.protocolNumber, sourcePort: nil, destinationPort: nil,
                      icmpType: nil, icmpCode: nil, length: ip.end - ip.headerStart, isFragment: ip.fragment != nil)
    }

    func processIP(_ bytes: [UInt8], ip: IPLayer, depth: Int) {
        let layers = IPsecLayers.classify(bytes, protocolNumber: ip.protocolNumber, start: ip.headerEnd, end: ip.end)
        // Only the outermost datagram can be cut (what was decrypted is whole).
        let cut = depth == 0 && datagramCut
        var outerFlow: Int? = nil
        if depth == 0 && !cut {
            switch checkCaptureDuplicate(bytes, ip: ip, layers: layers) {
            case .copy: return
            case .first(let espFlow): outerFlow = espFlow
            }
        }
        if depth == 0, let broken = layers.brokenAH {
            summary.ahPackets += 1
            record.ah.append(AHLayer(header: broken, sequence: UInt64(broken.sequence), verdict: cut ? .truncated : .malformed,
                                     saIndex: nil, saMatch: nil, replay: nil, detail: cut ? record.cutDescription : nil))
        }
        if depth == 0 && !layers.ah.isEmpty {
            summary.ahPackets += 1
            // Nothing from a packet whose AH fails is processed further, let alone released.
            guard processAH(bytes, ip: ip, headers: layers.ah, payload: layers.payload, cut: cut) else { return }
        }
        switch layers.payload {
        case .esp(let esp, let ports):
            if depth == 0 {
                summary.espPackets += 1
                record.udpPorts = ports
            }
            processESP(bytes, ip: ip, esp: esp, ports: ports, depth: depth, cut: cut, flow: outerFlow)
        case .ike(let header, let ports, let marker):
            if depth == 0 {
                summary.ikePackets += 1
                record.ike = header
                record.udpPorts = ports
                record.ikeNonESPMarker = marker
                record.verdict = cut ? .truncated : .ike
                processIKE(bytes, range: header.range, source: ip.source, destination: ip.destination, ports: ports,
                           transport: marker ? .udpEncapsulated : .udp, cut: cut)
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
                if cut && error.code == .truncated {
                    record.verdict = .truncated
                    record.detail = "\(record.cutDescription); \(error.description)"
                }
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
        guard flows.count < (shard?.flowShare ?? options.maxTrackedFlows) else {
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
