import SpiglassIKE
import SpiglassWire

/// `-V`: the fields of a payload below its summary line, like tshark's packet details. Each
/// renderer that has more than its summary says adds them here; the rest show the summary only.
extension IKEPayloadRenderer {
    /// Lines under the payload's summary, without indentation (nested items start with two spaces).
    func details() -> [String] { [] }
}

extension IKEv2SARenderer {
    /// "Proposal #1: IKE, 4 transforms" and each transform with its type, ID and attributes.
    func details() -> [String] {
        var lines: [String] = []
        for proposal in proposals.prefix(IKEText.itemLimit) {
            var head = "Proposal #\(proposal.number): \(proposal.protocolName) (\(proposal.protocolID))"
            if !proposal.spi.isEmpty { head += ", SPI \(Hex.encode(proposal.spi))" }
            lines.append(head + ", \(IKEOfferText.count(proposal.transforms.count, "transform"))")
            for transform in proposal.transforms.prefix(IKEText.itemLimit) {
                var line =
                    "  Transform \(transform.typeName) (\(transform.type)): \(IKEv2Names.transformIDName(type: transform.type, id: transform.id)) (\(transform.id))"
                if let bits = transform.keyLength { line += ", Key Length: \(bits)" }
                for attribute in transform.otherAttributes.prefix(IKEText.itemLimit) {
                    line += ", attribute \(attribute.type): \(IKEText.hexPrefix(attribute.value, limit: 16))"
                }
                lines.append(line)
            }
        }
        return lines
    }
}

extension IKEv2TrafficSelectorsRenderer {
    /// "TS_IPV4_ADDR_RANGE, protocol any (0), ports 0-65535, 10.200.1.0 - 10.200.1.255".
    func details() -> [String] {
        selectors.prefix(IKEText.itemLimit).map { selector in
            guard selector.isAddressRange else { return selector.text }
            return
                "\(selector.typeName), protocol \(IKEv2Names.ipProtocolName(selector.ipProtocol)) (\(selector.ipProtocol)), ports \(selector.startPort)-\(selector.endPort), \(selector.startText) - \(selector.endText)"
        }
    }
}

extension IKEv2Configuration {
    /// Each attribute: "INTERNAL_IP4_ADDRESS (1): 10.3.0.1", "INTERNAL_IP4_DNS (3): (empty)".
    func details() -> [String] {
        attributes.prefix(IKEText.itemLimit).map { attribute in
            let value =
                attribute.valueText.map { DisplayText.clipped($0) }
                ?? (attribute.value.isEmpty ? "(empty)" : IKEText.hexPrefix(attribute.value, limit: 32))
            return "\(attribute.name) (\(attribute.type)): \(value)"
        }
    }
}

extension IKEv2Notify {
    /// The type by number, the protocol and SPI, and the data (hex, cut).
    func details() -> [String] {
        var line = "Notify Message Type: \(name) (\(type))\(isError ? ", error" : "")"
        if protocolID != 0 { line += ", Protocol: \(IKEv2Names.protocolName(protocolID))" }
        if !spi.isEmpty { line += ", SPI: \(Hex.encode(spi))" }
        guard !data.isEmpty else { return [line] }
        return [line, "Notification Data: \(data.count) bytes: \(IKEText.hexPrefix(data, limit: 32))"]
    }
}

extension IKEv2CertificateRenderer {
    func details() -> [String] { isRequest ? [] : IKECertificateNames.lines(data) }
}

extension IKECertificateNames {
    /// An X.509 certificate's subject and issuer as text; none when `der` is not one.
    static func lines(_ der: [UInt8]) -> [String] {
        guard let names = IKECertificateNames(der: der) else { return [] }
        return [
            "Subject: \(IKEDistinguishedNameText.render(names.subject) ?? Hex.encode(names.subject))",
            "Issuer: \(IKEDistinguishedNameText.render(names.issuer) ?? Hex.encode(names.issuer))",
        ]
    }
}

extension OpaqueRenderer {
    /// The first bytes of a nonce, NAT-D hash or unknown payload (never an AUTH proof: no hex key).
    func details() -> [String] {
        guard hexKey != nil, !data.isEmpty else { return [] }
        return ["Data: \(IKEText.hexPrefix(data, limit: 32))"]
    }
}

extension IKEv1SecurityAssociation {
    /// The DOI and situation, then each proposal and each transform with its attributes by
    /// name and value ("Encryption Algorithm: AES-CBC (7)", "Key Length: 128").
    func details() -> [String] {
        var lines = ["DOI: \(doiName) (\(doi)), Situation: \(Hex.encode(situation))"]
        for proposal in proposals.prefix(IKEText.itemLimit) {
            var head = "Proposal #\(proposal.number): \(proposal.protocolName) (\(proposal.protocolID))"
            if !proposal.spi.isEmpty { head += ", SPI \(Hex.encode(proposal.spi))" }
            lines.append(head + ", \(IKEOfferText.count(proposal.transforms.count, "transform"))")
            for transform in proposal.transforms.prefix(IKEText.itemLimit) {
                lines.append("  Transform #\(transform.number): \(transform.name) (\(transform.transformID))")
                for attribute in transform.attributes.prefix(IKEText.itemLimit) {
                    let name = IKEv1Names.attributeName(protocolID: proposal.protocolID, type: attribute.type)
                    let value: String
                    if let named = IKEv1Names.attributeValueName(protocolID: proposal.protocolID, attribute: attribute)
                    {
                        value = "\(named) (\(attribute.integerValue ?? 0))"
                    } else {
                        value = attribute.integerValue.map(String.init) ?? IKEText.hexPrefix(attribute.value, limit: 16)
                    }
                    lines.append("    \(name): \(value)")
                }
            }
        }
        return lines
    }
}

extension IKEv1CertificateRenderer {
    func details() -> [String] { isRequest ? [] : IKECertificateNames.lines(data) }
}
