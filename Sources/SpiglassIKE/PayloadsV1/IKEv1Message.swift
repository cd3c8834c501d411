import SpiglassWire

/// One IKEv1 (ISAKMP) message (RFC 2408 3.1): the fixed header and, unless the Encryption bit
/// is set, the payload chain. An encrypted message's payloads are parsed only once decrypted
/// (`IKEv1Parser.parsePayloadChain` on the plaintext, with the header's Next Payload).
public struct IKEv1Message: Sendable, Equatable {
    /// The ISAKMP header (major version 1); its `range` is the whole message (header length
    /// field) within the buffer that was parsed.
    public var header: IKEHeader
    /// Payloads in order; empty when the E flag is set (the body is ciphertext).
    public var payloads: [IKEv1Payload]
    /// E flag: the ciphertext, from after the 28-byte header up to the header's length.
    public var encryptedRange: Range<Int>?
    /// Non-fatal issues: trailing bytes, limits reached, payloads whose body did not parse
    /// (also kept as `.malformed` bodies)...
    public var problems: [IKEParseProblem]

    public init(header: IKEHeader, payloads: [IKEv1Payload], encryptedRange: Range<Int>?, problems: [IKEParseProblem]) {
        self.header = header
        self.payloads = payloads
        self.encryptedRange = encryptedRange
        self.problems = problems
    }

    /// RFC 2408 3.1 flags: E(ncryption), C(ommit), A(uthentication Only).
    public static let encryptionFlag: UInt8 = 0x01
    public static let commitFlag: UInt8 = 0x02
    public static let authenticationOnlyFlag: UInt8 = 0x04

    public var isEncrypted: Bool { header.flags & Self.encryptionFlag != 0 }
    public var isCommit: Bool { header.flags & Self.commitFlag != 0 }
    public var isAuthenticationOnly: Bool { header.flags & Self.authenticationOnlyFlag != 0 }

    /// "Main Mode", "Aggressive Mode", "Quick Mode", ... (`IKEv1Names.exchangeName`).
    public var exchangeName: String { IKEv1Names.exchangeName(header.exchangeType) }

    /// Parses the ISAKMP message at the reader's cursor (see `IKEv1Parser.parseMessage`); the
    /// reader ends after the bytes it was given.
    public static func parse(
        _ reader: inout ByteReader,
        cutByCapture: Bool = false
    ) -> Result<IKEv1Message, IKEParseProblem> {
        switch IKEFraming.frame(&reader, .v1, cutByCapture: cutByCapture) {
        case .failure(let problem):
            return .failure(problem)
        case .success(var frame):
            let header = frame.header
            // RFC 2408 3.1: "E(ncryption Bit) (1 bit) - If set (1), all payloads following the
            // header are encrypted using the encryption algorithm identified in the ISAKMP SA."
            if header.flags & encryptionFlag != 0 {
                return .success(
                    IKEv1Message(
                        header: header, payloads: [],
                        encryptedRange: frame.payloads.remainingRange, problems: frame.problems))
            }
            let chain = IKEv1Parser.walk(
                &frame.payloads, firstPayload: header.nextPayload, cutAtEnd: frame.cutAtEnd,
                problems: &frame.problems)
            if chain.walked.isComplete, !frame.payloads.isAtEnd {
                // In the clear nothing pads the message: bytes after the last payload are extra.
                frame.problems.append(
                    IKEParseProblem(
                        .trailingBytes, offset: frame.payloads.offset,
                        .v1, in: .message, .trailing(frame.payloads.remaining, after: nil)))
            }
            return .success(
                IKEv1Message(
                    header: header, payloads: chain.payloads, encryptedRange: nil,
                    problems: frame.problems))
        }
    }
}

/// One payload: the generic header (RFC 2408 3.2) and its parsed body.
public struct IKEv1Payload: Sendable, Equatable {
    /// Payload type number (IANA "ISAKMP Payload Types" / "Next Payload Types").
    public var type: UInt8
    /// The whole payload, 4-byte generic header included, in the buffer it was parsed from.
    public var range: Range<Int>
    public var body: IKEv1PayloadBody
    /// "SA", "KE", "ID", "HASH", "N", "VID", "NAT-D", "FRAG", ... (`IKEv1Names.payloadName`).
    public var name: String { IKEv1Names.payloadName(type) }

    public init(type: UInt8, range: Range<Int>, body: IKEv1PayloadBody) {
        self.type = type
        self.range = range
        self.body = body
    }

    /// The body: the payload without its 4-byte generic header.
    public var bodyRange: Range<Int> { (range.lowerBound + 4)..<range.upperBound }
}

