/// A Diffie-Hellman (key exchange) group by its IANA number: IKEv2 transform type 4 and the IKEv1
/// Group Description attribute (class 4) share the numbers of the groups named here.
public struct KeyExchangeGroup: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// RFC 2409 6.1 and 6.2.
    public static let modp768 = KeyExchangeGroup(rawValue: 1)
    public static let modp1024 = KeyExchangeGroup(rawValue: 2)
    /// RFC 3526 2.
    public static let modp1536 = KeyExchangeGroup(rawValue: 5)
    /// RFC 5114 2.1 to 2.3: MODP groups with a prime-order subgroup of 160, 224 and 256 bits.
    public static let modp1024s160 = KeyExchangeGroup(rawValue: 22)
    public static let modp2048s224 = KeyExchangeGroup(rawValue: 23)
    public static let modp2048s256 = KeyExchangeGroup(rawValue: 24)
}

/// An algorithm RFC 8221, RFC 8247 or RFC 9395 has something against, whichever protocol
/// negotiated it or whichever key file named it. `AlgorithmRequirement.covering` gives the line
/// of the table that judges it in each use.
public enum WeakAlgorithm: Sendable, Hashable {
    /// ENCR_DES and its IV variants ENCR_DES_IV64, ENCR_DES_IV32.
    case des
    case tripleDES
    case blowfish
    /// CAST-128 (ENCR_CAST, ESP's cast5-cbc).
    case cast
    case idea
    case tripleIDEA
    case rc5
    case nullEncryption
    /// ESP with a cipher that is not an AEAD and no integrity transform.
    case encryptionWithoutIntegrity
    /// HMAC-MD5, truncated to 96 bits (or 128).
    case md5Integrity
    case desMAC
    case kpdkMD5
    /// HMAC-SHA1, truncated to 96 bits (or 160).
    case sha1Integrity
    /// HMAC-MD5 as the PRF: IKEv2's PRF transform, or the hash of an IKEv1 SA.
    case md5PRF
    case sha1PRF
    case tigerPRF
    case modp768
    case modp1024
    case modp1536
    case modp1024s160
    case modp2048s224
    case modp2048s256
}

/// Where an algorithm was seen, which decides the table that judges it.
public enum AlgorithmUse: Sendable, Hashable {
    /// An ESP or AH SA of the key files.
    case ipsecSA
    /// The ESP or AH proposal an IKEv2 responder chose for a CHILD_SA.
    case childSAProposal
    /// The proposal an IKEv2 responder chose for the IKE SA.
    case ikeSAProposal
    /// The transform an IKEv1 responder chose in phase 1.
    case ikev1PhaseOne

    /// ESP and AH (RFC 8221), rather than the IKE SA (RFC 8247).
    public var isIPsec: Bool { self == .ipsecSA || self == .childSAProposal }
}

/// The one table of weak algorithms behind every finding about them: ESP and AH SAs, IKEv2
/// proposals (IKE SA and CHILD_SA), IKEv1 phase 1. Each judge takes a typed algorithm; callers map
/// what they hold (a key file's names, IANA transform numbers, IKEv1 attributes) to those types.
public enum AlgorithmPolicy {
    /// ESP ciphers.
    public static func judge(_ encryption: EncryptionAlgorithm) -> WeakAlgorithm? {
        switch encryption {
        case .desCBC: return .des
        case .tripleDESCBC: return .tripleDES
        case .blowfishCBC: return .blowfish
        case .cast5CBC: return .cast
        case .null: return .nullEncryption
        default: return nil
        }
    }

    /// ESP and AH integrity.
    public static func judge(_ integrity: IntegrityAlgorithm) -> WeakAlgorithm? {
        switch integrity {
        case .hmacMD5_96: return .md5Integrity
        case .hmacSHA1_96: return .sha1Integrity
        default: return nil
        }
    }

    /// IKE ciphers; IKEv2 proposals for CHILD_SAs use the same transform IDs.
    public static func judge(_ encryption: IKEEncryptionAlgorithm) -> WeakAlgorithm? {
        switch encryption {
        case .des: return .des
        case .tripleDES: return .tripleDES
        case .null: return .nullEncryption
        default: return nil
        }
    }

    /// IKE integrity.
    public static func judge(_ integrity: IKEIntegrityAlgorithm) -> WeakAlgorithm? {
        switch integrity {
        case .hmacMD5_96, .hmacMD5_128: return .md5Integrity
        case .hmacSHA1_96, .hmacSHA1_160: return .sha1Integrity
        default: return nil
        }
    }

    /// IKE PRFs, and IKEv1's hash, whose HMAC is its PRF.
    public static func judge(_ prf: IKEPRF) -> WeakAlgorithm? {
        switch prf {
        case .hmacMD5: return .md5PRF
        case .hmacSHA1: return .sha1PRF
        default: return nil
        }
    }

    /// Key exchange groups.
    public static func judge(_ group: KeyExchangeGroup) -> WeakAlgorithm? {
        switch group {
        case .modp768: return .modp768
        case .modp1024: return .modp1024
        case .modp1536: return .modp1536
        case .modp1024s160: return .modp1024s160
        case .modp2048s224: return .modp2048s224
        case .modp2048s256: return .modp2048s256
        default: return nil
        }
    }

