import SpiglassSAD
import SpiglassWire

/// RFC 4303 and RFC 4302 inbound processing of one packet against its SA, and the packet that
/// is released: for ESP the ESN high half inferred and confirmed by the ICV, integrity,
/// decryption and trailer (`ESPDecryptor`), the release rule (`PlaintextCheck`), RFC 4303 2.7 TFC
/// padding trimmed off a tunnel's inner packet and a transport-mode packet rebuilt behind its
/// outer IP header; for AH the canonical form, the ICV and the AH-less packet.
///
/// One per pipeline: its buffers are sized once for the largest datagram, so nothing is
/// allocated per packet. Not thread-safe.
public final class InboundProcessor {
    /// Room for the largest IP datagram and what surrounds it.
    public static let bufferSize = 65_536 + 1024

    // Rewritten many times per packet by one thread and never through overlapping accesses:
    // dynamic exclusivity checks on them would cost a large share of the run time.
    /// The released packet, `innerBuffer[0..<innerCount]`: the inner packet (tunnel), or the
    /// rebuilt one (transport, or AH stripped).
    @exclusivity(unchecked) var innerBuffer = [UInt8](repeating: 0, count: bufferSize)
    @exclusivity(unchecked) var innerCount = 0
    /// Plaintext of the ESP layer being decrypted.
    @exclusivity(unchecked) var plain = [UInt8](repeating: 0, count: bufferSize)
    /// Canonical form of the packet an AH ICV covers.
    @exclusivity(unchecked) var ahScratch = [UInt8](repeating: 0, count: bufferSize)
    /// The ESN high half appended to what an AH ICV covers.
    @exclusivity(unchecked) var ahTrailer = [UInt8](repeating: 0, count: 4)

    public init() {}

    // Read by the analyzer for every packet through getters compiled here: another module
    // reaching a stored property of this class directly checks exclusivity at run time
    // (`swift_beginAccess`, about 120 instructions), `@exclusivity(unchecked)` or not.
    /// The released packet, `inner[0..<innerLength]`.
    public var inner: [UInt8] { innerBuffer }
    public var innerLength: Int { innerCount }

    /// The released packet.
    public var released: ArraySlice<UInt8> { innerBuffer[0..<innerCount] }

    /// Whether the released packet may carry ESP (nested tunnels): false only for an IPv4
    /// packet that `IPsecLayers` would class as another protocol, one that is neither ESP nor
    /// AH nor UDP with the RFC 3948 NAT-traversal port on either side (IKE's port 500 carries
    /// no ESP). IPv6 is left to the parse (its extension headers come first). Asked here, where
    /// the buffer is read in place: fetched from another module it is retained and released.
    public var releasedMayNest: Bool {
        let length = innerCount
        guard length >= 20, innerBuffer[0] >> 4 == 4 else { return true }
        switch innerBuffer[9] {
        case IPProtocol.esp, IPProtocol.ah:
            return true
        case IPProtocol.udp:
            let udp = Int(innerBuffer[0] & 0x0f) * 4
            guard udp >= 20, udp + 4 <= length else { return true }
            return innerBuffer.be16(udp) == IPsecPorts.natTraversal
                || innerBuffer.be16(udp + 2) == IPsecPorts.natTraversal
        default:
            return false
        }
    }
}

/// What inbound ESP processing made of one packet.
public struct ESPInboundOutcome {
    public var result: ESPResult
    /// The full sequence number: with ESN, the high half that verified (or the likeliest).
    public var sequence: UInt64
    /// Set once decrypted: whether the inner packet is a whole IP packet (tunnel mode).
    public var tunnel: Bool?
    /// Which diagnosis this packet is a sample for, if any (see `ICVFailureDiagnosis`): its
    /// ICV failed or it did not fit the SA, or it verified but decrypted to garbage.
    public var diagnosisSample: DiagnosisSampleKind?
    /// The ESN high half the packet was processed under.
    public var sequenceHigh: UInt32 { UInt32(truncatingIfNeeded: sequence >> 32) }
    /// What a transport-mode payload's checksums cover.
    public var transport: PlaintextCheck.Transport
}

/// The two diagnoses an SA's failing packets are kept for.
public enum DiagnosisSampleKind: Sendable {
    /// `ICVFailureDiagnosis.diagnose`: the ICV failed, or the packet did not fit the SA.
    case icvFailure
    /// `ICVFailureDiagnosis.diagnoseGarbled`: it decrypted to garbage.
    case garbled
}

