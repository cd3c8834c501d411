import SpiglassCapture
import SpiglassESP
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// The pipeline: frames in, dissection, SA lookup, verification and decryption, reports and
/// the decrypted-output pcap out. One instance per capture; not thread-safe.
public final class Analyzer {
    // The per-packet state below is touched many times per packet by this single-threaded
    // pipeline and never through overlapping accesses; dynamic exclusivity checks on it cost
    // about a seventh of the run time, so they are turned off for these properties only.
    /// The ESP and AH SAs, with the contexts their packets are processed with.
    @exclusivity(unchecked) var sas: SAStore
    public let options: AnalysisOptions
    let reporter: Reporter
    /// Whether this analyzer sees every frame of the run or is a worker of a parallel one, and
    /// what follows from that (see `FrameOwnership`).
    let ownership: any FrameOwnership
    @exclusivity(unchecked) var flowTable = FlowTable()
    @exclusivity(unchecked) public internal(set) var summary = AnalysisSummary()
    let tcpStreams: TCPEncapsulation
    var diagnostics = DiagnosticLog()
    /// Read for every frame.
    @exclusivity(unchecked) var inputs = CaptureInputs()
    /// The IKE story of the capture, rebuilt as its messages arrive.
    public let ike: IKEReconstruction
    /// The SPD checks: decrypted packets against their SA's selectors, cleartext for leaks.
    let policyCheck: PolicyCheck
    @exclusivity(unchecked) var record = PacketRecord()
    /// Called after each frame with its record and, when something was decrypted, the inner
    /// packet as written to -w (empty otherwise). For tests and embedding; nil costs nothing.
    // Read for every frame; set before a run, never while one calls it.
    @exclusivity(unchecked) public var packetObserver: ((PacketRecord, ArraySlice<UInt8>) -> Void)?
    /// RFC 4303/4302 inbound processing, with the buffers of the packet being released.
    let inbound = InboundProcessor()
    /// What the ICV-failure diagnoses made at the end of the run need (see `ICVDiagnosisState`).
    var icvState = ICVDiagnosisState()
    /// A pcapng -w file's comments and `--keep-outer`'s frames; nil for a plain pcap (or none).
    let annotation: OutputAnnotation?
    /// The last frame `--spi`/`--ike-sa`/`--from`/`--to` selected (see `selects`).
    var lastSelectedFrame = 0

    /// ESP SAs, as packets are looked up in them.
    public var sad: SADatabase { sas.esp.database }
    /// AH SAs, looked up apart from ESP's.
    public var ahSAD: SADatabase { sas.ah.database }
    @inline(__always)
    public internal(set) var flows: [FlowStatistics] {
        get { flowTable.flows }
        _modify { yield &flowTable.flows }
        set { flowTable.flows = newValue }
    }
    /// The inputs' paths, named in every record when there are several.
    public var sourcePaths: [String] { inputs.paths }
    /// Called at once with warnings and events (key reloads), for live captures whose summary
    /// comes only at the end.
    public var notice: ((String) -> Void)? {
        get { diagnostics.notice }
        set { diagnostics.notice = newValue }
    }
    /// The diagnoses of SAs whose ICVs failed, by SA index, once the run has finished.
    var icvDiagnoses: [Int: ICVDiagnosisOutcome] { icvState.outcomes }

    /// `policies`: the SPD entries of the policy files (`KeySet.policies`).
    public convenience init(
        sad: SADatabase, ahSAD: SADatabase = SADatabase(), ikeKeys: [IKESecurityAssociation] = [],
        policies: [SecurityPolicy] = [], options: AnalysisOptions, output: OutputSink
    ) throws {
        try self.init(
            sad: sad, ahSAD: ahSAD, ikeKeys: ikeKeys, policies: policies, options: options, output: output,
            ownership: try WholeRun(options: options))
    }

