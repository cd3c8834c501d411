import SpiglassWire

/// SA (RFC 2408 3.4): Domain of Interpretation, Situation, then Proposal payloads (3.5) each
/// followed by its Transform payloads (3.6) with their data attributes (3.3).
public struct IKEv1SecurityAssociation: Sendable, Equatable {
    /// 0 ISAKMP, 1 IPsec (RFC 2407), 2 GDOI (RFC 3547).
    public var doi: UInt32
    /// 4 bytes for the IPsec DOI (RFC 2407 4.6.1: SIT_IDENTITY_ONLY 1, SIT_SECRECY 2,
    /// SIT_INTEGRITY 4); for another DOI everything after the DOI, whose layout this parser
    /// does not know (no proposals are read then).
    public var situation: [UInt8]
    public var proposals: [IKEv1Proposal]

    public init(doi: UInt32, situation: [UInt8], proposals: [IKEv1Proposal]) {
        self.doi = doi
        self.situation = situation
        self.proposals = proposals
    }

    /// "IPSEC", "ISAKMP", "GDOI" (`IKEv1Names.doiName`).
    public var doiName: String { IKEv1Names.doiName(doi) }

    /// RFC 2407 4.2: the IPsec DOI's number.
    public static let ipsecDOI: UInt32 = 1
    /// DOI (4).
    static let doiLength = 4
    /// RFC 2407 4.6.1: the IPsec situation is a 32-bit bitmask.
    static let ipsecSituationLength = 4

    static func parse(
        _ reader: inout ByteReader,
        problems: inout [IKEParseProblem]
    ) -> Result<IKEv1SecurityAssociation, IKEParseProblem> {
        let start = reader.offset
        let count = reader.remaining
        guard count >= doiLength, let doi = reader.readUInt32() else {
            return .failure(
                IKEParseProblem(
                    .truncatedBody, offset: start,
                    .v1, in: .securityAssociation, .short(needed: doiLength, available: count)))
        }
        guard doi == ipsecDOI else {
            return .success(
                IKEv1SecurityAssociation(
                    doi: doi, situation: reader.readBytes(reader.remaining) ?? [],
                    proposals: []))
        }
        guard let situation = reader.readBytes(ipsecSituationLength) else {
            return .failure(
                IKEParseProblem(
                    .truncatedBody, offset: start,
                    .v1, in: .situation, .short(needed: doiLength + ipsecSituationLength, available: count)))
        }
        return IKEv1Proposal.parseList(&reader, problems: &problems).map {
            IKEv1SecurityAssociation(doi: doi, situation: situation, proposals: $0)
        }
    }
}

/// One Proposal payload (RFC 2408 3.5). Proposals with the same number are one offer taken
/// together (an AH + ESP bundle); different numbers are alternatives.
public struct IKEv1Proposal: Sendable, Equatable {
    public var number: UInt8
    /// 1 PROTO_ISAKMP, 2 PROTO_IPSEC_AH, 3 PROTO_IPSEC_ESP, 4 PROTO_IPCOMP.
    public var protocolID: UInt8
    /// Empty (or the cookies) in phase 1; the sender's inbound SPI in Quick Mode (4 bytes for
    /// AH/ESP, a 2-byte CPI for IPComp).
    public var spi: [UInt8]
    public var transforms: [IKEv1Transform]

    public init(number: UInt8, protocolID: UInt8, spi: [UInt8], transforms: [IKEv1Transform]) {
        self.number = number
        self.protocolID = protocolID
        self.spi = spi
        self.transforms = transforms
    }

    /// "IKE", "AH", "ESP", "IPCOMP" (`IKEv1Names.protocolName`).
    public var protocolName: String { IKEv1Names.protocolName(protocolID) }

    /// Generic header (4), Proposal # (1), Protocol-Id (1), SPI Size (1), # of Transforms (1).
    /// RFC 2408 3.5: Next Payload is 2 when another proposal follows, 0 for the last.
    static let substructures = IKESubstructures.proposals(
        limit: IKEv1Limits.maxProposalsPerSA, .v1)

