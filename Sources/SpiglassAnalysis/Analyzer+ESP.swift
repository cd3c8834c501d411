import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire

/// ESP: SA lookup, verification and decryption per layer, nested tunnels, the inner packet
/// (tunnel) or the rebuilt one (transport), and what goes to -w.
extension Analyzer {
    /// Decrypts an ESP packet and, when the plaintext is itself an IP packet carrying ESP
    /// (nested tunnels), the layers inside it, up to `maxNesting`. The last packet that was
    /// decrypted is what `-w` gets.
    /// `flow`: the outermost packet's flow, when already looked up.
    func processESP(
        _ bytes: [UInt8], ip: IPLayer, esp: ESPHeader, ports: (source: UInt16, destination: UInt16)?, depth: Int,
        headerBytes: [UInt8]? = nil, cut: Bool = false, flow knownFlow: Int? = nil
    ) {
        // The first layer reads the caller's arrays in place (copied into locals, each would be
        // retained and released on every packet); a nested layer reads the released packet.
        // The nested packet's bytes apart from its parsed headers: an optional holding the
        // array was destroyed on every packet, nested or not, at about 60 instructions.
        var nestedBytes: [UInt8] = []
        var nested: NestedESP? = nil
        var decryptedAny = false
        // The last decrypted packet's IP header, parsed once for both the nesting check and the summary.
        var innerIP: IPLayer? = nil
        for level in depth..<max(options.maxNesting, depth + 1) {
            let layer: ESPLayer
            let sourceIP: IPLayer
            if let inside = nested {
                sourceIP = inside.ip
                layer = decryptLayer(
                    nestedBytes, ip: inside.ip, esp: inside.esp, ports: inside.ports, headerBytes: nil)
            } else {
                sourceIP = ip
                layer = decryptLayer(
                    bytes, ip: ip, esp: esp, ports: ports, headerBytes: headerBytes, cut: cut, flow: knownFlow)
            }
            let verdict = layer.verdict
            let (spi, tunnel, flowNumber) = (layer.spi, layer.tunnel, layer.flowNumber)
            // The layer's last use: moved into the record, not copied.
            record.esp.append(consume layer)
            record.verdict = verdict
            if verdict == .espNull {
                // Shown, not written: nothing authenticated this payload.
                record.inner = PacketSummary.of(inbound.inner, range: 0..<inbound.innerLength)
            }
            guard verdict == .decrypted else { break }
            decryptedAny = true
            // Parsed only when something reads it: the policy check, the record's summary, or a
            // look for ESP nested inside (which an IPv4 packet of another protocol cannot hold).
            let wanted =
                policyCheck.isActive || wantsInnerSummary || (level + 1 < options.maxNesting && inbound.releasedMayNest)
            innerIP = wanted ? parseInner() : nil
            if policyCheck.isActive, let parsed = innerIP, let flowNumber {
                checkDecryptedPolicy(
                    flowNumber: flowNumber, ipsecProtocol: .esp, spi: spi, tunnel: tunnel, outer: sourceIP,
                    innerIP: parsed)
            }
            guard level + 1 < options.maxNesting, let parsed = innerIP, parsed.fragment == nil,
                case .esp(let innerESP, let innerPorts) = IPsecLayers.classify(
                    ByteReader(inbound.inner, range: parsed.payloadRange),
                    protocolNumber: parsed.protocolNumber
                ).payload
            else { break }
            // Copy-on-write makes this one copy per nested layer; single-layer ESP never gets here.
            nestedBytes = inbound.inner
            nested = NestedESP(ip: parsed, esp: innerESP, ports: innerPorts)
        }
        if decryptedAny {
            if wantsInnerSummary { record.inner = innerIP.map { PacketSummary.of(inbound.inner, ip: $0) } }
            record.writtenLength = inbound.innerLength
            if let annotation {
                writeAnnotated(annotation, outer: headerBytes ?? bytes, ip: ip, ahOnly: false)
            } else {
                writeInner()
            }
        }
    }

    /// Whether a frame's record must summarise the packet it released: something shows or
    /// observes records one by one (under -q every reporter is silent per packet).
    var wantsInnerSummary: Bool { !options.quiet || packetObserver != nil }

    /// The IP header of the released packet, or nil when it is not a sane IP packet.
    func parseInner() -> IPLayer? {
        var reader = ByteReader(inbound.inner, range: 0..<inbound.innerLength)
        return try? IPLayer.parse(&reader).get()
    }

