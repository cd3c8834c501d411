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
    func processESP(_ bytes: [UInt8], ip: IPLayer, esp: ESPHeader, ports: (source: UInt16, destination: UInt16)?, depth: Int,
                    headerBytes: [UInt8]? = nil, cut: Bool = false, flow knownFlow: Int? = nil) {
        var source = bytes
        var headerSource = headerBytes ?? bytes
        var sourceIP = ip
        var currentESP = esp
        var currentPorts = ports
        var decryptedAny = false
        // The last decrypted packet's IP header, parsed once for both the nesting check and the summary.
        var innerIP: IPLayer? = nil
        for level in depth..<max(options.maxNesting, depth + 1) {
            let layer = decryptLayer(source, ip: sourceIP, esp: currentESP, ports: currentPorts, headerBytes: headerSource,
                                     cut: cut && level == depth, flow: level == depth ? knownFlow : nil)
            record.esp.append(layer)
            record.verdict = layer.verdict
            if layer.verdict == .espNull {
                // Shown, not written: nothing authenticated this payload.
                record.inner = PacketSummary.of(inner, range: 0..<innerLength)
            }
            guard layer.verdict == .decrypted else { break }
            decryptedAny = true
            innerIP = try? IPLayer.parse(inner, offset: 0, length: innerLength).get()
            if policyCheck.isActive, let parsed = innerIP, let flowNumber = layer.flowNumber {
                checkDecryptedPolicy(flowNumber: flowNumber, ipsecProtocol: .esp, spi: layer.spi, tunnel: layer.tunnel, outer: sourceIP,
                                     innerIP: parsed)
            }
            guard level + 1 < options.maxNesting, let parsed = innerIP, parsed.fragment == nil,
                  case .esp(let innerESP, let innerPorts) = IPsecLayers.classify(inner, protocolNumber: parsed.protocolNumber,
                                                                                start: parsed.headerEnd, end: parsed.end).payload
            else { break }
            // Copy-on-write makes this one copy per nested layer; single-layer ESP never gets here.
            source = inner
            headerSource = inner
            sourceIP = parsed
            currentESP = innerESP
            currentPorts = innerPorts
        }
        if decryptedAny {
            record.inner = innerIP.map { PacketSummary.of(inner, ip: $0) }
            record.writtenLength = innerLength
            writeInner()
        }
    }

    /// One ESP layer: SA lookup, ICV and decryption, trailer; on success the inner packet is
    /// left in `inner[0..<innerLength]`.
    /// `cut`: the capture cut the packet, which is then only counted (see `truncatedLayer`).
    func decryptLayer(_ bytes: [UInt8], ip: IPLayer, esp: ESPHeader, ports: (source: UInt16, destination: UInt16)?,
                      headerBytes: [UInt8], cut: Bool = false, flow knownFlow: Int? = nil) -> ESPLayer {
        let flowNumber = knownFlow ?? flow(for: FlowKey(spi: esp.spi, source: ip.source, destination: ip.destination,
                                                        udpEncapsulated: ports != nil), time: record.timestamp)
        var layer = cut ? truncatedLayer(esp, ip: ip, ports: ports, flowNumber: flowNumber)
            : decryptLayerCore(bytes, ip: ip, esp: esp, ports: ports, flowNumber: flowNumber, headerBytes: headerBytes)
        guard let flowNumber else { return layer }
        let generation = followsIKE ? ike.childGeneration : childReplica.generation
        if flows[flowNumber].childSA == nil && flows[flowNumber].childGeneration != generation {
            // Looked up again only after an exchange settled new SPIs: one compare per packet.
            flows[flowNumber].childGeneration = generation
            flows[flowNumber].childSA = followsIKE ? ike.childSA(spi: esp.spi) : childReplica.bySPI[esp.spi]
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
        var outcome: ReplayWindow.Outcome? = nil
        switch verdict {
        case .decrypted, .dummy, .garbled, .noSA, .unsupportedAlgorithm, .espNull, .ahVerified, .ah:
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

    /// An ESP packet the capture cut: its SA is named, but nothing is verified or decrypted,
    /// so it counts neither as authentic nor as failed, and its SA's ICV diagnosis never
    /// sees it.
    func truncatedLayer(_ esp: ESPHeader, ip: IPLayer, ports: (source: UInt16, destination: UInt16)?, flowNumber: Int?) -> ESPLayer {
        var layer = ESPLayer(spi: esp.spi, sequence: UInt64(esp.sequence), verdict: .truncated, icv: .none, saIndex: nil, saMatch: nil,
                             nextHeader: nil, padLength: nil, length: esp.range.count, tunnel: nil, udpPorts: ports,
                             detail: record.cutDescription)
        if let flowNumber {
            layer.saIndex = flows[flowNumber].saIndex
            layer.saMatch = flows[flowNumber].saMatch
            flows[flowNumber].cutSnapLength = max(flows[flowNumber].cutSnapLength, record.capturedLength)
        } else {
            untrackedFlowPackets += 1
            let match = sad.lookup(spi: esp.spi, source: ip.source, destination: ip.destination)
            layer.saIndex = match?.index
            layer.saMatch = match?.match
        }
        return layer
    }

    /// `headerBytes` holds the IP header `ip` describes; it differs from `bytes` when the ESP
    /// packet came out of a TCP stream.
    func decryptLayerCore(_ bytes: [UInt8], ip: IPLayer, esp: ESPHeader, ports: (source: UInt16, destination: UInt16)?,
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
        var result: ESPResult
        var sequence = UInt64(esp.sequence)
        if state.layout.extendedSequenceNumbers {
            let tracker = flowNumber.map { flows[$0].sequenceTracker } ?? SequenceNumberTracker(initialHigh: state.sa.initialSequenceHigh)
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
        let transport = PlaintextCheck.Transport(source: ip.source, destination: ip.destination, natTraversal: ports != nil)
        let high = UInt32(truncatingIfNeeded: sequence >> 32)
        if result.verdict == .icvFailed || result.verdict == .malformed, let flowNumber, !flows[flowNumber].icvDiagnosed {
            // Once per SA, its first failing packet is kept: when the run ends it is retried under
            // the variants users get wrong (ESN, ICV length, keys of the other direction), then a
            // key is looked for under which the payload is plaintext, so the report can say what
            // to fix. Its other flows share the answer.
            flows[flowNumber].icvDiagnosed = true
            recordICVFailure(saIndex: saIndex, bytes, esp: esp.range, sequenceHigh: high, transport: transport)
        }
        // The release rule: a verified (or unprotected) packet goes out only as the packet its
        // trailer names.
        PlaintextCheck.apply(to: &result, plain: plain, transport: transport)
        if result.verdict == .garbled, let flowNumber, !flows[flowNumber].garbledDiagnosed {
            // Once per SA, kept for the end of the run: another SA's encryption key that opens
            // the packet names the mix-up.
            flows[flowNumber].garbledDiagnosed = true
            recordGarbled(saIndex: saIndex, bytes, esp: esp.range, sequenceHigh: high, transport: transport)
        }
        layer.verdict = PacketVerdict(result.verdict)
        layer.icv = result.icv
        layer.detail = result.detail
        if result.verdict == .decrypted || result.verdict == .dummy || result.verdict == .garbled {
            layer.nextHeader = result.nextHeader
            layer.padLength = result.padLength
            layer.defaultPadding = result.defaultPadding
        }
        guard result.verdict == .decrypted else { return layer }
        let tunnel = result.nextHeader == IPProtocol.ipv4 || result.nextHeader == IPProtocol.ipv6
        layer.tunnel = tunnel
        if tunnel {
            innerLength = innerPacketLength(plain, payloadLength: result.payloadLength)
            // The plaintext starts with the inner packet: the two buffers trade places rather
            // than copying it (both are sized for the largest datagram).
            swap(&plain, &inner)
        } else {
            rebuildTransport(headerBytes, ip: ip, nextHeader: result.nextHeader, payloadLength: result.payloadLength)
        }
        return layer
    }

    func writeInner() {
        guard innerLength > 0 else { return }
        if let writer {
            writer.write(inner, range: 0..<innerLength, timestamp: record.timestamp)
            summary.written += 1
        } else if let shard, shard.writesPackets {
            // Parallel runs: kept with the frame's report until the merger writes it in order.
            shard.output.appendPacket(inner, range: 0..<innerLength, timestamp: record.timestamp)
            summary.written += 1
        }
    }

    /// Tunnel-mode payload length trimmed to the inner IP header's own length, which drops
    /// RFC 4303 2.7 TFC padding.
    func innerPacketLength(_ buffer: [UInt8], payloadLength: Int) -> Int {
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
    func rebuildTransport(_ bytes: [UInt8], ip: IPLayer, nextHeader: UInt8, payloadLength: Int) {
        let headerLength = ip.headerEnd - ip.headerStart
        copyBytes(bytes, ip.headerStart..<ip.headerEnd, into: &inner, at: 0)
        copyBytes(plain, 0..<payloadLength, into: &inner, at: headerLength)
        innerLength = headerLength + payloadLength
        fixRebuiltHeader(ip: ip, headerLength: headerLength, nextHeader: nextHeader)
    }
}