    /// `ownership`: alone in the run, or a worker of a parallel run (see `ParallelAnalysis`).
    init(
        sad: SADatabase, ahSAD: SADatabase, ikeKeys: [IKESecurityAssociation], policies: [SecurityPolicy],
        options: AnalysisOptions,
        output: OutputSink, ownership: any FrameOwnership
    ) throws {
        self.ownership = ownership
        // Only an analyzer that follows IKE gets the keys: the others never see an IKE message.
        self.ike = IKEReconstruction(keys: ownership.followsIKE ? ikeKeys : [], limits: options.ikeLimits)
        ike.captureDuplicateWindow = options.captureDuplicateWindow
        ike.decryptDespiteIntegrityFailure = options.ikeDecryptDespiteIntegrityFailure
        self.policyCheck = PolicyCheck(policies: policies, ike: ike, replica: ownership.childReplica)
        self.tcpStreams = TCPEncapsulation(limits: options.tcpLimits)
        self.sas = SAStore(esp: sad, ah: ahSAD)
        self.options = options
        self.annotation = OutputAnnotation(options)
        self.reporter = Analyzer.makeReporter(options, output: output, ike: ike)
        if options.deriveChildKeys {
            ike.onDerivedSA = { [unowned self] sa in
                self.addDerived(sa)
                // Worker 0 of a parallel run: the other workers get it through the event log.
                self.ownership.publish(.derived(sa))
            }
        }
        ownership.follow(ike)
        ike.onDiagnostic = { [unowned self] diagnostic in self.diagnose(.ike(diagnostic)) }
        policyCheck.diagnose = { [unowned self] message in self.diagnose(message) }
    }

    static func makeReporter(_ options: AnalysisOptions, output: OutputSink, ike: IKEReconstruction) -> Reporter {
        switch (options.report, options.format) {
        case (.packets, .text):
            TextReporter(
                sink: output, quiet: options.quiet, display: options.display, details: options.packetDetails, ike: ike)
        case (.packets, .json): JSONReporter(sink: output, quiet: options.quiet)
        case (.ike, .text):
            IKETextReporter(
                sink: output, quiet: options.quiet, ike: ike, summaryOnly: options.ikeSummary,
                details: options.packetDetails, display: options.display)
        case (.ike, .json): IKEJSONReporter(sink: output, quiet: options.quiet, ike: ike)
        case (.html, _): HTMLReporter(sink: output, ike: ike, resolution: options.writeResolution)
        }
    }

