import SpiglassIKE
import SpiglassWire

extension IKEv2Payload {
    /// One line for the text report: `SA: #1 IKE ENCR_AES_CBC_256 PRF_HMAC_SHA2_256
    /// AUTH_HMAC_SHA2_256_128 MODP_2048`, `KE: ECP_256 (64 bytes)`, `N(REKEY_SA) ESP spi=c19c5d01`,
    /// `TSi: 10.200.1.0/24`, `IDi: ID_FQDN moon.example`, `D: ESP c19c5d01 4218b56d`,
    /// `V: strongSwan`, `CP(CFG_REQUEST): INTERNAL_IP4_ADDRESS`, `EAP: Request/Identity`,
    /// `SKF: fragment 2/3`, ... Lists are cut after `IKEText.itemLimit` items.
    public var summary: String { body.renderer.summary(name: name) }

    /// This payload as one JSON object: `type`, `name`, `critical`, then the body's fields.
    func jsonObject() -> String {
        IKEPayloadJSON.object(type: type, name: name, critical: critical, body.renderer)
    }
}

extension IKEv2PayloadBody {
    /// The renderer for this kind of payload.
    var renderer: any IKEPayloadRenderer {
        switch self {
        case .securityAssociation(let proposals): return IKEv2SARenderer(proposals: proposals)
        case .keyExchange(let group, let data):
            return IKEv2NamedNumberRenderer(
                key: "group", number: Int(group),
                numberName: IKEv2Names.keyExchangeName(group),
                length: data.count, lengthInSummary: true)
        case .identification(let id): return id
        case .certificate(let encoding, let data):
            return IKEv2CertificateRenderer(
                encoding: encoding, data: data,
                isRequest: false)
        case .certificateRequest(let encoding, let data):
            return IKEv2CertificateRenderer(
                encoding: encoding,
                data: data, isRequest: true)
        case .authentication(let method, let data):
            return IKEv2NamedNumberRenderer(
                key: "method", number: Int(method),
                numberName: IKEv2Names.authMethodName(method),
                length: data.count, lengthInSummary: false)
        case .nonce(let data): return OpaqueRenderer(data: data, hexKey: "data")
        case .notify(let notify): return notify
        case .delete(let delete):
            return DeleteRenderer(
                doi: nil, protocolName: delete.protocolName, spiSize: delete.spiSize,
                spis: delete.spis)
        case .vendorID(let data): return VendorIDRenderer(data: data)
        case .trafficSelectors(let selectors): return IKEv2TrafficSelectorsRenderer(selectors: selectors)
        case .encrypted(let sk): return sk
        case .encryptedFragment(let skf): return skf
        case .configuration(let cp): return cp
        case .eap(let eap): return eap
        case .unknown(let data): return OpaqueRenderer(data: data, hexKey: "data")
        case .malformed(let problem): return MalformedRenderer(problem: problem)
        }
    }
}

/// SA: the proposals, each with its transforms by type.
struct IKEv2SARenderer: IKEPayloadRenderer {
    var proposals: [IKEv2Proposal]

    func summary(name: String) -> String {
        guard !proposals.isEmpty else { return "\(name): no proposals" }
        return "\(name): " + IKEText.limited(proposals.map(Self.describe), separator: " | ")
    }

    /// "#1 IKE ENCR_AES_CBC_256 PRF_HMAC_SHA2_256 AUTH_HMAC_SHA2_256_128 MODP_2048".
    static func describe(_ proposal: IKEv2Proposal) -> String {
        var words = ["#\(proposal.number)", proposal.protocolName]
        if !proposal.spi.isEmpty { words.append("spi=\(Hex.encode(proposal.spi))") }
        // Transforms by type (ENCR, PRF, INTEG, KE, ESN, ADDKE...), in wire order within a type.
        let ordered = proposal.transforms.enumerated().sorted { a, b in
            a.element.type != b.element.type ? a.element.type < b.element.type : a.offset < b.offset
        }.map(\.element.name)
        if !ordered.isEmpty { words.append(IKEText.limited(ordered, separator: " ")) }
        return words.joined(separator: " ")
    }

