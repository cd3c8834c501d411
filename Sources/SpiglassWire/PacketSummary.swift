/// A one-line description of an IP packet (typically a decrypted inner packet): its
/// addresses, protocol and, where cheap, ports or ICMP type.
public struct PacketSummary: Sendable, Equatable {
    public var version: UInt8
    public var source: IPAddress
    public var destination: IPAddress
    public var protocolNumber: UInt8
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    public var icmpType: UInt8?
    public var icmpCode: UInt8?
    public var length: Int
    public var isFragment: Bool

    public var protocolName: String { IPProtocol.name(protocolNumber) }

    public init(
        version: UInt8, source: IPAddress, destination: IPAddress, protocolNumber: UInt8,
        sourcePort: UInt16? = nil, destinationPort: UInt16? = nil, icmpType: UInt8? = nil, icmpCode: UInt8? = nil,
        length: Int, isFragment: Bool = false
    ) {
        self.version = version
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.icmpType = icmpType
        self.icmpCode = icmpCode
        self.length = length
        self.isFragment = isFragment
    }

    /// Summarises the IP packet in `bytes[range]`, or nil when it is not a sane IP packet.
    public static func of(_ bytes: [UInt8], range: Range<Int>) -> PacketSummary? {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count, !range.isEmpty else { return nil }
        var reader = ByteReader(bytes, range: range)
        guard case .success(let ip) = IPLayer.parse(&reader) else { return nil }
        return of(bytes, ip: ip)
    }

    /// Summarises the IP packet `ip` already parsed from `bytes`.
    public static func of(_ bytes: [UInt8], ip: IPLayer) -> PacketSummary {
        var summary = PacketSummary(
            version: ip.version, source: ip.source, destination: ip.destination,
            protocolNumber: ip.fragment?.payloadProtocol ?? ip.protocolNumber,
            sourcePort: nil, destinationPort: nil, icmpType: nil, icmpCode: nil,
            length: ip.end - ip.headerStart, isFragment: ip.fragment != nil)
        if let fragment = ip.fragment, fragment.offset != 0 { return summary }
        let p = ip.headerEnd
        switch summary.protocolNumber {
        case IPProtocol.tcp, IPProtocol.udp, 132:
            if p + 4 <= ip.end {
                summary.sourcePort = bytes.be16(p)
                summary.destinationPort = bytes.be16(p + 2)
            }
        case IPProtocol.icmp, IPProtocol.icmpv6:
            if p + 2 <= ip.end {
                summary.icmpType = bytes[p]
                summary.icmpCode = bytes[p + 1]
            }
        default:
            break
        }
        return summary
    }

    public var detail: String {
        var text = protocolName
        if let s = sourcePort, let d = destinationPort { text += " \(s) → \(d)" }
        if let type = icmpType {
            text +=
                " " + PacketSummary.icmpName(type: type, code: icmpCode ?? 0, v6: protocolNumber == IPProtocol.icmpv6)
        }
        if isFragment { text += " (fragment)" }
        return text
    }

    static func icmpName(type: UInt8, code: UInt8, v6: Bool) -> String {
        if v6 {
            switch type {
            case 128: return "echo request"
            case 129: return "echo reply"
            case 1: return "destination unreachable"
            case 2: return "packet too big"
            case 3: return "time exceeded"
            case 133: return "router solicitation"
            case 134: return "router advertisement"
            case 135: return "neighbor solicitation"
            case 136: return "neighbor advertisement"
            default: return "type \(type) code \(code)"
            }
        }
        switch type {
        case 0: return "echo reply"
        case 8: return "echo request"
        case 3: return "destination unreachable (code \(code))"
        case 11: return "time exceeded"
        default: return "type \(type) code \(code)"
        }
    }
}
