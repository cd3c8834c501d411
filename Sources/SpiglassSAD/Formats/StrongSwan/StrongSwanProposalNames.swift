/// strongSwan's names of algorithms, as its `selected proposal:` lines print them
/// (src/libstrongswan/crypto/proposal/proposal_keywords_static.txt and the transform
/// enums' names), mapped to Spiglass' algorithms.
enum StrongSwanProposalNames {
    static func isGroupOrFlag(_ t: String) -> Bool {
        t.hasPrefix("MODP_") || t.hasPrefix("ECP_") || t.hasPrefix("CURVE_") || t.hasPrefix("ECP") || t.hasPrefix("KE")
            || t.hasPrefix("ML_KEM") || t.hasPrefix("NTRU") || t.hasPrefix("BRAINPOOL") || t == "NO_EXT_SEQ"
            || t == "EXT_SEQ"
            || t.hasPrefix("PRF_") || t == "NULL_DH" || t.hasPrefix("MODP")
    }

    /// "AES_CBC_128" → ("AES_CBC", 128); "AES_GCM_16_256" → ("AES_GCM_16", 256).
    static func splitBits(_ t: String) -> (base: String, bits: Int?) {
        if let underscore = t.lastIndex(of: "_"), let bits = Int(t[t.index(after: underscore)...]),
            [64, 128, 192, 256, 448].contains(bits)
        {
            return (String(t[..<underscore]), bits)
        }
        return (t, nil)
    }

    static func espEncryption(_ t: String) -> (EncryptionAlgorithm, Int?)? {
        let (base, bits) = splitBits(t)
        switch base {
        case "AES_CBC": return (.aesCBC, bits)
        case "AES_CTR": return (.aesCTR, bits)
        case "AES_GCM_16": return (.aesGCM(icvLength: 16), bits)
        case "AES_GCM_12": return (.aesGCM(icvLength: 12), bits)
        case "AES_GCM_8": return (.aesGCM(icvLength: 8), bits)
        case "CHACHA20_POLY1305": return (.chaCha20Poly1305, nil)
        case "3DES_CBC": return (.tripleDESCBC, nil)
        case "NULL": return (.null, nil)
        case "DES_CBC": return (.desCBC, nil)
        case "BLOWFISH_CBC": return (.blowfishCBC, bits)
        case "CAST_CBC": return (.cast5CBC, bits)
        case "TWOFISH_CBC": return (.unsupported("twofish-cbc"), nil)
        case "AES_CCM_8": return (.aesCCM(icvLength: 8), bits)
        case "AES_CCM_12": return (.aesCCM(icvLength: 12), bits)
        case "AES_CCM_16": return (.aesCCM(icvLength: 16), bits)
        case "NULL_AES_GMAC": return (.aesNullGMAC, bits)
        case "CAMELLIA_CBC", "CAMELLIA_CTR", "CAMELLIA_CCM_8", "CAMELLIA_CCM_12",
            "CAMELLIA_CCM_16", "AES_GMAC", "SERPENT_CBC":
            return (.unsupported(base.lowercased().replacingUnderscores()), nil)
        default: return nil
        }
    }

    static func espIntegrity(_ t: String) -> IntegrityAlgorithm? {
        switch t {
        case "HMAC_MD5_96": return .hmacMD5_96
        case "HMAC_SHA1_96": return .hmacSHA1_96
        case "HMAC_SHA2_256_96": return .hmacSHA256_96
        case "HMAC_SHA2_256_128": return .hmacSHA256_128
        case "HMAC_SHA2_384_192": return .hmacSHA384_192
        case "HMAC_SHA2_512_256": return .hmacSHA512_256
        case "AES_XCBC_96": return .aesXCBC_96
        case "AES_CMAC_96": return .aesCMAC_96
        // Known lengths we cannot check (no such MAC in Spiglass yet).
        // RFC 4543 AUTH_AES_GMAC (AH only; rejected on ESP SAs at validation).
        case "AES_128_GMAC": return .aesGMAC(keyBits: 128)
        case "AES_192_GMAC": return .aesGMAC(keyBits: 192)
        case "AES_256_GMAC": return .aesGMAC(keyBits: 256)
        case "HMAC_SHA1_32": return .unchecked(icvLength: 4)
        case "HMAC_MD5_128": return .unchecked(icvLength: 16)
        case "HMAC_SHA1_160": return .unchecked(icvLength: 20)
        default: return nil
        }
    }

    static func ikeEncryption(_ t: String) -> IKEEncryptionAlgorithm? {
        let (base, bits) = splitBits(t)
        switch base {
        case "AES_CBC": return .aesCBC(keyBits: bits ?? 128)
        case "AES_CTR": return .aesCTR(keyBits: bits ?? 128)
        case "AES_GCM_16": return .aesGCM(keyBits: bits ?? 128, icvLength: 16)
        case "AES_GCM_12": return .aesGCM(keyBits: bits ?? 128, icvLength: 12)
        case "AES_GCM_8": return .aesGCM(keyBits: bits ?? 128, icvLength: 8)
        case "AES_CCM_16": return .aesCCM(keyBits: bits ?? 128, icvLength: 16)
        case "AES_CCM_12": return .aesCCM(keyBits: bits ?? 128, icvLength: 12)
        case "AES_CCM_8": return .aesCCM(keyBits: bits ?? 128, icvLength: 8)
        case "CHACHA20_POLY1305": return .chaCha20Poly1305
        case "3DES_CBC": return .tripleDES
        case "DES_CBC": return .des
        case "NULL": return .null
        case "CAMELLIA_CBC", "CAMELLIA_CTR", "BLOWFISH_CBC", "CAST_CBC", "TWOFISH_CBC", "SERPENT_CBC":
            return .other(t.lowercased().replacingUnderscores())
        default: return nil
        }
    }

    static func ikeIntegrity(_ t: String) -> IKEIntegrityAlgorithm? {
        switch t {
        case "HMAC_MD5_96": return .hmacMD5_96
        case "HMAC_SHA1_96": return .hmacSHA1_96
        case "HMAC_MD5_128": return .hmacMD5_128
        case "HMAC_SHA1_160": return .hmacSHA1_160
        case "AES_XCBC_96": return .aesXCBC_96
        case "AES_CMAC_96": return .aesCMAC_96
        case "HMAC_SHA2_256_128": return .hmacSHA256_128
        case "HMAC_SHA2_384_192": return .hmacSHA384_192
        case "HMAC_SHA2_512_256": return .hmacSHA512_256
        default: return nil
        }
    }

    static func ikePRF(_ t: String) -> IKEPRF? {
        switch t {
        case "PRF_HMAC_MD5": return .hmacMD5
        case "PRF_HMAC_SHA1": return .hmacSHA1
        case "PRF_HMAC_SHA2_256": return .hmacSHA256
        case "PRF_HMAC_SHA2_384": return .hmacSHA384
        case "PRF_HMAC_SHA2_512": return .hmacSHA512
        case "PRF_AES128_XCBC": return .aesXCBC
        case "PRF_AES128_CMAC": return .aesCMAC
        default: return nil
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
