/// The link-layer framings Spiglass decodes, named by what they are rather than by DLT number.
public enum LinkType: Sendable, Equatable {
    case ethernet
    case linuxSLL
    case linuxSLL2
    /// Raw IP: version taken from the first nibble.
    case raw
    case rawIPv4
    case rawIPv6
    /// BSD loopback: 4-byte address family in the writer's byte order.
    case null
    /// OpenBSD loopback: 4-byte address family in network byte order.
    case loop

    /// Maps libpcap's DLT value (as `pcap_datalink` returns it) to a framing we decode.
    public init?(dlt: Int32) {
        switch dlt {
        case 1: self = .ethernet
        case 113: self = .linuxSLL
        case 276: self = .linuxSLL2
        case 12, 14, 101: self = .raw
        case 228: self = .rawIPv4
        case 229: self = .rawIPv6
        case 0: self = .null
        case 108: self = .loop
        default: return nil
        }
    }
}

/// Where the network layer starts in a frame, and what the link layer said about it.
public struct LinkInfo: Sendable, Equatable {
    /// Offset of the IP header.
    public var networkOffset: Int
    /// IP version the link layer announced (4 or 6), or 0 when it leaves that to the header.
    public var announcedVersion: UInt8
    /// 802.1Q/802.1ad VLAN IDs, outermost first (at most `LinkDecoder.maxVLANTags`).
    public var vlanCount: Int
    public var outerVLAN: UInt16?
}

public enum LinkDecoder {
    /// QinQ stacks rarely exceed two tags; a frame with more is treated as hostile.
    public static let maxVLANTags = 8

    static let etherTypeIPv4: UInt16 = 0x0800
    static let etherTypeIPv6: UInt16 = 0x86dd
    static func isVLANTag(_ etherType: UInt16) -> Bool {
        etherType == 0x8100 || etherType == 0x88a8 || etherType == 0x9100 || etherType == 0x9200
    }

    /// Decodes the link layer of `bytes[0..<length]`.
    public static func decode(_ bytes: [UInt8], length: Int, as type: LinkType) -> Result<LinkInfo, WireError> {
        switch type {
        case .ethernet:
            guard length >= 14 else { return .failure(WireError(.truncated, layer: "Ethernet", offset: 0, "frame of \(length) bytes is shorter than the 14-byte Ethernet header")) }
            var offset = 12
            var etherType = bytes.be16(offset)
            var tags = 0
            var outerVLAN: UInt16? = nil
            while isVLANTag(etherType) {
                guard tags < maxVLANTags else {
                    return .failure(WireError(.tooManyHeaders, layer: "802.1Q", offset: offset, "more than \(maxVLANTags) VLAN tags"))
                }
                guard offset + 6 <= length else {
                    return .failure(WireError(.truncated, layer: "802.1Q", offset: offset, "VLAN tag cut short"))
                }
                if outerVLAN == nil { outerVLAN = bytes.be16(offset + 2) & 0x0fff }
                tags += 1
                offset += 4
                etherType = bytes.be16(offset)
            }
            return etherTypeResult(etherType, offset: offset + 2, vlanCount: tags, outerVLAN: outerVLAN, layer: "Ethernet")
        case .linuxSLL:
            guard length >= 16 else { return .failure(WireError(.truncated, layer: "Linux SLL", offset: 0, "frame of \(length) bytes is shorter than the 16-byte SLL header")) }
            return etherTypeResult(bytes.be16(14), offset: 16, vlanCount: 0, outerVLAN: nil, layer: "Linux SLL")
        case .linuxSLL2:
            guard length >= 20 else { return .failure(WireError(.truncated, layer: "Linux SLL2", offset: 0, "frame of \(length) bytes is shorter than the 20-byte SLL2 header")) }
            return etherTypeResult(bytes.be16(0), offset: 20, vlanCount: 0, outerVLAN: nil, layer: "Linux SLL2")
        case .raw:
            return .success(LinkInfo(networkOffset: 0, announcedVersion: 0, vlanCount: 0, outerVLAN: nil))
        case .rawIPv4:
            return .success(LinkInfo(networkOffset: 0, announcedVersion: 4, vlanCount: 0, outerVLAN: nil))
        case .rawIPv6:
            return .success(LinkInfo(networkOffset: 0, announcedVersion: 6, vlanCount: 0, outerVLAN: nil))
        case .null, .loop:
            guard length >= 4 else { return .failure(WireError(.truncated, layer: "Loopback", offset: 0, "frame shorter than the 4-byte family field")) }
            var family = type == .loop ? bytes.be32(0) : bytes.le32(0)
            // A capture written on a machine of the other byte order puts the value in the
            // high bytes; families are small numbers, so swap when it looks that way.
            if family > 0xffff { family = family.byteSwapped }
            switch family {
            case 2: return .success(LinkInfo(networkOffset: 4, announcedVersion: 4, vlanCount: 0, outerVLAN: nil))
            case 10, 24, 28, 30: return .success(LinkInfo(networkOffset: 4, announcedVersion: 6, vlanCount: 0, outerVLAN: nil))
            default: return .failure(WireError(.notIP, layer: "Loopback", offset: 0, "address family \(family) is not IP"))
            }
        }
    }

    private static func etherTypeResult(_ etherType: UInt16, offset: Int, vlanCount: Int, outerVLAN: UInt16?, layer: String) -> Result<LinkInfo, WireError> {
        switch etherType {
        case etherTypeIPv4: return .success(LinkInfo(networkOffset: offset, announcedVersion: 4, vlanCount: vlanCount, outerVLAN: outerVLAN))
        case etherTypeIPv6: return .success(LinkInfo(networkOffset: offset, announcedVersion: 6, vlanCount: vlanCount, outerVLAN: outerVLAN))
        default:
            return .failure(WireError(.notIP, layer: layer, offset: offset - 2, "ethertype 0x\(String(etherType, radix: 16)) is not IP"))
        }
    }
}
