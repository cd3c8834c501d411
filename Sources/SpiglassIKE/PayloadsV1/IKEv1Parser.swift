import SpiglassWire

/// Parses IKEv1 (ISAKMP, RFC 2408) messages from untrusted bytes: every length is checked
/// against the bytes that hold it before anything is read, every count is bounded
/// (`IKEv1Limits`), and the payload chain always advances (a generic length below 4 stops it).
public enum IKEv1Parser {
    /// Parses the ISAKMP message at the start of `bytes[range]`.
    ///
    /// Fails when there is no message to speak of: `range` outside `bytes`, fewer than 28
    /// bytes, a major version other than 1, or a header length field below 28 or beyond the
    /// range. Otherwise the message is read within its length field (bytes after it are a
    /// `trailingBytes` problem). With the E flag set the body is ciphertext: no payloads,
    /// `encryptedRange` says where it is. Without it the payloads are read from the header's
    /// Next Payload until one says none follows.
    ///
    /// `cutByCapture`: the capture's snapshot length cut the message, so `range` holds only
    /// its start. It is then read as far as it goes, with a `cutByCapture` problem, instead of
    /// failing on its length field.
    public static func parseMessage(
        _ bytes: [UInt8], range: Range<Int>,
        cutByCapture: Bool = false
    ) -> Result<IKEv1Message, IKEParseProblem> {
        if let problem = IKEFraming.outside(bytes, range, .v1) { return .failure(problem) }
        var reader = ByteReader(bytes, range: range)
        return IKEv1Message.parse(&reader, cutByCapture: cutByCapture)
    }

    /// Parses a payload chain that starts with a payload of type `firstPayload` at
    /// `range.lowerBound`: typically the decrypted body of an encrypted message (first payload
    /// from the header's Next Payload). Bytes after the payload whose Next Payload is 0 are the
    /// CBC padding and not a problem; `parseChain` tells where the chain ended.
    public static func parsePayloadChain(
        _ bytes: [UInt8], range: Range<Int>,
        firstPayload: UInt8
    ) -> (
        payloads: [IKEv1Payload],
        problems: [IKEParseProblem]
    ) {
        let chain = parseChain(bytes, range: range, firstPayload: firstPayload)
        return (chain.payloads, chain.problems)
    }

    /// `parsePayloadChain` with where the chain ended and how much padding follows it.
    public static func parseChain(_ bytes: [UInt8], range: Range<Int>, firstPayload: UInt8) -> IKEv1PayloadChain {
        if let problem = IKEFraming.outside(bytes, range, .v1) {
            let start = problem.offset
            return IKEv1PayloadChain(
                payloads: [], problems: [problem], end: start, isComplete: false,
                paddingRange: start..<start)
        }
        var reader = ByteReader(bytes, range: range)
        return IKEv1PayloadChain.parse(&reader, firstPayload: firstPayload)
    }

    /// The payloads of the chain in `reader`. `cutAtEnd`: the capture cut the message at the
    /// reader's end; the payload running past it is then kept as a `.malformed` payload.
    static func walk(
        _ reader: inout ByteReader, firstPayload: UInt8, cutAtEnd: Bool = false,
        problems: inout [IKEParseProblem]
    ) -> (payloads: [IKEv1Payload], walked: IKEFraming.Walked) {
        var payloads: [IKEv1Payload] = []
        let walked = IKEFraming.walk(
            &reader, first: firstPayload, .v1, cutAtEnd: cutAtEnd, problems: &problems,
            cut: { type, range, problem in
                payloads.append(IKEv1Payload(type: type, range: range, body: .malformed(problem)))
            },
            visit: { header, problems in
                var body = header.body
                payloads.append(
                    IKEv1Payload(
                        type: header.type, range: header.range,
                        body: parseBody(
                            &body,
                            type: header.type, problems: &problems)))
                return true
            })
        return (payloads, walked)
    }

