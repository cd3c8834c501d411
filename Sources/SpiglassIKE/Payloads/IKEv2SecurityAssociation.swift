import SpiglassWire

/// One proposal of an SA payload (RFC 7296 3.3.1).
public struct IKEv2Proposal: Sendable, Equatable {
    public var number: UInt8
    /// 1 IKE, 2 AH, 3 ESP (`IKEv2Names.protocolName`).
    public var protocolID: UInt8
    /// Empty in an IKE_SA_INIT proposal; the sender's inbound SPI otherwise (4 bytes for
    /// AH/ESP, 8 for an IKE SA rekey).
    public var spi: [UInt8]
    public var transforms: [IKEv2Transform]

    public init(number: UInt8, protocolID: UInt8, spi: [UInt8], transforms: [IKEv2Transform]) {
        self.number = number
        self.protocolID = protocolID
        self.spi = spi
        self.transforms = transforms
    }

    public var protocolName: String { IKEv2Names.protocolName(protocolID) }
}

/// One transform (RFC 7296 3.3.2) with its attributes (3.3.5).
public struct IKEv2Transform: Sendable, Equatable {
    /// 1 ENCR, 2 PRF, 3 INTEG, 4 KE (D-H), 5 ESN, 6..12 ADDKE1..7 (RFC 9370).
    public var type: UInt8
    public var id: UInt16
    /// Attribute 14 (Key Length, bits), in TV format as RFC 7296 requires.
    public var keyLength: UInt16?
    /// Every other attribute, in order.
    public var otherAttributes: [IKEv2TransformAttribute]

    public init(type: UInt8, id: UInt16, keyLength: UInt16? = nil, otherAttributes: [IKEv2TransformAttribute] = []) {
        self.type = type
        self.id = id
        self.keyLength = keyLength
        self.otherAttributes = otherAttributes
    }

    /// "ENCR", "PRF", "INTEG", "KE", "ESN", "ADDKE1", ...
    public var typeName: String { IKEv2Names.transformTypeName(type) }

    /// "ENCR_AES_CBC_256", "PRF_HMAC_SHA2_256", "AUTH_HMAC_SHA2_256_128", "ECP_256", "NO_ESN":
    /// the IANA name, with the key length appended for encryption transforms that carry one.
    public var name: String {
        let base = IKEv2Names.transformIDName(type: type, id: id)
        if type == 1, let keyLength { return "\(base)_\(keyLength)" }
        return base
    }
}

/// A transform attribute other than Key Length.
public struct IKEv2TransformAttribute: Sendable, Equatable {
    /// Attribute type without the AF bit.
    public var type: UInt16
    /// The 2-byte value of a TV attribute, or the value of a TLV one.
    public var value: [UInt8]
    /// True for the TV (AF = 1) format.
    public var isTypeValue: Bool

    public init(type: UInt16, value: [UInt8], isTypeValue: Bool) {
        self.type = type
        self.value = value
        self.isTypeValue = isTypeValue
    }
}

extension IKEv2Proposal {
    /// Proposal substructure header: Last Substruc, RESERVED, Proposal Length (2),
    /// Proposal Num, Protocol ID, SPI Size, Num Transforms. RFC 7296 3.3.1: Last Substruc
    /// "0 (last) or 2 (more)".
    static let substructures = IKESubstructures.proposals(
        limit: IKEv2Limits.maxProposalsPerSA, .v2)

    /// Parses the proposals of an SA payload body.
    static func parseList(
        _ reader: inout ByteReader,
        problems: inout [IKEParseProblem]
    ) -> Result<[IKEv2Proposal], IKEParseProblem> {
        substructures.parse(&reader, problems: &problems, item: parse)
    }

    /// One proposal after its first four bytes: Proposal Num, Protocol ID, SPI Size, Num
    /// Transforms, SPI, Transforms.
    static func parse(
        _ reader: inout ByteReader,
        problems: inout [IKEParseProblem]
    ) -> Result<IKEv2Proposal, IKEParseProblem> {
        substructures.proposalHeader(&reader).flatMap { header in
            IKEv2Transform.parseList(
                &reader, declared: header.declaredTransforms,
                problems: &problems
            ).map { transforms in
                IKEv2Proposal(
                    number: header.number, protocolID: header.protocolID, spi: header.spi,
                    transforms: transforms)
            }
        }
    }
}

extension IKEv2Transform {
    /// Transform substructure header: Last Substruc, RESERVED, Transform Length (2),
    /// Transform Type, RESERVED, Transform ID (2). RFC 7296 3.3.2: Last Substruc "0 (last) or
    /// 3 (more)".
    /// RFC 7296 3.3.5: the only attribute type defined.
    static let keyLengthAttribute: UInt16 = 14

    static let substructures = IKESubstructures.transforms(
        limit: IKEv2Limits.maxTransformsPerProposal, .v2)

    static func parseList(
        _ reader: inout ByteReader, declared: Int,
        problems: inout [IKEParseProblem]
    ) -> Result<[IKEv2Transform], IKEParseProblem> {
        substructures.parse(&reader, declared: declared, problems: &problems, item: parse)
    }

    /// One transform after its first four bytes: Transform Type, RESERVED, Transform ID,
    /// attributes.
    static func parse(
        _ reader: inout ByteReader,
        problems: inout [IKEParseProblem]
    ) -> Result<IKEv2Transform, IKEParseProblem> {
        let start = reader.offset
        guard let type = reader.readUInt8(), reader.skip(1), let id = reader.readUInt16() else {
            return .failure(IKEParseProblem(.badTransform, offset: start - 4, .v2, in: .transform))
        }
        var transform = IKEv2Transform(type: type, id: id)
        return transform.parseAttributes(&reader, problems: &problems).map { transform }
    }

    /// RFC 7296 3.3.5: AF bit + type (2), then a 2-byte value (TV) or a length and value (TLV).
    mutating func parseAttributes(
        _ reader: inout ByteReader,
        problems: inout [IKEParseProblem]
    ) -> Result<Void, IKEParseProblem> {
        var count = 0
        while !reader.isAtEnd {
            let cursor = reader.offset
            guard count < IKEv2Limits.maxAttributesPerTransform else {
                problems.append(
                    IKEParseProblem(
                        .tooManyAttributes, offset: cursor,
                        .v2, in: .transform, .tooMany(declared: nil, limit: IKEv2Limits.maxAttributesPerTransform)))
                return .success(())
            }
            let left = reader.remaining
            guard left >= 4, let raw = reader.readUInt16(), let second = reader.readUInt16() else {
                return .failure(
                    IKEParseProblem(
                        .badAttribute, offset: cursor,
                        .v2, in: .transform, .short(needed: 4, available: left)))
            }
            let type = raw & 0x7fff
            if raw & 0x8000 != 0 {
                if type == Self.keyLengthAttribute && keyLength == nil {
                    keyLength = second
                } else {
                    let value = [UInt8(truncatingIfNeeded: second >> 8), UInt8(truncatingIfNeeded: second)]
                    otherAttributes.append(IKEv2TransformAttribute(type: type, value: value, isTypeValue: true))
                }
            } else {
                guard let value = reader.readBytes(Int(second)) else {
                    return .failure(
                        IKEParseProblem(
                            .badAttribute, offset: cursor,
                            .v2, in: .transform, .attribute(type, length: Int(second), available: left - 4)))
                }
                otherAttributes.append(IKEv2TransformAttribute(type: type, value: value, isTypeValue: false))
            }
            count += 1
        }
        return .success(())
    }
}
