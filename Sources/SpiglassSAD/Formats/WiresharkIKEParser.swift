import SpiglassWire

/// Reads Wireshark's IKE decryption tables (packet-isakmp.c):
/// `ikev1_decryption_table`: initiator cookie, encryption key;
/// `ikev2_decryption_table`: SPIi, SPIr, SK_ei, SK_er, encryption, SK_ai, SK_ar, integrity.
/// Fields may be bare or quoted, as Wireshark writes them.
enum WiresharkIKEParser {
    static let ikev2Columns = ["spi-i", "spi-r", "sk-ei", "sk-er", "encryption", "sk-ai", "sk-ar", "integrity"]

    /// Wireshark's IKEv2 encryption names.
    static func encryption(_ name: String) -> IKEEncryptionAlgorithm? {
        let n = name.lowercased()
        switch n {
        case "3des [rfc2451]": return .tripleDES
        case "null [rfc2410]": return .null
        default: break
        }
        // "AES-CBC-128 [RFC3602]", "AES-CTR-256 [RFC5930]", "AES-GCM-128 with 16 octet ICV [RFC5282]"
        let words = n.split(separator: " ")
        guard let head = words.first else { return nil }
        let parts = head.split(separator: "-")
        guard parts.count == 3, parts[0] == "aes", let bits = Int(parts[2]), [128, 192, 256].contains(bits) else {
            return nil
        }
        switch parts[1] {
        case "cbc" where words.count == 2: return .aesCBC(keyBits: bits)
        case "ctr" where words.count == 2: return .aesCTR(keyBits: bits)
        case "gcm", "ccm":
            guard words.count == 6, words[1] == "with", words[3] == "octet", words[4] == "icv",
                let icv = Int(words[2]), [8, 12, 16].contains(icv)
            else { return nil }
            return parts[1] == "gcm" ? .aesGCM(keyBits: bits, icvLength: icv) : .aesCCM(keyBits: bits, icvLength: icv)
        default: return nil
        }
    }

    static func encryptionName(_ algorithm: IKEEncryptionAlgorithm) -> String? {
        switch algorithm {
        case .tripleDES: return "3DES [RFC2451]"
        case .null: return "NULL [RFC2410]"
        case .aesCBC(let bits): return "AES-CBC-\(bits) [RFC3602]"
        case .aesCTR(let bits): return "AES-CTR-\(bits) [RFC5930]"
        case .aesGCM(let bits, let icv): return "AES-GCM-\(bits) with \(icv) octet ICV [RFC5282]"
        case .aesCCM(let bits, let icv): return "AES-CCM-\(bits) with \(icv) octet ICV [RFC5282]"
        case .des, .chaCha20Poly1305, .other: return nil
        }
    }

    /// Wireshark's IKEv2 integrity names; "ANY n-bits" entries have no algorithm (nil, ok).
    static func integrity(_ name: String) -> (IKEIntegrityAlgorithm?, known: Bool) {
        switch name.lowercased() {
        case "hmac_md5_96 [rfc2403]": return (.hmacMD5_96, true)
        case "hmac_sha1_96 [rfc2404]": return (.hmacSHA1_96, true)
        case "hmac_md5_128 [rfc4595]": return (.hmacMD5_128, true)
        case "hmac_sha1_160 [rfc4595]": return (.hmacSHA1_160, true)
        case "hmac_sha2_256_128 [rfc4868]": return (.hmacSHA256_128, true)
        case "hmac_sha2_384_192 [rfc4868]": return (.hmacSHA384_192, true)
        case "hmac_sha2_512_256 [rfc4868]": return (.hmacSHA512_256, true)
        case "none [rfc4306]": return (IKEIntegrityAlgorithm.none, true)
        case let n where n.hasPrefix("any ") && n.hasSuffix("of authentication [no checking]"): return (nil, true)
        default: return (nil, false)
        }
    }

