import SpiglassWire

/// Whether a decrypted ESP payload is the packet its trailer's next header says it is. An ICV
/// proves who sent the ciphertext, not that it was decrypted with the right key: with the
/// right integrity key and a wrong encryption key (or algorithm, or key length) every packet
/// verifies and decrypts to garbage, and without an ICV nothing else can tell. Nothing is
/// released unless this check (and the ICV, where there is one) passes.
///
/// The checks are chosen so that random bytes pass them about once in tens of thousands of
/// packets or less, and real packets always do:
/// - 4: an IPv4 header (version, header length, total length within the payload, header
///   checksum); a shorter total length leaves RFC 4303 2.7 TFC padding after it.
/// - 41: an IPv6 header whose payload length fits, and whose TCP, UDP or ICMPv6 checksum
///   verifies (IPv6 has no header checksum).
/// - transport 17, 6, 1, 58: the UDP length, the TCP data offset, and the checksum (with the
///   outer addresses' pseudo-header).
/// - 47: a GRE header (RFC 2784, RFC 2890; version 1 for PPTP).
/// - 59: a dummy packet (RFC 4303 2.6), never released anyway.
/// Where the check cannot be strong (another protocol, a checksum that NAT-T broke), the
/// padding must be the default 1, 2, 3, … of at least one byte to count as evidence.
public enum PlaintextCheck {
    public enum Outcome: Sendable, Equatable {
        /// The payload is the packet the next header says.
        case wellFormed
        /// Plausible, but too weak on its own: released only with default padding.
        case needsPaddingEvidence(String)
        /// Not the packet the next header says: garbage.
        case garbled(String)
    }

    /// Transport mode: what the checksums' pseudo-header holds.
    public struct Transport: Sendable {
        public var source: IPAddress
        public var destination: IPAddress
        /// RFC 3948 UDP encapsulation: a NAT may have rewritten the addresses that the
        /// checksums were computed over, so a mismatch is no proof of garbage.
        public var natTraversal: Bool

        public init(source: IPAddress, destination: IPAddress, natTraversal: Bool) {
            self.source = source
            self.destination = destination
            self.natTraversal = natTraversal
        }
    }

    /// Checks `plain[0..<payloadLength]`, the decrypted payload without padding and trailer.
    /// `transport` is nil for tunnel-mode next headers (4, 41).
    public static func check(_ plain: [UInt8], payloadLength: Int, nextHeader: UInt8, transport: Transport?) -> Outcome
    {
        guard payloadLength >= 0, payloadLength <= plain.count else { return .garbled("payload outside the buffer") }
        switch nextHeader {
        case IPProtocol.ipv4: return ipv4(plain, payloadLength)
        case IPProtocol.ipv6: return ipv6(plain, payloadLength)
        case IPProtocol.noNextHeader: return .wellFormed
        default: break
        }
        guard let transport else { return .garbled("next header \(nextHeader) out of tunnel mode") }
        let segment = 0..<payloadLength
        switch nextHeader {
        case IPProtocol.udp:
            return udp(
                plain, segment, source: transport.source, destination: transport.destination,
                nat: transport.natTraversal)
        case IPProtocol.tcp:
            return tcp(
                plain, segment, source: transport.source, destination: transport.destination,
                nat: transport.natTraversal)
        case IPProtocol.icmp: return icmp(plain, segment)
        case IPProtocol.icmpv6:
            return icmpv6(
                plain, segment, source: transport.source, destination: transport.destination,
                nat: transport.natTraversal)
        case gre: return greHeader(plain, payloadLength)
        default: return other(nextHeader)
        }
    }

    static let gre: UInt8 = 47

    static func ipv4(_ plain: [UInt8], _ length: Int) -> Outcome {
        guard length >= 20, plain[0] >> 4 == 4 else { return .garbled("next header 4, but no IPv4 header") }
        let headerLength = Int(plain[0] & 0x0f) * 4
        let total = Int(plain[2]) << 8 | Int(plain[3])
        guard headerLength >= 20, headerLength <= total, total <= length else {
            return .garbled("next header 4, but the IPv4 header says \(headerLength)/\(total) bytes of \(length)")
        }
        guard InternetChecksum.sum(plain, 0..<headerLength) == 0xffff else {
            return .garbled("next header 4, but the IPv4 header checksum is wrong")
        }
        return .wellFormed
    }

    static func ipv6(_ plain: [UInt8], _ length: Int) -> Outcome {
        guard length >= 40, plain[0] >> 4 == 6 else { return .garbled("next header 41, but no IPv6 header") }
        let payload = Int(plain[4]) << 8 | Int(plain[5])
        guard 40 + payload <= length, payload > 0 || length == 40 else {
            return .garbled("next header 41, but the IPv6 payload length \(payload) does not fit \(length) bytes")
        }
        let source = IPAddress.read(plain, v6At: 8)
        let destination = IPAddress.read(plain, v6At: 24)
        let segment = 40..<(40 + payload)
        switch plain[6] {
        case IPProtocol.udp: return udp(plain, segment, source: source, destination: destination, nat: false)
        case IPProtocol.tcp: return tcp(plain, segment, source: source, destination: destination, nat: false)
        case IPProtocol.icmpv6: return icmpv6(plain, segment, source: source, destination: destination, nat: false)
        case IPProtocol.noNextHeader: return .wellFormed
        default:
            return .needsPaddingEvidence(
                "an IPv6 header with next header \(plain[6]), which carries no checksum to check")
        }
    }

