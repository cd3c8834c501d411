/// Names users write for algorithms: Wireshark's exact UAT strings, and the native names
/// (with common aliases from strongSwan, ip-xfrm and RFC 8221).
enum AlgorithmNames {
    /// Wireshark `esp_sa` encryption column values (packet-ipsec.c, 1.x through 4.4),
    /// matched without regard to case.
    static let wiresharkEncryptionTable: [String: EncryptionAlgorithm] = [
        "null": .null,
        "tripledes-cbc [rfc2451]": .tripleDESCBC,
        "aes-cbc [rfc3602]": .aesCBC,
        "aes-cbc with 128-bit keys [rfc3602]": .aesCBC,
        "aes-ctr [rfc3686]": .aesCTR,
        "des-cbc [rfc2405]": .desCBC,
        "cast5-cbc [rfc2144]": .cast5CBC,
        "blowfish-cbc [rfc2451]": .blowfishCBC,
        // Twofish is not in OpenSSL: the SA loads, its packets are unsupported-algorithm.
        "twofish-cbc": .unsupported("twofish-cbc"),
        // Deprecated name without an ICV length; the auth column's "ANY n bit" gives it
        // (strongSwan's save-keys writes GCM SAs this way).
        "aes-gcm [rfc4106]": .aesGCM(icvLength: 0),
        "aes-gcm with 8 octet icv [rfc4106]": .aesGCM(icvLength: 8),
        "aes-gcm with 12 octet icv [rfc4106]": .aesGCM(icvLength: 12),
        "aes-gcm with 16 octet icv [rfc4106]": .aesGCM(icvLength: 16),
        "aes-gcm with iiv and 16 octet icv [rfc4106 & rfc8750]": .aesGCMImplicitIV(icvLength: 16),
        "chacha20 with poly1305 [rfc7634]": .chaCha20Poly1305,
        "chacha20 with poly1305 and iiv [rfc7634 & rfc8750]": .chaCha20Poly1305ImplicitIV,
    ]

    static func wiresharkEncryption(_ name: String) -> EncryptionAlgorithm? {
        wiresharkEncryptionTable[name.trimmingCharacters(in: .whitespaces).lowercased()]
    }

    static let wiresharkEncryptionNames = [
        "NULL", "TripleDES-CBC [RFC2451]", "AES-CBC [RFC3602]", "AES-CTR [RFC3686]", "DES-CBC [RFC2405]",
        "CAST5-CBC [RFC2144]", "BLOWFISH-CBC [RFC2451]", "TWOFISH-CBC", "AES-GCM [RFC4106]",
        "AES-GCM with 8 octet ICV [RFC4106]", "AES-GCM with 12 octet ICV [RFC4106]",
        "AES-GCM with 16 octet ICV [RFC4106]",
        "AES-GCM with IIV and 16 octet ICV [RFC4106 & RFC8750]", "ChaCha20 with Poly1305 [RFC7634]",
        "ChaCha20 with Poly1305 and IIV [RFC7634 & RFC8750]",
    ]

    /// Wireshark `esp_sa` authentication column values, old and new, without regard to case.
    static let wiresharkIntegrityTable: [String: IntegrityAlgorithm] = [
        "null": .null,
        "hmac-sha-1-96 [rfc2404]": .hmacSHA1_96,
        "hmac-sha1-96 [rfc2404]": .hmacSHA1_96,
        "hmac-sha-256-96 [draft-ietf-ipsec-ciph-sha-256-00]": .hmacSHA256_96,
        // Wireshark before 1.2 called the KAME 96-bit truncation just "HMAC-SHA256".
        "hmac-sha256": .hmacSHA256_96,
        "hmac-sha-256-128 [rfc4868]": .hmacSHA256_128,
        "hmac-sha-384-192 [rfc4868]": .hmacSHA384_192,
        "hmac-sha-512-256 [rfc4868]": .hmacSHA512_256,
        "hmac-md5-96 [rfc2403]": .hmacMD5_96,
        // RIPEMD-160 is not in OpenSSL 3's default provider; keep the ICV length, skip the check.
        "mac-ripemd-160-96 [rfc2857]": .unchecked(icvLength: 12),
        "any 12-bytes of authentication [no checking]": .unchecked(icvLength: 12),
        "any 64 bit authentication [no checking]": .unchecked(icvLength: 8),
        "any 96 bit authentication [no checking]": .unchecked(icvLength: 12),
        "any 128 bit authentication [no checking]": .unchecked(icvLength: 16),
        "any 192 bit authentication [no checking]": .unchecked(icvLength: 24),
        "any 256 bit authentication [no checking]": .unchecked(icvLength: 32),
    ]