    /// Loads and merges key files, in order, each in `format` or the detected one, then the
    /// `--key` specs; `includes` says where their includes may point.
    public static func loadKeySet(
        _ paths: [String], inline: [String] = [], format: KeyFileFormat? = nil,
        includes: KeyFileIncludes = .confined
    ) throws -> KeySet {
        var keys = KeySet()
        func add(_ more: KeySet, from name: String) throws {
            keys.merge(more)
            guard keys.sas.count + keys.ikeSAs.count <= KeyFileLimits.maxSAs else {
                throw KeyFileError(
                    .tooLarge, file: name, line: 0, "more than \(KeyFileLimits.maxSAs) SAs in all key files")
            }
        }
        for path in paths {
            try add(try KeyFileLoader.loadKeys(path: path, format: format, includes: includes), from: path)
        }
        for (index, spec) in inline.enumerated() {
            try add(
                try KeyFileLoader.loadInlineKeys(spec, index: index + 1, format: format, includes: includes),
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
    public static func loadDatabases(_ paths: [String], format: KeyFileFormat? = nil) throws -> (
        esp: SADatabase, ah: SADatabase
    ) {
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

        /// A live capture should stop: a stop was asked for, or the deadline has passed.
        var stopDue: Bool {
            if stopRequested() { return true }
            guard let deadline else { return false }
            return ProgressReporter.now() >= deadline
        }
    }

    /// Reads every packet of `reader`, reporting as it goes, then the summary.
    public func run(_ reader: CaptureReader, progress: ProgressReporter? = nil, control: RunControl = RunControl())
        -> AnalysisSummary
    {
        run(CaptureStream(reader: reader, path: ""), progress: progress, control: control)
    }

    /// Reads every frame of `reader` (one or more files merged by time, or an interface),
    /// reporting as it goes, then the summary.
    public func run(_ reader: any FrameSource, progress: ProgressReporter? = nil, control: RunControl = RunControl())
        -> AnalysisSummary
    {
        setSources(reader.sources)
        if let warning = reader.warning { diagnose(warning) }
        var drain = LiveStopDrain()
        loop: while true {
            if let limit = control.maxFrames, summary.frames - summary.filterExcluded >= limit { break }
            if !reader.isLive && summary.frames & (Analyzer.framesBetweenStopChecks - 1) == 0 && control.stopRequested()
            {
                noteStopped()
                break
            }
            switch reader.next() {
            case .packet(let header):
                process(reader.buffer, header: header)
                if let progress, summary.frames & 1023 == 0 {
                    progress.update(
                        bytes: reader.bytePosition ?? 0, total: reader.fileSize ?? 0, packets: summary.frames)
                }
                if reader.isLive && drain.ends(stop: control.stopDue, empty: false) {
                    break loop
                }
                if reader.isLive, let fresh = control.reloadRequested() { reload(fresh) }
            case .timeout, .interrupted:
                if drain.ends(stop: control.stopDue, empty: true) { break loop }
                if let fresh = control.reloadRequested() { reload(fresh) }
            case .end:
                break loop
            case .damaged(let damage):
                noteDamage(damage)
                // With several files the others go on; a single file has ended.
                if reader.sources.count == 1 { break loop }
            }
        }
        if let stats = reader.statistics() {
            summary.capture = CaptureStatistics(
                received: Int(stats.received), dropped: Int(stats.dropped),
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
        diagnose(.readingStopped(frames: summary.frames))
    }

    /// Switches to a new SAD mid-run (SIGHUP): OpenSSL contexts are rebuilt on demand, and every
    /// flow seen so far is matched again, keeping its counters.
    public func reload(_ fresh: SADatabase, ah freshAH: SADatabase? = nil) {
        if let freshAH { sas.ah.replace(freshAH) }
        var fresh = fresh
        for derived in ike.derivedSAs where derived.ipsecProtocol == .esp { fresh.add(derived) }
        sas.esp.replace(fresh)
        icvState = ICVDiagnosisState()
        for index in flows.indices {
            let match = sas.lookup(flows[index].key)
            flows[index].saIndex = match?.index
            flows[index].saMatch = match?.match
        }
        notice?(
            "keys reloaded: \(fresh.count) ESP SA(s) (\(ike.derivedSAs.count) derived from IKE), \(ahSAD.count) AH SA(s), \(ike.keyCount) IKE SA(s)"
        )
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
        inputs.paths = sources.map(\.path)
        reporter.begin(sources: inputs.paths)
        annotation?.comment.name(inputs.paths)
        setLinkTypes(sources.map { ($0.linkType, $0.linkTypeName) })
    }

    func setLinkTypes(_ types: [(dlt: Int32, name: String)]) {
        inputs.linkTypes = types.map { LinkType(dlt: $0.dlt) }
        inputs.dlts = types.map(\.dlt)
        inputs.linkTypeDescriptions = types.map { "\($0.name) (DLT \($0.dlt))" }
        reporter.linkTypes(inputs.linkTypeDescriptions)
        for (index, description) in inputs.linkTypeDescriptions.enumerated() where inputs.linkTypes[index] == nil {
            let which = types.count > 1 ? " in '\(inputs.paths[index])'" : ""
            diagnose(
                "unsupported link-layer type \(description)\(which): frames are counted but not dissected; supported are Ethernet, Linux SLL/SLL2, raw IP and BSD loopback"
            )
        }
    }

    /// A damaged input (or one libpcap cannot read further): its frames before the damage
    /// count, the others' go on.
    func noteDamage(_ damage: CaptureDamage) {
        summary.damages.append(damage)
        diagnose(.captureEnded(frames: summary.frames, damage: damage))
    }

    /// SAs whose keys an ICV-failure diagnosis tries; bounds the work on huge key files.
    static let maxDiagnosisCandidates = 256

    /// Writes the per-SA table and the summary, and flushes outputs.
    public func finish() {
        ike.finish()
        attachFlowsToChildren()
        if ownership.diagnosesForTheRun {
            icvState.outcomes = Analyzer.resolveICVDiagnoses([self], flows: &flows).outcomes
        }
        summary.warnings = diagnostics.warnings
        summary.policy = policyCheck.summary(flows: flows)
        summary.findings = findings()
        summary.events = RunEventCounts(summary: summary, flows: flows, ike: ike)
        let (shownSummary, shownFlows) = selectedForReport()
        reporter.finish(
            summary: shownSummary, flows: shownFlows, sad: sad, ahSAD: ahSAD,
            untrackedFlowPackets: flowTable.untrackedPackets)
        do {
            try ownership.closeOutput()
        } catch {
            summary.outputFailure = "\(error)"
        }
    }

    /// Finishes the -w file (put in place when complete); a failure goes to the summary.
    func closeWriter(_ writer: DecryptedOutput) {
        do {
            try writer.close()
        } catch {
            summary.outputFailure = "\(error)"
        }
    }

    func diagnose(_ warning: RunWarning) {
        diagnostics.raise(warning, frame: summary.frames)
    }

    /// A warning with no layout of its own: its sentence.
    func diagnose(_ message: String) { diagnose(.other(message)) }

    /// Counts and reports the current record.
    func emit() {
        record.reportedUnits += 1
        summary.verdicts[record.verdict] += 1
        // Every reporter is silent per packet under -q; not calling it spares the reference
        // counting of its arguments.
        if !selectsRecord() {
            // Outside --spi/--ike-sa/--from/--to: neither shown nor counted as hidden.
        } else if options.hideNonIPsec && record.verdict == .notIPsec && record.policy == nil {
            summary.hiddenFrames += 1
        } else if !options.quiet {
            reporter.packet(record, sad: sad, ahSAD: ahSAD, startTime: summary.firstTime!)
        }
        if let packetObserver {
            packetObserver(record, record.writtenLength > 0 ? inbound.inner[0..<record.writtenLength] : [])
        }
    }

    /// Processes one frame: `bytes[0..<header.capturedLength]`.
    public func process(_ bytes: [UInt8], header: PacketHeader) {
        summary.frames += 1
        summary.bytes += header.originalLength
        if summary.firstTime == nil { summary.firstTime = header.timestamp }
        summary.lastTime = header.timestamp
        // Counted, so that frame numbers and relative times stay the capture's; nothing else.
        if header.excludedByFilter {
            summary.filterExcluded += 1
            return
        }
        record.reset(frame: summary.frames, header: header)
        for warning in ownership.auditTimestamp(header, frame: summary.frames) { diagnose(warning) }
        defer {
            // A TCP segment carrying whole messages has reported each already.
            if record.reportedUnits == 0 {
                if record.verdict == .notIPsec && namesClearFrames { nameClearFrame(bytes, header: header) }
                emit()
            }
        }
        guard let ip = decodeFrame(bytes, header: header) else { return }
        if let annotation, annotation.keepOuter { annotation.keepLink(bytes, length: ip.headerStart) }
        if ip.fragment != nil {
            processFragment(bytes, ip: ip, header: header)
        } else {
            processIP(bytes, ip: ip, depth: 0)
        }
    }

    /// The frame's outermost IP header, or nil when the frame is done with (its record says
    /// why: not decodable, malformed, cut by the capture).
    @inline(__always)
    func decodeFrame(_ bytes: [UInt8], header: PacketHeader) -> IPLayer? {
        guard let linkType = inputs.linkType(header.source) else {
            record.verdict = .undecodable
            record.detail = "unsupported link type \(inputs.linkTypeDescription(header.source))"
            return nil
        }
        let length = min(header.capturedLength, bytes.count)
        var reader = ByteReader(bytes, range: 0..<length)
        let link: LinkInfo
        switch LinkDecoder.decode(&reader, as: linkType) {
        case .success(let info): link = info
        case .failure(let error):
            record.verdict = error.code == .notIP ? .notIPsec : .malformed
            record.detail = error.description
            markCut(error)
            return nil
        }
        let ip: IPLayer
        switch IPLayer.parse(&reader, announcedVersion: link.announcedVersion) {
        case .success(let layer): ip = layer
        case .failure(let error):
            record.verdict = .malformed
            record.detail = error.description
            markCut(error)
            return nil
        }
        record.outer = outerSummary(ip)
        record.datagramCut = Analyzer.isDatagramCut(ip, header: header, length: length)
        if record.datagramCut
            && (ip.fragment != nil || (ip.protocolNumber == IPProtocol.tcp && isTCPEncapsulated(bytes, ip: ip)))
        {
            // A cut fragment would leave a hole in its datagram, and a cut segment in its
            // RFC 8229 stream: neither is fed on.
            record.verdict = .truncated
            record.detail = record.cutDescription
            return nil
        }
        return ip
    }

    /// An IP fragment: a copy the capture already holds is counted apart; the others go to
    /// reassembly (a parallel run's reader reassembles, once for the run, and says what came
    /// of the fragment), and a completed datagram is processed.
    func processFragment(_ bytes: [UInt8], ip: IPLayer, header: PacketHeader) {
        switch ownership.fragmentFate(
            bytes, ip: ip, time: header.timestamp.totalMicroseconds, frame: record.frame,
            sourceFrame: header.sourceFrame, window: options.captureDuplicateWindow)
        {
        case .copy(let original):
            // Kept out of reassembly, which has (or had) the first copy.
            record.verdict = .captureDuplicate
            record.detail = "fragment: same bytes as frame \(original)"
        case .reassembly(.pending):
            record.verdict = .fragment
        case .reassembly(.dropped(let reason)):
            record.verdict = .fragment
            record.detail = "fragment dropped: \(reason)"
            diagnose("IP fragment dropped: \(reason)")
        case .reassembly(.complete(let datagram, let fragments)):
            var reader = ByteReader(datagram)
            guard case .success(let whole) = IPLayer.parse(&reader) else {
                record.verdict = .malformed
                record.detail = "reassembled datagram is not a valid IP packet"
                return
            }
            record.reassembledFrom = 1
            record.fragmentFrames = fragments
            record.outer = outerSummary(whole)
            processIP(datagram, ip: whole, depth: 0)
        }
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
        var reader = ByteReader(bytes, range: ip.payloadRange)
        guard !options.tcpEncapsulationPorts.isEmpty, case .success(let segment) = TCPEncapsulation.segment(&reader)
        else { return false }
        return options.tcpEncapsulationPorts.contains(segment.sourcePort)
            || options.tcpEncapsulationPorts.contains(segment.destinationPort)
    }

    func outerSummary(_ ip: IPLayer) -> PacketSummary {
        PacketSummary(
            version: ip.version, source: ip.source, destination: ip.destination,
            protocolNumber: ip.protocolNumber, sourcePort: nil, destinationPort: nil,
            icmpType: nil, icmpCode: nil, length: ip.end - ip.headerStart, isFragment: ip.fragment != nil)
    }

    func processIP(_ bytes: [UInt8], ip: IPLayer, depth: Int) {
        let layers = IPsecLayers.classify(ByteReader(bytes, range: ip.payloadRange), protocolNumber: ip.protocolNumber)
        // Only the outermost datagram can be cut (what was decrypted is whole).
        let cut = depth == 0 && record.datagramCut
        var outerFlow: Int? = nil
        if depth == 0 && !cut {
            switch checkCaptureDuplicate(bytes, ip: ip, layers: layers) {
            case .copy: return
            case .first(let espFlow): outerFlow = espFlow
            }
        }
        if depth == 0, let broken = layers.brokenAH {
            summary.ahPackets += 1
            record.ah.append(
                AHLayer(
                    header: broken, sequence: UInt64(broken.sequence), verdict: cut ? .truncated : .malformed,
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
                processIKE(
                    bytes, range: header.range, source: ip.source, destination: ip.destination, ports: ports,
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

    /// The flow of `key`, made when first seen; nil past the tracking limit.
    func flow(for key: FlowKey, time: Timestamp) -> Int? {
        if let known = flowTable.find(key) { return known }
        guard flowTable.count < ownership.flowLimit(options) else {
            diagnose("more than \(options.maxTrackedFlows) ESP flows: further flows are counted together, not per SA")
            return nil
        }
        let match = sas.lookup(key)
        let high = match.map { sas.sa(key.ipsecProtocol, $0.index).initialSequenceHigh } ?? 0
        var flow = FlowStatistics(
            key: key, saIndex: match?.index, saMatch: match?.match, firstSeen: time, lastSeen: time,
            sequenceTracker: SequenceNumberTracker(initialHigh: high, window: options.replayWindow),
            replay: ReplayWindow(size: Int(options.replayWindow)))
        flow.firstFrame = summary.frames
        return flowTable.add(flow)
    }

    /// ESP SA `index`'s cipher state, made on first use and kept (see `SACache.engine`).
    func cryptoState(_ index: Int, candidate: Bool = false) -> ESPCryptoState? {
        sas.esp.engine(index, candidate: candidate) { diagnose($0) }
    }
}
