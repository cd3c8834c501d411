/// IKE encryption transforms as key files name them (IKEv2 transform type 1, RFC 7296 and
/// the IANA registry; IKEv1 uses the same ciphers).
public enum IKEEncryptionAlgorithm: Sendable, Equatable, Hashable {
    case null
    case des
    case tripleDES
    case aesCBC(keyBits: Int)
    case aesCTR(keyBits: Int)
    case aesGCM(keyBits: Int, icvLength: Int)
    case aesCCM(keyBits: Int, icvLength: Int)
    case chaCha20Poly1305
    /// A name we keep but cannot (yet) use, e.g. Camellia.
    case other(String)

    /// Native name: "aes-cbc-256", "aes-gcm-128-16", "3des", "chacha20-poly1305".
    public var name: String {
        switch self {
        case .null: return "null"
        case .des: return "des"
        case .tripleDES: return "3des"
        case .aesCBC(let bits): return "aes-cbc-\(bits)"
        case .aesCTR(let bits): return "aes-ctr-\(bits)"
        case .aesGCM(let bits, let icv): return "aes-gcm-\(bits)-\(icv)"
        case .aesCCM(let bits, let icv): return "aes-ccm-\(bits)-\(icv)"
        case .chaCha20Poly1305: return "chacha20-poly1305"
        case .other(let name): return name
        }
    }

    /// Key material length in bytes, including the salt of counter and combined modes
    /// (RFC 5930: 4-byte nonce; RFC 5282: 4-byte GCM salt, 3-byte CCM salt; RFC 7634: 4).
    public var keyMaterialLength: Int? {
        switch self {
        case .null: return 0
        case .des: return 8
        case .tripleDES: return 24
        case .aesCBC(let bits): return bits / 8
        case .aesCTR(let bits), .aesGCM(let bits, _): return bits / 8 + 4
        case .aesCCM(let bits, _): return bits / 8 + 3
        case .chaCha20Poly1305: return 36
        case .other: return nil
        }
    }

    public var isAEAD: Bool {
        switch self {
        case .aesGCM, .aesCCM, .chaCha20Poly1305: return true
        default: return false
        }
    }

    /// Parses the native name (case-insensitive), as `name` prints it, plus common aliases.
    public init?(nativeName raw: String) {
        let name = raw.lowercased()
        switch name {
        case "null", "none": self = .null
        case "des", "des-cbc": self = .des
        case "3des", "3des-cbc", "tripledes-cbc": self = .tripleDES
        case "chacha20-poly1305", "chacha20poly1305": self = .chaCha20Poly1305
        default:
            let parts = name.split(separator: "-")
            guard parts.count >= 3, parts[0] == "aes", let bits = Int(parts[2]), [128, 192, 256].contains(bits) else {
                return nil
            }
            switch (parts[1], parts.count) {
            case ("cbc", 3): self = .aesCBC(keyBits: bits)
            case ("ctr", 3): self = .aesCTR(keyBits: bits)
            case ("gcm", 4):
                guard let icv = Int(parts[3]), [8, 12, 16].contains(icv) else { return nil }
                self = .aesGCM(keyBits: bits, icvLength: icv)
            case ("ccm", 4):
                guard let icv = Int(parts[3]), [8, 12, 16].contains(icv) else { return nil }
                self = .aesCCM(keyBits: bits, icvLength: icv)
            default: return nil
            }
        }
    }
}

/// IKE integrity transforms (IKEv2 transform type 3).
public enum IKEIntegrityAlgorithm: String, Sendable, Equatable, Hashable, CaseIterable {
    case none = "none"
    case hmacMD5_96 = "hmac-md5-96"
    case hmacSHA1_96 = "hmac-sha1-96"
    case hmacMD5_128 = "hmac-md5-128"
    case hmacSHA1_160 = "hmac-sha1-160"
    case aesXCBC_96 = "aes-xcbc-96"
    case aesCMAC_96 = "aes-cmac-96"
    case hmacSHA256_128 = "hmac-sha2-256-128"
    case hmacSHA384_192 = "hmac-sha2-384-192"
    case hmacSHA512_256 = "hmac-sha2-512-256"

