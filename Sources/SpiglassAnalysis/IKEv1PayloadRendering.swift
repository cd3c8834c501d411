import SpiglassIKE
import SpiglassWire

extension IKEv1Payload {
    /// One line for the text report: `SA: IKE #1 AES-CBC-128 SHA2-256 PSK MODP2048 life
    /// 10800s`, `SA: ESP #1 spi=c19c5d01 ESP_AES-128 HMAC-SHA tunnel`, `KE: 256 bytes`,
    /// `ID: ID_IPV4_ADDR 10.0.0.1[udp/500]`, `N(INITIAL-CONTACT)`, `D: ESP c19c5d01`,
    /// `VID: RFC 3947 NAT-Traversal`, `ATTR(REQUEST): INTERNAL_IP4_ADDRESS XAUTH-USER-NAME`,
    /// `NAT-D: 20 bytes`, `FRAG: id 1 #2 last`, ... Lists are cut after `IKEText.itemLimit`
    /// items; secrets (XAUTH passwords) show only their length.
    public var summary: String { body.renderer.summary(name: name) }

    /// This payload as one JSON object: `type`, `name`, then the body's fields.
    func jsonObject() -> String {
        IKEPayloadJSON.object(type: type, name: name, critical: nil, body.renderer)
    }

    /// For a CR: the acceptable CA's Distinguished Name as text ("C=CH, O=..., CN=...") when
    /// it decodes; nil for other payloads, an empty authority or one that does not decode.
    public var certificateAuthority: String? {
        guard case .certificateRequest(let encoding, let data) = body else { return nil }
        return IKEv1CertificateRenderer(encoding: encoding, data: data, isRequest: true).authority
    }
}

extension IKEv1PayloadBody {
    /// The renderer for this kind of payload.
    var renderer: any IKEPayloadRenderer {
        switch self {
        case .securityAssociation(let sa): return sa
        case .keyExchange(let data): return OpaqueRenderer(data: data, hexKey: nil)
        case .identification(let id): return id
        case .certificate(let encoding, let data):
            return IKEv1CertificateRenderer(
                encoding: encoding, data: data,
                isRequest: false)
        case .certificateRequest(let encoding, let data):
            return IKEv1CertificateRenderer(
                encoding: encoding,
                data: data, isRequest: true)
        case .hash(let data), .signature(let data): return OpaqueRenderer(data: data, hexKey: nil)
        case .nonce(let data), .natDiscovery(let data): return OpaqueRenderer(data: data, hexKey: "data")
        case .notification(let notification): return notification
        case .delete(let delete):
            return DeleteRenderer(
                doi: delete.doi, protocolName: delete.protocolName, spiSize: delete.spiSize,
                spis: delete.spis)
        case .vendorID(let data): return VendorIDRenderer(data: data)
        case .attributes(let cfg): return cfg
        case .natOriginalAddress(let oa): return oa
        case .fragment(let fragment): return fragment
        case .unknown(let data): return OpaqueRenderer(data: data, hexKey: "data")
        case .malformed(let problem): return MalformedRenderer(problem: problem)
        }
    }
}

extension IKEv1SecurityAssociation: IKEPayloadRenderer {
    func summary(name: String) -> String {
        guard !proposals.isEmpty else {
            return doi == Self.ipsecDOI ? "\(name): no proposals" : "\(name): DOI \(doiName)"
        }
        return "\(name): " + IKEText.limited(proposals.map(Self.describe), separator: " | ")
    }

    /// "IKE #1 AES-CBC-128 SHA2-256 PSK MODP2048 life 10800s, 3DES-CBC SHA PSK MODP1024",
    /// "ESP #1 spi=c19c5d01 ESP_AES-128 HMAC-SHA tunnel".
    static func describe(_ proposal: IKEv1Proposal) -> String {
        var words = ["\(proposal.protocolName) #\(proposal.number)"]
        if !proposal.spi.isEmpty && proposal.protocolID != IKEv1Names.protoISAKMP {
            words.append("spi=\(Hex.encode(proposal.spi))")
        }
        if !proposal.transforms.isEmpty {
            words.append(IKEText.limited(proposal.transforms.map(\.summary), separator: ", "))
        }
        return words.joined(separator: " ")
    }