/// What verifying one AH header found.
public enum AHVerification: Sendable, Equatable {
    /// The ICV verified; `sequence` is the full number (the ESN high half that verified).
    case verified(sequence: UInt64)
    case icvFailed
    /// The packet cannot be put in the form the ICV covers.
    case malformed(String)
}

extension InboundProcessor {
    /// ESP packet `bytes[esp.range]` on SA `state`, which travelled with IP header `ip` (in
    /// `headerBytes` when the ESP packet came out of an RFC 8229 TCP stream, in `bytes` when it
    /// is nil: resolved only for transport mode, which alone reads it), UDP-encapsulated when `natTraversal`. `tracker` is the flow's ESN inference; it
    /// learns the number of a packet that authenticated. On `.decrypted`, `released` holds the
    /// packet to release.
    public func processESP(
        _ bytes: [UInt8], esp: ESPHeader, ip: IPLayer, headerBytes: [UInt8]? = nil, natTraversal: Bool,
        state: ESPCryptoState, tracker: inout SequenceNumberTracker
    ) -> ESPInboundOutcome {
        var result: ESPResult
        var sequence = UInt64(esp.sequence)
        if state.layout.extendedSequenceNumbers {
            (result, sequence) = decryptWithESN(bytes, esp: esp, state: state, tracker: &tracker)
        } else {
            result = ESPDecryptor.decrypt(bytes, esp: esp.range, state: state, sequenceHigh: 0, output: &plain)
        }
        let transport = PlaintextCheck.Transport(
            source: ip.source, destination: ip.destination, natTraversal: natTraversal)
        let failed = result.verdict == .icvFailed || result.verdict == .malformed
        // The release rule: a verified (or unprotected) packet goes out only as the packet its
        // trailer names.
        PlaintextCheck.apply(to: &result, plain: plain, transport: transport)
        let (verdict, nextHeader, payloadLength) = (result.verdict, result.nextHeader, result.payloadLength)
        // Moved, not copied: a copy of a result (its detail is a string) costs reference counting.
        var outcome = ESPInboundOutcome(
            result: consume result, sequence: sequence, tunnel: nil,
            diagnosisSample: failed ? .icvFailure : verdict == .garbled ? .garbled : nil,
            transport: transport)
        guard verdict == .decrypted else { return outcome }
        let tunnel = nextHeader == IPProtocol.ipv4 || nextHeader == IPProtocol.ipv6
        outcome.tunnel = tunnel
        if tunnel {
            innerCount = innerPacketLength(plain, payloadLength: payloadLength)
            // The plaintext starts with the inner packet: the two buffers trade places rather
            // than copying it (both are sized for the largest datagram).
            swap(&plain, &innerBuffer)
        } else {
            rebuildTransport(headerBytes ?? bytes, ip: ip, nextHeader: nextHeader, payloadLength: payloadLength)
        }
        return outcome
    }

    /// ESN: only the ICV can tell which high half the sender used; when the RFC's guess fails,
    /// its neighbours are tried (a capture that starts mid-stream or lost a long run).
    private func decryptWithESN(
        _ bytes: [UInt8], esp: ESPHeader, state: ESPCryptoState,
        tracker: inout SequenceNumberTracker
    ) -> (ESPResult, UInt64) {
        var result: ESPResult? = nil
        let (high, _) = tracker.searchHigh(low: esp.sequence) { candidate in
            let attempt = ESPDecryptor.decrypt(
                bytes, esp: esp.range, state: state, sequenceHigh: candidate, output: &plain)
            result = attempt
            return attempt.verdict != .icvFailed
        }
        let sequence = UInt64(high) << 32 | UInt64(esp.sequence)
        // `searchHigh` tries at least one candidate.
        let found = result ?? .fail(.icvFailed, .failed, "ICV mismatch")
        if found.icv == .good { tracker.accept(sequence) }
        return (found, sequence)
    }

    /// An ESP packet without an SA that the RFC 5879 heuristics recognise as NULL-encrypted:
    /// its payload is put in `released` the way a decrypted one would be, to be shown (nothing
    /// authenticated it, so it is never written out).
    public func recogniseNull(_ bytes: [UInt8], esp: ESPHeader, ip: IPLayer, headerBytes: [UInt8]) -> ESPNullHeuristic
        .Match?
    {
        guard let null = ESPNullHeuristic.detect(bytes, esp: esp.range) else { return nil }
        copyBytes(bytes, null.payload, into: &plain, at: 0)
        if null.nextHeader == IPProtocol.ipv4 || null.nextHeader == IPProtocol.ipv6 {
            innerCount = innerPacketLength(plain, payloadLength: null.payload.count)
            copyBytes(plain, 0..<innerCount, into: &innerBuffer, at: 0)
        } else {
            rebuildTransport(headerBytes, ip: ip, nextHeader: null.nextHeader, payloadLength: null.payload.count)
        }
        return null
    }

