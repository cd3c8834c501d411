import SpiglassWire

/// CP (RFC 7296 3.15): CFG Type, 3 reserved bytes, attributes.
public struct IKEv2Configuration: Sendable, Equatable {
    /// 1 CFG_REQUEST, 2 CFG_REPLY, 3 CFG_SET, 4 CFG_ACK.
    public var type: UInt8
    public var attributes: [IKEv2ConfigAttribute]

    public init(type: UInt8, attributes: [IKEv2ConfigAttribute]) {
        self.type = type
        self.attributes = attributes
    }

    public var typeName: String { IKEv2Names.configTypeName(type) }

    /// CFG Type (1) + RESERVED (3).
    static let headerLength = 4
    /// R bit + Attribute Type (2), Length (2).
    static let attributeHeaderLength = 4

    static func parse(
        _ reader: inout ByteReader,
        problems: inout [IKEParseProblem]
    ) -> Result<IKEv2Configuration, IKEParseProblem> {
        if let problem = IKEFraming.needs(reader, headerLength, .v2, .configuration) { return .failure(problem) }
        var configuration = IKEv2Configuration(type: reader.readUInt8() ?? 0, attributes: [])
        reader.skip(3)
        while !reader.isAtEnd {
            let cursor = reader.offset
            guard configuration.attributes.count < IKEv2Limits.maxConfigAttributes else {
                problems.append(
                    IKEParseProblem(
                        .tooManyConfigAttributes, offset: cursor,
                        .v2, in: .configuration, .tooMany(declared: nil, limit: IKEv2Limits.maxConfigAttributes)))
                break
            }
            let left = reader.remaining
            guard let rawType = reader.readUInt16(), let length = reader.readUInt16() else {
                return .failure(
                    IKEParseProblem(
                        .badConfigAttribute, offset: cursor,
                        .v2, in: .configuration, .short(needed: attributeHeaderLength, available: left)))
            }
            let type = rawType & 0x7fff
            guard let value = reader.readBytes(Int(length)) else {
                return .failure(
                    IKEParseProblem(
                        .badConfigAttribute, offset: cursor,
                        .v2, in: .configuration,
                        .attribute(type, length: Int(length), available: left - attributeHeaderLength)))
            }
            configuration.attributes.append(IKEv2ConfigAttribute(type: type, value: value))
        }
        return .success(configuration)
    }
}

/// One configuration attribute (RFC 7296 3.15.1).
public struct IKEv2ConfigAttribute: Sendable, Equatable {
    /// Attribute type without the reserved bit.
    public var type: UInt16
    /// Empty in a CFG_REQUEST that only asks for the attribute.
    public var value: [UInt8]

    public init(type: UInt16, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    /// "INTERNAL_IP4_ADDRESS", "INTERNAL_IP6_DNS", ... (`IKEv2Names.configAttributeName`).
    public var name: String { IKEv2Names.configAttributeName(type) }

}
