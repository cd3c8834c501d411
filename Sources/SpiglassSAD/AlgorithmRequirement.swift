/// A requirement level of the algorithm tables (RFC 2119, and RFC 8221 3 / RFC 8247 1.2 for
/// MUST-, "currently MUST but likely to be demoted", and SHOULD+, "likely to be promoted").
public enum RequirementLevel: String, Sendable, Hashable {
    case must = "MUST"
    case mustMinus = "MUST-"
    case shouldPlus = "SHOULD+"
    case should = "SHOULD"
    case may = "MAY"
    case shouldNot = "SHOULD NOT"
    case mustNot = "MUST NOT"
    /// Marked deprecated in IANA's IKEv2 registry (the Status column RFC 9395 added).
    case deprecated = "deprecated"
}

/// The table a level is read from.
public enum RequirementTable: String, Sendable, Hashable {
    /// RFC 8221 5: ESP encryption algorithms.
    case rfc8221Encryption = "RFC 8221 5"
    /// RFC 8221 6: ESP and AH authentication algorithms.
    case rfc8221Authentication = "RFC 8221 6"
    /// RFC 8247 2.1: IKEv2 encryption (transform type 1).
    case rfc8247Encryption = "RFC 8247 2.1"
    /// RFC 8247 2.2: IKEv2 PRFs (transform type 2).
    case rfc8247PRF = "RFC 8247 2.2"
    /// RFC 8247 2.3: IKEv2 integrity (transform type 3).
    case rfc8247Integrity = "RFC 8247 2.3"
    /// RFC 8247 2.4: Diffie-Hellman groups (transform type 4).
    case rfc8247KeyExchange = "RFC 8247 2.4"
    /// RFC 9395: IKEv1 deprecated, with the IKEv1-era algorithms IKEv2 never specified.
    case rfc9395 = "RFC 9395"
}

/// One line of one table: the entry's name as the RFC spells it and its level.
public struct AlgorithmRequirement: Sendable, Hashable, CustomStringConvertible {
    public var table: RequirementTable
    public var entry: String
    public var level: RequirementLevel

    public init(_ table: RequirementTable, _ entry: String, _ level: RequirementLevel) {
        self.table = table
        self.entry = entry
        self.level = level
    }

    /// "RFC 8221 5: ENCR_3DES SHOULD NOT".
    public var description: String { "\(table.rawValue): \(entry) \(level.rawValue)" }
}

extension AlgorithmRequirement {
    /// The line that covers `weak` where it was seen: RFC 8221 for ESP and AH (key files and
    /// CHILD_SAs), RFC 8247 for the IKE SA; RFC 8247 2.4 for every Diffie-Hellman group (RFC 8221
    /// has none). IKEv1's IKE SA is read against RFC 8247's tables: RFC 9395 deprecates IKEv1
    /// and leaves it no table of its own. Nil where the table for that use does not list it.
    public static func covering(_ weak: WeakAlgorithm, in use: AlgorithmUse) -> AlgorithmRequirement? {
        switch (weak, use.isIPsec) {
        case (.des, true): return .init(.rfc8221Encryption, "ENCR_DES", .mustNot)
        case (.des, false): return .init(.rfc8247Encryption, "ENCR_DES", .mustNot)
        case (.tripleDES, true): return .init(.rfc8221Encryption, "ENCR_3DES", .shouldNot)
        case (.tripleDES, false): return .init(.rfc8247Encryption, "ENCR_3DES", .may)
        case (.blowfish, true): return .init(.rfc8221Encryption, "ENCR_BLOWFISH", .mustNot)
        case (.blowfish, false): return .init(.rfc9395, "ENCR_BLOWFISH", .deprecated)
        case (.tripleIDEA, true): return .init(.rfc8221Encryption, "ENCR_3IDEA", .mustNot)
        case (.tripleIDEA, false): return .init(.rfc9395, "ENCR_3IDEA", .deprecated)
        case (.cast, _): return .init(.rfc9395, "ENCR_CAST", .deprecated)
        case (.idea, _): return .init(.rfc9395, "ENCR_IDEA", .deprecated)
        case (.rc5, _): return .init(.rfc9395, "ENCR_RC5", .deprecated)
        case (.nullEncryption, true): return .init(.rfc8221Encryption, "ENCR_NULL", .must)
        case (.nullEncryption, false): return nil
        case (.encryptionWithoutIntegrity, _): return .init(.rfc8221Authentication, "AUTH_NONE", .mustNot)
        default: return integrity(weak, ipsec: use.isIPsec) ?? keyExchange(weak)
        }
    }

    /// Integrity and PRF lines. AUTH_HMAC_MD5_128 and AUTH_HMAC_SHA1_160 are in neither table:
    /// they are judged by the line of the HMAC they truncate (AUTH_HMAC_MD5_96, AUTH_HMAC_SHA1_96).
    private static func integrity(_ weak: WeakAlgorithm, ipsec: Bool) -> AlgorithmRequirement? {
        let table: RequirementTable = ipsec ? .rfc8221Authentication : .rfc8247Integrity
        switch weak {
        case .md5Integrity: return .init(table, "AUTH_HMAC_MD5_96", .mustNot)
        case .desMAC: return .init(table, "AUTH_DES_MAC", .mustNot)
        case .kpdkMD5: return .init(table, "AUTH_KPDK_MD5", .mustNot)
        case .sha1Integrity: return .init(table, "AUTH_HMAC_SHA1_96", .mustMinus)
        case .md5PRF: return .init(.rfc8247PRF, "PRF_HMAC_MD5", .mustNot)
        case .sha1PRF: return .init(.rfc8247PRF, "PRF_HMAC_SHA1", .mustMinus)
        case .tigerPRF: return .init(.rfc9395, "PRF_HMAC_TIGER", .deprecated)
        default: return nil
        }
    }

    private static func keyExchange(_ weak: WeakAlgorithm) -> AlgorithmRequirement? {
        switch weak {
        case .modp768: return .init(.rfc8247KeyExchange, "group 1", .mustNot)
        case .modp1024: return .init(.rfc8247KeyExchange, "group 2", .shouldNot)
        case .modp1536: return .init(.rfc8247KeyExchange, "group 5", .shouldNot)
        case .modp1024s160: return .init(.rfc8247KeyExchange, "group 22", .shouldNot)
        case .modp2048s224: return .init(.rfc8247KeyExchange, "group 23", .shouldNot)
        case .modp2048s256: return .init(.rfc8247KeyExchange, "group 24", .shouldNot)
        default: return nil
        }
    }
}
