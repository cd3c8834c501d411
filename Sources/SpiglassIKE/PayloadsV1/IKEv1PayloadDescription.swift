import SpiglassWire

extension IKEv1Payload {
    /// One line for the text report: `SA: IKE #1 AES-CBC-128 SHA2-256 PSK MODP2048 life
    /// 10800s`, `SA: ESP #1 spi=c19c5d01 ESP_AES-128 HMAC-SHA tunnel`, `KE: 256 bytes`,
    /// `ID: ID_IPV4_ADDR 10.0.0.1[udp/500]`, `N(INITIAL-CONTACT)`, `D: ESP c19c5d01`,
    /// `VID: RFC 3947 NAT-Traversal`, `ATTR(REQUEST): INTERNAL_IP4_ADDRESS XAUTH-USER-NAME`,
    /// `NAT-D: 20 bytes`, `FRAG: id 1 #2 last`, ... Lists are cut after
    /// `IKEv2Payload.summaryItemLimit` items; secrets (XAUTH passwords) show only their length.
    public var summary: String {
        switch body {
        case .securityAssociation(let sa):
            guard !sa.proposals.isEmpty else {
                return sa.doi == IKEv1SecurityAssociation.ipsecDOI ? "\(name): no proposals" : "\(name): DOI \(sa.doiName)"
            }
            return "\(name): " + IKEv2Payload.limited(sa.proposals.map(Self.describe), separator: " | ")
        case .keyExchange(let data):
            return "\(name): \(data.count) bytes"
        case .identification(let id):
            let text = id.text + id.portsText
            return text.isEmpty ? "\(name): \(id.typeName)" : "\(name): \(id.typeName) \(DisplayText.clipped(text))"
        case .certificate(let encoding, let data):
            return "\(name): \(IKEv1Names.certificateEncodingName(encoding)) (\(data.count) bytes)"
        case .certificateRequest(let encoding, let data):
            // RFC 2408 3.10: for X.509 the CA's Distinguished Name, or nothing for any CA.
            if data.isEmpty { return "\(name): \(IKEv1Names.certificateEncodingName(encoding))" }
            if let dn = certificateAuthority {
                return "\(name): \(IKEv1Names.certificateEncodingName(encoding)) \(DisplayText.clipped(dn))"
            }
            return "\(name): \(IKEv1Names.certificateEncodingName(encoding)) (\(data.count) bytes)"
        case .hash(let data), .signature(let data), .nonce(let data), .natDiscovery(let data):
            return "\(name): \(data.count) bytes"
        case .notification(let notification):
            return Self.describe(notification)
        case .delete(let delete):
            guard !delete.spis.isEmpty else { return "\(name): \(delete.protocolName)" }
            return "\(name): \(delete.protocolName) " + IKEv2Payload.limited(delete.spis.map { Hex.encode($0) }, separator: " ")
        case .vendorID(let data):
            if let known = KnownVendorIDs.name(data) { return "\(name): \(known)" }
            if let text = DisplayText.readable(data, ascii: true) { return "\(name): \"\(DisplayText.clipped(text))\"" }
            return "\(name): \(IKEv2Wire.hexPrefix(data, limit: 32))"
        case .attributes(let cfg):
            let head = "\(name)(\(cfg.typeName))"
            guard !cfg.attributes.isEmpty else { return head }
            return "\(head): " + IKEv2Payload.limited(cfg.attributes.map(Self.describeConfig), separator: " ")
        case .natOriginalAddress(let oa):
            return "\(name): \(oa.text)"
        case .fragment(let fragment):
            return "\(name): id \(fragment.id) #\(fragment.number)" + (fragment.isLast ? " last" : "")
        case .unknown(let data):
            return "\(name): \(data.count) bytes"
        case .malformed(let problem):
            return "\(name): malformed (\(problem.reason))"
        }
    }

    /// For a CR: the acceptable CA's Distinguished Name as text ("C=CH, O=..., CN=...") when
    /// it decodes; nil for other payloads, an empty authority or one that does not decode.
    public var certificateAuthority: String? {
        guard case .certificateRequest(_, let data) = body, !data.isEmpty else { return nil }
        return IKEv2DistinguishedName.render(data)
    }