    /// Whether a finding names `weak` seen in `use`: what its table says MUST NOT or SHOULD NOT
    /// be used, or deprecates; NULL encryption for what it means (no confidentiality), though
    /// RFC 8221 keeps ENCR_NULL as a MUST for integrity-only ESP. MUST- (SHA-1, "likely to be
    /// demoted") is noted in IKE proposals, where RFC 8247 already lists the SHA-2 replacements
    /// every peer has, and not on the key files' SAs, where a finding fails `--fail-on`.
    public static func isFlagged(_ weak: WeakAlgorithm, in use: AlgorithmUse) -> Bool {
        if weak == .nullEncryption { return true }
        switch AlgorithmRequirement.covering(weak, in: use)?.level {
        case .mustNot, .shouldNot, .deprecated: return true
        case .mustMinus: return use != .ipsecSA
        default: return false
        }
    }

    /// What is weak about an ESP or AH SA of the key files, in the order a report lists it:
    /// cipher, the missing integrity, integrity. NULL encryption only for ESP (AH has no cipher).
    public static func weaknesses(of sa: SecurityAssociation) -> [WeakAlgorithm] {
        var found: [WeakAlgorithm] = []
        if let weak = judge(sa.encryption), weak != .nullEncryption || sa.ipsecProtocol == .esp { found.append(weak) }
        if sa.ipsecProtocol == .esp && !sa.encryption.isAEAD && sa.integrity == .null && sa.encryption != .null {
            found.append(.encryptionWithoutIntegrity)
        }
        if let weak = judge(sa.integrity) { found.append(weak) }
        return found.filter { isFlagged($0, in: .ipsecSA) }
    }

    /// The finding's text for `weak` seen in `use`: what is wrong, then the line of the table.
    public static func reason(_ weak: WeakAlgorithm, in use: AlgorithmUse) -> String {
        "\(summary(weak, in: use)) (\(rule(weak, in: use)))"
    }

    /// The line of the table that judges `weak` in `use`: "RFC 8221 5: ENCR_3DES SHOULD NOT",
    /// "integrity only; RFC 8221 5: ENCR_NULL MUST", or "not in RFC 8247 2.1".
    public static func rule(_ weak: WeakAlgorithm, in use: AlgorithmUse) -> String {
        guard let line = AlgorithmRequirement.covering(weak, in: use) else {
            return "not in \(use.isIPsec ? "RFC 8221 5" : "RFC 8247 2.1")"
        }
        // ENCR_NULL is a MUST to implement, for ESP that wants integrity alone.
        let purpose = weak == .nullEncryption ? "integrity only; " : ""
        return "\(purpose)\(line)"
    }

    /// What is wrong with `weak` in `use`: "3DES has 64-bit blocks (Sweet32)".
    public static func summary(_ weak: WeakAlgorithm, in use: AlgorithmUse) -> String {
        let hash = use == .ikev1PhaseOne
        switch weak {
        case .des: return "DES is broken"
        case .tripleDES: return "3DES has 64-bit blocks (Sweet32)"
        case .blowfish: return "Blowfish has 64-bit blocks"
        case .cast: return "CAST-128 has 64-bit blocks"
        case .idea: return "IDEA has 64-bit blocks"
        case .tripleIDEA: return "3IDEA has 64-bit blocks"
        case .rc5: return "RC5 with 64-bit blocks"
        case .nullEncryption: return "NULL encryption: no confidentiality"
        case .encryptionWithoutIntegrity:
            return "encryption without integrity: packets can be altered undetected (no AEAD cipher)"
        case .md5Integrity: return "HMAC-MD5 integrity"
        case .desMAC: return "DES-MAC integrity"
        case .kpdkMD5: return "KPDK-MD5 integrity"
        case .sha1Integrity: return "HMAC-SHA1 integrity is likely to be demoted"
        case .md5PRF: return hash ? "MD5 hash" : "PRF HMAC-MD5"
        case .sha1PRF: return hash ? "SHA-1 hash is likely to be demoted" : "PRF HMAC-SHA1 is likely to be demoted"
        case .tigerPRF: return hash ? "Tiger hash" : "PRF HMAC-Tiger"
        case .modp768: return "MODP-768 is broken"
        case .modp1024: return "MODP-1024 is too weak"
        case .modp1536: return "MODP-1536 has too narrow a security margin"
        case .modp1024s160: return "MODP-1024 with a 160-bit prime-order subgroup"
        case .modp2048s224: return "MODP-2048 with a 224-bit prime-order subgroup"
        case .modp2048s256: return "MODP-2048 with a 256-bit prime-order subgroup"
        }
    }
}

/// The findings of an ESP or AH SA's algorithms, as the summary lists them.
public enum WeakAlgorithmCheck {
    public static func findings(for sa: SecurityAssociation) -> [String] {
        AlgorithmPolicy.weaknesses(of: sa).map { AlgorithmPolicy.reason($0, in: .ipsecSA) }
    }
}
