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

    public init(
        type: UInt8, ipProtocol: UInt8, startPort: UInt16, endPort: UInt16, startAddress: [UInt8], endAddress: [UInt8],
        data: [UInt8] = []
    ) {
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

    public static let ipv4Range: UInt8 = 7
    public static let ipv6Range: UInt8 = 8
    /// TS Type, IP Protocol ID, Selector Length (2): the part every selector type shares.
    static let commonHeaderLength = 4
    /// Common header, start and end port, two addresses.
    static let ipv4Length = 16
    static let ipv6Length = 40
    /// Number of TSs (1) + RESERVED (3).
    static let payloadHeaderLength = 4

    /// Parses the body of a TSi/TSr payload.
    static func parseList(
        _ reader: inout ByteReader,
        problems: inout [IKEParseProblem]
    ) -> Result<[IKEv2TrafficSelector], IKEParseProblem> {
        if let problem = IKEFraming.needs(reader, payloadHeaderLength, .v2, .trafficSelectors) {
            return .failure(problem)
        }
        let declared = Int(reader.readUInt8() ?? 0)
        reader.skip(3)
        var selectors: [IKEv2TrafficSelector] = []
        for index in 0..<declared {
            guard index < IKEv2Limits.maxTrafficSelectors else {
                problems.append(
                    IKEParseProblem(
                        .tooManyTrafficSelectors, offset: reader.offset,
                        .v2, in: .trafficSelectors, .tooMany(declared: declared, limit: IKEv2Limits.maxTrafficSelectors)
                    ))
                return .success(selectors)
            }
            switch parse(&reader, index: index, declared: declared) {
            case .success(let selector): selectors.append(selector)
            case .failure(let problem): return .failure(problem)
            }
        }
        if !reader.isAtEnd {
            problems.append(
                IKEParseProblem(
                    .trailingBytes, offset: reader.offset,
                    .v2, in: .trafficSelectors, .trailing(reader.remaining, after: declared)))
        }
        return .success(selectors)
    }

    /// One selector (RFC 7296 3.13.1): TS Type, IP Protocol ID, Selector Length, then for the
    /// address ranges Start Port, End Port, Starting and Ending Address.
    static func parse(
        _ reader: inout ByteReader, index: Int,
        declared: Int
    ) -> Result<IKEv2TrafficSelector, IKEParseProblem> {
        let start = reader.offset
        let left = reader.remaining
        guard left >= commonHeaderLength, let type = reader.readUInt8(), let ipProtocol = reader.readUInt8(),
            let lengthField = reader.readUInt16()
        else {
            return .failure(
                IKEParseProblem(
                    .badTrafficSelector, offset: start,
                    .v2, in: .trafficSelector(index + 1, of: declared),
                    .short(needed: commonHeaderLength, available: left)))
        }
        let length = Int(lengthField)
        guard length >= commonHeaderLength, var selector = reader.readReader(length - commonHeaderLength) else {
            return .failure(
                IKEParseProblem(
                    .badTrafficSelector, offset: start,
                    .v2, in: .trafficSelector(index + 1, of: declared), .length(length, available: left)))
        }
        let addressLength: Int
        switch type {
        case ipv4Range: addressLength = 4
        case ipv6Range: addressLength = 16
        default:
            return .success(
                IKEv2TrafficSelector(
                    type: type, ipProtocol: ipProtocol, startPort: 0, endPort: 0,
                    startAddress: [], endAddress: [],
                    data: selector.readBytes(selector.remaining) ?? []))
        }
        let required = type == ipv4Range ? ipv4Length : ipv6Length
        guard length == required else {
            return .failure(
                IKEParseProblem(
                    .badTrafficSelector, offset: start,
                    .v2, in: .trafficSelector(index + 1, of: declared),
                    .address(type: type, length: length, required: required)))
        }
        let startPort = selector.readUInt16() ?? 0
        let endPort = selector.readUInt16() ?? 0
        return .success(
            IKEv2TrafficSelector(
                type: type, ipProtocol: ipProtocol, startPort: startPort, endPort: endPort,
                startAddress: selector.readBytes(addressLength) ?? [],
                endAddress: selector.readBytes(addressLength) ?? []))
    }
}
