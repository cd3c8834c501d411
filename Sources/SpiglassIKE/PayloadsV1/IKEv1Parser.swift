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
    public static func parseMessage(_ bytes: [UInt8], range: Range<Int>, cutByCapture: Bool = false) -> Result<IKEv1Message, IKEv1ParseProblem> {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
            return .failure(IKEv1ParseProblem(.badRange, offset: max(range.lowerBound, 0),
                                              "range \(range.lowerBound)..<\(range.upperBound) outside a buffer of \(bytes.count) bytes"))
        }
        guard range.count >= IKEHeader.length, var header = IKEHeader.parse(bytes, range: range) else {
            return .failure(IKEv1ParseProblem(.truncatedHeader, offset: range.lowerBound,
                                              "\(range.count) bytes, the ISAKMP header needs \(IKEHeader.length)"))
        }
        guard header.majorVersion == 1 else {
            return .failure(IKEv1ParseProblem(.notIKEv1, offset: range.lowerBound + 17,
                                              "major version \(header.majorVersion), not IKEv1"))
        }
        // RFC 2408 3.1: "Length (4 octets) - Length of total message (header + payloads) in
        // octets. Encryption can expand the size of an ISAKMP message."
        let length = Int(header.length)
        guard length >= IKEHeader.length else {
            return .failure(IKEv1ParseProblem(.badMessageLength, offset: range.lowerBound + 24,
                                              "header length \(length) is smaller than the \(IKEHeader.length)-byte header"))
        }
        var problems: [IKEv1ParseProblem] = []
        if length > range.count {
            guard cutByCapture else {
                return .failure(IKEv1ParseProblem(.truncatedMessage, offset: range.lowerBound + 24,
                                                  "header length \(length), \(range.count) bytes present"))
            }
        }
        let messageEnd = range.lowerBound + min(length, range.count)
        header.range = range.lowerBound..<messageEnd
        if messageEnd < range.upperBound {
            problems.append(IKEv1ParseProblem(.trailingBytes, offset: messageEnd,
                                              "\(range.upperBound - messageEnd) bytes after the \(length)-byte message"))
        }
        let bodyRange = (range.lowerBound + IKEHeader.length)..<messageEnd
        // RFC 2408 3.1: "E(ncryption Bit) (1 bit) - If set (1), all payloads following the
        // header are encrypted using the encryption algorithm identified in the ISAKMP SA."
        if header.flags & IKEv1Message.encryptionFlag != 0 {
            return .success(IKEv1Message(header: header, payloads: [], encryptedRange: bodyRange, problems: problems))
        }
        let chain = walk(bytes, range: bodyRange, firstPayload: header.nextPayload, cutAtEnd: length > range.count, problems: &problems)
        if chain.isComplete, chain.end < bodyRange.upperBound {
            // In the clear nothing pads the message: bytes after the last payload are extra.
            problems.append(IKEv1ParseProblem(.trailingBytes, offset: chain.end,
                                              "\(bodyRange.upperBound - chain.end) bytes after the last payload"))
        }
        return .success(IKEv1Message(header: header, payloads: chain.payloads, encryptedRange: nil, problems: problems))
    }

    /// Parses a payload chain that starts with a payload of type `firstPayload` at
    /// `range.lowerBound`: typically the decrypted body of an encrypted message (first payload
    /// from the header's Next Payload). Bytes after the payload whose Next Payload is 0 are the
    /// CBC padding and not a problem; `parseChain` tells where the chain ended.
    public static func parsePayloadChain(_ bytes: [UInt8], range: Range<Int>, firstPayload: UInt8) -> (payloads: [IKEv1Payload], problems: [IKEv1ParseProblem]) {
        let chain = parseChain(bytes, range: range, firstPayload: firstPayload)
        return (chain.payloads, chain.problems)
    }

    /// `parsePayloadChain` with where the chain ended and how much padding follows it.
    public static func parseChain(_ bytes: [UInt8], range: Range<Int>, firstPayload: UInt8) -> IKEv1PayloadChain {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
            let start = max(range.lowerBound, 0)
            return IKEv1PayloadChain(payloads: [], problems: [IKEv1ParseProblem(.badRange, offset: start,
                                                                                "range \(range.lowerBound)..<\(range.upperBound) outside a buffer of \(bytes.count) bytes")],
                                     end: start, isComplete: false, paddingRange: start..<start)
        }
        var problems: [IKEv1ParseProblem] = []
        let walked = walk(bytes, range: range, firstPayload: firstPayload, problems: &problems)
        let padding = walked.isComplete ? walked.end..<range.upperBound : walked.end..<walked.end
        return IKEv1PayloadChain(payloads: walked.payloads, problems: problems, end: walked.end, isComplete: walked.isComplete, paddingRange: padding)
    }

    /// RFC 2408 3.2 generic payload header: Next Payload (1), RESERVED (1), Payload Length (2).
    static let genericHeaderLength = 4
    static let noNextPayload: UInt8 = 0

    struct Walked {
        var payloads: [IKEv1Payload]
        var end: Int
        var isComplete: Bool
    }

    /// `cutAtEnd`: the capture cut the message at `range.upperBound`; the payload running past
    /// it is then a `cutByCapture` problem, kept as a `.malformed` payload.
    static func walk(_ bytes: [UInt8], range: Range<Int>, firstPayload: UInt8, cutAtEnd: Bool = false,
                     problems: inout [IKEv1ParseProblem]) -> Walked {
        var payloads: [IKEv1Payload] = []
        var next = firstPayload
        var cursor = range.lowerBound
        while next != noNextPayload {
            let type = next
            let name = IKEv1Names.payloadName(type)
            guard payloads.count < IKEv1Limits.maxPayloadsPerMessage else {
                problems.append(IKEv1ParseProblem(.tooManyPayloads, offset: cursor,
                                                  "more than \(IKEv1Limits.maxPayloadsPerMessage) payloads; the rest is skipped"))
                return Walked(payloads: payloads, end: cursor, isComplete: false)
            }
            let left = range.upperBound - cursor
            func cut(_ length: Int?) -> Walked {
                let problem = IKEv1ParseProblem(.cutByCapture, offset: cursor,
                                                "\(name) payload cut by the capture: \(left) of its \(length.map(String.init) ?? "?") bytes captured")
                problems.append(problem)
                payloads.append(IKEv1Payload(type: type, range: cursor..<range.upperBound, body: .malformed(problem)))
                return Walked(payloads: payloads, end: range.upperBound, isComplete: false)
            }
            guard left >= genericHeaderLength else {
                if cutAtEnd { return cut(nil) }
                problems.append(IKEv1ParseProblem(.truncatedPayloadHeader, offset: cursor,
                                                  "\(name) announced but \(left) bytes left, its header needs \(genericHeaderLength)"))
                return Walked(payloads: payloads, end: cursor, isComplete: false)
            }
            // RFC 2408 3.2: "Payload Length (2 octets) - Length in octets of the current payload,
            // including the generic payload header."
            let nextField = bytes[cursor]
            let length = Int(IKEv2Wire.u16(bytes, cursor + 2))
            guard length >= genericHeaderLength else {
                problems.append(IKEv1ParseProblem(.badPayloadLength, offset: cursor + 2,
                                                  "\(name) payload length \(length) is smaller than its \(genericHeaderLength)-byte header"))
                return Walked(payloads: payloads, end: cursor, isComplete: false)
            }
            guard length <= left else {
                if cutAtEnd { return cut(length) }
                problems.append(IKEv1ParseProblem(.payloadBeyondEnd, offset: cursor + 2,
                                                  "\(name) payload length \(length), \(left) bytes left"))
                return Walked(payloads: payloads, end: cursor, isComplete: false)
            }
            let payloadRange = cursor..<(cursor + length)
            let bodyRange = (cursor + genericHeaderLength)..<(cursor + length)
            cursor += length
            payloads.append(IKEv1Payload(type: type, range: payloadRange, body: parseBody(bytes, type: type, range: bodyRange, problems: &problems)))
            next = nextField
        }
        return Walked(payloads: payloads, end: cursor, isComplete: true)
    }

    /// The body of one payload.
    static func parseBody(_ bytes: [UInt8], type: UInt8, range: Range<Int>, problems: inout [IKEv1ParseProblem]) -> IKEv1PayloadBody {
        let start = range.lowerBound
        func needs(_ count: Int, _ name: String) -> IKEv1ParseProblem? {
            range.count >= count ? nil : IKEv1ParseProblem(.truncatedBody, offset: start, "\(name): body of \(range.count) bytes, needs \(count)")
        }
        func malformed(_ problem: IKEv1ParseProblem) -> IKEv1PayloadBody {
            problems.append(problem)
            return .malformed(problem)
        }
        switch type {
        case IKEv1PayloadType.securityAssociation:
            let result = IKEv1SecurityAssociation.parse(bytes, range: range, problems: &problems)
            return settle(result.map(IKEv1PayloadBody.securityAssociation), problems: &problems)
        case IKEv1PayloadType.keyExchange:
            return .keyExchange(Array(bytes[range]))
        case IKEv1PayloadType.identification:
            return settle(IKEv1Identification.parse(bytes, range: range).map(IKEv1PayloadBody.identification), problems: &problems)
        case IKEv1PayloadType.certificate:
            // RFC 2408 3.9: Cert Encoding (1), Certificate Data.
            if let problem = needs(1, "CERT") { return malformed(problem) }
            return .certificate(encoding: bytes[start], data: Array(bytes[(start + 1)..<range.upperBound]))
        case IKEv1PayloadType.certificateRequest:
            // RFC 2408 3.10: Cert. Type (1), Certificate Authority.
            if let problem = needs(1, "CR") { return malformed(problem) }
            return .certificateRequest(encoding: bytes[start], data: Array(bytes[(start + 1)..<range.upperBound]))
        case IKEv1PayloadType.hash:
            return .hash(Array(bytes[range]))
        case IKEv1PayloadType.signature:
            return .signature(Array(bytes[range]))
        case IKEv1PayloadType.nonce:
            return .nonce(Array(bytes[range]))
        case IKEv1PayloadType.notification:
            return settle(IKEv1Notification.parse(bytes, range: range).map(IKEv1PayloadBody.notification), problems: &problems)
        case IKEv1PayloadType.delete:
            let result = IKEv1Delete.parse(bytes, range: range, problems: &problems)
            return settle(result.map(IKEv1PayloadBody.delete), problems: &problems)
        case IKEv1PayloadType.vendorID:
            return .vendorID(Array(bytes[range]))
        case IKEv1PayloadType.attributes:
            let result = IKEv1ConfigAttributes.parse(bytes, range: range, problems: &problems)
            return settle(result.map(IKEv1PayloadBody.attributes), problems: &problems)
        case IKEv1PayloadType.natDiscovery, IKEv1PayloadType.natDiscoveryDraft, IKEv1PayloadType.natDiscoveryDraft15:
            return .natDiscovery(Array(bytes[range]))
        case IKEv1PayloadType.natOriginalAddress, IKEv1PayloadType.natOriginalAddressDraft:
            return settle(IKEv1NATOriginalAddress.parse(bytes, range: range).map(IKEv1PayloadBody.natOriginalAddress), problems: &problems)
        case IKEv1PayloadType.natOriginalAddressDraft16:
            // 16 is NAT-OA in drafts 05 to 08 and SAT in GDOI (RFC 3547): read as NAT-OA only
            // when it has that shape.
            if case .success(let address) = IKEv1NATOriginalAddress.parse(bytes, range: range), address.isWellFormed {
                return .natOriginalAddress(address)
            }
            return .unknown(Array(bytes[range]))
        case IKEv1PayloadType.fragment:
            return settle(IKEv1Fragment.parse(bytes, range: range).map(IKEv1PayloadBody.fragment), problems: &problems)
        default:
            return .unknown(Array(bytes[range]))
        }
    }

    /// A body, or `.malformed` with the problem recorded.
    static func settle(_ result: Result<IKEv1PayloadBody, IKEv1ParseProblem>, problems: inout [IKEv1ParseProblem]) -> IKEv1PayloadBody {
        switch result {
        case .success(let body): return body
        case .failure(let problem):
            problems.append(problem)
            return .malformed(problem)
        }
    }
}