/// What a payload holds, by type.
public enum IKEv1PayloadBody: Sendable, Equatable {
    /// 1 SA: DOI, situation, proposals (2) with transforms (3) and data attributes.
    case securityAssociation(IKEv1SecurityAssociation)
    /// 4 KE: the Diffie-Hellman public value.
    case keyExchange([UInt8])
    /// 5 ID.
    case identification(IKEv1Identification)
    /// 6 CERT.
    case certificate(encoding: UInt8, data: [UInt8])
    /// 7 CR: for X.509, the DER Distinguished Name of an acceptable CA, or empty.
    case certificateRequest(encoding: UInt8, data: [UInt8])
    /// 8 HASH.
    case hash([UInt8])
    /// 9 SIG.
    case signature([UInt8])
    /// 10 NONCE.
    case nonce([UInt8])
    /// 11 N.
    case notification(IKEv1Notification)
    /// 12 D.
    case delete(IKEv1Delete)
    /// 13 VID.
    case vendorID([UInt8])
    /// 14 ATTR (Mode Config, XAUTH).
    case attributes(IKEv1ConfigAttributes)
    /// 20 NAT-D (RFC 3947), 130 (draft-ietf-ipsec-nat-t-ike-01 to 03) and 15 (drafts 04 to 08,
    /// a number RFC 3547 later gave GDOI's SAK): a hash of addresses and ports.
    case natDiscovery([UInt8])
    /// 21 NAT-OA (RFC 3947), 131 (drafts 01 to 03) and 16 (drafts 05 to 08) when it has NAT-OA's
    /// shape; a 16 that does not (GDOI's SAT reuses the number) stays `.unknown`.
    case natOriginalAddress(IKEv1NATOriginalAddress)
    /// 132: one fragment of a message (Cisco IKE fragmentation, also strongSwan and racoon).
    case fragment(IKEv1Fragment)
    /// Any other type: the body bytes, kept.
    case unknown([UInt8])
    /// A known payload whose body did not parse; the chain went on using the generic length.
    case malformed(IKEParseProblem)
}

/// A payload chain parsed from decrypted bytes (`IKEv1Parser.parseChain`): what it held, and
/// where it ended. RFC 2408 3.1 / RFC 2409 5.3: the plaintext is padded to the cipher's block
/// size, so bytes after a chain that ended (Next Payload 0) are padding, not a problem.
public struct IKEv1PayloadChain: Sendable, Equatable {
    public var payloads: [IKEv1Payload]
    public var problems: [IKEParseProblem]
    /// Offset just after the last payload read (the range's start when there was none).
    public var end: Int
    /// True when the chain reached a payload whose Next Payload is 0 (or the first payload was
    /// 0): everything after `end` is padding. False when it stopped on a problem.
    public var isComplete: Bool
    /// The bytes after a complete chain (empty when the chain is incomplete).
    public var paddingRange: Range<Int>

    public init(
        payloads: [IKEv1Payload], problems: [IKEParseProblem], end: Int, isComplete: Bool,
        paddingRange: Range<Int>
    ) {
        self.payloads = payloads
        self.problems = problems
        self.end = end
        self.isComplete = isComplete
        self.paddingRange = paddingRange
    }

    public var paddingLength: Int { paddingRange.count }

    /// The chain in the reader, from a payload of type `firstPayload`; what follows a complete
    /// chain is padding.
    public static func parse(_ reader: inout ByteReader, firstPayload: UInt8) -> IKEv1PayloadChain {
        var problems: [IKEParseProblem] = []
        let end = reader.bounds.upperBound
        let chain = IKEv1Parser.walk(&reader, firstPayload: firstPayload, problems: &problems)
        let stop = chain.walked.end
        let padding = chain.walked.isComplete ? stop..<end : stop..<stop
        return IKEv1PayloadChain(
            payloads: chain.payloads, problems: problems, end: stop,
            isComplete: chain.walked.isComplete,
            paddingRange: padding)
    }
}

/// IANA "ISAKMP Next Payload Types" numbers this parser reads (RFC 2408 3.1, RFC 3947,
/// draft-ietf-ipsec-isakmp-mode-cfg, Cisco fragmentation).
public enum IKEv1PayloadType {
    public static let securityAssociation: UInt8 = 1
    public static let proposal: UInt8 = 2
    public static let transform: UInt8 = 3
    public static let keyExchange: UInt8 = 4
    public static let identification: UInt8 = 5
    public static let certificate: UInt8 = 6
    public static let certificateRequest: UInt8 = 7
    public static let hash: UInt8 = 8
    public static let signature: UInt8 = 9
    public static let nonce: UInt8 = 10
    public static let notification: UInt8 = 11
    public static let delete: UInt8 = 12
    public static let vendorID: UInt8 = 13
    public static let attributes: UInt8 = 14
    /// draft-ietf-ipsec-nat-t-ike-04..08 NAT-D (RFC 3547 SAK).
    public static let natDiscoveryDraft15: UInt8 = 15
    /// draft-ietf-ipsec-nat-t-ike-05..08 NAT-OA (RFC 3547 SAT).
    public static let natOriginalAddressDraft16: UInt8 = 16
    public static let natDiscovery: UInt8 = 20
    public static let natOriginalAddress: UInt8 = 21
    /// draft-ietf-ipsec-nat-t-ike-01..03.
    public static let natDiscoveryDraft: UInt8 = 130
    public static let natOriginalAddressDraft: UInt8 = 131
    public static let fragment: UInt8 = 132
}