    static func integrityName(_ algorithm: IKEIntegrityAlgorithm) -> String? {
        switch algorithm {
        case .hmacMD5_96: return "HMAC_MD5_96 [RFC2403]"
        case .hmacSHA1_96: return "HMAC_SHA1_96 [RFC2404]"
        case .hmacMD5_128: return "HMAC_MD5_128 [RFC4595]"
        case .hmacSHA1_160: return "HMAC_SHA1_160 [RFC4595]"
        case .hmacSHA256_128: return "HMAC_SHA2_256_128 [RFC4868]"
        case .hmacSHA384_192: return "HMAC_SHA2_384_192 [RFC4868]"
        case .hmacSHA512_256: return "HMAC_SHA2_512_256 [RFC4868]"
        case .none: return "NONE [RFC4306]"
        case .aesXCBC_96, .aesCMAC_96: return nil
        }
    }

    static func spi64(_ text: String, field: String, file: String, line: Int) throws -> UInt64 {
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? String(text.dropFirst(2)) : text
        guard !digits.isEmpty, digits.count <= 16, let value = UInt64(digits, radix: 16) else {
            throw KeyFileError(
                .badValue, file: file, line: line, field: field, "'\(KeyMaterial.redacted(text))' is not 16 hex digits")
        }
        return value
    }

    static func hexKey(_ text: String, field: String, file: String, line: Int) throws -> SecretBytes {
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? Substring(text.dropFirst(2)) : Substring(text)
        guard let bytes = KeyMaterial.hex(digits, strict: true) else {
            throw KeyFileError(.badValue, file: file, line: line, field: field, "not a hex key")
        }
        return bytes
    }

    static func parseIKEv2Line(_ line: Substring, file: String, lineNumber: Int) throws -> IKESecurityAssociation {
        let fields = try WiresharkESPSAParser.uatFields(
            line, table: "ikev2_decryption_table", counts: [8], file: file, lineNumber: lineNumber)
        var sa = IKESecurityAssociation(
            version: .v2,
            initiatorSPI: try spi64(fields[0], field: ikev2Columns[0], file: file, line: lineNumber),
            responderSPI: try spi64(fields[1], field: ikev2Columns[1], file: file, line: lineNumber),
            origin: SAOrigin(file: file, line: lineNumber))
        guard let encryption = encryption(fields[4]) else {
            throw KeyFileError(
                .unknownAlgorithm, file: file, line: lineNumber, field: "encryption",
                "unknown IKEv2 encryption algorithm '\(KeyMaterial.redacted(fields[4]))'")
        }
        let (integrity, known) = integrity(fields[7])
        guard known else {
            throw KeyFileError(
                .unknownAlgorithm, file: file, line: lineNumber, field: "integrity",
                "unknown IKEv2 integrity algorithm '\(KeyMaterial.redacted(fields[7]))'")
        }
        sa.encryption = encryption
        sa.integrity = integrity
        sa.skEi = try hexKey(fields[2], field: "sk-ei", file: file, line: lineNumber)
        sa.skEr = try hexKey(fields[3], field: "sk-er", file: file, line: lineNumber)
        sa.skAi = try hexKey(fields[5], field: "sk-ai", file: file, line: lineNumber)
        sa.skAr = try hexKey(fields[6], field: "sk-ar", file: file, line: lineNumber)
        try IKEValidation.check(sa, file: file, line: lineNumber)
        return sa
    }

    static func parseIKEv1Line(_ line: Substring, file: String, lineNumber: Int) throws -> IKESecurityAssociation {
        let fields = try WiresharkESPSAParser.uatFields(
            line, table: "ikev1_decryption_table", counts: [2], file: file, lineNumber: lineNumber)
        var sa = IKESecurityAssociation(
            version: .v1, initiatorSPI: try spi64(fields[0], field: "initiator cookie", file: file, line: lineNumber),
            responderSPI: nil, origin: SAOrigin(file: file, line: lineNumber))
        sa.ikev1EncryptionKey = try hexKey(fields[1], field: "encryption key", file: file, line: lineNumber)
        guard !sa.ikev1EncryptionKey.isEmpty else {
            throw KeyFileError(.badKeyLength, file: file, line: lineNumber, field: "encryption key", "empty key")
        }
        return sa
    }
}
