import SpiglassWire

/// Parses IKEv2 messages (RFC 7296 3) from untrusted bytes: every length is checked against
/// the bytes that hold it before anything is read, every count is bounded (`IKEv2Limits`),
/// and the payload chain always advances (a generic length below 4 stops it).
public enum IKEv2Parser {
    /// Parses the IKEv2 message at the start of `bytes[range]`.
    ///
    /// Fails when there is no message to speak of: `range` outside `bytes`, fewer than 28
    /// bytes, a major version other than 2, or a header length field below 28 or beyond the
    /// range. Otherwise the message is read within its length field (bytes after it are a
    /// `trailingBytes` problem), payload by payload from the header's Next Payload until a
    /// payload says none follows, or up to SK/SKF, which must be last.
    ///
    /// `cutByCapture`: the capture's snapshot length cut the message, so `range` holds only
    /// its start. It is then read as far as it goes, with a `cutByCapture` problem, instead of
    /// failing on its length field.
    public static func parseMessage(_ bytes: [UInt8], range: Range<Int>, cutByCapture: Bool = false) -> Result<IKEv2Message, IKEv2ParseProblem> {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
            return .failure(IKEv2ParseProblem(.badRange, offset: max(range.lowerBound, 0),
                                              "range \(range.lowerBound)..<\(range.upperBound) outside a buffer of \(bytes.count) bytes"))
        }
        guard range.count >= IKEHeader.length, var header = IKEHeader.parse(bytes, range: range) else {
            return .failure(IKEv2ParseProblem(.truncatedHeader, offset: range.lowerBound,
                                              "\(range.count) bytes, the IKE header needs \(IKEHeader.length)"))
        }
        guard header.majorVersion == 2 else {
            return .failure(IKEv2ParseProblem(.notIKEv2, offset: range.lowerBound + 17,
                                              "major version \(header.majorVersion), not IKEv2"))
        }
        // RFC 7296 3.1: "Length (4 octets, unsigned integer): Length of the total message
        // (header + payloads) in octets."
        let length = Int(header.length)
        guard length >= IKEHeader.length else {
            return .failure(IKEv2ParseProblem(.badMessageLength, offset: range.lowerBound + 24,
                                              "header length \(length) is smaller than the \(IKEHeader.length)-byte header"))
        }
        var problems: [IKEv2ParseProblem] = []
        if length > range.count {
            guard cutByCapture else {
                return .failure(IKEv2ParseProblem(.truncatedMessage, offset: range.lowerBound + 24,
                                                  "header length \(length), \(range.count) bytes present"))
            }
        }
        let messageEnd = range.lowerBound + min(length, range.count)
        header.range = range.lowerBound..<messageEnd
        if messageEnd < range.upperBound {
            problems.append(IKEv2ParseProblem(.trailingBytes, offset: messageEnd,
                                              "\(range.upperBound - messageEnd) bytes after the \(length)-byte message"))
        }
        let payloads = walk(bytes, range: (range.lowerBound + IKEHeader.length)..<messageEnd, firstPayload: header.nextPayload,
                            encryptedAllowed: true, cutAtEnd: length > range.count, problems: &problems)
        return .success(IKEv2Message(header: header, payloads: payloads, problems: problems))
    }

    /// Parses a payload chain that starts with a payload of type `firstPayload` at
    /// `range.lowerBound`: the decrypted content of SK (or of reassembled SKF fragments),
    /// without padding, pad length and ICV. SK and SKF cannot appear in it: one that does is
    /// kept as `.malformed(nestedEncrypted)` and ends the chain.
    public static func parsePayloadChain(_ bytes: [UInt8], range: Range<Int>, firstPayload: UInt8) -> (payloads: [IKEv2Payload], problems: [IKEv2ParseProblem]) {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
            return ([], [IKEv2ParseProblem(.badRange, offset: max(range.lowerBound, 0),
                                           "range \(range.lowerBound)..<\(range.upperBound) outside a buffer of \(bytes.count) bytes")])
        }
        var problems: [IKEv2ParseProblem] = []
        let payloads = walk(bytes, range: range, firstPayload: firstPayload, encryptedAllowed: false, problems: &problems)
        return (payloads, problems)
    }

    /// RFC 7296 3.2 generic payload header: Next Payload (1), C + RESERVED (1), Payload Length (2).
    static let genericHeaderLength = 4
    static let criticalBit: UInt8 = 0x80
    static let noNextPayload: UInt8 = 0

    /// `cutAtEnd`: the capture cut the message at `range.upperBound`. The payload running past
    /// it is then a `cutByCapture` problem, kept as a `.malformed` payload (but for SK and
    /// SKF, whose loss the caller reports), rather than a length error.
    static func walk(_ bytes: [UInt8], range: Range<Int>, firstPayload: UInt8, encryptedAllowed: Bool, cutAtEnd: Bool = false,
                     problems: inout [IKEv2ParseProblem]) -> [IKEv2Payload] {
        var payloads: [IKEv2Payload] = []
        var next = firstPayload
        var cursor = range.lowerBound
        while next != noNextPayload {
            let type = next
            let name = IKEv2Names.payloadName(type)
            guard payloads.count < IKEv2Limits.maxPayloadsPerMessage else {
                problems.append(IKEv2ParseProblem(.tooManyPayloads, offset: cursor,
                                                  "more than \(IKEv2Limits.maxPayloadsPerMessage) payloads; the rest is skipped"))
                return payloads
            }
            let left = range.upperBound - cursor
            func cut(_ length: Int?) -> [IKEv2Payload] {
                let problem = IKEv2ParseProblem(.cutByCapture, offset: cursor,
                                                "\(name) payload cut by the capture: \(left) of its \(length.map(String.init) ?? "?") bytes captured")
                problems.append(problem)
                if type != IKEv2PayloadType.encrypted && type != IKEv2PayloadType.encryptedFragment {
                    payloads.append(IKEv2Payload(type: type, critical: false, range: cursor..<range.upperBound, body: .malformed(problem)))
                }
                return payloads
            }
            guard left >= genericHeaderLength else {
                if cutAtEnd { return cut(nil) }
                problems.append(IKEv2ParseProblem(.truncatedPayloadHeader, offset: cursor,
                                                  "\(name) announced but \(left) bytes left, its header needs \(genericHeaderLength)"))
                return payloads
            }
            // RFC 7296 3.2: "Payload Length (2 octets, unsigned integer) - Length in octets of
            // the current payload, including the generic payload header."
            let nextField = bytes[cursor]
            let critical = bytes[cursor + 1] & criticalBit != 0
            let length = Int(IKEv2Wire.u16(bytes, cursor + 2))
            guard length >= genericHeaderLength else {
                problems.append(IKEv2ParseProblem(.badPayloadLength, offset: cursor + 2,
                                                  "\(name) payload length \(length) is smaller than its \(genericHeaderLength)-byte header"))
                return payloads
            }
            guard length <= left else {
                if cutAtEnd { return cut(length) }
                problems.append(IKEv2ParseProblem(.payloadBeyondEnd, offset: cursor + 2,
                                                  "\(name) payload length \(length), \(left) bytes left"))
                return payloads
            }
            let payloadRange = cursor..<(cursor + length)
            let bodyRange = (cursor + genericHeaderLength)..<(cursor + length)
            cursor += length

            if type == IKEv2PayloadType.encrypted || type == IKEv2PayloadType.encryptedFragment {
                // RFC 7296 3.14: SK's Next Payload names the first payload inside it, so the
                // chain ends here; RFC 7383 2.5 likewise for SKF.
                guard encryptedAllowed else {
                    let problem = IKEv2ParseProblem(.nestedEncrypted, offset: payloadRange.lowerBound, "\(name) inside decrypted content")
                    problems.append(problem)
                    payloads.append(IKEv2Payload(type: type, critical: critical, range: payloadRange, body: .malformed(problem)))
                    return payloads
                }
                let body: IKEv2PayloadBody
                if type == IKEv2PayloadType.encrypted {
                    body = .encrypted(IKEv2EncryptedPayload(firstInnerPayload: nextField, contentRange: bodyRange))
                } else {
                    let result = IKEv2EncryptedFragment.parse(bytes, range: bodyRange, firstInnerPayload: nextField)
                    body = settle(result.map(IKEv2PayloadBody.encryptedFragment), problems: &problems)
                }
                payloads.append(IKEv2Payload(type: type, critical: critical, range: payloadRange, body: body))
                if cursor < range.upperBound {
                    problems.append(IKEv2ParseProblem(.dataAfterEncrypted, offset: cursor,
                                                      "\(range.upperBound - cursor) bytes after \(name), which must be the last payload"))
                }
                return payloads
            }

            let body = parseBody(bytes, type: type, range: bodyRange, problems: &problems)
            if critical, case .unknown = body {
                // RFC 7296 2.5: a recipient that does not understand a critical payload must
                // reject the message with UNSUPPORTED_CRITICAL_PAYLOAD.
                problems.append(IKEv2ParseProblem(.unknownCriticalPayload, offset: payloadRange.lowerBound,
                                                  "\(name) (type \(type)) is marked critical and not understood"))
            }
            payloads.append(IKEv2Payload(type: type, critical: critical, range: payloadRange, body: body))
            next = nextField
        }
        if cursor < range.upperBound {
            problems.append(IKEv2ParseProblem(.trailingBytes, offset: cursor,
                                              "\(range.upperBound - cursor) bytes after the last payload"))
        }
        return payloads
    }

    /// The body of a payload other than SK/SKF.
    static func parseBody(_ bytes: [UInt8], type: UInt8, range: Range<Int>, problems: inout [IKEv2ParseProblem]) -> IKEv2PayloadBody {
        let start = range.lowerBound
        func needs(_ count: Int, _ name: String) -> IKEv2ParseProblem? {
            range.count >= count ? nil : IKEv2ParseProblem(.truncatedBody, offset: start, "\(name): body of \(range.count) bytes, needs \(count)")
        }
        func malformed(_ problem: IKEv2ParseProblem) -> IKEv2PayloadBody {
            problems.append(problem)
            return .malformed(problem)
        }
        switch type {
        case IKEv2PayloadType.securityAssociation:
            let result = IKEv2Proposal.parseList(bytes, range: range, problems: &problems)
            return settle(result.map(IKEv2PayloadBody.securityAssociation), problems: &problems)
        case IKEv2PayloadType.keyExchange:
            // RFC 7296 3.4: Diffie-Hellman Group Num (2), RESERVED (2), Key Exchange Data.
            if let problem = needs(4, "KE") { return malformed(problem) }
            return .keyExchange(group: IKEv2Wire.u16(bytes, start), data: Array(bytes[(start + 4)..<range.upperBound]))
        case IKEv2PayloadType.identificationInitiator, IKEv2PayloadType.identificationResponder:
            return settle(IKEv2Identification.parse(bytes, range: range).map(IKEv2PayloadBody.identification), problems: &problems)
        case IKEv2PayloadType.certificate:
            // RFC 7296 3.6: Cert Encoding (1), Certificate Data.
            if let problem = needs(1, "CERT") { return malformed(problem) }
            return .certificate(encoding: bytes[start], data: Array(bytes[(start + 1)..<range.upperBound]))
        case IKEv2PayloadType.certificateRequest:
            // RFC 7296 3.7: Cert Encoding (1), Certification Authority.
            if let problem = needs(1, "CERTREQ") { return malformed(problem) }
            return .certificateRequest(encoding: bytes[start], data: Array(bytes[(start + 1)..<range.upperBound]))
        case IKEv2PayloadType.authentication:
            // RFC 7296 3.8: Auth Method (1), RESERVED (3), Authentication Data.
            if let problem = needs(4, "AUTH") { return malformed(problem) }
            return .authentication(method: bytes[start], data: Array(bytes[(start + 4)..<range.upperBound]))
        case IKEv2PayloadType.nonce:
            return .nonce(Array(bytes[range]))
        case IKEv2PayloadType.notify:
            return settle(IKEv2Notify.parse(bytes, range: range).map(IKEv2PayloadBody.notify), problems: &problems)
        case IKEv2PayloadType.delete:
            let result = IKEv2Delete.parse(bytes, range: range, problems: &problems)
            return settle(result.map(IKEv2PayloadBody.delete), problems: &problems)
        case IKEv2PayloadType.vendorID:
            return .vendorID(Array(bytes[range]))
        case IKEv2PayloadType.trafficSelectorInitiator, IKEv2PayloadType.trafficSelectorResponder:
            let result = IKEv2TrafficSelector.parseList(bytes, range: range, problems: &problems)
            return settle(result.map(IKEv2PayloadBody.trafficSelectors), problems: &problems)
        case IKEv2PayloadType.configuration:
            let result = IKEv2Configuration.parse(bytes, range: range, problems: &problems)
            return settle(result.map(IKEv2PayloadBody.configuration), problems: &problems)
        case IKEv2PayloadType.eap:
            let result = IKEv2EAP.parse(bytes, range: range, problems: &problems)
            return settle(result.map(IKEv2PayloadBody.eap), problems: &problems)
        default:
            return .unknown(Array(bytes[range]))
        }
    }

    /// A body, or `.malformed` with the problem recorded.
    static func settle(_ result: Result<IKEv2PayloadBody, IKEv2ParseProblem>, problems: inout [IKEv2ParseProblem]) -> IKEv2PayloadBody {
        switch result {
        case .success(let body): return body
        case .failure(let problem):
            problems.append(problem)
            return .malformed(problem)
        }
    }
}

/// IANA "IKEv2 Payload Types" numbers this parser reads.
public enum IKEv2PayloadType {
    public static let securityAssociation: UInt8 = 33
    public static let keyExchange: UInt8 = 34
    public static let identificationInitiator: UInt8 = 35
    public static let identificationResponder: UInt8 = 36
    public static let certificate: UInt8 = 37
    public static let certificateRequest: UInt8 = 38
    public static let authentication: UInt8 = 39
    public static let nonce: UInt8 = 40
    public static let notify: UInt8 = 41
    public static let delete: UInt8 = 42
    public static let vendorID: UInt8 = 43
    public static let trafficSelectorInitiator: UInt8 = 44
    public static let trafficSelectorResponder: UInt8 = 45
    public static let encrypted: UInt8 = 46
    public static let configuration: UInt8 = 47
    public static let eap: UInt8 = 48
    public static let encryptedFragment: UInt8 = 53
}
