import SpiglassWire

/// One IKEv2 message (RFC 7296 3.1-3.2): the fixed header and the payload chain outside SK.
/// An SK or SKF payload, when present, is the last payload; what it holds is parsed only once
/// decrypted (`IKEv2Parser.parsePayloadChain`).
public struct IKEv2Message: Sendable, Equatable {
    /// The IKE header; its `range` is the whole message (header length field) within the
    /// buffer that was parsed.
    public var header: IKEHeader
    /// Payloads outside SK, in order; an SK/SKF payload appears as `.encrypted` /
    /// `.encryptedFragment` and is the last.
    public var payloads: [IKEv2Payload]
    /// Non-fatal issues: trailing bytes, unknown critical payloads, limits reached, payloads
    /// whose body did not parse (also kept as `.malformed` bodies)...
    public var problems: [IKEParseProblem]

    public init(header: IKEHeader, payloads: [IKEv2Payload], problems: [IKEParseProblem]) {
        self.header = header
        self.payloads = payloads
        self.problems = problems
    }

    /// Parses the IKEv2 message at the reader's cursor (see `IKEv2Parser.parseMessage`); the
    /// reader ends after the bytes it was given.
    public static func parse(
        _ reader: inout ByteReader,
        cutByCapture: Bool = false
    ) -> Result<IKEv2Message, IKEParseProblem> {
        switch IKEFraming.frame(&reader, .v2, cutByCapture: cutByCapture) {
        case .failure(let problem):
            return .failure(problem)
        case .success(var frame):
            let payloads = IKEv2Parser.walk(
                &frame.payloads, firstPayload: frame.header.nextPayload,
                encryptedAllowed: true,
                cutAtEnd: frame.cutAtEnd, problems: &frame.problems)
            return .success(IKEv2Message(header: frame.header, payloads: payloads, problems: frame.problems))
        }
    }
}

/// One payload: the generic header (RFC 7296 3.2) and its parsed body.
public struct IKEv2Payload: Sendable, Equatable {
    /// Payload type number (IANA "IKEv2 Payload Types").
    public var type: UInt8
    public var critical: Bool
    /// The whole payload, 4-byte generic header included, in the buffer it was parsed from.
    public var range: Range<Int>
    public var body: IKEv2PayloadBody
    /// "SA", "KE", "IDi", "N", "SK", ... (`IKEv2Names.payloadName`).
    public var name: String { IKEv2Names.payloadName(type) }

    public init(type: UInt8, critical: Bool, range: Range<Int>, body: IKEv2PayloadBody) {
        self.type = type
        self.critical = critical
        self.range = range
        self.body = body
    }

    /// The body: the payload without its 4-byte generic header.
    public var bodyRange: Range<Int> { (range.lowerBound + 4)..<range.upperBound }
}

/// What a payload holds, by type.
public enum IKEv2PayloadBody: Sendable, Equatable {
    /// 33 SA.
    case securityAssociation([IKEv2Proposal])
    /// 34 KE: group (IANA Key Exchange Method) and the key exchange data.
    case keyExchange(group: UInt16, data: [UInt8])
    /// 35 IDi, 36 IDr.
    case identification(IKEv2Identification)
    /// 37 CERT.
    case certificate(encoding: UInt8, data: [UInt8])
    /// 38 CERTREQ (for X.509, a list of 20-byte SHA-1 hashes of CA public keys).
    case certificateRequest(encoding: UInt8, data: [UInt8])
    /// 39 AUTH.
    case authentication(method: UInt8, data: [UInt8])
    /// 40 Ni, Nr.
    case nonce([UInt8])
    /// 41 N.
    case notify(IKEv2Notify)
    /// 42 D.
    case delete(IKEv2Delete)
    /// 43 V.
    case vendorID([UInt8])
    /// 44 TSi, 45 TSr.
    case trafficSelectors([IKEv2TrafficSelector])
    /// 46 SK.
    case encrypted(IKEv2EncryptedPayload)
    /// 47 CP.
    case configuration(IKEv2Configuration)
    /// 48 EAP.
    case eap(IKEv2EAP)
    /// 53 SKF (RFC 7383).
    case encryptedFragment(IKEv2EncryptedFragment)
    /// Any other type: the body bytes, kept.
    case unknown([UInt8])
    /// A known payload whose body did not parse; the chain went on using the generic length.
    case malformed(IKEParseProblem)
}