    static func udp(_ plain: [UInt8], _ segment: Range<Int>, source: IPAddress, destination: IPAddress, nat: Bool)
        -> Outcome
    {
        guard segment.count >= 8 else { return .garbled("UDP, but \(segment.count) bytes") }
        let start = segment.lowerBound
        let length = Int(plain[start + 4]) << 8 | Int(plain[start + 5])
        // A shorter UDP length leaves TFC padding after the datagram (RFC 4303 2.7).
        guard length >= 8, length <= segment.count else {
            return .garbled("UDP length \(length) in \(segment.count) bytes")
        }
        let stored = UInt16(plain[start + 6]) << 8 | UInt16(plain[start + 7])
        // RFC 768: a zero checksum over IPv4 means none was computed.
        if stored == 0 && source.isIPv4 { return .wellFormed }
        return checksummed(
            plain, start..<(start + length), source: source, destination: destination, protocolNumber: IPProtocol.udp,
            nat: nat, what: "UDP")
    }

    static func tcp(_ plain: [UInt8], _ segment: Range<Int>, source: IPAddress, destination: IPAddress, nat: Bool)
        -> Outcome
    {
        guard segment.count >= 20 else { return .garbled("TCP, but \(segment.count) bytes") }
        let offset = Int(plain[segment.lowerBound + 12] >> 4) * 4
        guard offset >= 20, offset <= segment.count else {
            return .garbled("TCP data offset \(offset) in \(segment.count) bytes")
        }
        return checksummed(
            plain, segment, source: source, destination: destination, protocolNumber: IPProtocol.tcp, nat: nat,
            what: "TCP")
    }

    static func icmp(_ plain: [UInt8], _ segment: Range<Int>) -> Outcome {
        guard segment.count >= 8 else { return .garbled("ICMP, but \(segment.count) bytes") }
        return InternetChecksum.sum(plain, segment) == 0xffff
            ? .wellFormed : .needsPaddingEvidence("an ICMP checksum that does not verify")
    }

    static func icmpv6(_ plain: [UInt8], _ segment: Range<Int>, source: IPAddress, destination: IPAddress, nat: Bool)
        -> Outcome
    {
        guard segment.count >= 8 else { return .garbled("ICMPv6, but \(segment.count) bytes") }
        return checksummed(
            plain, segment, source: source, destination: destination, protocolNumber: IPProtocol.icmpv6, nat: nat,
            what: "ICMPv6")
    }

    static func checksummed(
        _ plain: [UInt8], _ segment: Range<Int>, source: IPAddress, destination: IPAddress, protocolNumber: UInt8,
        nat: Bool, what: String
    ) -> Outcome {
        let pseudo = InternetChecksum.pseudoHeader(
            source: source, destination: destination, protocolNumber: protocolNumber,
            length: segment.count)
        if InternetChecksum.sum(plain, segment, initial: pseudo) == 0xffff { return .wellFormed }
        return .needsPaddingEvidence(
            nat
                ? "a \(what) checksum that does not verify (NAT may have changed the addresses)"
                : "a \(what) checksum that does not verify")
    }

    /// RFC 2784 2: C, then Reserved0 (12 bits, zero but for RFC 2890's K and S), Ver (0); RFC 2637
    /// (PPTP) uses version 1 with K set.
    static func greHeader(_ plain: [UInt8], _ length: Int) -> Outcome {
        guard length >= 4 else { return .garbled("GRE, but \(length) bytes") }
        let flags = UInt16(plain[0]) << 8 | UInt16(plain[1])
        let version = flags & 0x7
        // Version 1 (PPTP) also has C clear and its own flags (A) in the low byte.
        let reserved = flags & (version == 1 ? 0xcf78 : 0x4ff8)
        let optional =
            (flags & 0x8000 != 0 ? 4 : 0) + (flags & 0x2000 != 0 ? 4 : 0) + (flags & 0x1000 != 0 ? 4 : 0)
            + (version == 1 && flags & 0x0080 != 0 ? 4 : 0)
        guard version <= 1, reserved == 0, 4 + optional <= length, version == 0 || flags & 0x2000 != 0 else {
            return .garbled("next header 47, but no GRE header")
        }
        return .wellFormed
    }

    /// Protocols with no check here: an IANA-assigned number (RFC 5237 registry; 253-254 for
    /// experiments) is plausible, an unassigned one is garbage.
    static func other(_ nextHeader: UInt8) -> Outcome {
        guard nextHeader <= 145 || nextHeader == 253 || nextHeader == 254 else {
            return .garbled("next header \(nextHeader) is no assigned protocol")
        }
        return .needsPaddingEvidence(
            "next header \(nextHeader) (\(IPProtocol.name(nextHeader))), which nothing here can check")
    }
}

extension PlaintextCheck {
    /// The release rule applied to a decrypted packet in `plain`: `.decrypted` stays so only
    /// when the plaintext is well-formed (or plausible with default padding of at least one
    /// byte); otherwise it becomes `.garbled`, with the reason. Other verdicts pass through.
    public static func judge(_ result: ESPResult, plain: [UInt8], transport: Transport?) -> ESPResult {
        var judged = result
        apply(to: &judged, plain: plain, transport: transport)
        return judged
    }

    /// `judge` in place: the per-packet path, which copies no result.
    public static func apply(to result: inout ESPResult, plain: [UInt8], transport: Transport?) {
        guard result.verdict == .decrypted else { return }
        switch check(plain, payloadLength: result.payloadLength, nextHeader: result.nextHeader, transport: transport) {
        case .wellFormed:
            return
        case .needsPaddingEvidence(let why):
            if result.defaultPadding && result.padLength > 0 { return }
            result.detail =
                "\(why), and \(result.padLength == 0 ? "no padding" : "non-default padding") to confirm the decryption"
        case .garbled(let why):
            result.detail = why
        }
        result.verdict = .garbled
    }
}
