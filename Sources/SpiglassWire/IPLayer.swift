/// IP protocol numbers this code names.
public enum IPProtocol {
    public static let hopByHop: UInt8 = 0
    public static let icmp: UInt8 = 1
    public static let ipv4: UInt8 = 4
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let ipv6: UInt8 = 41
    public static let routing: UInt8 = 43
    public static let fragment: UInt8 = 44
    public static let esp: UInt8 = 50
    public static let ah: UInt8 = 51
    public static let icmpv6: UInt8 = 58
    public static let noNextHeader: UInt8 = 59
    public static let destinationOptions: UInt8 = 60
    public static let mobility: UInt8 = 135

    public static func name(_ p: UInt8) -> String {
        switch p {
        case icmp: return "ICMP"
        case ipv4: return "IPIP"
        case tcp: return "TCP"
        case udp: return "UDP"
        case ipv6: return "IPv6"
        case esp: return "ESP"
        case ah: return "AH"
        case icmpv6: return "ICMPv6"
        case 47: return "GRE"
        case 89: return "OSPF"
        case 132: return "SCTP"
        case noNextHeader: return "none"
        default: return "proto-\(p)"
        }
    }
}

/// A fragment of an IP datagram, as found in one packet.
public struct FragmentInfo: Sendable, Equatable {
    /// Byte offset of this fragment's data in the original datagram's payload.
    public var offset: Int
    public var moreFragments: Bool
    public var identification: UInt32
    /// Protocol of the reassembled payload (IPv4 protocol field; IPv6 fragment header's next header).
    public var payloadProtocol: UInt8
    /// Offset in the packet of the IPv6 fragment header (nil for IPv4).
    public var ipv6FragmentHeaderOffset: Int?
    /// Offset of the next-header field that names the IPv6 fragment header (nil for IPv4).
    public var ipv6PreviousNextHeaderOffset: Int?
}

/// The IP header of one packet (IPv4 with options, or IPv6 with its extension headers),
/// checked once when built: every offset in it lies inside the packet.
public struct IPLayer: Sendable, Equatable {
    public var version: UInt8
    public var source: IPAddress
    public var destination: IPAddress
    public var headerStart: Int
    /// End of the IPv4 header (with options), or of the last IPv6 extension header that is
    /// part of the IP layer; the upper-layer payload starts here.
    public var headerEnd: Int
    /// Offset of the byte that holds `protocolNumber` (IPv4 protocol field, or the next-header
    /// field of the last IPv6 header), which transport-mode decapsulation rewrites.
    public var protocolFieldOffset: Int
    public var protocolNumber: UInt8
    /// End of the datagram: the IP length, or the captured end when the capture is shorter.
    public var end: Int
    /// True when the capture holds fewer bytes than the IP length says.
    public var truncated: Bool
    public var fragment: FragmentInfo?
    public var ttl: UInt8

    public var payloadRange: Range<Int> { headerEnd..<end }

    /// Caps the IPv6 extension-header chain; real packets carry a handful.
    public static let maxExtensionHeaders = 16

    /// Parses the IP header at `offset` of `bytes[0..<length]`.
    public static func parse(_ bytes: [UInt8], offset: Int, length: Int, announcedVersion: UInt8 = 0) -> Result<IPLayer, WireError> {
        guard offset < length else { return .failure(WireError(.truncated, layer: "IP", offset: offset, "no IP header (frame ends at \(length))")) }
        let version = bytes[offset] >> 4
        if announcedVersion != 0 && version != announcedVersion {
            return .failure(WireError(.badVersion, layer: "IP", offset: offset, "link layer says IPv\(announcedVersion) but the header says version \(version)"))
        }
        switch version {
        case 4: return parseV4(bytes, offset: offset, length: length)
        case 6: return parseV6(bytes, offset: offset, length: length)
        default: return .failure(WireError(.badVersion, layer: "IP", offset: offset, "IP version \(version)"))
        }
    }