    func json(_ o: inout JSONObject) {
        o.int("doi", doi)
        o.string("doi_name", doiName)
        IKEPayloadJSON.hex(situation, into: &o, key: "situation")
        o.raw("proposals", IKEPayloadJSON.proposals(proposals))
    }
}

extension IKEv1Proposal: IKEProposalRendering {
    var transformsJSON: String { IKEPayloadJSON.array(transforms) { transform, t in transform.json(&t) } }
}

extension IKEv1Transform {
    /// A transform's algorithms: the phase-1 suite, or the IPsec transform with its attributes.
    var summary: String {
        var words = isPhase1 ? phase1Words : ipsecWords
        if words.isEmpty { words.append(name) }
        if !lifetimes.isEmpty { words.append("life " + lifetimes.map(\.text).joined(separator: "/")) }
        return words.joined(separator: " ")
    }

    private var phase1Words: [String] {
        var words: [String] = []
        if let encryption = encryptionAlgorithm {
            let base = IKEv1Names.encryptionName(encryption)
            words.append(keyLength.map { "\(base)-\($0)" } ?? base)
        }
        if let hash = hashAlgorithm { words.append(IKEv1Names.hashName(hash)) }
        if let method = authenticationMethod { words.append(IKEv1Names.authMethodName(method)) }
        if let group { words.append(IKEv1Names.groupName(group)) }
        return words
    }

    private var ipsecWords: [String] {
        var words = [keyLength.map { "\(name)-\($0)" } ?? name]
        if let auth = authenticationAlgorithm { words.append(IKEv1Names.authenticationAlgorithmName(auth)) }
        if let mode = encapsulationMode { words.append(IKEv1Names.encapsulationModeShortName(mode)) }
        if let group { words.append("PFS \(IKEv1Names.groupName(group))") }
        if extendedSequenceNumbers { words.append("ESN") }
        return words
    }

    func json(_ t: inout JSONObject) {
        t.int("number", number)
        t.int("id", transformID)
        t.string("name", name)
        if isPhase1 {
            t.string("encryption", encryptionAlgorithm.map(IKEv1Names.encryptionName))
            t.string("hash", hashAlgorithm.map(IKEv1Names.hashName))
            t.string("authentication_method", authenticationMethod.map(IKEv1Names.authMethodName))
        } else {
            t.string("authentication_algorithm", authenticationAlgorithm.map(IKEv1Names.authenticationAlgorithmName))
            t.string("encapsulation_mode", encapsulationMode.map(IKEv1Names.encapsulationModeName))
        }
        t.int("key_length", keyLength)
        t.string("group", group.map(IKEv1Names.groupName))
        t.raw(
            "lifetimes",
            IKEPayloadJSON.array(lifetimes) { lifetime, l in
                l.string("type", IKEv1Names.lifeTypeName(lifetime.type))
                l.int("duration", lifetime.duration)
            })
        t.raw(
            "attributes",
            IKEPayloadJSON.array(attributes) { attribute, a in
                a.int("type", attribute.type)
                a.string("name", IKEv1Names.attributeName(protocolID: protocolID, type: attribute.type))
                a.bool("basic", attribute.isBasic)
                IKEPayloadJSON.hex(attribute.value, into: &a, key: "value")
                a.string("value_name", IKEv1Names.attributeValueName(protocolID: protocolID, attribute: attribute))
            })
    }
}

extension IKEv1Identification: IKEPayloadRenderer {
    func summary(name: String) -> String {
        IKEPayloadJSON.identitySummary(
            name: name, typeName: typeName,
            text: text + portsText)
    }

    func json(_ o: inout JSONObject) {
        o.int("id_type", type)
        o.string("id_type_name", typeName)
        o.int("protocol", protocolID)
        o.int("port", port)
        o.string("value", text)
    }
}

/// CERT and CR: the encoding and the size; a CR's acceptable CA by its name when it decodes.
struct IKEv1CertificateRenderer: IKEPayloadRenderer {
    var encoding: UInt8
    var data: [UInt8]
    var isRequest: Bool

    /// RFC 2408 3.10: for X.509 the CA's Distinguished Name, or nothing for any CA.
    var authority: String? { isRequest && !data.isEmpty ? IKEDistinguishedNameText.render(data) : nil }

    func summary(name: String) -> String {
        let encodingName = IKEv1Names.certificateEncodingName(encoding)
        if isRequest && data.isEmpty { return "\(name): \(encodingName)" }
        if let authority { return "\(name): \(encodingName) \(DisplayText.clipped(authority))" }
        return "\(name): \(encodingName) (\(data.count) bytes)"
    }