    public var name: String { rawValue }

    /// ICV length in bytes.
    public var icvLength: Int {
        switch self {
        case .none: return 0
        case .hmacMD5_96, .hmacSHA1_96, .aesXCBC_96, .aesCMAC_96: return 12
        case .hmacMD5_128, .hmacSHA256_128: return 16
        case .hmacSHA1_160: return 20
        case .hmacSHA384_192: return 24
        case .hmacSHA512_256: return 32
        }
    }

    public init?(nativeName: String) {
        self.init(rawValue: nativeName.lowercased())
    }
}

/// IKE pseudo-random functions (IKEv2 transform type 2; IKEv1's hash).
public enum IKEPRF: String, Sendable, Equatable, Hashable, CaseIterable {
    case hmacMD5 = "hmac-md5"
    case hmacSHA1 = "hmac-sha1"
    case hmacSHA256 = "hmac-sha2-256"
    case hmacSHA384 = "hmac-sha2-384"
    case hmacSHA512 = "hmac-sha2-512"
    case aesXCBC = "aes-xcbc"
    case aesCMAC = "aes-cmac"

    public var name: String { rawValue }

    public init?(nativeName: String) {
        self.init(rawValue: nativeName.lowercased())
    }
}

/// Where an IKE key set's SPIs come from.
public enum IKESPIBinding: Sendable, Equatable, Hashable {
    /// The key file names them (`initiatorSPI`, `responderSPI`).
    case given
    /// It does not (charon logs the SPIs of an IKE SA made by a rekey only with `mgr` at
    /// level 2): the keys are bound, when a capture is read, to the IKE SA whose messages
    /// verify with them (integrity check or AEAD tag). `hint` says where they come from.
    case byIntegrity(hint: String)
}

/// The keys of one IKE SA, as far as a key file gives them. Empty keys mean "not given";
/// each is `SecretBytes` (wiped when freed, never printed by interpolation). IKEv2 uses the
/// SK_* keys (RFC 7296 2.14); IKEv1 the SKEYID family and the phase-1 encryption key
/// (RFC 2409 5).
public struct IKESecurityAssociation: Sendable, Equatable, Hashable {
    public enum Version: Int, Sendable {
        case v1 = 1
        case v2 = 2
    }

    public var version: Version
    /// IKEv2 SPIi, or the IKEv1 initiator cookie.
    public var initiatorSPI: UInt64
    /// IKEv2 SPIr, or the IKEv1 responder cookie; nil when the source does not give it
    /// (Wireshark's IKEv1 table is keyed by the initiator cookie alone).
    public var responderSPI: UInt64?
    public var encryption: IKEEncryptionAlgorithm?
    public var integrity: IKEIntegrityAlgorithm?
    public var prf: IKEPRF?
    public var skD = SecretBytes()
    public var skEi = SecretBytes()
    public var skEr = SecretBytes()
    public var skAi = SecretBytes()
    public var skAr = SecretBytes()
    public var skPi = SecretBytes()
    public var skPr = SecretBytes()
    /// IKEv1: the phase-1 encryption key (derived from SKEYID_e).
    public var ikev1EncryptionKey = SecretBytes()
    public var skeyid = SecretBytes()
    public var skeyidD = SecretBytes()
    public var skeyidA = SecretBytes()
    public var skeyidE = SecretBytes()
    public var origin: SAOrigin
    /// How the SPIs above are known: from the key file, or (a log that never shows an IKE
    /// SA's SPIs) only once a capture shows which IKE SA the keys open.
    public var binding: IKESPIBinding = .given

    public init(version: Version, initiatorSPI: UInt64, responderSPI: UInt64?, origin: SAOrigin) {
        self.version = version
        self.initiatorSPI = initiatorSPI
        self.responderSPI = responderSPI
        self.origin = origin
    }
}
