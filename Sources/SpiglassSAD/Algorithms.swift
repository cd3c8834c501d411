/// ESP encryption transforms (RFC 8221 names). A value carries everything that decides the
/// wire layout: IV length, block size, salt and ICV length for combined modes.
public enum EncryptionAlgorithm: Sendable, Equatable, Hashable {
    case null
    case aesCBC
    case tripleDESCBC
    /// RFC 3686: the key ends with a 4-byte nonce.
    case aesCTR
    /// RFC 4106: the key ends with a 4-byte salt; ICV of 8, 12 or 16 bytes.
    case aesGCM(icvLength: Int)
    /// RFC 7634: 32-byte key plus 4-byte salt; 16-byte ICV.
    case chaCha20Poly1305
    /// Known transforms this build cannot process yet (kept so key files still load).
    case unsupported(String)

    public var name: String {
        switch self {
        case .null: return "null"
        case .aesCBC: return "aes-cbc"
        case .tripleDESCBC: return "3des-cbc"
        case .aesCTR: return "aes-ctr"
        case .aesGCM(let icv): return "aes-gcm-\(icv)"
        case .chaCha20Poly1305: return "chacha20-poly1305"
        case .unsupported(let name): return name
        }
    }

    public var isAEAD: Bool {
        switch self {
        case .aesGCM, .chaCha20Poly1305: return true
        default: return false
        }
    }

    /// Explicit IV carried in each packet.
    public var ivLength: Int {
        switch self {
        case .null, .unsupported: return 0
        case .aesCBC: return 16
        case .tripleDESCBC, .aesCTR, .aesGCM, .chaCha20Poly1305: return 8
        }
    }

    /// The ciphertext must be a multiple of this (RFC 4303 2.4 asks 4-byte alignment anyway).
    public var blockSize: Int {
        switch self {
        case .aesCBC: return 16
        case .tripleDESCBC: return 8
        default: return 4
        }
    }

    /// Salt or nonce bytes at the end of the key material.
    public var saltLength: Int {
        switch self {
        case .aesCTR, .aesGCM, .chaCha20Poly1305: return 4
        default: return 0
        }
    }

    /// ICV of a combined-mode algorithm; 0 otherwise.
    public var aeadICVLength: Int {
        switch self {
        case .aesGCM(let icv): return icv
        case .chaCha20Poly1305: return 16
        default: return 0
        }
    }

    /// Key lengths (cipher key plus salt) this transform accepts.
    public var validKeyLengths: [Int] {
        switch self {
        case .null: return [0]
        case .aesCBC: return [16, 24, 32]
        case .tripleDESCBC: return [24]
        case .aesCTR, .aesGCM: return [20, 28, 36]
        case .chaCha20Poly1305: return [36]
        case .unsupported: return []
        }
    }

    /// Name with key size, for reports: "aes-cbc-128".
    public func displayName(keyLength: Int) -> String {
        switch self {
        case .aesCBC: return "aes-cbc-\(keyLength * 8)"
        case .aesCTR: return "aes-ctr-\((keyLength - 4) * 8)"
        case .aesGCM(let icv): return "aes-gcm-\((keyLength - 4) * 8)-\(icv)"
        default: return name
        }
    }
}

/// ESP/AH integrity transforms.
public enum IntegrityAlgorithm: Sendable, Equatable, Hashable {
    case null
    case hmacMD5_96
    case hmacSHA1_96
    /// Pre-RFC 4868 Linux/KAME truncation of HMAC-SHA-256 to 96 bits.
    case hmacSHA256_96
    case hmacSHA256_128
    case hmacSHA384_192
    case hmacSHA512_256
    /// An ICV of known length that is not checked (Wireshark's "ANY n bit authentication").
    case unchecked(icvLength: Int)

    public var name: String {
        switch self {
        case .null: return "null"
        case .hmacMD5_96: return "hmac-md5-96"
        case .hmacSHA1_96: return "hmac-sha1-96"
        case .hmacSHA256_96: return "hmac-sha2-256-96"
        case .hmacSHA256_128: return "hmac-sha2-256-128"
        case .hmacSHA384_192: return "hmac-sha2-384-192"
        case .hmacSHA512_256: return "hmac-sha2-512-256"
        case .unchecked(let n): return "unchecked-\(n * 8)"
        }
    }

    public var icvLength: Int {
        switch self {
        case .null: return 0
        case .hmacMD5_96, .hmacSHA1_96, .hmacSHA256_96: return 12
        case .hmacSHA256_128: return 16
        case .hmacSHA384_192: return 24
        case .hmacSHA512_256: return 32
        case .unchecked(let n): return n
        }
    }

    /// True when a key is used to check the ICV.
    public var verifies: Bool {
        switch self {
        case .null, .unchecked: return false
        default: return true
        }
    }
}