    static func wiresharkIntegrity(_ name: String) -> IntegrityAlgorithm? {
        wiresharkIntegrityTable[name.trimmingCharacters(in: .whitespaces).lowercased()]
    }

    static let wiresharkIntegrityNames = [
        "NULL", "HMAC-SHA-1-96 [RFC2404]", "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]",
        "HMAC-SHA-256-128 [RFC4868]", "HMAC-SHA-384-192 [RFC4868]", "HMAC-SHA-512-256 [RFC4868]",
        "HMAC-MD5-96 [RFC2403]", "MAC-RIPEMD-160-96 [RFC2857]", "ANY 64 bit authentication [no checking]",
        "ANY 96 bit authentication [no checking]", "ANY 128 bit authentication [no checking]",
        "ANY 192 bit authentication [no checking]", "ANY 256 bit authentication [no checking]",
    ]

    /// Native encryption names (case-insensitive) and their aliases. A key-size suffix
    /// ("aes-cbc-256", "aes256") is checked against the key later.
    static func nativeEncryption(_ raw: String) -> (EncryptionAlgorithm, keyBits: Int?)? {
        let name = raw.lowercased()
        switch name {
        case "null", "none", "enc-null": return (.null, nil)
        case "aes-cbc", "aes", "cbc(aes)": return (.aesCBC, nil)
        case "aes-cbc-128", "aes128-cbc", "aes128": return (.aesCBC, 128)
        case "aes-cbc-192", "aes192-cbc", "aes192": return (.aesCBC, 192)
        case "aes-cbc-256", "aes256-cbc", "aes256": return (.aesCBC, 256)
        case "3des-cbc", "3des", "des-ede3-cbc", "tripledes-cbc", "cbc(des3_ede)": return (.tripleDESCBC, nil)
        case "aes-ctr", "rfc3686(ctr(aes))": return (.aesCTR, nil)
        case "aes-ctr-128", "aes128ctr": return (.aesCTR, 128)
        case "aes-ctr-192", "aes192ctr": return (.aesCTR, 192)
        case "aes-ctr-256", "aes256ctr": return (.aesCTR, 256)
        case "aes-gcm-16", "aes-gcm", "aes-gcm16", "aesgcm16", "rfc4106(gcm(aes))": return (.aesGCM(icvLength: 16), nil)
        case "aes-gcm-12", "aes-gcm12", "aesgcm12": return (.aesGCM(icvLength: 12), nil)
        case "aes-gcm-8", "aes-gcm8", "aesgcm8": return (.aesGCM(icvLength: 8), nil)
        case "aes128gcm16", "aes-gcm-128-16", "aes-gcm-128": return (.aesGCM(icvLength: 16), 128)
        case "aes192gcm16", "aes-gcm-192-16", "aes-gcm-192": return (.aesGCM(icvLength: 16), 192)
        case "aes256gcm16", "aes-gcm-256-16", "aes-gcm-256": return (.aesGCM(icvLength: 16), 256)
        case "chacha20-poly1305", "chacha20poly1305", "rfc7539esp(chacha20,poly1305)": return (.chaCha20Poly1305, nil)
        case "aes-gcm-16-iiv", "aes-gcm-iiv", "aesgcm16iiv", "aes-gcm16-iiv":
            return (.aesGCMImplicitIV(icvLength: 16), nil)
        case "aes128gcm16-iiv", "aes-gcm-128-16-iiv": return (.aesGCMImplicitIV(icvLength: 16), 128)
        case "aes192gcm16-iiv", "aes-gcm-192-16-iiv": return (.aesGCMImplicitIV(icvLength: 16), 192)
        case "aes256gcm16-iiv", "aes-gcm-256-16-iiv": return (.aesGCMImplicitIV(icvLength: 16), 256)
        case "chacha20-poly1305-iiv", "chacha20poly1305-iiv", "chacha20poly1305iiv":
            return (.chaCha20Poly1305ImplicitIV, nil)
        // RFC 8750 defines CCM with an implicit IV for the 8-byte ICV only (ENCR_AES_CCM_8_IIV).
        case "aes-ccm-8-iiv", "aes-ccm8-iiv", "aesccm8iiv", "aes-ccm-iiv": return (.aesCCMImplicitIV(icvLength: 8), nil)
        case "aes128ccm8-iiv", "aes128ccm64-iiv", "aes-ccm-128-8-iiv": return (.aesCCMImplicitIV(icvLength: 8), 128)
        case "aes192ccm8-iiv", "aes192ccm64-iiv", "aes-ccm-192-8-iiv": return (.aesCCMImplicitIV(icvLength: 8), 192)
        case "aes256ccm8-iiv", "aes256ccm64-iiv", "aes-ccm-256-8-iiv": return (.aesCCMImplicitIV(icvLength: 8), 256)
        case "aes-gmac", "null-aes-gmac", "aes-null-gmac", "null_auth_aes_gmac", "rfc4543(gcm(aes))":
            return (.aesNullGMAC, nil)
        case "aes128gmac", "aes-gmac-128", "null-aes-gmac-128": return (.aesNullGMAC, 128)
        case "aes192gmac", "aes-gmac-192", "null-aes-gmac-192": return (.aesNullGMAC, 192)
        case "aes256gmac", "aes-gmac-256", "null-aes-gmac-256": return (.aesNullGMAC, 256)
        case "des-cbc", "des", "cbc(des)": return (.desCBC, nil)
        case "blowfish-cbc", "blowfish", "bf-cbc", "cbc(blowfish)": return (.blowfishCBC, nil)
        case "cast5-cbc", "cast128-cbc", "cast5", "cast128", "cbc(cast5)": return (.cast5CBC, nil)
        default:
            return nativeCCM(name)
        }
    }

