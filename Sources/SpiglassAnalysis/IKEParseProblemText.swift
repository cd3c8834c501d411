import SpiglassIKE

/// The words for an `IKEParseProblem`, as the text and JSON reports show its reason: the part
/// of the message named as IKEv1 or IKEv2 names it ("SA: transform", "N(INVALID_SPI)", "CP"),
/// then the values the failed check compared.
enum IKEParseProblemText {
    static func reason(_ problem: IKEParseProblem) -> String {
        let words = Words(problem)
        switch problem.detail {
        case .none: return words.plain()
        case .short(let needed, let available): return words.short(needed: needed, available: available)
        case .length(let length, let available): return words.length(length, available: available)
        case .belowHeader(let length, let header): return words.belowHeader(length, header: header)
        case .value(let value, let against): return words.value(value, against: against)
        case .tooMany(let declared, let limit): return words.tooMany(declared: declared, limit: limit)
        case .trailing(let count, let after): return words.trailing(count, after: after)
        case .count(let declared, let found):
            return "SA: proposal declares \(declared) \(words.noun)s, holds \(found)"
        case .spis(let count, let size, let available):
            guard size > 0 else { return "D: \(count) SPIs of size 0" }
            let (needed, overflow) = count.multipliedReportingOverflow(by: size)
            return
                "D: \(count) SPIs of \(size) bytes need \(overflow ? "more" : String(needed)) bytes, \(available) present"
        case .range(let range, let bufferSize):
            return "range \(range.lowerBound)..<\(range.upperBound) outside a buffer of \(bufferSize) bytes"
        case .captured(let captured, let length):
            return
                "\(words.prefix) payload cut by the capture: \(captured) of its \(length.map(String.init) ?? "?") bytes captured"
        case .attribute(let type, let length, let available):
            return words.attribute(type, length: length, available: available)
        case .address(let type, let length, let required):
            return words.address(type: type, length: length, required: required)
        }
    }

    /// One problem's code, version and part, with the names they give.
    struct Words {
        var code: IKEParseProblem.Code
        var version: IKEParseProblem.Version
        var part: IKEParseProblem.Part
        /// What the part is called: "SA", "N(INITIAL_CONTACT)", a payload's short name.
        var prefix: String

        init(_ problem: IKEParseProblem) {
            code = problem.code
            version = problem.version
            part = problem.part
            prefix = Self.name(problem.part, problem.version)
        }

        var isV1: Bool { version == .v1 }
        var noun: String { part == .proposal ? "proposal" : "transform" }
        /// IKEv1 data attributes are in a transform, an Attributes payload or a notification.
        var attributeContext: String { part == .transform ? "SA: transform" : prefix }

        static func name(_ part: IKEParseProblem.Part, _ version: IKEParseProblem.Version) -> String {
            let v1 = version == .v1
            switch part {
            case .message: return ""
            case .payload(let type): return v1 ? IKEv1Names.payloadName(type) : IKEv2Names.payloadName(type)
            case .securityAssociation, .situation, .proposal, .transform: return "SA"
            case .keyExchange: return "KE"
            case .identification: return "ID"
            case .certificate: return "CERT"
            case .certificateRequest: return v1 ? "CR" : "CERTREQ"
            case .authentication: return "AUTH"
            case .notify(nil): return "N"
            case .notify(let type?): return "N(\(v1 ? IKEv1Names.notifyName(type) : IKEv2Names.notifyName(type)))"
            case .delete: return "D"
            case .trafficSelectors, .trafficSelector: return "TS"
            case .configuration: return v1 ? "ATTR" : "CP"
            case .eap: return "EAP"
            case .fragment: return v1 ? "FRAG" : "SKF"
            case .natOriginalAddress: return "NAT-OA"
            }
        }

        func plain() -> String {
            switch code {
            case .unknownCriticalPayload:
                guard case .payload(let type) = part else { break }
                return "\(prefix) (type \(type)) is marked critical and not understood"
            case .nestedEncrypted: return "\(prefix) inside decrypted content"
            case .badLastSubstructure:
                return part == .proposal
                    ? "SA: the last proposal says more follow" : "SA: the last transform of a proposal says more follow"
            default: break
            }
            return "SA: \(noun) header cut"
        }