    /// One ESP layer: SA lookup, ICV and decryption, trailer; on success the inner packet is
    /// left in `inbound.released`. `headerBytes` holds `ip` when it is not `bytes` (nil).
    /// `cut`: the capture cut the packet, which is then only counted (see `truncatedLayer`).
    func decryptLayer(
        _ bytes: [UInt8], ip: IPLayer, esp: ESPHeader, ports: (source: UInt16, destination: UInt16)?,
        headerBytes: [UInt8]?, cut: Bool = false, flow knownFlow: Int? = nil
    ) -> ESPLayer {
        let flowNumber =
            knownFlow
            ?? flow(
                for: FlowKey(
                    spi: esp.spi, source: ip.source, destination: ip.destination,
                    udpEncapsulated: ports != nil), time: record.timestamp)
        var layer =
            cut
            ? truncatedLayer(esp, ip: ip, ports: ports, flowNumber: flowNumber)
            : decryptLayerCore(bytes, ip: ip, esp: esp, ports: ports, flowNumber: flowNumber, headerBytes: headerBytes)
        guard let flowNumber else { return layer }
        let replica = ownership.childReplica
        let generation = replica?.generation ?? ike.childGeneration
        if flows[flowNumber].childSA == nil && flows[flowNumber].childGeneration != generation {
            // Looked up again only after an exchange settled new SPIs: one compare per packet.
            flows[flowNumber].childGeneration = generation
            flows[flowNumber].childSA = replica.map { $0.bySPI[esp.spi] } ?? ike.childSA(spi: esp.spi)
        }
        layer.childSA = flows[flowNumber].childSA
        layer.flowNumber = flowNumber
        layer.replay = count(flowNumber, verdict: layer.verdict, sequence: layer.sequence, bytes: esp.range.count)
        if layer.verdict == .decrypted {
            if layer.icv != .good { flows[flowNumber].decryptedWithoutIntegrity += 1 }
            if !layer.defaultPadding { flows[flowNumber].nonDefaultPadding += 1 }
        } else if layer.verdict == .garbled && layer.icv == .good {
            flows[flowNumber].garbledVerified += 1
        }
        return layer
    }

    /// Adds a packet to its flow's counters and, when it authenticated (or nobody here can
    /// authenticate it: no key, unsupported algorithm, ESP-NULL), to the anti-replay window;
    /// packets that failed must not move the window. Returns the window's verdict.
    func count(_ flowNumber: Int, verdict: PacketVerdict, sequence: UInt64, bytes: Int) -> ReplayWindow.Outcome? {
        // One access to the flow (one uniqueness check of the table) for all its counters.
        flows[flowNumber].tally(verdict, sequence: sequence, bytes: bytes, at: record.timestamp)
    }

    /// An ESP packet the capture cut: its SA is named, but nothing is verified or decrypted,
    /// so it counts neither as authentic nor as failed, and its SA's ICV diagnosis never
    /// sees it.
    func truncatedLayer(_ esp: ESPHeader, ip: IPLayer, ports: (source: UInt16, destination: UInt16)?, flowNumber: Int?)
        -> ESPLayer
    {
        var layer = ESPLayer(
            spi: esp.spi, sequence: UInt64(esp.sequence), verdict: .truncated, icv: .none, saIndex: nil, saMatch: nil,
            nextHeader: nil, padLength: nil, length: esp.range.count, tunnel: nil, udpPorts: ports,
            detail: record.cutDescription)
        if let flowNumber {
            layer.saIndex = flows[flowNumber].saIndex
            layer.saMatch = flows[flowNumber].saMatch
            flows[flowNumber].cutSnapLength = max(flows[flowNumber].cutSnapLength, record.capturedLength)
        } else {
            flowTable.untrackedPackets += 1
            let match = sad.lookup(spi: esp.spi, source: ip.source, destination: ip.destination)
            layer.saIndex = match?.index
            layer.saMatch = match?.match
        }
        return layer
    }

