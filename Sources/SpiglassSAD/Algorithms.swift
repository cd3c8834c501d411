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
    /// RFC 4309: AES key plus a 3-byte salt; ICV of 8, 12 or 16 bytes; 11-byte nonce.
    case aesCCM(icvLength: Int)
    /// RFC 4543 ENCR_NULL_AUTH_AES_GMAC: no encryption, a 16-byte GMAC tag over the whole
    /// packet; AES key plus a 4-byte salt.
    case aesNullGMAC
    /// RFC 8750 AES-GCM with an implicit IV (the 64-bit sequence number); 16-byte ICV.
    case aesGCMImplicitIV(icvLength: Int)
    /// RFC 8750 AES-CCM with an implicit IV (IANA ENCR_AES_CCM_8_IIV, 29): RFC 4309's AES key
    /// plus 3-byte salt, an 8-byte ICV, and the 64-bit sequence number as IV. RFC 8750
    /// defines no other ICV length for it.
    case aesCCMImplicitIV(icvLength: Int)
    /// RFC 8750 ChaCha20-Poly1305 with an implicit IV.
    case chaCha20Poly1305ImplicitIV
    /// RFC 2405 DES-CBC, 8-byte key (OpenSSL's legacy provider).
    case desCBC
    /// RFC 2451 Blowfish-CBC, keys of 5 to 56 bytes (OpenSSL's legacy provider).
    case blowfishCBC
    /// RFC 2144/2451 CAST5-CBC (CAST-128), keys of 5 to 16 bytes (OpenSSL's legacy provider).
    case cast5CBC
    /// Known transforms this build cannot process (kept so key files still load).
    case unsupported(String)

    public var name: String {
        switch self {
        case .null: return "null"
        case .aesCBC: return "aes-cbc"
        case .tripleDESCBC: return "3des-cbc"
        case .aesCTR: return "aes-ctr"
        case .aesGCM(let icv): return "aes-gcm-\(icv)"
        case .chaCha20Poly1305: return "chacha20-poly1305"
        case .aesCCM(let icv): return "aes-ccm-\(icv)"
        case .aesNullGMAC: return "aes-gmac"
        case .aesGCMImplicitIV(let icv): return "aes-gcm-\(icv)-iiv"
        case .aesCCMImplicitIV(let icv): return "aes-ccm-\(icv)-iiv"
        case .chaCha20Poly1305ImplicitIV: return "chacha20-poly1305-iiv"
        case .desCBC: return "des-cbc"
        case .blowfishCBC: return "blowfish-cbc"
        case .cast5CBC: return "cast5-cbc"
        case .unsupported(let name): return name
        }
    }

    /// Combined-mode transforms: the ICV is their tag, and no integrity transform is used.
    public var isAEAD: Bool {
        switch self {
        case .aesGCM, .chaCha20Poly1305, .aesCCM, .aesNullGMAC, .aesGCMImplicitIV, .aesCCMImplicitIV,
            .chaCha20Poly1305ImplicitIV:
            return true
        default: return false
        }
    }

    /// RFC 8750: the IV is not on the wire but is the 64-bit sequence number.
    public var implicitIV: Bool {
        switch self {
        case .aesGCMImplicitIV, .aesCCMImplicitIV, .chaCha20Poly1305ImplicitIV: return true
        default: return false
        }
    }

    /// True when the payload is not encrypted at all (`null`, RFC 4543 GMAC).
    public var leavesPayloadInClear: Bool {
        switch self {
        case .null, .aesNullGMAC: return true
        default: return false
        }
    }

    /// Explicit IV carried in each packet.
    public var ivLength: Int {
        switch self {
        case .null, .unsupported, .aesGCMImplicitIV, .aesCCMImplicitIV, .chaCha20Poly1305ImplicitIV: return 0
        case .aesCBC: return 16
        case .tripleDESCBC, .aesCTR, .aesGCM, .chaCha20Poly1305, .aesCCM, .aesNullGMAC, .desCBC, .blowfishCBC,
            .cast5CBC:
            return 8
        }
    }

    /// The ciphertext must be a multiple of this (RFC 4303 2.4 asks 4-byte alignment anyway).
    public var blockSize: Int {
        switch self {
        case .aesCBC: return 16
        case .tripleDESCBC, .desCBC, .blowfishCBC, .cast5CBC: return 8
        default: return 4
        }
    }

    /// Salt or nonce bytes at the end of the key material.
    public var saltLength: Int {
        switch self {
        case .aesCTR, .aesGCM, .chaCha20Poly1305, .aesNullGMAC, .aesGCMImplicitIV, .chaCha20Poly1305ImplicitIV: return 4
        case .aesCCM, .aesCCMImplicitIV: return 3
        default: return 0
        }
    }

    /// ICV of a combined-mode algorithm; 0 otherwise.
    public var aeadICVLength: Int {
        switch self {
        case .aesGCM(let icv), .aesCCM(let icv), .aesGCMImplicitIV(let icv), .aesCCMImplicitIV(let icv): return icv
        case .chaCha20Poly1305, .chaCha20Poly1305ImplicitIV, .aesNullGMAC: return 16
        default: return 0
        }
    }

    /// Key lengths (cipher key plus salt) this transform accepts.
    public var validKeyLengths: [Int] {
        switch self {
        case .null: return [0]
        case .aesCBC: return [16, 24, 32]
        case .tripleDESCBC: return [24]
        case .aesCTR, .aesGCM, .aesNullGMAC, .aesGCMImplicitIV: return [20, 28, 36]
        case .aesCCM, .aesCCMImplicitIV: return [19, 27, 35]
        case .chaCha20Poly1305, .chaCha20Poly1305ImplicitIV: return [36]
        case .desCBC: return [8]
        case .blowfishCBC: return Array(5...56)
        case .cast5CBC: return Array(5...16)
        case .unsupported: return []
        }
    }

    /// The accepted key lengths for people: "8", "5 to 56", or "20 (16-byte key + 4-byte salt), …".
    public var keyLengthDescription: String {
        let valid = validKeyLengths
        if valid.count > 3, let first = valid.first, let last = valid.last, valid == Array(first...last) {
            return "\(first) to \(last)"
        }
        let salt = saltLength
        return valid.map { salt > 0 ? "\($0) (\($0 - salt)-byte key + \(salt)-byte salt)" : "\($0)" }.joined(
            separator: ", ")
    }

    /// Name with key size, for reports: "aes-cbc-128".
    public func displayName(keyLength: Int) -> String {
        let bits = (keyLength - saltLength) * 8
        switch self {
        case .aesCBC: return "aes-cbc-\(bits)"
        case .aesCTR: return "aes-ctr-\(bits)"
        case .aesGCM(let icv): return "aes-gcm-\(bits)-\(icv)"
        case .aesCCM(let icv): return "aes-ccm-\(bits)-\(icv)"
        case .aesNullGMAC: return "aes-gmac-\(bits)"
        case .aesGCMImplicitIV(let icv): return "aes-gcm-\(bits)-\(icv)-iiv"
        case .aesCCMImplicitIV(let icv): return "aes-ccm-\(bits)-\(icv)-iiv"
        case .blowfishCBC: return "blowfish-cbc-\(bits)"
        case .cast5CBC: return "cast5-cbc-\(bits)"
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
    /// RFC 3566 AES-XCBC-MAC-96, 16-byte key.
    case aesXCBC_96
    /// RFC 4494 AES-CMAC-96, 16-byte key.
    case aesCMAC_96
    /// RFC 4543 AUTH_AES_GMAC, AH only: AES key of `keyBits` plus a 4-byte salt. The AH ICV
    /// field holds the 8-byte IV followed by the 16-byte GMAC tag (RFC 4543 4); the nonce is
    /// salt ‖ IV and the AAD is the canonical AH-protected packet with the whole ICV field zeroed.
    case aesGMAC(keyBits: Int)
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
        case .aesXCBC_96: return "aes-xcbc-96"
        case .aesCMAC_96: return "aes-cmac-96"
        case .aesGMAC(let bits): return "aes-gmac-\(bits)"
        case .unchecked(let n): return "unchecked-\(n * 8)"
        }
    }

    public var icvLength: Int {
        switch self {
        case .null: return 0
        case .hmacMD5_96, .hmacSHA1_96, .hmacSHA256_96, .aesXCBC_96, .aesCMAC_96: return 12
        case .hmacSHA256_128: return 16
        case .hmacSHA384_192: return 24
        case .hmacSHA512_256: return 32
        // The ICV field: 8-byte IV + 16-byte tag.
        case .aesGMAC: return 24
        case .unchecked(let n): return n
        }
    }

    /// Bytes of explicit IV at the start of the ICV field (RFC 4543 AH GMAC); 0 otherwise.
    public var explicitIVLength: Int {
        if case .aesGMAC = self { return 8 }
        return 0
    }

    /// RFC 4543 AUTH_AES_GMAC is defined for AH only (ESP has ENCR_NULL_AUTH_AES_GMAC).
    public var isAHOnly: Bool {
        if case .aesGMAC = self { return true }
        return false
    }

    /// True when a key is used to check the ICV.
    public var verifies: Bool {
        switch self {
        case .null, .unchecked: return false
        default: return true
        }
    }

    /// The one key length the transform takes; nil when any length works (HMAC).
    public var requiredKeyLength: Int? {
        switch self {
        case .aesXCBC_96, .aesCMAC_96: return 16
        case .aesGMAC(let bits): return bits / 8 + 4
        default: return nil
        }
    }
}
