import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire

/// AH (RFC 4302): verification against AH SAs and the AH-less packet for -w.
extension Analyzer {
    /// Verifies the AH headers of a packet (RFC 4302). Returns false when processing must stop
    /// there (an ICV failed or the AH is malformed). A verified AH packet without ESP inside
    /// has its inner packet (tunnel) or its AH-less rebuild (transport) written to -w.
    /// `cut`: the capture cut the packet; its AH is then counted as `truncated`, not verified.
    func processAH(_ bytes: [UInt8], ip: IPLayer, headers: [AHHeader], payload: IPsecPayload, cut: Bool = false) -> Bool
    {
        var allVerified = true
        var lastFlow: Int? = nil
        for header in headers {
            let key = FlowKey(
                spi: header.spi, source: ip.source, destination: ip.destination, udpEncapsulated: false,
                ipsecProtocol: .ah)
            let flowNumber = flow(for: key, time: record.timestamp)
            var layer = AHLayer(
                header: header, sequence: UInt64(header.sequence), verdict: .noSA, saIndex: nil, saMatch: nil,
                replay: nil, detail: nil)
            if let flowNumber, let saIndex = flows[flowNumber].saIndex {
                layer.saIndex = saIndex
                layer.saMatch = flows[flowNumber].saMatch
            }
            if cut {
                layer.verdict = .truncated
                layer.detail = record.cutDescription
                if let flowNumber {
                    flows[flowNumber].cutSnapLength = max(flows[flowNumber].cutSnapLength, record.capturedLength)
                }
            } else if let flowNumber, let saIndex = flows[flowNumber].saIndex {
                verify(bytes, ip: ip, header: header, saIndex: saIndex, flowNumber: flowNumber, layer: &layer)
            }
            layer.flowNumber = flowNumber
            if let flowNumber {
                layer.replay = count(
                    flowNumber, verdict: layer.verdict, sequence: layer.sequence, bytes: header.range.count)
            }
            lastFlow = flowNumber
            record.ah.append(layer)
            record.verdict = layer.verdict
            if layer.verdict == .ahICVFailed || layer.verdict == .malformed || layer.verdict == .truncated {
                return false
            }
            if layer.verdict != .ahVerified { allVerified = false }
        }
        // AH alone: release the authenticated packet without its AH header.
        if case .other = payload, allVerified, let last = headers.last {
            inbound.stripAH(bytes, ip: ip, first: headers[0], last: last)
            record.inner = PacketSummary.of(inbound.inner, range: 0..<inbound.innerLength)
            var reader = ByteReader(inbound.inner, range: 0..<inbound.innerLength)
            if policyCheck.isActive, let lastFlow, case .success(let innerIP) = IPLayer.parse(&reader) {
                let tunnel = last.nextHeader == IPProtocol.ipv4 || last.nextHeader == IPProtocol.ipv6
                checkDecryptedPolicy(
                    flowNumber: lastFlow, ipsecProtocol: .ah, spi: last.spi, tunnel: tunnel, outer: ip, innerIP: innerIP
                )
            }
            record.writtenLength = inbound.innerLength
            if let annotation { writeAnnotated(annotation, outer: bytes, ip: ip, ahOnly: true) } else { writeInner() }
        }
        return true
    }

    /// One AH header of a packet whose flow has an SA: its ICV checked by the SA's engine
    /// (`InboundProcessor.verifyAH`), the verdict and the full sequence number put in `layer`.
    func verify(_ bytes: [UInt8], ip: IPLayer, header: AHHeader, saIndex: Int, flowNumber: Int, layer: inout AHLayer) {
        let sa = ahSAD.entries[saIndex]
        guard header.icvRange.count >= sa.icvLength else {
            layer.verdict = .malformed
            layer.detail = "AH ICV field of \(header.icvRange.count) bytes, \(sa.integrity.name) needs \(sa.icvLength)"
            return
        }
        guard let engine = sas.ah.engine(saIndex, diagnose: { diagnose($0) }) else {
            if let failure = sas.ah.failures[saIndex] {
                layer.verdict = .unsupportedAlgorithm
                layer.detail = failure
            } else {
                layer.verdict = .ah
            }
            return
        }
        switch inbound.verifyAH(
            bytes, ip: ip, header: header, sa: sa, engine: engine, tracker: &flows[flowNumber].sequenceTracker)
        {
        case .verified(let sequence):
            layer.sequence = sequence
            layer.verdict = .ahVerified
        case .icvFailed:
            layer.verdict = .ahICVFailed
        case .malformed(let why):
            layer.detail = why
            layer.verdict = .malformed
        }
    }
}