    /// The proposals after the situation of an SA payload.
    static func parseList(
        _ reader: inout ByteReader,
        problems: inout [IKEParseProblem]
    ) -> Result<[IKEv1Proposal], IKEParseProblem> {
        substructures.parse(&reader, problems: &problems, item: parse)
    }

    /// One proposal after its generic header: Proposal #, Protocol-Id, SPI Size, # of
    /// Transforms, SPI, Transform payloads.
    static func parse(
        _ reader: inout ByteReader,
        problems: inout [IKEParseProblem]
    ) -> Result<IKEv1Proposal, IKEParseProblem> {
        substructures.proposalHeader(&reader).flatMap { header in
            IKEv1Transform.parseList(
                &reader, protocolID: header.protocolID, declared: header.declaredTransforms,
                problems: &problems
            ).map {
                IKEv1Proposal(number: header.number, protocolID: header.protocolID, spi: header.spi, transforms: $0)
            }
        }
    }
}

/// One Transform payload (RFC 2408 3.6) and its SA attributes. What the attributes mean
/// depends on the proposal's protocol: phase-1 classes (RFC 2409 Appendix A) under
/// PROTO_ISAKMP, IPsec DOI attributes (RFC 2407 4.5) otherwise.
public struct IKEv1Transform: Sendable, Equatable {
    public var number: UInt8
    /// KEY_IKE (1) under PROTO_ISAKMP; ESP_3DES, AH_SHA, IPCOMP_DEFLATE... otherwise
    /// (`IKEv1Names.transformName`).
    public var transformID: UInt8
    /// In wire order.
    public var attributes: [IKEv1Attribute]
    /// The protocol of the proposal holding this transform.
    public var protocolID: UInt8

    public init(number: UInt8, transformID: UInt8, attributes: [IKEv1Attribute], protocolID: UInt8) {
        self.number = number
        self.transformID = transformID
        self.attributes = attributes
        self.protocolID = protocolID
    }

    /// Under PROTO_ISAKMP: a phase-1 (Main, Aggressive Mode) transform.
    public var isPhase1: Bool { protocolID == IKEv1Names.protoISAKMP }

    /// "KEY_IKE", "ESP_AES", "AH_SHA", "IPCOMP_DEFLATE", ...
    public var name: String { IKEv1Names.transformName(protocolID: protocolID, id: transformID) }

    /// The value of the first attribute of `type` as an integer (a basic attribute's 16 bits,
    /// or a variable one of 1 to 8 bytes).
    public func integerValue(_ type: UInt16) -> UInt64? {
        attributes.first { $0.type == type }?.integerValue
    }

    func value16(_ type: UInt16) -> UInt16? {
        integerValue(type).flatMap { $0 <= UInt64(UInt16.max) ? UInt16($0) : nil }
    }

    // MARK: Phase 1 (RFC 2409 Appendix A)

    /// Class 1: DES-CBC 1, IDEA 2, Blowfish 3, RC5 4, 3DES 5, CAST 6, AES-CBC 7, Camellia 8.
    public var encryptionAlgorithm: UInt16? { isPhase1 ? value16(IKEv1Names.Phase1Attribute.encryptionAlgorithm) : nil }
    /// Class 2: MD5 1, SHA 2, Tiger 3, SHA2-256 4, SHA2-384 5, SHA2-512 6.
    public var hashAlgorithm: UInt16? { isPhase1 ? value16(IKEv1Names.Phase1Attribute.hashAlgorithm) : nil }
    /// Class 3: PSK 1, DSS 2, RSA signatures 3, ... XAUTH and hybrid variants.
    public var authenticationMethod: UInt16? {
        isPhase1 ? value16(IKEv1Names.Phase1Attribute.authenticationMethod) : nil
    }
    /// Class 14 (phase 1), attribute 6 (IPsec): key length in bits.
    public var keyLength: UInt16? {
        value16(isPhase1 ? IKEv1Names.Phase1Attribute.keyLength : IKEv1Names.IPsecAttribute.keyLength)
    }
    /// Class 4 Group Description (phase 1); attribute 3 Group Description, the PFS group (IPsec).
    public var group: UInt16? {
        value16(isPhase1 ? IKEv1Names.Phase1Attribute.groupDescription : IKEv1Names.IPsecAttribute.groupDescription)
    }