    static func parseV4(_ bytes: [UInt8], offset: Int, length: Int) -> Result<IPLayer, WireError> {
        guard length - offset >= 20 else {
            return .failure(WireError(.truncated, layer: "IPv4", offset: offset, "\(length - offset) bytes, header needs 20"))
        }
        let headerLength = Int(bytes[offset] & 0x0f) * 4
        guard headerLength >= 20 else {
            return .failure(WireError(.badHeaderLength, layer: "IPv4", offset: offset, "header length \(headerLength) < 20"))
        }
        guard offset + headerLength <= length else {
            return .failure(WireError(.truncated, layer: "IPv4", offset: offset, "header of \(headerLength) bytes, \(length - offset) captured"))
        }
        let totalLength = Int(bytes.be16(offset + 2))
        // TSO-captured packets carry total length 0; take the captured length then.
        let claimed = totalLength == 0 ? length - offset : totalLength
        guard claimed >= headerLength else {
            return .failure(WireError(.badTotalLength, layer: "IPv4", offset: offset, "total length \(totalLength) < header length \(headerLength)"))
        }
        let end = min(offset + claimed, length)
        let flagsAndOffset = bytes.be16(offset + 6)
        let moreFragments = flagsAndOffset & 0x2000 != 0
        let fragmentOffset = Int(flagsAndOffset & 0x1fff) * 8
        let proto = bytes[offset + 9]
        var fragment: FragmentInfo? = nil
        if moreFragments || fragmentOffset != 0 {
            fragment = FragmentInfo(offset: fragmentOffset, moreFragments: moreFragments,
                                    identification: UInt32(bytes.be16(offset + 4)), payloadProtocol: proto,
                                    ipv6FragmentHeaderOffset: nil, ipv6PreviousNextHeaderOffset: nil)
        }
        return .success(IPLayer(
            version: 4,
            source: IPAddress.read(bytes, v4At: offset + 12),
            destination: IPAddress.read(bytes, v4At: offset + 16),
            headerStart: offset, headerEnd: offset + headerLength,
            protocolFieldOffset: offset + 9, protocolNumber: proto,
            end: end, truncated: offset + claimed > length, fragment: fragment, ttl: bytes[offset + 8]))
    }

    static func parseV6(_ bytes: [UInt8], offset: Int, length: Int) -> Result<IPLayer, WireError> {
        guard length - offset >= 40 else {
            return .failure(WireError(.truncated, layer: "IPv6", offset: offset, "\(length - offset) bytes, header needs 40"))
        }
        let payloadLength = Int(bytes.be16(offset + 4))
        // Payload length 0 means a jumbogram (or TSO); use what was captured.
        let claimedEnd = payloadLength == 0 ? length : offset + 40 + payloadLength
        let end = min(claimedEnd, length)
        var next = bytes[offset + 6]
        var nextFieldOffset = offset + 6
        var cursor = offset + 40
        var fragment: FragmentInfo? = nil
        var count = 0
        loop: while true {
            switch next {
            case IPProtocol.hopByHop, IPProtocol.routing, IPProtocol.destinationOptions, IPProtocol.mobility:
                guard count < maxExtensionHeaders else {
                    return .failure(WireError(.tooManyHeaders, layer: "IPv6", offset: cursor, "more than \(maxExtensionHeaders) extension headers"))
                }
                guard cursor + 8 <= end else {
                    return .failure(WireError(.truncated, layer: "IPv6 extension header", offset: cursor, "needs 8 bytes, \(end - cursor) left"))
                }
                let extLength = (Int(bytes[cursor + 1]) + 1) * 8
                guard cursor + extLength <= end else {
                    return .failure(WireError(.truncated, layer: "IPv6 extension header", offset: cursor, "length \(extLength), \(end - cursor) left"))
                }
                nextFieldOffset = cursor
                next = bytes[cursor]
                cursor += extLength
                count += 1
            case IPProtocol.fragment:
                guard cursor + 8 <= end else {
                    return .failure(WireError(.truncated, layer: "IPv6 fragment header", offset: cursor, "needs 8 bytes, \(end - cursor) left"))
                }
                let word = bytes.be16(cursor + 2)
                let info = FragmentInfo(offset: Int(word & 0xfff8), moreFragments: word & 1 != 0,
                                        identification: bytes.be32(cursor + 4), payloadProtocol: bytes[cursor],
                                        ipv6FragmentHeaderOffset: cursor, ipv6PreviousNextHeaderOffset: nextFieldOffset)
                if info.offset == 0 && !info.moreFragments {
                    // An atomic fragment (RFC 6946): not really fragmented, carry on past it.
                    nextFieldOffset = cursor
                    next = bytes[cursor]
                    cursor += 8
                    count += 1
                    continue loop
                }
                fragment = info
                nextFieldOffset = cursor
                next = bytes[cursor]
                cursor += 8
                break loop
            default:
                break loop
            }
        }
        return .success(IPLayer(
            version: 6,
            source: IPAddress.read(bytes, v6At: offset + 8),
            destination: IPAddress.read(bytes, v6At: offset + 24),
            headerStart: offset, headerEnd: cursor,
            protocolFieldOffset: nextFieldOffset, protocolNumber: next,
            end: end, truncated: claimedEnd > length, fragment: fragment, ttl: bytes[offset + 7]))
    }
}
