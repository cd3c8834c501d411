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
    /// Proposal Num, Protocol ID, SPI Size, Num Transforms.
    static let headerLength = 8
    /// RFC 7296 3.3.1: "0 (last) or 2 (more)".
    static let lastSubstructure: UInt8 = 0
    static let moreSubstructure: UInt8 = 2

    /// Parses the proposals of an SA payload body.
    static func parseList(_ bytes: [UInt8], range: Range<Int>, problems: inout [IKEv2ParseProblem]) -> Result<[IKEv2Proposal], IKEv2ParseProblem> {
        var proposals: [IKEv2Proposal] = []
        var cursor = range.lowerBound
        var sawLast = false
        while cursor < range.upperBound {
            guard proposals.count < IKEv2Limits.maxProposalsPerSA else {
                problems.append(IKEv2ParseProblem(.tooManyProposals, offset: cursor,
                                                  "SA: more than \(IKEv2Limits.maxProposalsPerSA) proposals; the rest is skipped"))
                return .success(proposals)
            }
            let left = range.upperBound - cursor
            guard left >= headerLength else {
                return .failure(IKEv2ParseProblem(.badProposal, offset: cursor, "SA: proposal header needs \(headerLength) bytes, \(left) left"))
            }
            let last = bytes[cursor]
            let length = Int(IKEv2Wire.u16(bytes, cursor + 2))
            guard length >= headerLength else {
                return .failure(IKEv2ParseProblem(.badProposal, offset: cursor, "SA: proposal length \(length) is smaller than its \(headerLength)-byte header"))
            }
            guard length <= left else {
                return .failure(IKEv2ParseProblem(.badProposal, offset: cursor, "SA: proposal length \(length), \(left) bytes left in the payload"))
            }
            let spiSize = Int(bytes[cursor + 6])
            let declaredTransforms = Int(bytes[cursor + 7])
            guard headerLength + spiSize <= length else {
                return .failure(IKEv2ParseProblem(.badSPISize, offset: cursor + 6, "SA: proposal SPI size \(spiSize) does not fit its length \(length)"))
            }
            let spiStart = cursor + headerLength
            let transformsRange = (spiStart + spiSize)..<(cursor + length)
            switch IKEv2Transform.parseList(bytes, range: transformsRange, declared: declaredTransforms, problems: &problems) {
            case .failure(let problem): return .failure(problem)
            case .success(let transforms):
                proposals.append(IKEv2Proposal(number: bytes[cursor + 4], protocolID: bytes[cursor + 5],
                                               spi: Array(bytes[spiStart..<(spiStart + spiSize)]), transforms: transforms))
            }
            if last != lastSubstructure && last != moreSubstructure {
                problems.append(IKEv2ParseProblem(.badLastSubstructure, offset: cursor, "SA: proposal Last Substruc \(last), expected 0 or 2"))
            }
            cursor += length
            if last == lastSubstructure {
                sawLast = true
                break
            }
        }
        if sawLast, cursor < range.upperBound {
            problems.append(IKEv2ParseProblem(.trailingBytes, offset: cursor,
                                              "SA: \(range.upperBound - cursor) bytes after the proposal marked last"))
        } else if !sawLast, !proposals.isEmpty {
            problems.append(IKEv2ParseProblem(.badLastSubstructure, offset: cursor, "SA: the last proposal says more follow"))
        }
        return .success(proposals)
    }
}

extension IKEv2Transform {
    /// Transform substructure header: Last Substruc, RESERVED, Transform Length (2),
    /// Transform Type, RESERVED, Transform ID (2).
    static let headerLength = 8
    /// RFC 7296 3.3.2: "0 (last) or 3 (more)".
    static let lastSubstructure: UInt8 = 0
    static let moreSubstructure: UInt8 = 3
    /// RFC 7296 3.3.5: the only attribute type defined.
    static let keyLengthAttribute: UInt16 = 14