    // MARK: IPsec DOI (RFC 2407 4.5)

    /// Attribute 4: Tunnel 1, Transport 2, UDP-Encapsulated-Tunnel 3, UDP-Encapsulated-Transport 4
    /// (RFC 3947), 61443/61444 (drafts).
    public var encapsulationMode: UInt16? { isPhase1 ? nil : value16(IKEv1Names.IPsecAttribute.encapsulationMode) }
    /// Attribute 5: HMAC-MD5 1, HMAC-SHA 2, ... HMAC-SHA2-256 5, AES-XCBC-MAC 9.
    public var authenticationAlgorithm: UInt16? {
        isPhase1 ? nil : value16(IKEv1Names.IPsecAttribute.authenticationAlgorithm)
    }
    /// Attribute 11 (RFC 4304): 64-bit sequence numbers asked for.
    public var extendedSequenceNumbers: Bool {
        !isPhase1 && value16(IKEv1Names.IPsecAttribute.extendedSequenceNumber) == 1
    }

    // MARK: Lifetimes (both)

    /// Each Life Type attribute with the Life Duration that follows it (RFC 2409 Appendix A,
    /// RFC 2407 4.5: "the Life Duration attribute MUST immediately follow the Life Type").
    public var lifetimes: [IKEv1Lifetime] {
        let typeAttribute = isPhase1 ? IKEv1Names.Phase1Attribute.lifeType : IKEv1Names.IPsecAttribute.lifeType
        let durationAttribute =
            isPhase1 ? IKEv1Names.Phase1Attribute.lifeDuration : IKEv1Names.IPsecAttribute.lifeDuration
        return IKEv1Lifetime.pairs(attributes, typeAttribute: typeAttribute, durationAttribute: durationAttribute)
    }

    /// The first life type: 1 seconds, 2 kilobytes.
    public var lifeType: UInt16? { lifetimes.first?.type }
    /// The first life duration, when it fits 64 bits.
    public var lifeDuration: UInt64? { lifetimes.first?.duration }

    /// Generic header (4), Transform # (1), Transform-Id (1), RESERVED2 (2). RFC 2408 3.6: Next
    /// Payload is 3 when another transform follows, 0 for the last.
    static let substructures = IKESubstructures.transforms(
        limit: IKEv1Limits.maxTransformsPerProposal, .v1)

    static func parseList(
        _ reader: inout ByteReader, protocolID: UInt8, declared: Int,
        problems: inout [IKEParseProblem]
    ) -> Result<[IKEv1Transform], IKEParseProblem> {
        substructures.parse(&reader, declared: declared, problems: &problems) { reader, problems in
            parse(&reader, protocolID: protocolID, problems: &problems)
        }
    }

    /// One transform after its generic header: Transform #, Transform-Id, RESERVED2, SA
    /// attributes.
    static func parse(
        _ reader: inout ByteReader, protocolID: UInt8,
        problems: inout [IKEParseProblem]
    ) -> Result<IKEv1Transform, IKEParseProblem> {
        let start = reader.offset
        guard let number = reader.readUInt8(), let id = reader.readUInt8(), reader.skip(2) else {
            return .failure(IKEParseProblem(.badTransform, offset: start - 4, .v1, in: .transform))
        }
        return IKEv1Attribute.parseList(
            &reader, limit: IKEv1Limits.maxAttributesPerTransform,
            context: .transform, problems: &problems
        )
        .map { IKEv1Transform(number: number, transformID: id, attributes: $0, protocolID: protocolID) }
    }
}