    /// "IKE #1 AES-CBC-128 SHA2-256 PSK MODP2048 life 10800s, 3DES-CBC SHA PSK MODP1024",
    /// "ESP #1 spi=c19c5d01 ESP_AES-128 HMAC-SHA tunnel".
    static func describe(_ proposal: IKEv1Proposal) -> String {
        var words = ["\(proposal.protocolName) #\(proposal.number)"]
        if !proposal.spi.isEmpty && proposal.protocolID != IKEv1Names.protoISAKMP {
            words.append("spi=\(Hex.encode(proposal.spi))")
        }
        if !proposal.transforms.isEmpty {
            words.append(IKEv2Payload.limited(proposal.transforms.map(describe), separator: ", "))
        }
        return words.joined(separator: " ")
    }

    /// A transform's algorithms: the phase-1 suite, or the IPsec transform with its attributes.
    static func describe(_ transform: IKEv1Transform) -> String {
        var words: [String] = []
        if transform.isPhase1 {
            if let encryption = transform.encryptionAlgorithm {
                let base = IKEv1Names.encryptionName(encryption)
                words.append(transform.keyLength.map { "\(base)-\($0)" } ?? base)
            }
            if let hash = transform.hashAlgorithm { words.append(IKEv1Names.hashName(hash)) }
            if let method = transform.authenticationMethod { words.append(IKEv1Names.authMethodName(method)) }
            if let group = transform.group { words.append(IKEv1Names.groupName(group)) }
            if words.isEmpty { words.append(transform.name) }
        } else {
            let base = transform.name
            words.append(transform.keyLength.map { "\(base)-\($0)" } ?? base)
            if let auth = transform.authenticationAlgorithm { words.append(IKEv1Names.authenticationAlgorithmName(auth)) }
            if let mode = transform.encapsulationMode { words.append(IKEv1Names.encapsulationModeShortName(mode)) }
            if let group = transform.group { words.append("PFS \(IKEv1Names.groupName(group))") }
            if transform.extendedSequenceNumbers { words.append("ESN") }
        }
        let lifetimes = transform.lifetimes
        if !lifetimes.isEmpty { words.append("life " + lifetimes.map(\.text).joined(separator: "/")) }
        return words.joined(separator: " ")
    }

    static func describe(_ notification: IKEv1Notification) -> String {
        var text = "N(\(notification.name))"
        // Phase-1 notifications repeat the cookies as SPI: only AH/ESP/IPCOMP SPIs are shown.
        if !notification.spi.isEmpty && notification.protocolID != IKEv1Names.protoISAKMP {
            text += " \(IKEv1Names.protocolName(notification.protocolID)) spi=\(Hex.encode(notification.spi))"
        }
        if let sequence = notification.dpdSequence {
            text += " seq=\(sequence)"
        } else if let lifetimes = notification.responderLifetimes, !lifetimes.isEmpty {
            text += " life " + lifetimes.map(\.text).joined(separator: "/")
        } else if notification.type == IKEv1Names.Notify.replayStatus, notification.data.count == 4 {
            // RFC 2407 4.6.3.2 REPLAY-STATUS: 1 enabled, 0 disabled.
            text += IKEv2Wire.u32(notification.data, 0) == 0 ? " disabled" : " enabled"
        }
        return text
    }

    /// "INTERNAL_IP4_ADDRESS", "INTERNAL_IP4_ADDRESS=10.3.0.1", "XAUTH-USER-PASSWORD=(8 bytes)",
    /// "XAUTH-MESSAGE=\"Enter your password\"".
    static func describeConfig(_ attribute: IKEv1Attribute) -> String {
        let name = attribute.configName
        if attribute.value.isEmpty { return name }
        if attribute.isSecretConfigAttribute { return "\(name)=(\(attribute.value.count) bytes)" }
        if let text = attribute.configValueText {
            // Escaped text has its quotes escaped: quoting it is unambiguous.
            if text.contains(" ") { return "\(name)=\"\(DisplayText.clipped(text))\"" }
            return "\(name)=\(DisplayText.clipped(text))"
        }
        if attribute.isBasic, let value = attribute.integerValue { return "\(name)=\(value)" }
        return "\(name)=(\(attribute.value.count) bytes)"
    }
}
