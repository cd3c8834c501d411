import SpiglassWire

extension IKEv2Payload {
    /// Items listed at most in one summary line (proposals, transforms, selectors, SPIs,
    /// attributes); the rest is counted ("… 12 more").
    public static let summaryItemLimit = 16

    /// One line for the text report: `SA: #1 IKE ENCR_AES_CBC_256 PRF_HMAC_SHA2_256
    /// AUTH_HMAC_SHA2_256_128 MODP_2048`, `KE: ECP_256 (64 bytes)`, `N(REKEY_SA) ESP spi=c19c5d01`,
    /// `TSi: 10.200.1.0/24`, `IDi: ID_FQDN moon.example`, `D: ESP c19c5d01 4218b56d`,
    /// `V: strongSwan`, `CP(CFG_REQUEST): INTERNAL_IP4_ADDRESS`, `EAP: Request/Identity`,
    /// `SKF: fragment 2/3`, ...
    public var summary: String {
        switch body {
        case .securityAssociation(let proposals):
            guard !proposals.isEmpty else { return "\(name): no proposals" }
            return "\(name): " + Self.limited(proposals.map(Self.describe), separator: " | ")
        case .keyExchange(let group, let data):
            return "\(name): \(IKEv2Names.keyExchangeName(group)) (\(data.count) bytes)"
        case .identification(let id):
            let text = id.text
            return text.isEmpty ? "\(name): \(id.typeName)" : "\(name): \(id.typeName) \(DisplayText.clipped(text))"
        case .certificate(let encoding, let data):
            return "\(name): \(IKEv2Names.certificateEncodingName(encoding)) (\(data.count) bytes)"
        case .certificateRequest(let encoding, let data):
            // RFC 7296 3.7: for X.509, a concatenation of 20-byte SHA-1 hashes of CA keys.
            if encoding == 4, data.count % 20 == 0 {
                return "\(name): \(IKEv2Names.certificateEncodingName(encoding)), \(data.count / 20) CA\(data.count == 20 ? "" : "s")"
            }
            return "\(name): \(IKEv2Names.certificateEncodingName(encoding)) (\(data.count) bytes)"
        case .authentication(let method, _):
            return "\(name): \(IKEv2Names.authMethodName(method))"
        case .nonce(let data):
            return "\(name): \(data.count) bytes"
        case .notify(let notify):
            return Self.describe(notify)
        case .delete(let delete):
            guard !delete.spis.isEmpty else { return "\(name): \(delete.protocolName)" }
            return "\(name): \(delete.protocolName) " + Self.limited(delete.spis.map { Hex.encode($0) }, separator: " ")
        case .vendorID(let data):
            if let known = KnownVendorIDs.name(data) { return "\(name): \(known)" }
            if let text = DisplayText.readable(data, ascii: true) { return "\(name): \"\(DisplayText.clipped(text))\"" }
            return "\(name): \(IKEv2Wire.hexPrefix(data, limit: 32))"
        case .trafficSelectors(let selectors):
            guard !selectors.isEmpty else { return "\(name): none" }
            return "\(name): " + Self.limited(selectors.map(\.text), separator: ", ")
        case .encrypted(let sk):
            return "\(name): \(sk.contentRange.count) bytes encrypted"
        case .encryptedFragment(let skf):
            return "\(name): fragment \(skf.fragmentNumber)/\(skf.totalFragments)"
        case .configuration(let cp):
            let head = "\(name)(\(cp.typeName))"
            guard !cp.attributes.isEmpty else { return head }
            let items = cp.attributes.map { attribute in attribute.valueText.map { "\(attribute.name)=\(DisplayText.clipped($0))" } ?? attribute.name }
            return "\(head): " + Self.limited(items, separator: ", ")
        case .eap(let eap):
            guard let typeName = eap.typeName else { return "\(name): \(eap.codeName)" }
            return "\(name): \(eap.codeName)/\(typeName)"
        case .unknown(let data):
            return "\(name): \(data.count) bytes"
        case .malformed(let problem):
            return "\(name): malformed (\(problem.reason))"
        }
    }

    static func describe(_ proposal: IKEv2Proposal) -> String {
        var words = ["#\(proposal.number)", proposal.protocolName]
        if !proposal.spi.isEmpty { words.append("spi=\(Hex.encode(proposal.spi))") }
        // Transforms by type (ENCR, PRF, INTEG, KE, ESN, ADDKE...), in wire order within a type.
        let ordered = proposal.transforms.enumerated().sorted { a, b in
            a.element.type != b.element.type ? a.element.type < b.element.type : a.offset < b.offset
        }.map(\.element.name)
        if !ordered.isEmpty { words.append(limited(ordered, separator: " ")) }
        return words.joined(separator: " ")
    }

    static func describe(_ notify: IKEv2Notify) -> String {
        var text = "N(\(notify.name))"
        if !notify.spi.isEmpty { text += " \(IKEv2Names.protocolName(notify.protocolID)) spi=\(Hex.encode(notify.spi))" }
        switch notify.type {
        case 17 where notify.data.count == 2:
            // INVALID_KE_PAYLOAD: the group the responder wants (RFC 7296 1.3).
            text += " group=\(IKEv2Names.keyExchangeName(IKEv2Wire.u16(notify.data, 0)))"
        case 16431 where notify.data.count % 2 == 0 && !notify.data.isEmpty:
            // SIGNATURE_HASH_ALGORITHMS: 16-bit hash algorithm numbers (RFC 7427 4).
            let ids = stride(from: 0, to: notify.data.count, by: 2).map { IKEv2Names.hashAlgorithmName(IKEv2Wire.u16(notify.data, $0)) }
            text += " " + limited(ids, separator: ",")
        case 16390, 16401, 16441:
            // COOKIE, COOKIE2, ADDITIONAL_KEY_EXCHANGE (RFC 9370): opaque data, its size.
            text += " (\(notify.data.count) bytes)"
        default:
            break
        }
        return text
    }

    /// The first `summaryItemLimit` items, then "… N more".
    static func limited(_ items: [String], separator: String) -> String {
        guard items.count > summaryItemLimit else { return items.joined(separator: separator) }
        return items.prefix(summaryItemLimit).joined(separator: separator) + "\(separator)… \(items.count - summaryItemLimit) more"
    }
}
