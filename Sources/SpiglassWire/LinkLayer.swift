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

    /// Decodes the link layer of the frame that fills the reader; the reader is left at the
    /// network layer (`LinkInfo.networkOffset`).
    public static func decode(_ reader: inout ByteReader, as type: LinkType) -> Result<LinkInfo, WireError> {
        let base = reader.offset
        let result: Result<LinkInfo, WireError>
        switch type {
        case .ethernet:
            result = decodeEthernet(reader)
        case .linuxSLL:
            result = decodeCooked(reader, layer: "Linux SLL", header: "SLL", headerLength: 16, etherTypeOffset: 14)
        case .linuxSLL2:
            result = decodeCooked(reader, layer: "Linux SLL2", header: "SLL2", headerLength: 20, etherTypeOffset: 0)
        case .raw:
            result = .success(LinkInfo(networkOffset: base, announcedVersion: 0, vlanCount: 0, outerVLAN: nil))
        case .rawIPv4:
            result = .success(LinkInfo(networkOffset: base, announcedVersion: 4, vlanCount: 0, outerVLAN: nil))
        case .rawIPv6:
            result = .success(LinkInfo(networkOffset: base, announcedVersion: 6, vlanCount: 0, outerVLAN: nil))
        case .null, .loop:
            result = decodeLoopback(reader, networkOrder: type == .loop)
        }
        if case .success(let info) = result { reader.skip(info.networkOffset - base) }
        return result
    }

    /// Ethernet II with any 802.1Q/802.1ad tags.
    private static func decodeEthernet(_ reader: ByteReader) -> Result<LinkInfo, WireError> {
        var frame = reader
        let length = frame.remaining
        guard frame.skip(12), var etherType = frame.readUInt16() else {
            return .failure(
                WireError(
                    .truncated, layer: "Ethernet", offset: reader.offset,
                    "frame of \(length) bytes is shorter than the 14-byte Ethernet header"))
        }
        var tags = 0
        var outerVLAN: UInt16? = nil
        while isVLANTag(etherType) {
            let offset = frame.offset - 2
            guard tags < maxVLANTags else {
                return .failure(
                    WireError(.tooManyHeaders, layer: "802.1Q", offset: offset, "more than \(maxVLANTags) VLAN tags"))
            }
            guard let tag = frame.readUInt16(), let inner = frame.readUInt16() else {
                return .failure(WireError(.truncated, layer: "802.1Q", offset: offset, "VLAN tag cut short"))
            }
            if outerVLAN == nil { outerVLAN = tag & 0x0fff }
            tags += 1
            etherType = inner
        }
        return etherTypeResult(
            etherType, offset: frame.offset, vlanCount: tags, outerVLAN: outerVLAN, layer: "Ethernet")
    }

    /// Linux "cooked" capture, SLL or SLL2: a fixed header that holds the EtherType.
    private static func decodeCooked(
        _ reader: ByteReader, layer: String, header name: String, headerLength: Int, etherTypeOffset: Int
    ) -> Result<LinkInfo, WireError> {
        var header = reader
        let length = reader.remaining
        guard length >= headerLength, header.skip(etherTypeOffset), let etherType = header.readUInt16() else {
            return .failure(
                WireError(
                    .truncated, layer: layer, offset: reader.offset,
                    "frame of \(length) bytes is shorter than the \(headerLength)-byte \(name) header"))
        }
        return etherTypeResult(
            etherType, offset: reader.offset + headerLength, vlanCount: 0, outerVLAN: nil, layer: layer)
    }

    /// BSD (writer's byte order) or OpenBSD (network order) loopback: a 4-byte family.
    private static func decodeLoopback(_ reader: ByteReader, networkOrder: Bool) -> Result<LinkInfo, WireError> {
        var frame = reader
        let base = reader.offset
        guard let word = frame.readUInt32() else {
            return .failure(
                WireError(.truncated, layer: "Loopback", offset: base, "frame shorter than the 4-byte family field"))
        }
        var family = networkOrder ? word : word.byteSwapped
        // A capture written on a machine of the other byte order puts the value in the
        // high bytes; families are small numbers, so swap when it looks that way.
        if family > 0xffff { family = family.byteSwapped }
        switch family {
        case 2: return .success(LinkInfo(networkOffset: base + 4, announcedVersion: 4, vlanCount: 0, outerVLAN: nil))
        case 10, 24, 28, 30:
            return .success(LinkInfo(networkOffset: base + 4, announcedVersion: 6, vlanCount: 0, outerVLAN: nil))
        default:
            return .failure(WireError(.notIP, layer: "Loopback", offset: base, "address family \(family) is not IP"))
        }
    }

    private static func etherTypeResult(
        _ etherType: UInt16, offset: Int, vlanCount: Int, outerVLAN: UInt16?, layer: String
    ) -> Result<LinkInfo, WireError> {
        switch etherType {
        case etherTypeIPv4:
            return .success(
                LinkInfo(networkOffset: offset, announcedVersion: 4, vlanCount: vlanCount, outerVLAN: outerVLAN))
        case etherTypeIPv6:
            return .success(
                LinkInfo(networkOffset: offset, announcedVersion: 6, vlanCount: vlanCount, outerVLAN: outerVLAN))
        default:
            return .failure(
                WireError(
                    .notIP, layer: layer, offset: offset - 2, "ethertype 0x\(String(etherType, radix: 16)) is not IP"))
        }
    }
}