    /// Verifies AH header `header` of the packet in `bytes` (IP header `ip`) with `sa`'s
    /// `engine` (RFC 4302 3.4); with ESN, the high half is searched as for ESP and `tracker`
    /// learns the number of a packet that verified.
    public func verifyAH(
        _ bytes: [UInt8], ip: IPLayer, header: AHHeader, sa: SecurityAssociation, engine: IntegrityEngine,
        tracker: inout SequenceNumberTracker
    ) -> AHVerification {
        // The ICV proper: after the IV for RFC 4543 GMAC, the start of the field otherwise.
        let icvStart = header.icvRange.lowerBound + sa.integrity.explicitIVLength
        let icv = icvStart..<(header.icvRange.lowerBound + sa.icvLength)
        guard let length = AHCanonicalForm.build(bytes, ip: ip, ah: header, icv: icv, into: &ahScratch) else {
            return .malformed("IP headers before AH are inconsistent")
        }
        func check(_ high: UInt32?) -> Bool {
            if let high { ahTrailer.setBE32(0, high) }
            // The whole ICV field goes in: RFC 4543 GMAC reads its IV from the front of it.
            return
                (try? engine.verifyAH(
                    data: ahScratch, range: 0..<length, trailer: ahTrailer,
                    trailerRange: high == nil ? 0..<0 : 0..<4, packet: bytes,
                    icvField: header.icvRange)) ?? false
        }
        guard sa.extendedSequenceNumbers else {
            return check(nil) ? .verified(sequence: UInt64(header.sequence)) : .icvFailed
        }
        // ESN: the high half is appended after the packet in the ICV (RFC 4302 2.5.1).
        let (high, verified) = tracker.searchHigh(low: header.sequence) { check($0) }
        guard verified else { return .icvFailed }
        let sequence = UInt64(high) << 32 | UInt64(header.sequence)
        tracker.accept(sequence)
        return .verified(sequence: sequence)
    }

    /// The packet with its AH headers (`first` through `last`) removed, into `released`: the
    /// inner packet of tunnel mode, or the outer IP header (protocol set to AH's next header,
    /// lengths and checksum fixed) and the payload.
    public func stripAH(_ bytes: [UInt8], ip: IPLayer, first: AHHeader, last: AHHeader) {
        let payload = last.range.upperBound..<ip.end
        if last.nextHeader == IPProtocol.ipv4 || last.nextHeader == IPProtocol.ipv6 {
            innerCount = payload.count
            copyBytes(bytes, payload, into: &innerBuffer, at: 0)
            return
        }
        let headerLength = first.range.lowerBound - ip.headerStart
        copyBytes(bytes, ip.headerStart..<first.range.lowerBound, into: &innerBuffer, at: 0)
        copyBytes(bytes, payload, into: &innerBuffer, at: headerLength)
        innerCount = headerLength + payload.count
        fixRebuiltHeader(ip: ip, headerLength: headerLength, nextHeader: last.nextHeader)
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
        copyBytes(bytes, ip.headerStart..<ip.headerEnd, into: &innerBuffer, at: 0)
        copyBytes(plain, 0..<payloadLength, into: &innerBuffer, at: headerLength)
        innerCount = headerLength + payloadLength
        fixRebuiltHeader(ip: ip, headerLength: headerLength, nextHeader: nextHeader)
    }

    /// After an IP header and a payload were copied into `inner`: names the payload's
    /// protocol in the header and fixes the length (and the IPv4 checksum).
    func fixRebuiltHeader(ip: IPLayer, headerLength: Int, nextHeader: UInt8) {
        innerBuffer[ip.protocolFieldOffset - ip.headerStart] = nextHeader
        if ip.version == 4 {
            innerBuffer.setBE16(2, UInt16(truncatingIfNeeded: innerCount))
            innerBuffer.setBE16(10, 0)
            innerBuffer.setBE16(10, internetChecksum(innerBuffer, 0..<headerLength))
        } else {
            innerBuffer.setBE16(4, UInt16(truncatingIfNeeded: innerCount - 40))
        }
    }
}