    func json(_ o: inout JSONObject) {
        o.int("encoding", encoding)
        o.string("encoding_name", IKEv1Names.certificateEncodingName(encoding))
        o.int("length", data.count)
        if isRequest { o.string("authority", authority) }
    }
}

extension IKEv1Notification: IKEPayloadRenderer {
    func summary(name _: String) -> String {
        var text = "N(\(name))"
        // Phase-1 notifications repeat the cookies as SPI: only AH/ESP/IPCOMP SPIs are shown.
        if !spi.isEmpty && protocolID != IKEv1Names.protoISAKMP {
            text += " \(IKEv1Names.protocolName(protocolID)) spi=\(Hex.encode(spi))"
        }
        if let sequence = dpdSequence {
            text += " seq=\(sequence)"
        } else if let lifetimes = responderLifetimes, !lifetimes.isEmpty {
            text += " life " + lifetimes.map(\.text).joined(separator: "/")
        } else if type == IKEv1Names.Notify.replayStatus, data.count == 4 {
            // RFC 2407 4.6.3.2 REPLAY-STATUS: 1 enabled, 0 disabled.
            text += data.allSatisfy { $0 == 0 } ? " disabled" : " enabled"
        }
        return text
    }

    func json(_ o: inout JSONObject) {
        o.int("notify_type", type)
        o.string("notify", name)
        o.bool("error", isError)
        o.int("doi", doi)
        o.string("protocol", IKEv1Names.protocolName(protocolID))
        o.string("spi", spi.isEmpty ? nil : Hex.encode(spi))
        IKEPayloadJSON.hex(data, into: &o, key: "data")
    }
}

extension IKEv1ConfigAttributes: IKEPayloadRenderer {
    func summary(name: String) -> String {
        let head = "\(name)(\(typeName))"
        guard !attributes.isEmpty else { return head }
        return "\(head): " + IKEText.limited(attributes.map(\.configSummary), separator: " ")
    }

    func json(_ o: inout JSONObject) {
        o.int("cfg_type", type)
        o.string("cfg_type_name", typeName)
        o.int("identifier", identifier)
        o.raw(
            "attributes",
            IKEPayloadJSON.array(attributes) { attribute, a in
                a.int("type", attribute.type)
                a.string("name", attribute.configName)
                a.int("length", attribute.value.count)
                if attribute.isSecretConfigAttribute || attribute.value.isEmpty {
                    // Only the length of a password, passcode, PIN or answer.
                } else if let text = attribute.configValueText {
                    a.string("value", text)
                } else {
                    IKEPayloadJSON.hex(attribute.value, into: &a, key: "value_hex")
                }
            })
    }
}

extension IKEv1Attribute {
    /// "INTERNAL_IP4_ADDRESS", "INTERNAL_IP4_ADDRESS=10.3.0.1", "XAUTH-USER-PASSWORD=(8 bytes)",
    /// "XAUTH-MESSAGE=\"Enter your password\"".
    var configSummary: String {
        let name = configName
        if value.isEmpty { return name }
        if isSecretConfigAttribute { return "\(name)=(\(value.count) bytes)" }
        if let text = configValueText {
            // Escaped text has its quotes escaped: quoting it is unambiguous.
            if text.contains(" ") { return "\(name)=\"\(DisplayText.clipped(text))\"" }
            return "\(name)=\(DisplayText.clipped(text))"
        }
        if isBasic, let value = integerValue { return "\(name)=\(value)" }
        return "\(name)=(\(value.count) bytes)"
    }
}

extension IKEv1NATOriginalAddress: IKEPayloadRenderer {
    func summary(name: String) -> String { "\(name): \(text)" }

    func json(_ o: inout JSONObject) {
        o.int("id_type", idType)
        o.string("id_type_name", IKEv1Names.idTypeName(idType))
        o.string("address", text)
    }
}

extension IKEv1Fragment: IKEPayloadRenderer {
    func summary(name: String) -> String { "\(name): id \(id) #\(number)" + (isLast ? " last" : "") }

    func json(_ o: inout JSONObject) {
        o.int("fragment_id", id)
        o.int("fragment_number", number)
        o.bool("last", isLast)
        o.int("length", data.count)
    }
}
