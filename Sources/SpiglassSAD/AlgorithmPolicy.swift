/// A Diffie-Hellman (key exchange) group by its IANA number: IKEv2 transform type 4 and the IKEv1
/// Group Description attribute (class 4) share the numbers of the groups named here.
public struct KeyExchangeGroup: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// RFC 2409 6.1 and 6.2.
    public static let modp768 = KeyExchangeGroup(rawValue: 1)
    public static let modp1024 = KeyExchangeGroup(rawValue: 2)
    /// RFC 5114 2.1 to 2.3: MODP groups with a prime-order subgroup of 160, 224 and 256 bits.
    public static let modp1024s160 = KeyExchangeGroup(rawValue: 22)
    public static let modp2048s224 = KeyExchangeGroup(rawValue: 23)
    public static let modp2048s256 = KeyExchangeGroup(rawValue: 24)
}

/// What RFC 8221 (ESP and AH) and RFC 8247 (IKEv2) hold against an algorithm, whichever protocol
/// negotiated it or whichever key file named it.
public enum WeakAlgorithm: Sendable, Hashable {
    case des
    case tripleDES
    /// Blowfish or CAST-128 (their ESP names): 64-bit blocks, outside RFC 8221's table.
    case sixtyFourBitBlockCipher(name: String)
    case nullEncryption
    /// ESP with a cipher that is not an AEAD and no integrity transform.
    case encryptionWithoutIntegrity
    case md5Integrity
    case sha1Integrity
    /// HMAC-MD5 as the PRF: IKEv2's PRF transform, or the hash of an IKEv1 SA.
    case md5PRF
    case sha1PRF
    case modp768
    case modp1024
    case modpWithSmallSubgroup

    /// The RFCs' word on it: MUST NOT and SHOULD NOT are flagged wherever the algorithm is seen;
    /// MUST- ("likely to be demoted", SHA-1) only in IKE, where RFC 8247 already lists the SHA-2
    /// replacements every peer has.
    public var demotedOnly: Bool {
        switch self {
        case .sha1Integrity, .sha1PRF: return true
        default: return false
        }
    }
}

/// Where an algorithm was seen, which decides how a finding words it.
public enum AlgorithmUse: Sendable, Hashable {
    /// An ESP or AH SA of the key files.
    case ipsecSA
    /// A proposal an IKEv2 responder chose, for the IKE SA or a CHILD_SA.
    case ikev2Proposal
    /// The transform an IKEv1 responder chose in phase 1.
    case ikev1PhaseOne
}

/// The one table of weak algorithms behind every finding about them: ESP and AH SAs, IKEv2
/// proposals (IKE SA and CHILD_SA), IKEv1 phase 1. Each judge takes a typed algorithm; callers map
/// what they hold (a key file's names, IANA transform numbers, IKEv1 attributes) to those types.
public enum AlgorithmPolicy {
    /// ESP ciphers (RFC 8221 5).
    public static func judge(_ encryption: EncryptionAlgorithm) -> WeakAlgorithm? {
        switch encryption {
        case .desCBC: return .des
        case .tripleDESCBC: return .tripleDES
        case .blowfishCBC, .cast5CBC: return .sixtyFourBitBlockCipher(name: encryption.name)
        case .null: return .nullEncryption
        default: return nil
        }
    }

    /// ESP and AH integrity (RFC 8221 6).
    public static func judge(_ integrity: IntegrityAlgorithm) -> WeakAlgorithm? {
        switch integrity {
        case .hmacMD5_96: return .md5Integrity
        case .hmacSHA1_96: return .sha1Integrity
        default: return nil
        }
    }

    /// IKE ciphers (RFC 8247 3.1); IKEv2 proposals for CHILD_SAs use the same transform IDs.
    public static func judge(_ encryption: IKEEncryptionAlgorithm) -> WeakAlgorithm? {
        switch encryption {
        case .des: return .des
        case .tripleDES: return .tripleDES
        case .null: return .nullEncryption
        default: return nil
        }
    }

    /// IKE integrity (RFC 8247 3.3).
    public static func judge(_ integrity: IKEIntegrityAlgorithm) -> WeakAlgorithm? {
        switch integrity {
        case .hmacMD5_96, .hmacMD5_128: return .md5Integrity
        case .hmacSHA1_96, .hmacSHA1_160: return .sha1Integrity
        default: return nil
        }
    }