/// One data attribute (RFC 2408 3.3): Type/Value (basic, AF = 1) or Type/Length/Value.
public struct IKEv1Attribute: Sendable, Equatable {
    /// Attribute type without the AF bit.
    public var type: UInt16
    /// The 2-byte value of a basic attribute, or the value of a variable one.
    public var value: [UInt8]
    /// True for the basic (TV, AF = 1) format.
    public var isBasic: Bool

    public init(type: UInt16, value: [UInt8], isBasic: Bool) {
        self.type = type
        self.value = value
        self.isBasic = isBasic
    }

    /// The value as a big-endian unsigned integer when it is 1 to 8 bytes long.
    public var integerValue: UInt64? {
        guard !value.isEmpty, value.count <= IKEv1Limits.maxIntegerAttributeBytes else { return nil }
        return value.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// RFC 2408 3.3: "Attribute Format (AF) (1 bit) - Indicates whether the data attributes
    /// follow the Type/Length/Value (TLV) format or a shortened Type/Value (TV) format."
    static let formatBit: UInt16 = 0x8000
    /// AF + Attribute Type (2), Attribute Length or Value (2).
    static let headerLength = 4

    /// The attributes filling `range`, at most `limit` (the rest is a `tooMany` problem); one
    /// running past the range fails the whole list with `bad`.
    static func parseList(
        _ reader: inout ByteReader, limit: Int, context: IKEParseProblem.Part,
        tooMany: IKEParseProblem.Code = .tooManyAttributes, bad: IKEParseProblem.Code = .badAttribute,
        problems: inout [IKEParseProblem]
    ) -> Result<[IKEv1Attribute], IKEParseProblem> {
        var attributes: [IKEv1Attribute] = []
        while !reader.isAtEnd {
            let cursor = reader.offset
            guard attributes.count < limit else {
                problems.append(
                    IKEParseProblem(
                        tooMany, offset: cursor,
                        .v1, in: context, .tooMany(declared: nil, limit: limit)))
                break
            }
            let left = reader.remaining
            guard left >= headerLength, let raw = reader.readUInt16(), let second = reader.readUInt16() else {
                return .failure(
                    IKEParseProblem(
                        bad, offset: cursor,
                        .v1, in: context, .short(needed: headerLength, available: left)))
            }
            let type = raw & ~formatBit
            if raw & formatBit != 0 {
                let value = [UInt8(truncatingIfNeeded: second >> 8), UInt8(truncatingIfNeeded: second)]
                attributes.append(IKEv1Attribute(type: type, value: value, isBasic: true))
            } else {
                guard let value = reader.readBytes(Int(second)) else {
                    return .failure(
                        IKEParseProblem(
                            bad, offset: cursor,
                            .v1, in: context, .attribute(type, length: Int(second), available: left - headerLength)))
                }
                attributes.append(IKEv1Attribute(type: type, value: value, isBasic: false))
            }
        }
        return .success(attributes)
    }
}

/// A Life Type with its Life Duration (phase-1 classes 11/12, IPsec attributes 1/2).
public struct IKEv1Lifetime: Sendable, Equatable {
    /// 1 seconds, 2 kilobytes.
    public var type: UInt16
    /// Nil when no duration follows the type, or it does not fit 64 bits.
    public var duration: UInt64?

    public init(type: UInt16, duration: UInt64?) {
        self.type = type
        self.duration = duration
    }

    static func pairs(_ attributes: [IKEv1Attribute], typeAttribute: UInt16, durationAttribute: UInt16)
        -> [IKEv1Lifetime]
    {
        var result: [IKEv1Lifetime] = []
        for (index, attribute) in attributes.enumerated() where attribute.type == typeAttribute {
            guard let type = attribute.integerValue, type <= UInt64(UInt16.max) else { continue }
            var duration: UInt64? = nil
            if index + 1 < attributes.count, attributes[index + 1].type == durationAttribute {
                duration = attributes[index + 1].integerValue
            }
            result.append(IKEv1Lifetime(type: UInt16(type), duration: duration))
        }
        return result
    }
}