    /// AES-CCM (RFC 4309) names: "aes-ccm-16", "aes-ccm16", "aesccm16", "aes128ccm16" and
    /// strongSwan's bit forms "aes128ccm128"/"aes-ccm-128-16", plus "rfc4309(ccm(aes))" (16).
    static func nativeCCM(_ name: String) -> (EncryptionAlgorithm, keyBits: Int?)? {
        if name == "rfc4309(ccm(aes))" || name == "aes-ccm" { return (.aesCCM(icvLength: 16), nil) }
        // ICV written in bytes (8/12/16) or bits (64/96/128).
        func icv(_ text: Substring) -> Int? {
            switch text {
            case "8", "64": return 8
            case "12", "96": return 12
            case "16", "128": return 16
            default: return nil
            }
        }
        let keySizes: [Int] = [128, 192, 256]
        // aes-ccm-N, aes-ccmN, aesccmN
        for prefix in ["aes-ccm-", "aes-ccm", "aesccm"] where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            // "aes-ccm-256" names the key size, as "aes-gcm-256" does (ICV 16).
            if prefix == "aes-ccm-", let bits = Int(rest), keySizes.contains(bits) {
                return (.aesCCM(icvLength: 16), bits)
            }
            if let n = icv(rest) { return (.aesCCM(icvLength: n), nil) }
            // aes-ccm-128-16: key bits then ICV
            let parts = rest.split(separator: "-")
            if parts.count == 2, let bits = Int(parts[0]), keySizes.contains(bits), let n = icv(parts[1]) {
                return (.aesCCM(icvLength: n), bits)
            }
        }
        // aes128ccm16, aes256ccm128 (strongSwan)
        for bits in keySizes {
            let prefix = "aes\(bits)ccm"
            if name.hasPrefix(prefix), let n = icv(name.dropFirst(prefix.count)) {
                return (.aesCCM(icvLength: n), bits)
            }
        }
        return nil
    }

    static let nativeEncryptionNames = [
        "null", "aes-cbc", "3des-cbc", "aes-ctr", "aes-gcm-16", "aes-gcm-12", "aes-gcm-8", "chacha20-poly1305",
        "aes-ccm-16", "aes-ccm-12", "aes-ccm-8", "aes-gmac", "aes-gcm-16-iiv", "aes-ccm-8-iiv", "chacha20-poly1305-iiv",
        "des-cbc",
        "blowfish-cbc", "cast5-cbc",
    ]

    static func nativeIntegrity(_ raw: String) -> IntegrityAlgorithm? {
        switch raw.lowercased() {
        case "null", "none": return .null
        case "hmac-md5-96", "md5", "hmac(md5)": return .hmacMD5_96
        case "hmac-sha1-96", "sha1", "hmac-sha1", "hmac(sha1)": return .hmacSHA1_96
        case "hmac-sha2-256-96", "sha256-96": return .hmacSHA256_96
        case "hmac-sha2-256-128", "hmac-sha256-128", "sha256", "sha2-256", "hmac-sha256", "hmac(sha256)":
            return .hmacSHA256_128
        case "hmac-sha2-384-192", "hmac-sha384-192", "sha384", "sha2-384", "hmac-sha384", "hmac(sha384)":
            return .hmacSHA384_192
        case "hmac-sha2-512-256", "hmac-sha512-256", "sha512", "sha2-512", "hmac-sha512", "hmac(sha512)":
            return .hmacSHA512_256
        case "aes-xcbc-96", "aes-xcbc", "xcbc(aes)", "aesxcbc", "aes-xcbc-mac", "aes-xcbc-mac-96", "aes_xcbc_96":
            return .aesXCBC_96
        case "aes-cmac-96", "aes-cmac", "cmac(aes)", "aescmac", "aes_cmac_96": return .aesCMAC_96
        case "aes-gmac-128", "aes128gmac", "aes_128_gmac", "auth_aes_128_gmac": return .aesGMAC(keyBits: 128)
        case "aes-gmac-192", "aes192gmac", "aes_192_gmac", "auth_aes_192_gmac": return .aesGMAC(keyBits: 192)
        case "aes-gmac-256", "aes256gmac", "aes_256_gmac", "auth_aes_256_gmac": return .aesGMAC(keyBits: 256)
        case "unchecked-64": return .unchecked(icvLength: 8)
        case "unchecked-96": return .unchecked(icvLength: 12)
        case "unchecked-128": return .unchecked(icvLength: 16)
        case "unchecked-192": return .unchecked(icvLength: 24)
        case "unchecked-256": return .unchecked(icvLength: 32)
        default: return nil
        }
    }

    static let nativeIntegrityNames = [
        "null", "hmac-md5-96", "hmac-sha1-96", "hmac-sha2-256-96", "hmac-sha2-256-128", "hmac-sha2-384-192",
        "hmac-sha2-512-256", "aes-xcbc-96", "aes-cmac-96", "aes-gmac-128", "aes-gmac-192", "aes-gmac-256",
        "unchecked-96",
    ]

    /// The known name closest to `name`, for "did you mean" hints (edit distance ≤ a third).
    static func suggestion(for name: String, among names: [String]) -> String? {
        let target = Array(name.lowercased())
        var best: (String, Int)? = nil
        for candidate in names {
            let d = editDistance(target, Array(candidate.lowercased()))
            if best == nil || d < best!.1 { best = (candidate, d) }
        }
        guard let (candidate, distance) = best, distance <= max(2, candidate.count / 3) else { return nil }
        return candidate
    }

    /// " (did you mean 'NAME'?)" with the known name closest to `name`, or "" when none is close.
    static func didYouMean(_ name: String, among names: [String]) -> String {
        suggestion(for: name, among: names).map { " (did you mean '\($0)'?)" } ?? ""
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // Names are short; cap the work for hostile input anyway.
        guard a.count <= 128, b.count <= 128 else { return Int.max / 2 }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
