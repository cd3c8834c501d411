import SpiglassIKE

/// Words for what the exchanges settled: the chosen proposals and the identities.
extension IKESARecord {
    /// The chosen IKE proposal as names: IKEv2's transform names ("ENCR_AES_CBC_128",
    /// "PRF_HMAC_SHA2_256", ...), IKEv1's phase-1 suite ("AES-CBC_128", "SHA2-256", "PSK",
    /// "MODP2048", "life 10800s").
    public var proposalNames: [String] {
        switch proposal {
        case .none: return []
        case .v2(let proposal): return proposal.transforms.map(\.name)
        case .v1(let transform):
            var names: [String] = []
            if let encryption = transform.encryptionAlgorithm {
                names.append(IKEv1Names.encryptionName(encryption) + (transform.keyLength.map { "_\($0)" } ?? ""))
            }
            if let hash = transform.hashAlgorithm { names.append(IKEv1Names.hashName(hash)) }
            if let method = transform.authenticationMethod { names.append(IKEv1Names.authMethodName(method)) }
            if let group = transform.group { names.append(IKEv1Names.groupName(group)) }
            if let life = transform.lifetimes.first { names.append("life \(life.text)") }
            return names
        }
    }
}

extension ChildSARecord {
    /// The chosen proposal as names: IKEv2's transform names, IKEv1's Quick Mode transform
    /// ("ESP_AES", "HMAC-SHA2-256", "128 bits", "tunnel").
    public var proposalNames: [String] {
        switch proposal {
        case .none: return []
        case .v2(let proposal): return proposal.transforms.map(\.name)
        case .v1(let transform):
            var names = [transform.name]
            if let auth = transform.authenticationAlgorithm {
                names.append(IKEv1Names.authenticationAlgorithmName(auth))
            }
            if let bits = transform.keyLength { names.append("\(bits) bits") }
            if let mode = transform.encapsulationMode { names.append(IKEv1Names.encapsulationModeShortName(mode)) }
            return names
        }
    }
}

extension IKEIdentity {
    /// "ID_FQDN moon.strongswan.org", "ID_IPV4_ADDR 10.0.0.1": the type, then the identity
    /// (escaped, whole: report lines clip it).
    public var summary: String {
        switch self {
        case .v2(let id): return "\(id.typeName) \(id.text)"
        case .v1(let id): return "\(id.typeName) \(id.text)"
        }
    }
}
