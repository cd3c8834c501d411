import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire

/// The pipeline: frames in, dissection, SA lookup, verification and decryption, reports and
/// the decrypted-output pcap out. One instance per capture; not thread-safe.
public final class Analyzer {
    public private(set) var sad: SADatabase
    /// AH SAs, looked up apart from ESP's.
    public private(set) var ahSAD: SADatabase
    private var ahEngines: [IntegrityEngine?]
    private var ahEngineFailures: [Int: String] = [:]
    /// Canonical form of the packet an AH ICV covers; sized once.
    @exclusivity(unchecked) private var ahScratch = [UInt8](repeating: 0, count: 65_536 + 1024)
    public let options: AnalysisOptions
    let reporter: Reporter
    let writer: PcapWriter?

    // The per-packet state below is touched many times per packet by this single-threaded
    // pipeline and never through overlapping accesses; dynamic exclusivity checks on it cost
    // about a seventh of the run time, so they are turned off for these properties only.
    @exclusivity(unchecked) private var cryptoStates: [ESPCryptoState?]
    private var cryptoFailures: [Int: String] = [:]
    @exclusivity(unchecked) private var flowIndex: [FlowKey: Int] = [:]
    @exclusivity(unchecked) public private(set) var flows: [FlowStatistics] = []
    private var untrackedFlowPackets = 0
    @exclusivity(unchecked) public private(set) var summary = AnalysisSummary()
    private let reassembler = FragmentReassembler()
    private let tcpStreams = TCPEncapsulation()
    private var diagnosticsSeen: Set<String> = []
    private var linkType: LinkType?
    private var linkTypeDescription = ""

    @exclusivity(unchecked) private var record = PacketRecord()
    /// Called after each frame with its record and, when something was decrypted, the inner
    /// packet as written to -w (empty otherwise). For tests and embedding; nil costs nothing.
    public var packetObserver: ((PacketRecord, ArraySlice<UInt8>) -> Void)?
    /// Called at once with warnings and events (key reloads), for live captures whose summary
    /// comes only at the end.
    public var notice: ((String) -> Void)?
    /// Plaintext of the ESP layer being decrypted; sized once for the largest datagram.
    @exclusivity(unchecked) private var plain = [UInt8](repeating: 0, count: 65_536 + 1024)
    /// The decrypted inner packet (tunnel) or the rebuilt one (transport).
    @exclusivity(unchecked) private var inner = [UInt8](repeating: 0, count: 65_536 + 1024)
    @exclusivity(unchecked) private var innerLength = 0

    public init(sad: SADatabase, ahSAD: SADatabase = SADatabase(), options: AnalysisOptions, output: OutputSink) throws {
        self.sad = sad
        self.ahSAD = ahSAD
        self.ahEngines = [IntegrityEngine?](repeating: nil, count: ahSAD.count)
        self.options = options
        self.cryptoStates = [ESPCryptoState?](repeating: nil, count: sad.count)
        switch options.format {
        case .text: reporter = TextReporter(sink: output, quiet: options.quiet)
        case .json: reporter = JSONReporter(sink: output, quiet: options.quiet)
        }
        if let path = options.writePath {
            writer = try PcapWriter(path: path, flushEachPacket: options.flushEachPacket)
        } else {
            writer = nil
        }
    }