        func short(needed: Int, available: Int) -> String {
            switch code {
            case .truncatedHeader:
                return "\(available) bytes, the \(isV1 ? "ISAKMP" : "IKE") header needs \(needed)"
            case .truncatedPayloadHeader:
                return "\(prefix) announced but \(available) bytes left, its header needs \(needed)"
            case .badProposal, .badTransform:
                return
                    "SA: \(noun) header needs \(needed) bytes, \(available) left\(part == .proposal ? "" : " in the proposal")"
            case .badAttribute, .badConfigAttribute:
                if isV1 { return "\(attributeContext): attribute needs \(needed) bytes, \(available) left" }
                return part == .transform
                    ? "SA: transform attribute needs \(needed) bytes, \(available) left"
                    : "CP: attribute header needs \(needed) bytes, \(available) left"
            case .badTrafficSelector:
                guard case .trafficSelector(let number, let declared) = part else { break }
                return "TS: \(declared) selectors declared, selector \(number) has \(available) bytes"
            default: break
            }
            let purpose =
                part == .securityAssociation
                ? " for the DOI" : part == .situation ? " for the DOI and IPsec situation" : ""
            return "\(prefix): body of \(available) bytes, needs \(needed)\(purpose)"
        }

        func length(_ length: Int, available: Int) -> String {
            switch code {
            case .truncatedMessage: return "header length \(length), \(available) bytes present"
            case .payloadBeyondEnd: return "\(prefix) payload length \(length), \(available) bytes left"
            case .badProposal, .badTransform:
                let inside = part == .proposal ? " in the payload" : " in the proposal"
                return "SA: \(noun) length \(length), \(available) bytes left\(inside)"
            case .badSPISize where part == .proposal:
                return "SA: proposal SPI size \(length) does not fit its length \(available)"
            case .badSPISize: return "\(prefix): SPI size \(length), \(available) bytes left"
            case .badTrafficSelector:
                guard case .trafficSelector(let number, _) = part else { break }
                return "TS: selector \(number) length \(length), \(available) bytes left"
            default: break
            }
            return "EAP: length \(length), payload body \(available) bytes"
        }

        func belowHeader(_ length: Int, header: Int) -> String {
            switch part {
            case .message: return "header length \(length) is smaller than the \(header)-byte header"
            case .payload: return "\(prefix) payload length \(length) is smaller than its \(header)-byte header"
            case .eap(let code?): return "EAP \(IKEv2Names.eapCodeName(code)): length \(length) leaves no Type"
            default: return "SA: \(noun) length \(length) is smaller than its \(header)-byte header"
            }
        }

        func value(_ value: Int, against: Int?) -> String {
            switch code {
            case .notIKEv1, .notIKEv2: return "major version \(value), not IKEv\(against.map(String.init) ?? "?")"
            case .badFragmentNumber:
                return isV1
                    ? "FRAG: fragment number \(value)" : "SKF: fragment \(value) of \(against.map(String.init) ?? "?")"
            default:
                let more = against.map(String.init) ?? "?"
                let expected = isV1 ? "\(more) or 0" : "0 or \(more)"
                return "SA: \(noun) \(isV1 ? "Next Payload" : "Last Substruc") \(value), expected \(expected)"
            }
        }

        func tooMany(declared: Int?, limit: Int) -> String {
            if let declared {
                return "\(prefix): \(declared) \(part == .delete ? "SPIs" : "selectors"), only the first \(limit) kept"
            }
            switch code {
            case .tooManyPayloads: return "more than \(limit) payloads; the rest is skipped"
            case .tooManyProposals: return "SA: more than \(limit) proposals; the rest is skipped"
            case .tooManyTransforms: return "SA: more than \(limit) transforms in a proposal; the rest is skipped"
            case .tooManyAttributes where !isV1:
                return "SA: more than \(limit) attributes in a transform; the rest is skipped"
            default: return "\(attributeContext): more than \(limit) attributes; the rest is skipped"
            }
        }

        func trailing(_ count: Int, after: Int?) -> String {
            switch part {
            case .message:
                return after.map { "\(count) bytes after the \($0)-byte message" }
                    ?? "\(count) bytes after the last payload"
            case .payload: return "\(count) bytes after \(prefix), which must be the last payload"
            case .delete: return "D: \(count) bytes after the \(after.map(String.init) ?? "?") SPIs"
            case .eap: return "EAP: \(count) bytes after the EAP message"
            case .trafficSelectors:
                return "TS: \(count) bytes after the \(after.map(String.init) ?? "?") declared selectors"
            default: return "SA: \(count) bytes after the \(noun) marked last"
            }
        }

        func attribute(_ type: UInt16, length: Int, available: Int) -> String {
            if isV1 { return "\(attributeContext): attribute \(type) length \(length), \(available) bytes left" }
            return part == .transform
                ? "SA: attribute \(type) length \(length), \(available) bytes left in the transform"
                : "CP: \(IKEv2Names.configAttributeName(type)) length \(length), \(available) bytes left"
        }

        func address(type: UInt8, length: Int, required: Int?) -> String {
            guard let required else {
                return "NAT-OA: \(IKEv1Names.idTypeName(type)) with \(length) address bytes"
            }
            let family = type == IKEv2TrafficSelector.ipv6Range ? "IPv6" : "IPv4"
            return "TS: \(family) range selector of length \(length), must be \(required)"
        }
    }
}
