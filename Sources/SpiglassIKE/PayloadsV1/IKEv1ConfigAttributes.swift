import SpiglassWire

/// ATTR (draft-ietf-ipsec-isakmp-mode-cfg-05 3.2, also carrying XAUTH,
/// draft-ietf-ipsec-isakmp-xauth-06): Attribute Message Type, RESERVED, Identifier, then data
/// attributes in the RFC 2408 3.3 format (basic or variable).
public struct IKEv1ConfigAttributes: Sendable, Equatable {
    /// 1 ISAKMP_CFG_REQUEST, 2 ISAKMP_CFG_REPLY, 3 ISAKMP_CFG_SET, 4 ISAKMP_CFG_ACK.
    public var type: UInt8
    /// Matches a REPLY to its REQUEST, an ACK to its SET.
    public var identifier: UInt16
    public var attributes: [IKEv1Attribute]

    public init(type: UInt8, identifier: UInt16, attributes: [IKEv1Attribute]) {
        self.type = type
        self.identifier = identifier
        self.attributes = attributes
    }

    /// "REQUEST", "REPLY", "SET", "ACK" (`IKEv1Names.configTypeName`).
    public var typeName: String { IKEv1Names.configTypeName(type) }

    /// Type (1), RESERVED (1), Identifier (2).
    static let headerLength = 4

    static func parse(
        _ reader: inout ByteReader,
        problems: inout [IKEParseProblem]
    ) -> Result<IKEv1ConfigAttributes, IKEParseProblem> {
        if let problem = IKEFraming.needs(reader, headerLength, .v1, .configuration) { return .failure(problem) }
        let type = reader.readUInt8() ?? 0
        reader.skip(1)
        let identifier = reader.readUInt16() ?? 0
        return IKEv1Attribute.parseList(
            &reader, limit: IKEv1Limits.maxConfigAttributes, context: .configuration,
            tooMany: .tooManyConfigAttributes,
            bad: .badConfigAttribute, problems: &problems
        )
        .map { IKEv1ConfigAttributes(type: type, identifier: identifier, attributes: $0) }
    }
}

extension IKEv1Attribute {
    /// As a Mode Config / XAUTH attribute: "INTERNAL_IP4_ADDRESS", "XAUTH-USER-NAME", ...
    public var configName: String { IKEv1Names.configAttributeName(type) }

    /// XAUTH attributes whose value is a secret (password, passcode, next PIN, answer): their
    /// value is never rendered, only its length.
    public var isSecretConfigAttribute: Bool { IKEv1Names.configAttributeIsSecret(type) }

}

/// NAT-OA (RFC 3947 5.2): ID Type (ID_IPV4_ADDR or ID_IPV6_ADDR), RESERVED (3), the address
/// the sender saw before NAT.
public struct IKEv1NATOriginalAddress: Sendable, Equatable {
    public var idType: UInt8
    public var address: [UInt8]

    public init(idType: UInt8, address: [UInt8]) {
        self.idType = idType
        self.address = address
    }

    /// An IPv4 address of 4 bytes or an IPv6 address of 16.
    public var isWellFormed: Bool {
        (idType == IKEv1Names.ID.ipv4Address && address.count == 4)
            || (idType == IKEv1Names.ID.ipv6Address && address.count == 16)
    }

    /// ID Type (1), RESERVED (3).
    static let headerLength = 4

    static func parse(_ reader: inout ByteReader) -> Result<IKEv1NATOriginalAddress, IKEParseProblem> {
        let start = reader.offset
        guard reader.remaining >= headerLength, let idType = reader.readUInt8(), reader.skip(3) else {
            return .failure(
                IKEParseProblem(
                    .truncatedBody, offset: start,
                    .v1, in: .natOriginalAddress, .short(needed: headerLength, available: reader.remaining)))
        }
        let oa = IKEv1NATOriginalAddress(idType: idType, address: reader.readBytes(reader.remaining) ?? [])
        // RFC 3947 5.2: "The ID type can be either ID_IPV4_ADDR or ID_IPV6_ADDR."
        if (oa.idType == IKEv1Names.ID.ipv4Address || oa.idType == IKEv1Names.ID.ipv6Address) && !oa.isWellFormed {
            return .failure(
                IKEParseProblem(
                    .badNATOriginalAddress, offset: start,
                    .v1, in: .natOriginalAddress, .address(type: oa.idType, length: oa.address.count, required: nil)))
        }
        return .success(oa)
    }
}

/// FRAG (payload 132): one fragment of an IKEv1 message, as Cisco's IKE fragmentation defines
/// it (also sent by strongSwan, racoon, Windows): Fragment ID (2), Fragment Number (1, from 1),
/// Flags (1, LAST_FRAGMENT = 1), then the fragment's share of the original message.
public struct IKEv1Fragment: Sendable, Equatable {
    /// The same for every fragment of one message.
    public var id: UInt16
    public var number: UInt8
    public var flags: UInt8
    public var data: [UInt8]
    /// Where `data` lies in the buffer parsed.
    public var dataRange: Range<Int>

    public init(id: UInt16, number: UInt8, flags: UInt8, data: [UInt8], dataRange: Range<Int>) {
        self.id = id
        self.number = number
        self.flags = flags
        self.data = data
        self.dataRange = dataRange
    }

    public static let lastFragmentFlag: UInt8 = 0x01

    /// The last fragment of the message: the total is its number.
    public var isLast: Bool { flags & Self.lastFragmentFlag != 0 }

    /// Fragment ID (2), Fragment Number (1), Flags (1).
    static let headerLength = 4

    static func parse(_ reader: inout ByteReader) -> Result<IKEv1Fragment, IKEParseProblem> {
        let start = reader.offset
        guard reader.remaining >= headerLength, let id = reader.readUInt16(), let number = reader.readUInt8(),
            let flags = reader.readUInt8()
        else {
            return .failure(
                IKEParseProblem(
                    .truncatedBody, offset: start,
                    .v1, in: .fragment, .short(needed: headerLength, available: reader.remaining)))
        }
        // Fragments are numbered from 1 (strongSwan's and Cisco's reassembly both reject 0).
        guard number >= 1 else {
            return .failure(
                IKEParseProblem(.badFragmentNumber, offset: start + 2, .v1, in: .fragment, .value(0, against: nil)))
        }
        let dataRange = reader.remainingRange
        return .success(
            IKEv1Fragment(
                id: id, number: number, flags: flags,
                data: reader.readBytes(reader.remaining) ?? [],
                dataRange: dataRange))
    }
}