    func json(_ o: inout JSONObject) {
        o.raw("proposals", IKEPayloadJSON.proposals(proposals))
    }

    static func transform(_ transform: IKEv2Transform, _ t: inout JSONObject) {
        t.int("type", transform.type)
        t.string("type_name", transform.typeName)
        t.int("id", transform.id)
        t.string("name", transform.name)
        t.int("key_length", transform.keyLength)
        if !transform.otherAttributes.isEmpty {
            t.raw(
                "attributes",
                IKEPayloadJSON.array(transform.otherAttributes) { attribute, a in
                    a.int("type", attribute.type)
                    a.string("value", Hex.encode(attribute.value))
                })
        }
    }
}

extension IKEv2Proposal: IKEProposalRendering {
    var transformsJSON: String { IKEPayloadJSON.array(transforms, IKEv2SARenderer.transform) }
}

/// KE and AUTH: a number with its IANA name (the group, the method) and the size of the data
/// (KE's public value; AUTH's proof, which shows by its size only).
struct IKEv2NamedNumberRenderer: IKEPayloadRenderer {
    /// "group", "method": the JSON key of the number (and with "_name", of its name).
    var key: String
    var number: Int
    var numberName: String
    var length: Int
    var lengthInSummary: Bool

    func summary(name: String) -> String { "\(name): \(numberName)" + (lengthInSummary ? " (\(length) bytes)" : "") }

    func json(_ o: inout JSONObject) {
        o.int(key, number)
        o.string("\(key)_name", numberName)
        o.int("length", length)
    }
}

extension IKEv2Identification: IKEPayloadRenderer {
    func summary(name: String) -> String { IKEPayloadJSON.identitySummary(name: name, typeName: typeName, text: text) }

    func json(_ o: inout JSONObject) {
        o.int("id_type", type)
        o.string("id_type_name", typeName)
        o.string("value", text)
    }
}

/// CERT and CERTREQ: the encoding and the size (CERTREQ for X.509: how many CAs).
struct IKEv2CertificateRenderer: IKEPayloadRenderer {
    var encoding: UInt8
    var data: [UInt8]
    var isRequest: Bool

    func summary(name: String) -> String {
        let encodingName = IKEv2Names.certificateEncodingName(encoding)
        // RFC 7296 3.7: for X.509, a concatenation of 20-byte SHA-1 hashes of CA keys.
        if isRequest, encoding == 4, data.count % 20 == 0 {
            return "\(name): \(encodingName), \(data.count / 20) CA\(data.count == 20 ? "" : "s")"
        }
        return "\(name): \(encodingName) (\(data.count) bytes)"
    }

    func json(_ o: inout JSONObject) {
        o.int("encoding", encoding)
        o.string("encoding_name", IKEv2Names.certificateEncodingName(encoding))
        o.int("length", data.count)
    }
}

extension IKEv2Notify: IKEPayloadRenderer {
    func summary(name _: String) -> String {
        var text = "N(\(name))"
        if !spi.isEmpty { text += " \(IKEv2Names.protocolName(protocolID)) spi=\(Hex.encode(spi))" }
        switch type {
        case 17 where data.count == 2:
            // INVALID_KE_PAYLOAD: the group the responder wants (RFC 7296 1.3).
            text += " group=\(IKEv2Names.keyExchangeName(IKEText.uint16s(data).first ?? 0))"
        case 16431 where data.count % 2 == 0 && !data.isEmpty:
            // SIGNATURE_HASH_ALGORITHMS: 16-bit hash algorithm numbers (RFC 7427 4).
            text += " " + IKEText.limited(IKEText.uint16s(data).map(IKEv2Names.hashAlgorithmName), separator: ",")
        case 16390, 16401, 16441:
            // COOKIE, COOKIE2, ADDITIONAL_KEY_EXCHANGE (RFC 9370): opaque data, its size.
            text += " (\(data.count) bytes)"
        default:
            break
        }
        return text
    }