    /// The body of one payload.
    static func parseBody(
        _ reader: inout ByteReader, type: UInt8,
        problems: inout [IKEParseProblem]
    ) -> IKEv1PayloadBody {
        func malformed(_ problem: IKEParseProblem) -> IKEv1PayloadBody {
            problems.append(problem)
            return .malformed(problem)
        }
        let bytes = { (reader: inout ByteReader) -> [UInt8] in reader.readBytes(reader.remaining) ?? [] }
        switch type {
        case IKEv1PayloadType.securityAssociation:
            let result = IKEv1SecurityAssociation.parse(&reader, problems: &problems)
            return settle(result.map(IKEv1PayloadBody.securityAssociation), problems: &problems)
        case IKEv1PayloadType.keyExchange:
            return .keyExchange(bytes(&reader))
        case IKEv1PayloadType.identification:
            return settle(IKEv1Identification.parse(&reader).map(IKEv1PayloadBody.identification), problems: &problems)
        case IKEv1PayloadType.certificate:
            // RFC 2408 3.9: Cert Encoding (1), Certificate Data.
            if let problem = IKEFraming.needs(reader, 1, .v1, .certificate) { return malformed(problem) }
            let encoding = reader.readUInt8() ?? 0
            return .certificate(encoding: encoding, data: bytes(&reader))
        case IKEv1PayloadType.certificateRequest:
            // RFC 2408 3.10: Cert. Type (1), Certificate Authority.
            if let problem = IKEFraming.needs(reader, 1, .v1, .certificateRequest) { return malformed(problem) }
            let encoding = reader.readUInt8() ?? 0
            return .certificateRequest(encoding: encoding, data: bytes(&reader))
        case IKEv1PayloadType.hash:
            return .hash(bytes(&reader))
        case IKEv1PayloadType.signature:
            return .signature(bytes(&reader))
        case IKEv1PayloadType.nonce:
            return .nonce(bytes(&reader))
        case IKEv1PayloadType.notification:
            return settle(IKEv1Notification.parse(&reader).map(IKEv1PayloadBody.notification), problems: &problems)
        case IKEv1PayloadType.delete:
            let result = IKEv1Delete.parse(&reader, problems: &problems)
            return settle(result.map(IKEv1PayloadBody.delete), problems: &problems)
        case IKEv1PayloadType.vendorID:
            return .vendorID(bytes(&reader))
        case IKEv1PayloadType.attributes:
            let result = IKEv1ConfigAttributes.parse(&reader, problems: &problems)
            return settle(result.map(IKEv1PayloadBody.attributes), problems: &problems)
        case IKEv1PayloadType.natDiscovery, IKEv1PayloadType.natDiscoveryDraft, IKEv1PayloadType.natDiscoveryDraft15:
            return .natDiscovery(bytes(&reader))
        case IKEv1PayloadType.natOriginalAddress, IKEv1PayloadType.natOriginalAddressDraft:
            return settle(
                IKEv1NATOriginalAddress.parse(&reader).map(IKEv1PayloadBody.natOriginalAddress),
                problems: &problems)
        case IKEv1PayloadType.natOriginalAddressDraft16:
            // 16 is NAT-OA in drafts 05 to 08 and SAT in GDOI (RFC 3547): read as NAT-OA only
            // when it has that shape.
            var attempt = reader
            if case .success(let address) = IKEv1NATOriginalAddress.parse(&attempt), address.isWellFormed {
                return .natOriginalAddress(address)
            }
            return .unknown(bytes(&reader))
        case IKEv1PayloadType.fragment:
            return settle(IKEv1Fragment.parse(&reader).map(IKEv1PayloadBody.fragment), problems: &problems)
        default:
            return .unknown(bytes(&reader))
        }
    }

    /// A body, or `.malformed` with the problem recorded.
    static func settle(
        _ result: Result<IKEv1PayloadBody, IKEParseProblem>,
        problems: inout [IKEParseProblem]
    ) -> IKEv1PayloadBody {
        switch result {
        case .success(let body): return body
        case .failure(let problem):
            problems.append(problem)
            return .malformed(problem)
        }
    }
}
