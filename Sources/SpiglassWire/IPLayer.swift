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

    /// Parses the IP header at the reader's cursor; the reader's end is the end of the
    /// captured frame. On success the reader is left at the start of the upper-layer payload
    /// (`headerEnd`). Offsets in the result and in errors are indices into `reader.bytes`.
    public static func parse(_ reader: inout ByteReader, announcedVersion: UInt8 = 0) -> Result<IPLayer, WireError> {
        let offset = reader.offset
        guard let first = reader.peekUInt8() else {
            return .failure(
                WireError(
                    .truncated, layer: "IP", offset: offset, "no IP header (frame ends at \(reader.bounds.upperBound))")
            )
        }
        let version = first >> 4
        if announcedVersion != 0 && version != announcedVersion {
            return .failure(
                WireError(
                    .badVersion, layer: "IP", offset: offset,
                    "link layer says IPv\(announcedVersion) but the header says version \(version)"))
        }
        switch version {
        case 4: return parseV4(&reader)
        case 6: return parseV6(&reader)
        default: return .failure(WireError(.badVersion, layer: "IP", offset: offset, "IP version \(version)"))
        }
    }

    /// RFC 791 3.1.
    static func parseV4(_ reader: inout ByteReader) -> Result<IPLayer, WireError> {
        let offset = reader.offset
        let length = reader.bounds.upperBound
        // The fixed header is checked once; its fields are then read at their offsets in it.
        guard let fixed = reader.readRange(20) else {
            return .failure(
                WireError(.truncated, layer: "IPv4", offset: offset, "\(length - offset) bytes, header needs 20"))
        }
        let bytes = reader.bytes
        let o = fixed.lowerBound
        let totalLength = Int(bytes.be16(o + 2))
        let identification = bytes.be16(o + 4)
        let flagsAndOffset = bytes.be16(o + 6)
        let ttl = bytes[o + 8]
        let proto = bytes[o + 9]
        let headerLength = Int(bytes[o] & 0x0f) * 4
        guard headerLength >= 20 else {
            return .failure(
                WireError(.badHeaderLength, layer: "IPv4", offset: offset, "header length \(headerLength) < 20"))
        }
        // The options, if any: the fixed 20 bytes are read.
        guard reader.skip(headerLength - 20) else {
            return .failure(
                WireError(
                    .truncated, layer: "IPv4", offset: offset,
                    "header of \(headerLength) bytes, \(length - offset) captured"))
        }
        // TSO-captured packets carry total length 0; take the captured length then.
        let claimed = totalLength == 0 ? length - offset : totalLength
        guard claimed >= headerLength else {
            return .failure(
                WireError(
                    .badTotalLength, layer: "IPv4", offset: offset,
                    "total length \(totalLength) < header length \(headerLength)"))
        }
        let moreFragments = flagsAndOffset & 0x2000 != 0
        let fragmentOffset = Int(flagsAndOffset & 0x1fff) * 8
        var fragment: FragmentInfo? = nil
        if moreFragments || fragmentOffset != 0 {
            fragment = FragmentInfo(
                offset: fragmentOffset, moreFragments: moreFragments, identification: UInt32(identification),
                payloadProtocol: proto, ipv6FragmentHeaderOffset: nil, ipv6PreviousNextHeaderOffset: nil)
        }
        return .success(
            IPLayer(
                version: 4, source: .v4(bytes.be32(o + 12)), destination: .v4(bytes.be32(o + 16)),
                headerStart: offset, headerEnd: offset + headerLength,
                protocolFieldOffset: offset + 9, protocolNumber: proto,
                end: min(offset + claimed, length), truncated: offset + claimed > length, fragment: fragment, ttl: ttl))
    }

    /// RFC 8200 3 and 4: the fixed header, then the extension headers that belong to the IP
    /// layer, each checked against the datagram's end.
    static func parseV6(_ reader: inout ByteReader) -> Result<IPLayer, WireError> {
        let offset = reader.offset
        let length = reader.bounds.upperBound
        guard let fixed = reader.readRange(40) else {
            return .failure(
                WireError(.truncated, layer: "IPv6", offset: offset, "\(length - offset) bytes, header needs 40"))
        }
        let bytes = reader.bytes
        let o = fixed.lowerBound
        let payloadLength = Int(bytes.be16(o + 4))
        let next = bytes[o + 6]
        let hopLimit = bytes[o + 7]
        // Payload length 0 means a jumbogram (or TSO); use what was captured.
        let claimedEnd = payloadLength == 0 ? length : offset + 40 + payloadLength
        let end = min(claimedEnd, length)
        var chain = ByteReader(reader.bytes, range: reader.offset..<end)
        let layers: ExtensionChain
        switch ExtensionChain.parse(&chain, first: next, previousField: offset + 6) {
        case .success(let parsed): layers = parsed
        case .failure(let error): return .failure(error)
        }
        reader = ByteReader(reader.bytes, range: chain.offset..<length)
        return .success(
            IPLayer(
                version: 6, source: IPAddress.read(bytes, v6At: o + 8),
                destination: IPAddress.read(bytes, v6At: o + 24),
                headerStart: offset, headerEnd: chain.offset,
                protocolFieldOffset: layers.protocolFieldOffset, protocolNumber: layers.protocolNumber,
                end: end, truncated: claimedEnd > length, fragment: layers.fragment, ttl: hopLimit))
    }

    /// The IPv6 extension headers that are part of the IP layer: up to the first that is not
    /// (the upper-layer header), or past a fragment header (what follows it is fragment data).
    struct ExtensionChain {
        var protocolNumber: UInt8
        var protocolFieldOffset: Int
        var fragment: FragmentInfo?

        static func parse(_ chain: inout ByteReader, first: UInt8, previousField: Int) -> Result<
            ExtensionChain, WireError
        > {
            var result = ExtensionChain(protocolNumber: first, protocolFieldOffset: previousField, fragment: nil)
            var count = 0
            while true {
                let cursor = chain.offset
                switch result.protocolNumber {
                case IPProtocol.hopByHop, IPProtocol.routing, IPProtocol.destinationOptions, IPProtocol.mobility:
                    guard count < maxExtensionHeaders else {
                        return .failure(
                            WireError(
                                .tooManyHeaders, layer: "IPv6", offset: cursor,
                                "more than \(maxExtensionHeaders) extension headers"))
                    }
                    guard chain.remaining >= 8, let next = chain.peekUInt8(), let units = chain.peekUInt8(at: 1) else {
                        return .failure(
                            WireError(
                                .truncated, layer: "IPv6 extension header", offset: cursor,
                                "needs 8 bytes, \(chain.remaining) left"))
                    }
                    let extLength = (Int(units) + 1) * 8
                    guard chain.skip(extLength) else {
                        return .failure(
                            WireError(
                                .truncated, layer: "IPv6 extension header", offset: cursor,
                                "length \(extLength), \(chain.remaining) left"))
                    }
                    result.protocolFieldOffset = cursor
                    result.protocolNumber = next
                    count += 1
                case IPProtocol.fragment:
                    guard let next = chain.readUInt8(), chain.skip(1), let word = chain.readUInt16(),
                        let identification = chain.readUInt32()
                    else {
                        return .failure(
                            WireError(
                                .truncated, layer: "IPv6 fragment header", offset: cursor,
                                "needs 8 bytes, \(chain.bounds.upperBound - cursor) left"))
                    }
                    let info = FragmentInfo(
                        offset: Int(word & 0xfff8), moreFragments: word & 1 != 0, identification: identification,
                        payloadProtocol: next, ipv6FragmentHeaderOffset: cursor,
                        ipv6PreviousNextHeaderOffset: result.protocolFieldOffset)
                    result.protocolFieldOffset = cursor
                    result.protocolNumber = next
                    // An atomic fragment (RFC 6946) is not really fragmented: carry on past it.
                    guard info.offset == 0 && !info.moreFragments else {
                        result.fragment = info
                        return .success(result)
                    }
                    count += 1
                default:
                    return .success(result)
                }
            }
        }
    }
}