    /// `headerBytes` holds the IP header `ip` describes when it is not `bytes` (nil): when the
    /// ESP packet came out of a TCP stream.
    func decryptLayerCore(
        _ bytes: [UInt8], ip: IPLayer, esp: ESPHeader, ports: (source: UInt16, destination: UInt16)?,
        flowNumber: Int?, headerBytes: [UInt8]?
    ) -> ESPLayer {
        // Built only where a layer is returned early: made up front for every packet, it was
        // destroyed again on the decrypting path, which builds its own.
        func undecrypted(_ verdict: PacketVerdict) -> ESPLayer {
            ESPLayer(
                spi: esp.spi, sequence: UInt64(esp.sequence), verdict: verdict, icv: .none, saIndex: nil,
                saMatch: nil, nextHeader: nil, padLength: nil, length: esp.range.count, tunnel: nil, udpPorts: ports,
                detail: nil)
        }
        let saMatch: (Int, SADatabase.MatchKind)?
        if let flowNumber {
            saMatch = flows[flowNumber].saIndex.map { ($0, flows[flowNumber].saMatch!) }
        } else {
            flowTable.untrackedPackets += 1
            saMatch = sad.lookup(spi: esp.spi, source: ip.source, destination: ip.destination).map {
                ($0.index, $0.match)
            }
        }
        guard let (saIndex, match) = saMatch else {
            var layer = undecrypted(.noSA)
            if options.espNullHeuristic,
                let null = inbound.recogniseNull(bytes, esp: esp, ip: ip, headerBytes: headerBytes ?? bytes)
            {
                layer.verdict = .espNull
                layer.nextHeader = null.nextHeader
                layer.detail = "no key; NULL encryption recognised with a \(null.icvLength)-byte ICV (unverified)"
                layer.tunnel = null.nextHeader == IPProtocol.ipv4 || null.nextHeader == IPProtocol.ipv6
            }
            return layer
        }
        guard let state = cryptoState(saIndex) else {
            var layer = undecrypted(.unsupportedAlgorithm)
            layer.saIndex = saIndex
            layer.saMatch = match
            layer.detail = sas.esp.failures[saIndex]
            return layer
        }
        var outcome: ESPInboundOutcome
        if let flowNumber {
            outcome = inbound.processESP(
                bytes, esp: esp, ip: ip, headerBytes: headerBytes, natTraversal: ports != nil, state: state,
                tracker: &flows[flowNumber].sequenceTracker)
        } else {
            var tracker = SequenceNumberTracker(initialHigh: state.sa.initialSequenceHigh)
            outcome = inbound.processESP(
                bytes, esp: esp, ip: ip, headerBytes: headerBytes, natTraversal: ports != nil, state: state,
                tracker: &tracker)
        }
        if let sample = outcome.diagnosisSample, let flowNumber {
            keepDiagnosisSample(
                sample, outcome, flowNumber: flowNumber,
                saIndex: saIndex, bytes, esp: esp)
        }
        let verdict = outcome.result.verdict
        let trailerRead = verdict == .decrypted || verdict == .dummy || verdict == .garbled
        // Built in one piece: the local layer, filled in field by field, was copied once more
        // to be returned. The detail is taken, not copied: the outcome is not read for it again.
        return ESPLayer(
            spi: esp.spi, sequence: outcome.sequence, verdict: PacketVerdict(verdict), icv: outcome.result.icv,
            saIndex: saIndex, saMatch: match, nextHeader: trailerRead ? outcome.result.nextHeader : nil,
            padLength: trailerRead ? outcome.result.padLength : nil, length: esp.range.count,
            tunnel: outcome.tunnel, udpPorts: ports, detail: outcome.result.detail.take(),
            defaultPadding: trailerRead ? outcome.result.defaultPadding : true)
    }

    /// Once per SA, its first failing packet is kept: when the run ends it is retried under the
    /// variants users get wrong (ESN, ICV length, keys of the other direction), then a key is
    /// looked for under which the payload is plaintext, so the report can say what to fix; for
    /// a packet that verified but decrypted to garbage, another SA's encryption key that opens
    /// it names the mix-up. The SA's other flows share the answer.
    func keepDiagnosisSample(
        _ kind: DiagnosisSampleKind, _ outcome: ESPInboundOutcome, flowNumber: Int, saIndex: Int,
        _ bytes: [UInt8], esp: ESPHeader
    ) {
        switch kind {
        case .icvFailure:
            guard !flows[flowNumber].icvDiagnosed else { return }
            flows[flowNumber].icvDiagnosed = true
        case .garbled:
            guard !flows[flowNumber].garbledDiagnosed else { return }
            flows[flowNumber].garbledDiagnosed = true
        }
        keepSample(
            kind, saIndex: saIndex, bytes, esp: esp.range, sequenceHigh: outcome.sequenceHigh,
            transport: outcome.transport)
    }

    func writeInner() {
        guard inbound.innerLength > 0, recordIsShown else { return }
        if ownership.writePacket(inbound.inner, range: 0..<inbound.innerLength, timestamp: record.timestamp) {
            summary.written += 1
        }
    }
}

/// The headers of an ESP packet found inside a decrypted one (nested tunnels), to be
/// decrypted next; its bytes are kept beside it.
struct NestedESP {
    var ip: IPLayer
    var esp: ESPHeader
    var ports: (source: UInt16, destination: UInt16)?
}