    /// IKE PRFs (RFC 8247 3.2), and IKEv1's hash, whose HMAC is its PRF.
    public static func judge(_ prf: IKEPRF) -> WeakAlgorithm? {
        switch prf {
        case .hmacMD5: return .md5PRF
        case .hmacSHA1: return .sha1PRF
        default: return nil
        }
    }

    /// Key exchange groups (RFC 8247 3.4).
    public static func judge(_ group: KeyExchangeGroup) -> WeakAlgorithm? {
        switch group {
        case .modp768: return .modp768
        case .modp1024: return .modp1024
        case .modp1024s160, .modp2048s224, .modp2048s256: return .modpWithSmallSubgroup
        default: return nil
        }
    }

    /// What is weak about an ESP or AH SA of the key files, in the order a report lists it:
    /// cipher, the missing integrity, integrity. SHA-1 integrity (RFC 8221: MUST-) is not
    /// flagged here; NULL encryption only for ESP (AH has no cipher).
    public static func weaknesses(of sa: SecurityAssociation) -> [WeakAlgorithm] {
        var found: [WeakAlgorithm] = []
        if let weak = judge(sa.encryption), weak != .nullEncryption || sa.ipsecProtocol == .esp { found.append(weak) }
        if sa.ipsecProtocol == .esp && !sa.encryption.isAEAD && sa.integrity == .null && sa.encryption != .null {
            found.append(.encryptionWithoutIntegrity)
        }
        if let weak = judge(sa.integrity), !weak.demotedOnly { found.append(weak) }
        return found
    }

    /// The finding's text for `weak` seen in `use`.
    public static func reason(_ weak: WeakAlgorithm, in use: AlgorithmUse) -> String {
        switch (weak, use) {
        case (.des, .ipsecSA): return "DES-CBC is broken (RFC 8221: MUST NOT)"
        case (.des, .ikev1PhaseOne): return "DES is broken (RFC 8247: MUST NOT)"
        case (.des, _): return "DES is broken (RFC 8221: MUST NOT)"
        case (.tripleDES, .ipsecSA):
            return "3DES-CBC is legacy (RFC 8221: SHOULD NOT); its 64-bit blocks allow Sweet32-style attacks"
        case (.tripleDES, .ikev1PhaseOne): return "3DES is deprecated (RFC 8247: SHOULD NOT)"
        case (.tripleDES, _): return "3DES is deprecated (RFC 8221/8247: SHOULD NOT)"
        case (.sixtyFourBitBlockCipher(let name), _): return "\(name) has 64-bit blocks and is not in RFC 8221"
        case (.nullEncryption, .ipsecSA): return "NULL encryption: no confidentiality"
        case (.nullEncryption, _): return "NULL encryption: traffic in the clear"
        case (.encryptionWithoutIntegrity, _):
            return "encryption without integrity (RFC 8221: MUST NOT for ESP): packets can be altered undetected"
        case (.md5Integrity, .ipsecSA): return "HMAC-MD5-96 (RFC 8221: MUST NOT)"
        case (.md5Integrity, _): return "HMAC-MD5 integrity is deprecated (RFC 8221/8247: MUST NOT)"
        case (.sha1Integrity, _): return "HMAC-SHA1 integrity is deprecated (RFC 8247: MUST- for IKE)"
        case (.md5PRF, .ikev1PhaseOne): return "MD5 hash is deprecated (RFC 8247: MUST NOT)"
        case (.md5PRF, _): return "PRF HMAC-MD5 is deprecated (RFC 8247: MUST NOT)"
        case (.sha1PRF, .ikev1PhaseOne): return "SHA-1 hash is deprecated (RFC 8247)"
        case (.sha1PRF, _): return "PRF HMAC-SHA1 is deprecated (RFC 8247)"
        case (.modp768, _): return "MODP-768 is broken (RFC 8247: MUST NOT)"
        case (.modp1024, _): return "MODP-1024 is too weak (RFC 8247: SHOULD NOT)"
        case (.modpWithSmallSubgroup, _): return "MODP with small subgroup (RFC 8247: SHOULD NOT)"
        }
    }
}

/// The findings of an ESP or AH SA's algorithms, as the summary lists them.
public enum WeakAlgorithmCheck {
    public static func findings(for sa: SecurityAssociation) -> [String] {
        AlgorithmPolicy.weaknesses(of: sa).map { AlgorithmPolicy.reason($0, in: .ipsecSA) }
    }
}
