import SpiglassIKE
import SpiglassWire

/// What one IKE message offered or proposed, read from its payloads for the failure story:
/// its SA proposals, its KE group, its traffic selectors, its configuration payload.
extension IKEMessageRecord {
    /// IKEv2: the proposals of the first SA payload (outer or decrypted).
    var v2Proposals: [IKEv2Proposal]? {
        for payload in payloads.v2 {
            if case .securityAssociation(let proposals) = payload.body { return proposals }
        }
        return nil
    }

    /// IKEv1: the proposals of the first SA payload.
    var v1Proposals: [IKEv1Proposal]? {
        for payload in payloads.v1 {
            if case .securityAssociation(let sa) = payload.body { return sa.proposals }
        }
        return nil
    }

    /// IKEv2: the group of the KE payload.
    var v2KeyExchangeGroup: UInt16? {
        for payload in payloads.v2 {
            if case .keyExchange(let group, _) = payload.body { return group }
        }
        return nil
    }

    /// IKEv2: the TSi and TSr payloads' selectors, nil when the message holds neither.
    var v2TrafficSelectors: (initiator: [IKEv2TrafficSelector], responder: [IKEv2TrafficSelector])? {
        var initiator: [IKEv2TrafficSelector]?
        var responder: [IKEv2TrafficSelector]?
        for payload in payloads.v2 {
            guard case .trafficSelectors(let selectors) = payload.body else { continue }
            if payload.type == IKEv2PayloadType.trafficSelectorInitiator {
                initiator = initiator ?? selectors
            } else {
                responder = responder ?? selectors
            }
        }
        guard initiator != nil || responder != nil else { return nil }
        return (initiator ?? [], responder ?? [])
    }

    /// IKEv2: the CP payload's line ("CP(CFG_REPLY): INTERNAL_IP4_ADDRESS=10.3.0.1, ...").
    var v2ConfigurationSummary: String? {
        payloads.v2.first { if case .configuration = $0.body { return true } else { return false } }?.summary
    }
}

/// Offers and selectors in words, for the story's evidence lines.
enum IKEOfferText {
    /// "#1 IKE ENCR_AES_CBC_128 PRF_HMAC_SHA2_256 AUTH_HMAC_SHA2_256_128 MODP_2048 | #2 ...".
    static func v2(_ proposals: [IKEv2Proposal]) -> String {
        IKEText.limited(proposals.map(IKEv2SARenderer.describe), separator: " | ")
    }

    /// "ISAKMP #1 AES-CBC-128 SHA2-256 PSK MODP2048 life 10800s, ...".
    static func v1(_ proposals: [IKEv1Proposal]) -> String {
        IKEText.limited(proposals.map(IKEv1SecurityAssociation.describe), separator: " | ")
    }

    /// "10.200.1.0/24 === 10.200.2.0/24" ("any" for an empty side).
    static func selectors(_ initiator: [IKEv2TrafficSelector], _ responder: [IKEv2TrafficSelector]) -> String {
        func side(_ selectors: [IKEv2TrafficSelector]) -> String {
            selectors.isEmpty ? "none" : IKEText.limited(selectors.map(\.text), separator: ",")
        }
        return "\(side(initiator)) === \(side(responder))"
    }

    /// IKEv2: the CP payloads of `sa`'s messages in order, each with its frame:
    /// "CP(CFG_REQUEST): INTERNAL_IP4_ADDRESS (frame 3); CP(CFG_REPLY): INTERNAL_IP4_ADDRESS=10.3.0.1 (frame 4)".
    static func configuration(_ sa: IKESARecord, in story: IKEReconstruction) -> String? {
        guard sa.version == .v2 else { return nil }
        var parts: [String] = []
        for exchange in sa.exchanges {
            for index in [exchange.request, exchange.response].compactMap({ $0 }) {
                guard let message = story.message(index), let cp = message.v2ConfigurationSummary else { continue }
                parts.append("\(cp) (\(IKERefusal.frames(message)))")
            }
        }
        return parts.isEmpty ? nil : IKEText.limited(parts, separator: "; ")
    }

    /// "1 IKE proposal", "3 ESP proposals".
    static func count(_ n: Int, _ what: String) -> String { "\(n) \(what)\(n == 1 ? "" : "s")" }

    /// The transforms of `chosen` that none of `offered` holds (same type, ID and key length),
    /// by name.
    static func missing(_ chosen: IKEv2Proposal, from offered: [IKEv2Proposal]) -> [String] {
        chosen.transforms.filter { transform in
            !offered.contains { proposal in proposal.transforms.contains(where: transform.sameAlgorithm) }
        }.map(\.name)
    }

    /// The phase-1 attributes (cipher and key length, hash, authentication, group) of `chosen`
    /// that no offered transform has.
    static func missing(_ chosen: IKEv1Transform, from offered: [IKEv1Proposal]) -> [String] {
        let transforms = offered.flatMap(\.transforms)
        var names: [String] = []
        if let cipher = chosen.encryptionAlgorithm,
            !transforms.contains(where: { $0.encryptionAlgorithm == cipher && $0.keyLength == chosen.keyLength })
        {
            names.append(IKEv1Names.encryptionName(cipher) + (chosen.keyLength.map { "_\($0)" } ?? ""))
        }
        if let hash = chosen.hashAlgorithm, !transforms.contains(where: { $0.hashAlgorithm == hash }) {
            names.append(IKEv1Names.hashName(hash))
        }
        if let method = chosen.authenticationMethod, !transforms.contains(where: { $0.authenticationMethod == method })
        {
            names.append(IKEv1Names.authMethodName(method))
        }
        if let group = chosen.group, !transforms.contains(where: { $0.group == group }) {
            names.append(IKEv1Names.groupName(group))
        }
        return names
    }
}

extension IKEv2Transform {
    /// The same algorithm: type, ID and key length (other attributes do not pick one).
    func sameAlgorithm(_ other: IKEv2Transform) -> Bool {
        type == other.type && id == other.id && keyLength == other.keyLength
    }
}
