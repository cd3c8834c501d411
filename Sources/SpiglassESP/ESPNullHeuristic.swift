import SpiglassWire

/// Recognises ESP with NULL encryption without keys (RFC 5879 heuristics): the trailer and
/// the payload's own header must agree for some plausible ICV length. Nothing is verified;
/// the result only lets a report show what the packet carries.
public enum ESPNullHeuristic {
    public struct Match: Sendable, Equatable {
        public var icvLength: Int
        public var nextHeader: UInt8
        /// The cleartext payload (after the ESP header, before padding).
        public var payload: Range<Int>
    }

    /// ICV lengths to try, most common first.
    static let icvLengths = [12, 16, 0, 8, 24, 32]

    public static func detect(_ packet: [UInt8], esp: Range<Int>) -> Match? {
        guard esp.lowerBound >= 0, esp.upperBound <= packet.count else { return nil }
        for icv in icvLengths {
            let trailerEnd = esp.upperBound - icv
            let payloadStart = esp.lowerBound + 8
            guard trailerEnd - 2 >= payloadStart else { continue }
            let nextHeader = packet[trailerEnd - 1]
            let padLength = Int(packet[trailerEnd - 2])
            let payloadEnd = trailerEnd - 2 - padLength
            guard payloadEnd > payloadStart else { continue }
            // RFC 4303 2.4: payload, padding and trailer end on a 4-byte boundary.
            guard (trailerEnd - payloadStart) % 4 == 0 else { continue }
            var paddingOK = true
            for i in 0..<padLength where packet[payloadEnd + i] != UInt8(truncatingIfNeeded: i + 1) {
                paddingOK = false
                break
            }
            guard paddingOK, consistent(packet, payloadStart..<payloadEnd, nextHeader: nextHeader) else { continue }
            return Match(icvLength: icv, nextHeader: nextHeader, payload: payloadStart..<payloadEnd)
        }
        return nil
    }

    /// Whether the payload's own header agrees with its length, for the protocols whose
    /// headers say enough to tell (RFC 5879 section 5).
    static func consistent(_ p: [UInt8], _ range: Range<Int>, nextHeader: UInt8) -> Bool {
        let n = range.count
        let s = range.lowerBound
        switch nextHeader {
        case IPProtocol.udp:
            return n >= 8 && Int(p.be16(s + 4)) == n
        case IPProtocol.tcp:
            guard n >= 20 else { return false }
            let dataOffset = Int(p[s + 12] >> 4) * 4
            return dataOffset >= 20 && dataOffset <= n
        case IPProtocol.ipv4:
            return n >= 20 && p[s] >> 4 == 4 && Int(p[s] & 0x0f) >= 5 && Int(p.be16(s + 2)) == n
        case IPProtocol.ipv6:
            return n >= 40 && p[s] >> 4 == 6 && 40 + Int(p.be16(s + 4)) == n
        case IPProtocol.icmp, IPProtocol.icmpv6:
            return n >= 8
        default:
            return false
        }
    }
}
