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
    func processAH(_ bytes: [UInt8], ip: IPLayer, headers: [AHHeader], payload: IPsecPayload, cut: Bool = false) -> Bool {
        var allVerified = true
        var lastFlow: Int? = nil
        for header in headers {
            let key = FlowKey(spi: header.spi, source: ip.source, destination: ip.destination, udpEncapsulated: false, ipsecProtocol: .ah)
            let flowNumber = flow(for: key, time: record.timestamp)
            var layer = AHLayer(header: header, sequence: UInt64(header.sequence), verdict: .noSA, saIndex: nil, saMatch: nil,
                                replay: nil, detail: nil)
            if let flowNumber, let saIndex = flows[flowNumber].saIndex {
                layer.saIndex = saIndex
                layer.saMatch = flows[flowNumber].saMatch
            }
            if cut {
                layer.verdict = .truncated
                layer.detail = record.cutDescription
                if let flowNumber { flows[flowNumber].cutSnapLength = max(flows[flowNumber].cutSnapLength, record.capturedLength) }
            } else if let flowNumber, let saIndex = flows[flowNumber].saIndex {
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
            lastFlow = flowNumber
            record.ah.append(layer)
            record.verdict = layer.verdict
            if layer.verdict == .ahICVFailed || layer.verdict == .malformed || layer.verdict == .truncated { return false }
            if layer.verdict != .ahVerified { allVerified = false }
        }
        // AH alone: release the authenticated packet without its AH header.
        if case .other = payload, allVerified, let last = headers.last {
            stripAH(bytes, ip: ip, first: headers[0], last: last)
            record.inner = PacketSummary.of(inner, range: 0..<innerLength)
            if policyCheck.isActive, let lastFlow, case .success(let innerIP) = IPLayer.parse(inner, offset: 0, length: innerLength) {
                let tunnel = last.nextHeader == IPProtocol.ipv4 || last.nextHeader == IPProtocol.ipv6
                checkDecryptedPolicy(flowNumber: lastFlow, ipsecProtocol: .ah, spi: last.spi, tunnel: tunnel, outer: ip, innerIP: innerIP)
            }
            record.writtenLength = innerLength
            writeInner()
        }
        return true
    }

    func ahEngine(_ index: Int) -> IntegrityEngine? {
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

    func verifyAH(_ bytes: [UInt8], ip: IPLayer, header: AHHeader, sa: SecurityAssociation, engine: IntegrityEngine,
                          flowNumber: Int, layer: inout AHLayer) -> PacketVerdict {
        // The ICV proper: after the IV for RFC 4543 GMAC, the start of the field otherwise.
        let icvStart = header.icvRange.lowerBound + sa.integrity.explicitIVLength
        let icv = icvStart..<(header.icvRange.lowerBound + sa.icvLength)
        guard let length = AHCanonicalForm.build(bytes, ip: ip, ah: header, icv: icv, into: &ahScratch) else {
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
    func stripAH(_ bytes: [UInt8], ip: IPLayer, first: AHHeader, last: AHHeader) {
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
    func fixRebuiltHeader(ip: IPLayer, headerLength: Int, nextHeader: UInt8) {
        inner[ip.protocolFieldOffset - ip.headerStart] = nextHeader
        if ip.version == 4 {
            inner.setBE16(2, UInt16(truncatingIfNeeded: innerLength))
            inner.setBE16(10, 0)
            inner.setBE16(10, internetChecksum(inner, 0..<headerLength))
        } else {
            inner.setBE16(4, UInt16(truncatingIfNeeded: innerLength - 40))
        }
    }
}
