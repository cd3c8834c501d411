/// A frame that is not IPsec, named the way tshark's one-line summary names it: ARP who-has and
/// is-at, ICMP and ICMPv6 messages by type (an ICMP error with the ESP SPI or the IKE SPI of the
/// packet it quotes), TCP ports with flags, UDP ports, other ethertypes by name.
public struct FrameSummary: Sendable, Equatable {
    /// Link-layer addresses for a frame that is not IP, IP addresses otherwise.
    public var source: String
    public var destination: String
    /// "ARP", "ICMP", "TCP", "LLDP", or the ethertype in hex ("0x3030") as tshark shows it.
    public var protocolName: String
    public var info: String

    /// "10.0.0.2 → 10.0.0.1 ICMP Destination unreachable (Protocol unreachable) …".
    public var text: String {
        "\(source) → \(destination) \(protocolName)" + (info.isEmpty ? "" : " \(info)")
    }

    /// The frame `bytes[0..<length]` of a capture with `link` framing; nil when not even its
    /// link layer can be read.
    public static func of(_ bytes: [UInt8], length: Int, link: LinkType) -> FrameSummary? {
        let end = min(length, bytes.count)
        switch link {
        case .ethernet:
            guard end >= 14 else { return nil }
            var offset = 12
            var etherType = bytes.be16(offset)
            var tags = 0
            while LinkDecoder.isVLANTag(etherType) && tags < LinkDecoder.maxVLANTags && offset + 6 <= end {
                offset += 4
                etherType = bytes.be16(offset)
                tags += 1
            }
            return ofEtherType(
                etherType, bytes, at: offset + 2, end: end, source: mac(bytes, 6..<12),
                destination: mac(bytes, 0..<6))
        case .linuxSLL:
            guard end >= 16 else { return nil }
            let addressLength = min(Int(bytes.be16(4)), 8)
            return ofEtherType(
                bytes.be16(14), bytes, at: 16, end: end, source: mac(bytes, 6..<(6 + addressLength)), destination: "-")
        case .linuxSLL2:
            guard end >= 20 else { return nil }
            let addressLength = min(Int(bytes[11]), 8)
            return ofEtherType(
                bytes.be16(0), bytes, at: 20, end: end, source: mac(bytes, 12..<(12 + addressLength)),
                destination: "-")
        case .raw, .rawIPv4, .rawIPv6, .null, .loop:
            var reader = ByteReader(bytes, range: 0..<end)
            guard case .success(let info) = LinkDecoder.decode(&reader, as: link) else { return nil }
            return ofIP(bytes, at: info.networkOffset, end: end)
        }
    }

    static func ofEtherType(
        _ etherType: UInt16, _ bytes: [UInt8], at start: Int, end: Int, source: String, destination: String
    ) -> FrameSummary? {
        switch etherType {
        case LinkDecoder.etherTypeIPv4, LinkDecoder.etherTypeIPv6: return ofIP(bytes, at: start, end: end)
        case 0x0806: return ARPSummary.of(bytes, at: start, end: end, source: source, destination: destination)
        case ..<0x0600:
            // IEEE 802.3: a length, and an LLC header; DSAP 0x42 is the spanning tree.
            let stp = start + 1 <= end && bytes[start] == 0x42
            return FrameSummary(
                source: source, destination: destination, protocolName: stp ? "STP" : "LLC",
                info: stp ? "Spanning tree BPDU" : "IEEE 802.3")
        default:
            let name = etherTypeNames[etherType]
            return FrameSummary(
                source: source, destination: destination, protocolName: name ?? "0x" + hex(etherType, 4),
                info: name == nil ? "Ethernet II" : "")
        }
    }

    static let etherTypeNames: [UInt16: String] = [
        0x8035: "RARP", 0x88cc: "LLDP", 0x8863: "PPPoED", 0x8864: "PPPoES", 0x888e: "EAPOL", 0x8847: "MPLS",
        0x8848: "MPLS", 0x88e5: "MACsec", 0x88f7: "PTPv2", 0x8809: "Slow protocols", 0x9000: "LOOP",
        0x0842: "WOL", 0x88b5: "Local experimental", 0x8100: "802.1Q", 0x88a8: "802.1ad", 0x22f3: "TRILL",
        0x8906: "FCoE", 0x88e7: "PBB", 0x893a: "IEEE 1905.1",
    ]

    /// An IP packet at `start`: its addresses, and its protocol named (`IPSummary`).
    static func ofIP(_ bytes: [UInt8], at start: Int, end: Int) -> FrameSummary? {
        guard start < end else { return nil }
        var reader = ByteReader(bytes, range: start..<end)
        guard case .success(let ip) = IPLayer.parse(&reader) else { return nil }
        let (name, info) = IPSummary.describe(bytes, ip: ip, end: min(ip.end, end))
        return FrameSummary(
            source: ip.source.description, destination: ip.destination.description, protocolName: name, info: info)
    }

    static func mac(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        guard range.upperBound <= bytes.count, !range.isEmpty else { return "-" }
        return bytes[range].map { hex(UInt16($0), 2) }.joined(separator: ":")
    }

    static func hex(_ value: UInt16, _ digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

/// ARP as tshark says it: "Who has 192.1.2.23? Tell 192.1.2.254", "192.1.2.23 is at 10:00:…".
enum ARPSummary {
    static func of(_ bytes: [UInt8], at start: Int, end: Int, source: String, destination: String) -> FrameSummary {
        var summary = FrameSummary(source: source, destination: destination, protocolName: "ARP", info: "")
        // RFC 826 for IPv4 over Ethernet: htype 1, ptype 0x0800, hlen 6, plen 4.
        guard start + 28 <= end, bytes.be16(start + 2) == 0x0800, bytes[start + 4] == 6, bytes[start + 5] == 4 else {
            summary.info = "not IPv4 over Ethernet"
            return summary
        }
        let senderMAC = FrameSummary.mac(bytes, (start + 8)..<(start + 14))
        let sender = IPAddress.read(bytes, v4At: start + 14)
        let target = IPAddress.read(bytes, v4At: start + 24)
        switch bytes.be16(start + 6) {
        case 1 where sender == target: summary.info = "Gratuitous ARP for \(sender) (Request)"
        case 1: summary.info = "Who has \(target)? Tell \(sender)"
        case 2 where sender == target: summary.info = "Gratuitous ARP for \(sender) (Reply)"
        case 2: summary.info = "\(sender) is at \(senderMAC)"
        case let operation: summary.info = "operation \(operation)"
        }
        return summary
    }
}
