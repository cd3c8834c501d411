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

    static func parse(_ bytes: [UInt8], range: Range<Int>, problems: inout [IKEv2ParseProblem]) -> Result<IKEv2Configuration, IKEv2ParseProblem> {
        let start = range.lowerBound
        guard range.count >= headerLength else {
            return .failure(IKEv2ParseProblem(.truncatedBody, offset: start, "CP: body of \(range.count) bytes, needs \(headerLength)"))
        }
        var configuration = IKEv2Configuration(type: bytes[start], attributes: [])
        var cursor = start + headerLength
        while cursor < range.upperBound {
            guard configuration.attributes.count < IKEv2Limits.maxConfigAttributes else {
                problems.append(IKEv2ParseProblem(.tooManyConfigAttributes, offset: cursor,
                                                  "CP: more than \(IKEv2Limits.maxConfigAttributes) attributes; the rest is skipped"))
                break
            }
            let left = range.upperBound - cursor
            guard left >= attributeHeaderLength else {
                return .failure(IKEv2ParseProblem(.badConfigAttribute, offset: cursor, "CP: attribute header needs \(attributeHeaderLength) bytes, \(left) left"))
            }
            let type = IKEv2Wire.u16(bytes, cursor) & 0x7fff
            let length = Int(IKEv2Wire.u16(bytes, cursor + 2))
            guard length <= left - attributeHeaderLength else {
                return .failure(IKEv2ParseProblem(.badConfigAttribute, offset: cursor,
                                                  "CP: \(IKEv2Names.configAttributeName(type)) length \(length), \(left - attributeHeaderLength) bytes left"))
            }
            let valueStart = cursor + attributeHeaderLength
            configuration.attributes.append(IKEv2ConfigAttribute(type: type, value: Array(bytes[valueStart..<(valueStart + length)])))
            cursor = valueStart + length
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

    /// The value for people when its form is known: "10.3.0.1", "fd00::1/64", the application
    /// version text; nil when empty or opaque.
    public var valueText: String? {
        guard !value.isEmpty else { return nil }
        switch type {
        case 1, 2, 3, 4, 6, 20:
            // INTERNAL_IP4_ADDRESS, _NETMASK, _DNS, _NBNS, _DHCP, P_CSCF_IP4_ADDRESS.
            return value.count == 4 ? IKEv2TextRendering.address(value) : nil
        case 10, 12, 21:
            // INTERNAL_IP6_DNS, INTERNAL_IP6_DHCP, P_CSCF_IP6_ADDRESS.
            return value.count == 16 ? IKEv2TextRendering.address(value) : nil
        case 8, 15:
            // INTERNAL_IP6_ADDRESS, INTERNAL_IP6_SUBNET: address and prefix length.
            return value.count == 17 ? "\(IKEv2TextRendering.address(Array(value[0..<16])))/\(value[16])" : nil
        case 13:
            // INTERNAL_IP4_SUBNET: address and netmask.
            return value.count == 8 ? "\(IKEv2TextRendering.address(Array(value[0..<4])))/\(IKEv2TextRendering.address(Array(value[4..<8])))" : nil
        case 7, 25:
            // APPLICATION_VERSION, INTERNAL_DNS_DOMAIN.
            return DisplayText.escaped(bytes: value)
        default:
            return nil
        }
    }
}
