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
    public static func parseMessage(
        _ bytes: [UInt8], range: Range<Int>,
        cutByCapture: Bool = false
    ) -> Result<IKEv2Message, IKEParseProblem> {
        if let problem = IKEFraming.outside(bytes, range, .v2) { return .failure(problem) }
        var reader = ByteReader(bytes, range: range)
        return IKEv2Message.parse(&reader, cutByCapture: cutByCapture)
    }

    /// Parses a payload chain that starts with a payload of type `firstPayload` at
    /// `range.lowerBound`: the decrypted content of SK (or of reassembled SKF fragments),
    /// without padding, pad length and ICV. SK and SKF cannot appear in it: one that does is
    /// kept as `.malformed(nestedEncrypted)` and ends the chain.
    public static func parsePayloadChain(
        _ bytes: [UInt8], range: Range<Int>,
        firstPayload: UInt8
    ) -> (
        payloads: [IKEv2Payload],
        problems: [IKEParseProblem]
    ) {
        if let problem = IKEFraming.outside(bytes, range, .v2) { return ([], [problem]) }
        var reader = ByteReader(bytes, range: range)
        var problems: [IKEParseProblem] = []
        let payloads = walk(&reader, firstPayload: firstPayload, encryptedAllowed: false, problems: &problems)
        return (payloads, problems)
    }

    static let criticalBit: UInt8 = 0x80

    /// The payloads of the chain in `reader`. `cutAtEnd`: the capture cut the message at the
    /// reader's end; the payload running past it is kept as a `.malformed` payload (but for
    /// SK and SKF, whose loss the caller reports).
    static func walk(
        _ reader: inout ByteReader, firstPayload: UInt8, encryptedAllowed: Bool, cutAtEnd: Bool = false,
        problems: inout [IKEParseProblem]
    ) -> [IKEv2Payload] {
        var payloads: [IKEv2Payload] = []
        var endedWithEncrypted = false
        let walked = IKEFraming.walk(
            &reader, first: firstPayload, .v2, cutAtEnd: cutAtEnd, problems: &problems,
            cut: { type, range, problem in
                if !IKEv2PayloadType.isEncrypted(type) {
                    payloads.append(IKEv2Payload(type: type, critical: false, range: range, body: .malformed(problem)))
                }
            },
            visit: { header, problems in
                let critical = header.flags & criticalBit != 0
                if IKEv2PayloadType.isEncrypted(header.type) {
                    // RFC 7296 3.14: SK's Next Payload names the first payload inside it, so the
                    // chain ends here; RFC 7383 2.5 likewise for SKF.
                    payloads.append(
                        encrypted(header, critical: critical, allowed: encryptedAllowed, problems: &problems))
                    endedWithEncrypted = encryptedAllowed
                    return false
                }
                var body = header.body
                let parsed = parseBody(&body, type: header.type, problems: &problems)
                if critical, case .unknown = parsed {
                    // RFC 7296 2.5: a recipient that does not understand a critical payload must
                    // reject the message with UNSUPPORTED_CRITICAL_PAYLOAD.
                    problems.append(
                        IKEParseProblem(
                            .unknownCriticalPayload, offset: header.range.lowerBound,
                            .v2, in: .payload(header.type)))
                }
                payloads.append(IKEv2Payload(type: header.type, critical: critical, range: header.range, body: parsed))
                return true
            })
        if endedWithEncrypted, !reader.isAtEnd {
            let encryptedType = payloads.last?.type ?? IKEv2PayloadType.encrypted
            problems.append(
                IKEParseProblem(
                    .dataAfterEncrypted, offset: reader.offset,
                    .v2, in: .payload(encryptedType), .trailing(reader.remaining, after: nil)))
        } else if walked.isComplete, !reader.isAtEnd {
            problems.append(
                IKEParseProblem(
                    .trailingBytes, offset: reader.offset,
                    .v2, in: .message, .trailing(reader.remaining, after: nil)))
        }
        return payloads
    }

    /// SK or SKF: kept with where its content lies (what it holds is read once decrypted), or
    /// `.malformed(nestedEncrypted)` inside decrypted content.
    static func encrypted(
        _ header: IKEFraming.PayloadHeader, critical: Bool, allowed: Bool,
        problems: inout [IKEParseProblem]
    ) -> IKEv2Payload {
        let body: IKEv2PayloadBody
        if !allowed {
            let problem = IKEParseProblem(
                .nestedEncrypted, offset: header.range.lowerBound,
                .v2, in: .payload(header.type))
            problems.append(problem)
            body = .malformed(problem)
        } else if header.type == IKEv2PayloadType.encrypted {
            body = .encrypted(
                IKEv2EncryptedPayload(
                    firstInnerPayload: header.next,
                    contentRange: header.body.remainingRange))
        } else {
            var reader = header.body
            let result = IKEv2EncryptedFragment.parse(&reader, firstInnerPayload: header.next)
            body = settle(result.map(IKEv2PayloadBody.encryptedFragment), problems: &problems)
        }
        return IKEv2Payload(type: header.type, critical: critical, range: header.range, body: body)
    }

    /// The body of a payload other than SK/SKF.
    static func parseBody(
        _ reader: inout ByteReader, type: UInt8,
        problems: inout [IKEParseProblem]
    ) -> IKEv2PayloadBody {
        func malformed(_ problem: IKEParseProblem) -> IKEv2PayloadBody {
            problems.append(problem)
            return .malformed(problem)
        }
        func rest(_ reader: inout ByteReader) -> [UInt8] { reader.readBytes(reader.remaining) ?? [] }
        switch type {
        case IKEv2PayloadType.securityAssociation:
            let result = IKEv2Proposal.parseList(&reader, problems: &problems)
            return settle(result.map(IKEv2PayloadBody.securityAssociation), problems: &problems)
        case IKEv2PayloadType.keyExchange:
            // RFC 7296 3.4: Diffie-Hellman Group Num (2), RESERVED (2), Key Exchange Data.
            if let problem = IKEFraming.needs(reader, 4, .v2, .keyExchange) { return malformed(problem) }
            let group = reader.readUInt16() ?? 0
            reader.skip(2)
            return .keyExchange(group: group, data: rest(&reader))
        case IKEv2PayloadType.identificationInitiator, IKEv2PayloadType.identificationResponder:
            return settle(IKEv2Identification.parse(&reader).map(IKEv2PayloadBody.identification), problems: &problems)
        case IKEv2PayloadType.certificate:
            // RFC 7296 3.6: Cert Encoding (1), Certificate Data.
            if let problem = IKEFraming.needs(reader, 1, .v2, .certificate) { return malformed(problem) }
            let encoding = reader.readUInt8() ?? 0
            return .certificate(encoding: encoding, data: rest(&reader))
        case IKEv2PayloadType.certificateRequest:
            // RFC 7296 3.7: Cert Encoding (1), Certification Authority.
            if let problem = IKEFraming.needs(reader, 1, .v2, .certificateRequest) { return malformed(problem) }
            let encoding = reader.readUInt8() ?? 0
            return .certificateRequest(encoding: encoding, data: rest(&reader))
        case IKEv2PayloadType.authentication:
            // RFC 7296 3.8: Auth Method (1), RESERVED (3), Authentication Data.
            if let problem = IKEFraming.needs(reader, 4, .v2, .authentication) { return malformed(problem) }
            let method = reader.readUInt8() ?? 0
            reader.skip(3)
            return .authentication(method: method, data: rest(&reader))
        case IKEv2PayloadType.nonce:
            return .nonce(rest(&reader))
        case IKEv2PayloadType.notify:
            return settle(IKEv2Notify.parse(&reader).map(IKEv2PayloadBody.notify), problems: &problems)
        case IKEv2PayloadType.delete:
            let result = IKEv2Delete.parse(&reader, problems: &problems)
            return settle(result.map(IKEv2PayloadBody.delete), problems: &problems)
        case IKEv2PayloadType.vendorID:
            return .vendorID(rest(&reader))
        case IKEv2PayloadType.trafficSelectorInitiator, IKEv2PayloadType.trafficSelectorResponder:
            let result = IKEv2TrafficSelector.parseList(&reader, problems: &problems)
            return settle(result.map(IKEv2PayloadBody.trafficSelectors), problems: &problems)
        case IKEv2PayloadType.configuration:
            let result = IKEv2Configuration.parse(&reader, problems: &problems)
            return settle(result.map(IKEv2PayloadBody.configuration), problems: &problems)
        case IKEv2PayloadType.eap:
            let result = IKEv2EAP.parse(&reader, problems: &problems)
            return settle(result.map(IKEv2PayloadBody.eap), problems: &problems)
        default:
            return .unknown(rest(&reader))
        }
    }

    /// A body, or `.malformed` with the problem recorded.
    static func settle(
        _ result: Result<IKEv2PayloadBody, IKEParseProblem>,
        problems: inout [IKEParseProblem]
    ) -> IKEv2PayloadBody {
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

    /// SK or SKF: the chain ends with it.
    static func isEncrypted(_ type: UInt8) -> Bool { type == encrypted || type == encryptedFragment }
}
