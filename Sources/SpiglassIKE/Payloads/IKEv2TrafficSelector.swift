import SpiglassWire

/// One traffic selector of a TSi/TSr payload (RFC 7296 3.13.1).
public struct IKEv2TrafficSelector: Sendable, Equatable {
    /// 7 TS_IPV4_ADDR_RANGE, 8 TS_IPV6_ADDR_RANGE; others (9 FC, 10 SECLABEL, ...) are kept raw
    /// in `data`.
    public var type: UInt8
    /// IP protocol (0 any); for types other than 7 and 8, the byte at that place.
    public var ipProtocol: UInt8
    public var startPort: UInt16
    public var endPort: UInt16
    /// 4 or 16 bytes for types 7 and 8; empty otherwise.
    public var startAddress: [UInt8]
    public var endAddress: [UInt8]
    /// For types other than 7 and 8: the selector after its Type, byte 1 and Selector Length.
    public var data: [UInt8]

    public init(type: UInt8, ipProtocol: UInt8, startPort: UInt16, endPort: UInt16, startAddress: [UInt8], endAddress: [UInt8],
                data: [UInt8] = []) {
        self.type = type
        self.ipProtocol = ipProtocol
        self.startPort = startPort
        self.endPort = endPort
        self.startAddress = startAddress
        self.endAddress = endAddress
        self.data = data
    }

    public var typeName: String { IKEv2Names.trafficSelectorTypeName(type) }

    public var isAddressRange: Bool { type == Self.ipv4Range || type == Self.ipv6Range }

    /// The start and end addresses as text ("10.200.1.0", "fd00:201::"); hex if odd-sized.
    public var startText: String { IKEv2TextRendering.address(startAddress) }
    public var endText: String { IKEv2TextRendering.address(endAddress) }

    /// "10.200.1.0/24" when the range is a prefix, "10.0.0.1-10.0.0.9" otherwise, then
    /// "[tcp/80]", "[udp]", "[any/500-600]" when the protocol or ports are restricted.
    public var text: String {
        guard isAddressRange else {
            return data.isEmpty ? typeName : "\(typeName) \(IKEv2Wire.hexPrefix(data, limit: 32))"
        }
        let addresses: String
        if let prefix = Self.prefixLength(startAddress, endAddress) {
            addresses = "\(startText)/\(prefix)"
        } else {
            addresses = "\(startText)-\(endText)"
        }
        return addresses + portsText
    }

    /// "" for any protocol and any port, else "[proto]" or "[proto/ports]".
    var portsText: String {
        let anyPort = startPort == 0 && endPort == 0xffff
        if ipProtocol == 0 && anyPort { return "" }
        let proto = IKEv2Names.ipProtocolName(ipProtocol)
        if anyPort { return "[\(proto)]" }
        if startPort == 0xffff && endPort == 0 { return "[\(proto)/OPAQUE]" }  // RFC 4301 4.4.1.1
        if startPort == endPort { return "[\(proto)/\(startPort)]" }
        return "[\(proto)/\(startPort)-\(endPort)]"
    }

    /// The prefix length when `start...end` is exactly one prefix (`end` has the host bits of
    /// `start` set), nil otherwise.
    static func prefixLength(_ start: [UInt8], _ end: [UInt8]) -> Int? {
        guard start.count == end.count, !start.isEmpty else { return nil }
        var prefix: Int? = nil
        for bit in 0..<(start.count * 8) {
            let mask = UInt8(0x80) >> UInt8(bit % 8)
            let s = start[bit / 8] & mask != 0
            let e = end[bit / 8] & mask != 0
            if prefix == nil {
                if s == e { continue }
                prefix = bit
            }
            guard !s && e else { return nil }
        }
        return prefix ?? start.count * 8
    }

    static let ipv4Range: UInt8 = 7
    static let ipv6Range: UInt8 = 8
    /// TS Type, IP Protocol ID, Selector Length (2): the part every selector type shares.
    static let commonHeaderLength = 4
    /// Common header, start and end port, two addresses.
    static let ipv4Length = 16
    static let ipv6Length = 40
    /// Number of TSs (1) + RESERVED (3).
    static let payloadHeaderLength = 4

    /// Parses the body of a TSi/TSr payload.
    static func parseList(_ bytes: [UInt8], range: Range<Int>, problems: inout [IKEv2ParseProblem]) -> Result<[IKEv2TrafficSelector], IKEv2ParseProblem> {
        let start = range.lowerBound
        guard range.count >= payloadHeaderLength else {
            return .failure(IKEv2ParseProblem(.truncatedBody, offset: start, "TS: body of \(range.count) bytes, needs \(payloadHeaderLength)"))
        }
        let declared = Int(bytes[start])
        var selectors: [IKEv2TrafficSelector] = []
        var cursor = start + payloadHeaderLength
        for index in 0..<declared {
            guard index < IKEv2Limits.maxTrafficSelectors else {
                problems.append(IKEv2ParseProblem(.tooManyTrafficSelectors, offset: cursor,
                                                  "TS: \(declared) selectors, only the first \(IKEv2Limits.maxTrafficSelectors) kept"))
                return .success(selectors)
            }
            let left = range.upperBound - cursor
            guard left >= commonHeaderLength else {
                return .failure(IKEv2ParseProblem(.badTrafficSelector, offset: cursor,
                                                  "TS: \(declared) selectors declared, selector \(index + 1) has \(left) bytes"))
            }
            let type = bytes[cursor]
            let length = Int(IKEv2Wire.u16(bytes, cursor + 2))
            guard length >= commonHeaderLength, length <= left else {
                return .failure(IKEv2ParseProblem(.badTrafficSelector, offset: cursor,
                                                  "TS: selector \(index + 1) length \(length), \(left) bytes left"))
            }
            let addressLength: Int
            switch type {
            case ipv4Range:
                guard length == ipv4Length else {
                    return .failure(IKEv2ParseProblem(.badTrafficSelector, offset: cursor, "TS: IPv4 range selector of length \(length), must be \(ipv4Length)"))
                }
                addressLength = 4
            case ipv6Range:
                guard length == ipv6Length else {
                    return .failure(IKEv2ParseProblem(.badTrafficSelector, offset: cursor, "TS: IPv6 range selector of length \(length), must be \(ipv6Length)"))
                }
                addressLength = 16
            default:
                selectors.append(IKEv2TrafficSelector(type: type, ipProtocol: bytes[cursor + 1], startPort: 0, endPort: 0,
                                                      startAddress: [], endAddress: [],
                                                      data: Array(bytes[(cursor + commonHeaderLength)..<(cursor + length)])))
                cursor += length
                continue
            }
            let first = cursor + 8
            selectors.append(IKEv2TrafficSelector(type: type, ipProtocol: bytes[cursor + 1],
                                                  startPort: IKEv2Wire.u16(bytes, cursor + 4), endPort: IKEv2Wire.u16(bytes, cursor + 6),
                                                  startAddress: Array(bytes[first..<(first + addressLength)]),
                                                  endAddress: Array(bytes[(first + addressLength)..<(first + 2 * addressLength)])))
            cursor += length
        }
        if cursor < range.upperBound {
            problems.append(IKEv2ParseProblem(.trailingBytes, offset: cursor,
                                              "TS: \(range.upperBound - cursor) bytes after the \(declared) declared selectors"))
        }
        return .success(selectors)
    }
}