    static func parseList(_ bytes: [UInt8], range: Range<Int>, declared: Int,
                          problems: inout [IKEv2ParseProblem]) -> Result<[IKEv2Transform], IKEv2ParseProblem> {
        var transforms: [IKEv2Transform] = []
        var cursor = range.lowerBound
        var sawLast = false
        while cursor < range.upperBound {
            guard transforms.count < IKEv2Limits.maxTransformsPerProposal else {
                problems.append(IKEv2ParseProblem(.tooManyTransforms, offset: cursor,
                                                  "SA: more than \(IKEv2Limits.maxTransformsPerProposal) transforms in a proposal; the rest is skipped"))
                return .success(transforms)
            }
            let left = range.upperBound - cursor
            guard left >= headerLength else {
                return .failure(IKEv2ParseProblem(.badTransform, offset: cursor, "SA: transform header needs \(headerLength) bytes, \(left) left in the proposal"))
            }
            let last = bytes[cursor]
            let length = Int(IKEv2Wire.u16(bytes, cursor + 2))
            guard length >= headerLength else {
                return .failure(IKEv2ParseProblem(.badTransform, offset: cursor, "SA: transform length \(length) is smaller than its \(headerLength)-byte header"))
            }
            guard length <= left else {
                return .failure(IKEv2ParseProblem(.badTransform, offset: cursor, "SA: transform length \(length), \(left) bytes left in the proposal"))
            }
            var transform = IKEv2Transform(type: bytes[cursor + 4], id: IKEv2Wire.u16(bytes, cursor + 6))
            if case .failure(let problem) = transform.parseAttributes(bytes, range: (cursor + headerLength)..<(cursor + length), problems: &problems) {
                return .failure(problem)
            }
            transforms.append(transform)
            if last != lastSubstructure && last != moreSubstructure {
                problems.append(IKEv2ParseProblem(.badLastSubstructure, offset: cursor, "SA: transform Last Substruc \(last), expected 0 or 3"))
            }
            cursor += length
            if last == lastSubstructure {
                sawLast = true
                break
            }
        }
        if sawLast, cursor < range.upperBound {
            problems.append(IKEv2ParseProblem(.trailingBytes, offset: cursor,
                                              "SA: \(range.upperBound - cursor) bytes after the transform marked last"))
        } else if !sawLast, !transforms.isEmpty {
            problems.append(IKEv2ParseProblem(.badLastSubstructure, offset: cursor, "SA: the last transform of a proposal says more follow"))
        }
        if transforms.count != declared {
            problems.append(IKEv2ParseProblem(.countMismatch, offset: range.lowerBound,
                                              "SA: proposal declares \(declared) transforms, holds \(transforms.count)"))
        }
        return .success(transforms)
    }

    /// RFC 7296 3.3.5: AF bit + type (2), then a 2-byte value (TV) or a length and value (TLV).
    mutating func parseAttributes(_ bytes: [UInt8], range: Range<Int>, problems: inout [IKEv2ParseProblem]) -> Result<Void, IKEv2ParseProblem> {
        var cursor = range.lowerBound
        var count = 0
        while cursor < range.upperBound {
            guard count < IKEv2Limits.maxAttributesPerTransform else {
                problems.append(IKEv2ParseProblem(.tooManyAttributes, offset: cursor,
                                                  "SA: more than \(IKEv2Limits.maxAttributesPerTransform) attributes in a transform; the rest is skipped"))
                return .success(())
            }
            let left = range.upperBound - cursor
            guard left >= 4 else {
                return .failure(IKEv2ParseProblem(.badAttribute, offset: cursor, "SA: transform attribute needs 4 bytes, \(left) left"))
            }
            let raw = IKEv2Wire.u16(bytes, cursor)
            let type = raw & 0x7fff
            if raw & 0x8000 != 0 {
                if type == Self.keyLengthAttribute && keyLength == nil {
                    keyLength = IKEv2Wire.u16(bytes, cursor + 2)
                } else {
                    otherAttributes.append(IKEv2TransformAttribute(type: type, value: Array(bytes[(cursor + 2)..<(cursor + 4)]), isTypeValue: true))
                }
                cursor += 4
            } else {
                let length = Int(IKEv2Wire.u16(bytes, cursor + 2))
                guard length <= left - 4 else {
                    return .failure(IKEv2ParseProblem(.badAttribute, offset: cursor, "SA: attribute \(type) length \(length), \(left - 4) bytes left in the transform"))
                }
                otherAttributes.append(IKEv2TransformAttribute(type: type, value: Array(bytes[(cursor + 4)..<(cursor + 4 + length)]), isTypeValue: false))
                cursor += 4 + length
            }
            count += 1
        }
        return .success(())
    }
}