    /// Loads and merges key files, in order, each in `format` or the detected one.
    public static func loadKeySet(_ paths: [String], format: KeyFileFormat? = nil) throws -> KeySet {
        var keys = KeySet()
        for path in paths {
            keys.merge(try KeyFileLoader.loadKeys(path: path, format: format))
            guard keys.sas.count + keys.ikeSAs.count <= KeyFileLimits.maxSAs else {
                throw KeyFileError(.tooLarge, file: path, line: 0, "more than \(KeyFileLimits.maxSAs) SAs in all key files")
            }
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
        /// Polled the same way: new ESP and AH databases to switch to (key reload), or nil.
        public var reloadRequested: () -> (esp: SADatabase, ah: SADatabase)? = { nil }

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
                if reader.isLive, let fresh = control.reloadRequested() { reload(fresh.esp, ah: fresh.ah) }
            case .timeout, .interrupted:
                if control.stopRequested() || past(control.deadline) { break loop }
                if let fresh = control.reloadRequested() { reload(fresh.esp, ah: fresh.ah) }
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

    private func past(_ deadline: Double?) -> Bool {
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
        sad = fresh
        cryptoStates = [ESPCryptoState?](repeating: nil, count: fresh.count)
        cryptoFailures = [:]
        for index in flows.indices {
            let key = flows[index].key
            let database = key.ipsecProtocol == .ah ? ahSAD : fresh
            let match = database.lookup(spi: key.spi, source: key.source, destination: key.destination)
            flows[index].saIndex = match?.index
            flows[index].saMatch = match?.match
        }
        notice?("keys reloaded: \(fresh.count) ESP SA(s), \(ahSAD.count) AH SA(s)")
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
        summary.diagnostics = orderedDiagnostics
        summary.findings = findings()
        reporter.finish(summary: summary, flows: flows, sad: sad, ahSAD: ahSAD, untrackedFlowPackets: untrackedFlowPackets)
        writer?.flush()
    }

    private var orderedDiagnostics: [String] = []

    /// ICV failures with their likely cause, anti-replay and loss observations, and weak
    /// algorithms, per flow.
    private func findings() -> [Finding] {
        var out: [Finding] = []
        for flow in flows {
            func add(_ kind: Finding.Kind, _ message: String) {
                out.append(Finding(kind: kind, spi: flow.key.spi, source: flow.key.source, destination: flow.key.destination, message: message))
            }
            let failed = flow.count(.icvFailed) + flow.count(.ahICVFailed)
            let malformed = flow.saIndex == nil ? 0 : flow.count(.malformed)
            if failed + malformed > 0 && (failed > 0 || flow.icvDiagnosis != nil) {
                let cause = flow.icvDiagnosis ?? (failed + malformed == flow.packets
                    ? "no variant verifies: wrong key or wrong algorithm"
                    : "the others verify: these packets were corrupted or forged")
                let what = malformed > 0 ? "failed the ICV or did not fit the SA's algorithms" : "failed the ICV"
                add(.icvFailures, "\(failed + malformed) of \(flow.packets) packets \(what); \(cause)")
            }
            if flow.replay.duplicates > 0 || flow.replay.tooOld > 0 {
                add(.replay, "\(flow.replay.duplicates) duplicate(s) and \(flow.replay.tooOld) packet(s) older than the \(flow.replay.size)-packet window: a receiver drops these as replays")
            }
            if flow.replay.lost > 0 {
                add(.loss, "\(flow.replay.lost) sequence number(s) missing (never received, or not intact) between \(flow.replay.first ?? 0) and \(flow.replay.highest)\(flow.replay.late > 0 ? "; \(flow.replay.late) arrived late, reordered by up to \(flow.replay.maxReorderDepth)" : "")")
            }
            if let index = flow.saIndex {
                let sa = (flow.key.ipsecProtocol == .ah ? ahSAD : sad).entries[index]
                for message in WeakAlgorithmCheck.findings(for: sa) { add(.weakAlgorithm, message) }
            }
        }
        return out
    }

    func diagnose(_ message: String) {
        guard diagnosticsSeen.count < 1000, !diagnosticsSeen.contains(message) else { return }
        diagnosticsSeen.insert(message)
        orderedDiagnostics.append(message)
        reporter.diagnostic(message)
        notice?("warning: " + message)
    }

    /// Records reported for the current frame (more than one when a TCP segment carries
    /// several RFC 8229 messages).
    private var unitsEmitted = 0

    /// Counts and reports the current record.
    private func emit() {
        unitsEmitted += 1
        summary.verdicts[record.verdict] += 1
        reporter.packet(record, sad: sad, ahSAD: ahSAD, startTime: summary.firstTime!)
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

    private func outerSummary(_ ip: IPLayer) -> PacketSummary {
        PacketSummary(version: ip.version, source: ip.source, destination: ip.destination,
                      protocolNumber: ip.protocolNumber, sourcePort: nil, destinationPort: nil,
                      icmpType: nil, icmpCode: nil, length: ip.end - ip.headerStart, isFragment: ip.fragment != nil)
    }

    private func processIP(_ bytes: [UInt8], ip: IPLayer, depth: Int) {
        let layers = IPsecLayers.classify(bytes, protocolNumber: ip.protocolNumber, start: ip.headerEnd, end: ip.end)
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
                if layers.ah.isEmpty { record.verdict = .notIPsec }
                if proto == IPProtocol.tcp, !options.tcpEncapsulationPorts.isEmpty {
                    processTCP(bytes, ip: ip, start: layers.ah.last?.range.upperBound ?? ip.headerEnd)
                }
            }
        }
    }

    private func flow(for key: FlowKey, time: Timestamp) -> Int? {
        if let index = flowIndex[key] { return index }
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
        flowIndex[key] = flows.count - 1
        return flows.count - 1
    }

    private func cryptoState(_ index: Int) -> ESPCryptoState? {
        if let state = cryptoStates[index] { return state }
        if cryptoFailures[index] != nil { return nil }
        do {
            let state = try ESPCryptoState(sa: sad.entries[index])
            cryptoStates[index] = state
            return state
        } catch {
            let message = "SA \(sad.entries[index].origin): cannot set up \(sad.entries[index].algorithmDescription): \(error)"
            cryptoFailures[index] = message
            diagnose(message)
            return nil
        }
    }

    /// RFC 8229: ESP and IKE inside a TCP stream on the configured ports. Each complete
    /// message is processed and reported on its own; a segment that completes none is
    /// reported once, as TCP.
    private func processTCP(_ bytes: [UInt8], ip: IPLayer, start: Int) {
        guard let segment = TCPEncapsulation.segment(bytes, start: start, end: ip.end),
              options.tcpEncapsulationPorts.contains(segment.sourcePort) || options.tcpEncapsulationPorts.contains(segment.destinationPort)
        else { return }
        record.tcpPorts = (segment.sourcePort, segment.destinationPort)
        record.verdict = .tcpSegment
        let key = TCPEncapsulation.ConnectionKey(source: ip.source, sourcePort: segment.sourcePort,
                                                 destination: ip.destination, destinationPort: segment.destinationPort)
        let messages = tcpStreams.add(bytes, segment: segment, key: key, time: record.timestamp.totalMicroseconds)
        for problem in tcpStreams.takeProblems() { diagnose(problem) }
        for (index, message) in messages.enumerated() {
            record.resetMessage(index: index + 1)
            switch message {
            case .esp(let packet):
                summary.espPackets += 1
                if let esp = ESPHeader.parse(packet, range: 0..<packet.count) {
                    processESP(packet, ip: ip, esp: esp, ports: nil, depth: 0, headerBytes: bytes)
                } else {
                    record.verdict = .malformed
                    record.detail = "ESP message of \(packet.count) bytes in the TCP stream"
                }
            case .ike(let message):
                summary.ikePackets += 1
                if let header = IKEHeader.parse(message, range: 0..<message.count) {
                    record.ike = header
                    record.verdict = .ike
                } else {
                    record.verdict = .malformed
                    record.detail = "IKE message of \(message.count) bytes in the TCP stream"
                }
            }
            emit()
        }
    }

    /// Verifies the AH headers of a packet (RFC 4302). Returns false when processing must stop
    /// there (an ICV failed or the AH is malformed). A verified AH packet without ESP inside
    /// has its inner packet (tunnel) or its AH-less rebuild (transport) written to -w.
    private func processAH(_ bytes: [UInt8], ip: IPLayer, headers: [AHHeader], payload: IPsecPayload) -> Bool {
        var allVerified = true
        for header in headers {
            let key = FlowKey(spi: header.spi, source: ip.source, destination: ip.destination, udpEncapsulated: false, ipsecProtocol: .ah)
            let flowNumber = flow(for: key, time: record.timestamp)
            var layer = AHLayer(header: header, sequence: UInt64(header.sequence), verdict: .noSA, saIndex: nil, saMatch: nil,
                                replay: nil, detail: nil)
            if let flowNumber, let saIndex = flows[flowNumber].saIndex {
                layer.saIndex = saIndex
                layer.saMatch = flows[flowNumber].saMatch
                let sa = ahSAD.entries[saIndex]
                if header.icvRange.count < sa.icvLength {
                    layer.verdict = .malformed
                    layer.detail = "AH ICV field of \(header.icvRange.count) bytes, \(sa.integrity.name) needs \(sa.icvLength)"
                } else if let engine = ahEngine(saIndex) {
                    layer.verdict = verifyAH(bytes, ip: ip, header: header, sa: sa, engine: engine, flowNumber: flowNumber, layer: &layer)
                } else if let failure = ahEngineFailures[saIndex] {
                    layer.verdict = .unsupportedAlgorithm
                    layer.detail = failure
                } else {
                    layer.verdict = .ah
                }
            }
            if let flowNumber {
                layer.replay = count(flowNumber, verdict: layer.verdict, sequence: layer.sequence, bytes: header.range.count)
            }
            record.ah.append(layer)
            record.verdict = layer.verdict
            if layer.verdict == .ahICVFailed || layer.verdict == .malformed { return false }
            if layer.verdict != .ahVerified { allVerified = false }
        }
        // AH alone: release the authenticated packet without its AH header.
        if case .other = payload, allVerified, let last = headers.last {
            stripAH(bytes, ip: ip, first: headers[0], last: last)
            record.inner = PacketSummary.of(inner, range: 0..<innerLength)
            record.writtenLength = innerLength
            writeInner()
        }
        return true
    }

    private func ahEngine(_ index: Int) -> IntegrityEngine? {
        if let engine = ahEngines[index] { return engine }
        if ahEngineFailures[index] != nil { return nil }
        let sa = ahSAD.entries[index]
        do {
            guard let engine = try IntegrityEngine(sa.integrity, key: sa.integrityKey) else { return nil }
            ahEngines[index] = engine
            return engine
        } catch {
            let message = "AH SA \(sa.origin): cannot set up \(sa.integrity.name): \(error)"
            ahEngineFailures[index] = message
            diagnose(message)
            return nil
        }
    }

    private func verifyAH(_ bytes: [UInt8], ip: IPLayer, header: AHHeader, sa: SecurityAssociation, engine: IntegrityEngine,
                          flowNumber: Int, layer: inout AHLayer) -> PacketVerdict {
        guard let length = AHCanonicalForm.build(bytes, ip: ip, ah: header, into: &ahScratch) else {
            layer.detail = "IP headers before AH are inconsistent"
            return .malformed
        }
        func check(_ high: UInt32?) -> Bool {
            var trailer = [UInt8](repeating: 0, count: 4)
            if let high { trailer.setBE32(0, high) }
            // The whole ICV field goes in: RFC 4543 GMAC reads its IV from the front of it.
            return (try? engine.verifyAH(data: ahScratch, range: 0..<length, trailer: trailer, trailerRange: high == nil ? 0..<0 : 0..<4,
                                         packet: bytes, icvField: header.icvRange)) ?? false
        }
        guard sa.extendedSequenceNumbers else { return check(nil) ? .ahVerified : .ahICVFailed }
        // ESN: the high half is appended after the packet in the ICV (RFC 4302 2.5.1).
        let (first, second, third) = flows[flowNumber].sequenceTracker.candidates(low: header.sequence)
        for candidate in [first, second, third] where check(candidate) {
            layer.sequence = UInt64(candidate) << 32 | UInt64(header.sequence)
            flows[flowNumber].sequenceTracker.accept(layer.sequence)
            return .ahVerified
        }
        return .ahICVFailed
    }

    /// The packet with its AH headers removed: the inner packet of tunnel mode, or the outer IP
    /// header (protocol set to AH's next header, lengths and checksum fixed) and the payload.
    private func stripAH(_ bytes: [UInt8], ip: IPLayer, first: AHHeader, last: AHHeader) {
        let payload = last.range.upperBound..<ip.end
        if last.nextHeader == IPProtocol.ipv4 || last.nextHeader == IPProtocol.ipv6 {
            innerLength = payload.count
            copyBytes(bytes, payload, into: &inner, at: 0)
            return
        }
        let headerLength = first.range.lowerBound - ip.headerStart
        copyBytes(bytes, ip.headerStart..<first.range.lowerBound, into: &inner, at: 0)
        copyBytes(bytes, payload, into: &inner, at: headerLength)
        innerLength = headerLength + payload.count
        fixRebuiltHeader(ip: ip, headerLength: headerLength, nextHeader: last.nextHeader)
    }

    /// After an IP header and a payload were copied into `inner`: names the payload's
    /// protocol in the header and fixes the length (and the IPv4 checksum).
    private func fixRebuiltHeader(ip: IPLayer, headerLength: Int, nextHeader: UInt8) {
        inner[ip.protocolFieldOffset - ip.headerStart] = nextHeader
        if ip.version == 4 {
            inner.setBE16(2, UInt16(truncatingIfNeeded: innerLength))
            inner.setBE16(10, 0)
            inner.setBE16(10, internetChecksum(inner, 0..<headerLength))
        } else {
            inner.setBE16(4, UInt16(truncatingIfNeeded: innerLength - 40))
        }
    }

    /// Decrypts an ESP packet and, when the plaintext is itself an IP packet carrying ESP
    /// (nested tunnels), the layers inside it, up to `maxNesting`. The last packet that was
    /// decrypted is what `-w` gets.
    private func processESP(_ bytes: [UInt8], ip: IPLayer, esp: ESPHeader, ports: (source: UInt16, destination: UInt16)?, depth: Int,
                            headerBytes: [UInt8]? = nil) {
        var source = bytes
        var headerSource = headerBytes ?? bytes
        var sourceIP = ip
        var currentESP = esp
        var currentPorts = ports
        var decryptedAny = false
        for level in depth..<max(options.maxNesting, depth + 1) {
            let layer = decryptLayer(source, ip: sourceIP, esp: currentESP, ports: currentPorts, headerBytes: headerSource)
            record.esp.append(layer)
            record.verdict = layer.verdict
            if layer.verdict == .espNull {
                // Shown, not written: nothing authenticated this payload.
                record.inner = PacketSummary.of(inner, range: 0..<innerLength)
            }
            guard layer.verdict == .decrypted else { break }
            decryptedAny = true
            guard level + 1 < options.maxNesting,
                  case .success(let innerIP) = IPLayer.parse(inner, offset: 0, length: innerLength), innerIP.fragment == nil,
                  case .esp(let innerESP, let innerPorts) = IPsecLayers.classify(inner, protocolNumber: innerIP.protocolNumber,
                                                                                start: innerIP.headerEnd, end: innerIP.end).payload
            else { break }
            // Copy-on-write makes this one copy per nested layer; single-layer ESP never gets here.
            source = inner
            headerSource = inner
            sourceIP = innerIP
            currentESP = innerESP
            currentPorts = innerPorts
        }
        if decryptedAny {
            record.inner = PacketSummary.of(inner, range: 0..<innerLength)
            record.writtenLength = innerLength
            writeInner()
        }
    }

    /// One ESP layer: SA lookup, ICV and decryption, trailer; on success the inner packet is
    /// left in `inner[0..<innerLength]`.
    private func decryptLayer(_ bytes: [UInt8], ip: IPLayer, esp: ESPHeader, ports: (source: UInt16, destination: UInt16)?,
                              headerBytes: [UInt8]) -> ESPLayer {
        let key = FlowKey(spi: esp.spi, source: ip.source, destination: ip.destination, udpEncapsulated: ports != nil)
        let flowNumber = flow(for: key, time: record.timestamp)
        var layer = decryptLayerCore(bytes, ip: ip, esp: esp, ports: ports, flowNumber: flowNumber, headerBytes: headerBytes)
        guard let flowNumber else { return layer }
        layer.replay = count(flowNumber, verdict: layer.verdict, sequence: layer.sequence, bytes: esp.range.count)
        return layer
    }

    /// Adds a packet to its flow's counters and, when it authenticated (or nobody here can
    /// authenticate it: no key, unsupported algorithm, ESP-NULL), to the anti-replay window;
    /// packets that failed must not move the window. Returns the window's verdict.
    private func count(_ flowNumber: Int, verdict: PacketVerdict, sequence: UInt64, bytes: Int) -> ReplayWindow.Outcome? {
        var outcome: ReplayWindow.Outcome? = nil
        switch verdict {
        case .decrypted, .dummy, .badPadding, .noSA, .unsupportedAlgorithm, .espNull, .ahVerified, .ah:
            outcome = flows[flowNumber].replay.record(sequence)
        default:
            break
        }
        flows[flowNumber].packets += 1
        flows[flowNumber].bytes += bytes
        flows[flowNumber].counts[verdict] += 1
        flows[flowNumber].lastSeen = record.timestamp
        if flows[flowNumber].firstSequence == nil { flows[flowNumber].firstSequence = sequence }
        flows[flowNumber].lastSequence = sequence
        return outcome
    }

    /// `headerBytes` holds the IP header `ip` describes; it differs from `bytes` when the ESP
    /// packet came out of a TCP stream.
    private func decryptLayerCore(_ bytes: [UInt8], ip: IPLayer, esp: ESPHeader, ports: (source: UInt16, destination: UInt16)?,
                                  flowNumber: Int?, headerBytes: [UInt8]) -> ESPLayer {
        var layer = ESPLayer(spi: esp.spi, sequence: UInt64(esp.sequence), verdict: .noSA, icv: .none, saIndex: nil, saMatch: nil,
                             nextHeader: nil, padLength: nil, length: esp.range.count, tunnel: nil, udpPorts: ports, detail: nil)
        let saMatch: (Int, SADatabase.MatchKind)?
        if let flowNumber {
            saMatch = flows[flowNumber].saIndex.map { ($0, flows[flowNumber].saMatch!) }
        } else {
            untrackedFlowPackets += 1
            saMatch = sad.lookup(spi: esp.spi, source: ip.source, destination: ip.destination).map { ($0.index, $0.match) }
        }
        guard let (saIndex, match) = saMatch else {
            if options.espNullHeuristic, let null = ESPNullHeuristic.detect(bytes, esp: esp.range) {
                layer.verdict = .espNull
                layer.nextHeader = null.nextHeader
                layer.detail = "no key; NULL encryption recognised with a \(null.icvLength)-byte ICV (unverified)"
                copyBytes(bytes, null.payload, into: &plain, at: 0)
                layer.tunnel = null.nextHeader == IPProtocol.ipv4 || null.nextHeader == IPProtocol.ipv6
                if layer.tunnel == true {
                    innerLength = innerPacketLength(plain, payloadLength: null.payload.count)
                    copyBytes(plain, 0..<innerLength, into: &inner, at: 0)
                } else {
                    rebuildTransport(headerBytes, ip: ip, nextHeader: null.nextHeader, payloadLength: null.payload.count)
                }
            }
            return layer
        }
        layer.saIndex = saIndex
        layer.saMatch = match
        guard let state = cryptoState(saIndex) else {
            layer.verdict = .unsupportedAlgorithm
            layer.detail = cryptoFailures[saIndex]
            return layer
        }
        let sa = state.sa
        var result: ESPResult
        var sequence = UInt64(esp.sequence)
        if sa.extendedSequenceNumbers {
            let tracker = flowNumber.map { flows[$0].sequenceTracker } ?? SequenceNumberTracker(initialHigh: sa.initialSequenceHigh)
            let (first, second, third) = tracker.candidates(low: esp.sequence)
            result = ESPDecryptor.decrypt(bytes, esp: esp.range, state: state, sequenceHigh: first, output: &plain)
            sequence = UInt64(first) << 32 | UInt64(esp.sequence)
            // Only the ICV can tell which high half the sender used; when the RFC's guess fails,
            // try its neighbours (a capture that starts mid-stream or lost a long run).
            if result.verdict == .icvFailed {
                for candidate in [second, third] where candidate != first {
                    let retry = ESPDecryptor.decrypt(bytes, esp: esp.range, state: state, sequenceHigh: candidate, output: &plain)
                    if retry.verdict != .icvFailed {
                        result = retry
                        sequence = UInt64(candidate) << 32 | UInt64(esp.sequence)
                        break
                    }
                }
            }
            if result.icv == .good, let flowNumber { flows[flowNumber].sequenceTracker.accept(sequence) }
        } else {
            result = ESPDecryptor.decrypt(bytes, esp: esp.range, state: state, sequenceHigh: 0, output: &plain)
        }
        layer.sequence = sequence
        layer.verdict = PacketVerdict(result.verdict)
        if result.verdict == .icvFailed || result.verdict == .malformed, let flowNumber, !flows[flowNumber].icvDiagnosed {
            // Once per flow: retry under the variants users get wrong (ESN, ICV length, keys
            // of the other direction) so the report can say what to fix.
            flows[flowNumber].icvDiagnosed = true
            flows[flowNumber].icvDiagnosis = ICVFailureDiagnosis.diagnose(
                bytes, esp: esp.range, sa: sa, sequenceHigh: UInt32(truncatingIfNeeded: sequence >> 32),
                others: Array(sad.entries.prefix(Analyzer.maxDiagnosisCandidates)))
        }
        layer.icv = result.icv
        layer.detail = result.detail
        if result.verdict == .decrypted || result.verdict == .dummy || result.verdict == .badPadding {
            layer.nextHeader = result.nextHeader
            layer.padLength = result.padLength
        }
        guard result.verdict == .decrypted else { return layer }
        let tunnel = result.nextHeader == IPProtocol.ipv4 || result.nextHeader == IPProtocol.ipv6
        layer.tunnel = tunnel
        if tunnel {
            innerLength = innerPacketLength(plain, payloadLength: result.payloadLength)
            copyBytes(plain, 0..<innerLength, into: &inner, at: 0)
        } else {
            rebuildTransport(headerBytes, ip: ip, nextHeader: result.nextHeader, payloadLength: result.payloadLength)
        }
        return layer
    }

    private func writeInner() {
        guard let writer, innerLength > 0 else { return }
        writer.write(inner, range: 0..<innerLength, timestamp: record.timestamp)
        summary.written += 1
    }

    /// Tunnel-mode payload length trimmed to the inner IP header's own length, which drops
    /// RFC 4303 2.7 TFC padding.
    private func innerPacketLength(_ buffer: [UInt8], payloadLength: Int) -> Int {
        guard payloadLength >= 1 else { return payloadLength }
        switch buffer[0] >> 4 {
        case 4 where payloadLength >= 20:
            let total = Int(buffer[2]) << 8 | Int(buffer[3])
            return total >= 20 ? min(total, payloadLength) : payloadLength
        case 6 where payloadLength >= 40:
            let length = Int(buffer[4]) << 8 | Int(buffer[5])
            return length > 0 ? min(40 + length, payloadLength) : payloadLength
        default:
            return payloadLength
        }
    }

    /// Transport mode: the outer IP header (without any UDP encapsulation or AH) with its
    /// protocol set to the ESP next header, lengths and IPv4 checksum fixed, then the payload.
    private func rebuildTransport(_ bytes: [UInt8], ip: IPLayer, nextHeader: UInt8, payloadLength: Int) {
        let headerLength = ip.headerEnd - ip.headerStart
        copyBytes(bytes, ip.headerStart..<ip.headerEnd, into: &inner, at: 0)
        copyBytes(plain, 0..<payloadLength, into: &inner, at: headerLength)
        innerLength = headerLength + payloadLength
        fixRebuiltHeader(ip: ip, headerLength: headerLength, nextHeader: nextHeader)
    }
}