    func json(_ o: inout JSONObject) {
        o.int("notify_type", type)
        o.string("notify", name)
        o.bool("error", isError)
        o.string("protocol", IKEv2Names.protocolName(protocolID))
        o.string("spi", spi.isEmpty ? nil : Hex.encode(spi))
        IKEPayloadJSON.hex(data, into: &o, key: "data")
    }
}

/// TSi, TSr: the selectors as ranges or prefixes.
struct IKEv2TrafficSelectorsRenderer: IKEPayloadRenderer {
    var selectors: [IKEv2TrafficSelector]

    func summary(name: String) -> String {
        guard !selectors.isEmpty else { return "\(name): none" }
        return "\(name): " + IKEText.limited(selectors.map(\.text), separator: ", ")
    }

    func json(_ o: inout JSONObject) {
        o.raw(
            "selectors",
            IKEPayloadJSON.array(selectors) { selector, s in
                s.int("type", selector.type)
                s.string("type_name", selector.typeName)
                s.int("protocol", selector.ipProtocol)
                if selector.isAddressRange {
                    s.string("ports", "\(selector.startPort)-\(selector.endPort)")
                    s.string("start", selector.startText)
                    s.string("end", selector.endText)
                } else {
                    IKEPayloadJSON.hex(selector.data, into: &s, key: "data")
                }
                s.string("text", selector.text)
            })
    }
}

extension IKEv2EncryptedPayload: IKEPayloadRenderer {
    func summary(name: String) -> String { "\(name): \(contentRange.count) bytes encrypted" }

    func json(_ o: inout JSONObject) {
        o.int("first_payload", firstInnerPayload)
        o.string("first_payload_name", IKEv2Names.payloadName(firstInnerPayload))
        o.int("length", contentRange.count)
    }
}

extension IKEv2EncryptedFragment: IKEPayloadRenderer {
    func summary(name: String) -> String { "\(name): fragment \(fragmentNumber)/\(totalFragments)" }

    func json(_ o: inout JSONObject) {
        o.int("fragment_number", fragmentNumber)
        o.int("total_fragments", totalFragments)
        o.int("first_payload", firstInnerPayload)
        o.int("length", contentRange.count)
    }
}

extension IKEv2Configuration: IKEPayloadRenderer {
    func summary(name: String) -> String {
        let head = "\(name)(\(typeName))"
        guard !attributes.isEmpty else { return head }
        let items = attributes.map { attribute in
            attribute.valueText.map { "\(attribute.name)=\(DisplayText.clipped($0))" } ?? attribute.name
        }
        return "\(head): " + IKEText.limited(items, separator: ", ")
    }

    func json(_ o: inout JSONObject) {
        o.int("cfg_type", type)
        o.string("cfg_type_name", typeName)
        o.raw(
            "attributes",
            IKEPayloadJSON.array(attributes) { attribute, a in
                a.int("type", attribute.type)
                a.string("name", attribute.name)
                a.int("length", attribute.value.count)
                if let text = attribute.valueText {
                    a.string("value", text)
                } else if !attribute.value.isEmpty {
                    IKEPayloadJSON.hex(attribute.value, into: &a, key: "value_hex")
                }
            })
    }
}

extension IKEv2EAP: IKEPayloadRenderer {
    func summary(name: String) -> String {
        guard let typeName else { return "\(name): \(codeName)" }
        return "\(name): \(codeName)/\(typeName)"
    }

    func json(_ o: inout JSONObject) {
        o.int("code", code)
        o.string("code_name", codeName)
        o.int("identifier", identifier)
        o.int("eap_type", type)
        o.string("eap_type_name", typeName)
        o.int("length", data.count)
    }
}
