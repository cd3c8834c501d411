import SpiglassWire

/// Writes SAs back out in the formats Spiglass reads: native, Wireshark's tables, tcpdump's
/// secrets. What a format cannot express is written as a comment saying so, never dropped
/// silently.
public enum KeyFileWriter {
    public enum Target: String, Sendable, CaseIterable {
        case native
        case wireshark
        case tcpdump
    }

    /// Keys written out on purpose: `keys export`, `keys convert`, `keys check --show-keys`.
    static func hex(_ bytes: SecretBytes) -> String { "0x" + Hex.encode(bytes) }
    static func spiText(_ spi: SPI?) -> String {
        spi.map(\.description) ?? "*"
    }
    static func ikeSPIText(_ spi: UInt64) -> String { spi.ikeSPIHex }

    // MARK: native

    public static func native(_ keys: KeySet) -> String {
        var out = "# Spiglass key file (native format); see the README, \"Key files\"\n"
        for sa in keys.sas { out += nativeLine(sa) + "\n" }
        for sa in keys.ikeSAs { out += (unboundComment(sa) ?? nativeLine(sa)) + "\n" }
        return out
    }

    /// An IKE key set whose source did not name its SPIs (a charon log without mgr lines for
    /// a rekeyed IKE SA) fits no format's line: a comment that keeps its keys and says how to
    /// bind it.
    static func unboundComment(_ sa: IKESecurityAssociation) -> String? {
        guard case .byIntegrity(let hint) = sa.binding else { return nil }
        return
            "# IKE SA keys from \(hint) whose SPIs the log does not show; 'spiglass keys export -r CAPTURE' binds them: \(nativeLine(sa))"
    }

    public static func nativeLine(_ sa: SecurityAssociation) -> String {
        var line = sa.ipsecProtocol.rawValue + " spi=" + spiText(sa.spi)
        if sa.source != .any { line += " src=\(sa.source)" }
        if sa.destination != .any { line += " dst=\(sa.destination)" }
        if sa.ipsecProtocol == .esp {
            line += " enc=\(sa.encryption.name)"
            if !sa.encryptionKey.isEmpty { line += " enc-key=\(hex(sa.encryptionKey))" }
        }
        if sa.integrity != .null {
            line += " auth=\(sa.integrity.name)"
            if !sa.integrityKey.isEmpty { line += " auth-key=\(hex(sa.integrityKey))" }
        }
        if sa.extendedSequenceNumbers {
            line += " esn=yes"
            if sa.initialSequenceHigh != 0 { line += " esn-high=\(sa.initialSequenceHigh)" }
        }
        if let mode = sa.mode { line += " mode=\(mode.rawValue)" }
        if let label = sa.label, !label.contains(where: { $0 == " " || $0 == "\"" || $0 == "#" }) {
            line += " label=\(label)"
        }
        return line
    }

    public static func nativeLine(_ sa: IKESecurityAssociation) -> String {
        var line = "ike version=\(sa.version.rawValue) ispi=0x\(ikeSPIText(sa.initiatorSPI))"
        if let r = sa.responderSPI { line += " rspi=0x\(ikeSPIText(r))" }
        if let e = sa.encryption { line += " enc=\(e.name)" }
        if let i = sa.integrity { line += " integ=\(i.name)" }
        if let p = sa.prf { line += " prf=\(p.name)" }
        for (name, key) in NativeKeyParser.ikeKeyFields where !sa[keyPath: key].isEmpty {
            line += " \(name)=\(hex(sa[keyPath: key]))"
        }
        return line
    }

    // MARK: Wireshark

    /// The three Wireshark UAT files: `esp_sa`, `ikev2_decryption_table`, `ikev1_decryption_table`.
    public static func wireshark(_ keys: KeySet) -> (espSA: String, ikev2: String, ikev1: String) {
        var esp = "# Wireshark esp_sa table, written by spiglass keys convert\n"
        for sa in keys.sas {
            guard let row = wiresharkESPLine(sa) else {
                esp += "# not expressible in esp_sa: \(nativeLine(sa))\n"
                continue
            }
            if let algorithm = algorithmTooNewForOldWireshark(sa) {
                // tshark 4.0 refuses the whole table over one row it cannot read.
                esp +=
                    "# Wireshark 4.0 and older reject the whole esp_sa table over this row; uncomment it for a release whose list has \"\(algorithm)\":\n# \(row)\n"
                continue
            }
            esp += row + "\n"
        }
        var v2 = "# Wireshark ikev2_decryption_table, written by spiglass keys convert\n"
        var v1 = "# Wireshark ikev1_decryption_table, written by spiglass keys convert\n"
        for sa in keys.ikeSAs {
            if let comment = unboundComment(sa) {
                if sa.version == .v2 { v2 += comment + "\n" } else { v1 += comment + "\n" }
                continue
            }
            switch sa.version {
            case .v2:
                v2 +=
                    (wiresharkIKEv2Line(sa) ?? "# not expressible in ikev2_decryption_table: \(nativeLine(sa))") + "\n"
            case .v1:
                if sa.ikev1EncryptionKey.isEmpty {
                    v1 += "# no phase-1 encryption key for cookie \(ikeSPIText(sa.initiatorSPI))\n"
                } else {
                    v1 += "\(ikeSPIText(sa.initiatorSPI)),\(Hex.encode(sa.ikev1EncryptionKey))\n"
                }
            }
        }
        return (esp, v2, v1)
    }

    static func quote(_ s: String) -> String { "\"" + s + "\"" }

    /// The esp_sa name of an algorithm that Wireshark 4.0 does not list (tshark 4.0.17 says
    /// "esp_sa:1: invalid value" and loads no row at all), or nil.
    static func algorithmTooNewForOldWireshark(_ sa: SecurityAssociation) -> String? {
        switch sa.encryption {
        case .chaCha20Poly1305: return "ChaCha20 with Poly1305 [RFC7634]"
        case .aesGCMImplicitIV: return "AES-GCM with IIV and 16 octet ICV [RFC4106 & RFC8750]"
        case .chaCha20Poly1305ImplicitIV: return "ChaCha20 with Poly1305 and IIV [RFC7634 & RFC8750]"
        default: return nil
        }
    }

    static func wiresharkAddress(_ pattern: AddressPattern) -> String? {
        switch pattern {
        case .any: return "*"
        case .exact(let a): return a.description
        case .prefix(let p, let bits):
            // Wireshark only understands whole-octet '*' wildcards, for IPv4.
            guard p.isIPv4, bits % 8 == 0 else { return nil }
            let octets = p.description.split(separator: ".").map(String.init)
            return (0..<4).map { $0 < bits / 8 ? octets[$0] : "*" }.joined(separator: ".")
        }
    }

    public static func wiresharkESPLine(_ sa: SecurityAssociation) -> String? {
        guard sa.ipsecProtocol == .esp, let src = wiresharkAddress(sa.source),
            let dst = wiresharkAddress(sa.destination)
        else { return nil }
        let isV6 = [sa.source, sa.destination].contains { p in
            switch p {
            case .exact(let a), .prefix(let a, _): return !a.isIPv4
            case .any: return false
            }
        }
        let enc: String
        switch sa.encryption {
        case .null: enc = "NULL"
        case .aesCBC: enc = "AES-CBC [RFC3602]"
        case .tripleDESCBC: enc = "TripleDES-CBC [RFC2451]"
        case .aesCTR: enc = "AES-CTR [RFC3686]"
        case .aesGCM(let icv): enc = "AES-GCM with \(icv) octet ICV [RFC4106]"
        case .chaCha20Poly1305: enc = "ChaCha20 with Poly1305 [RFC7634]"
        case .aesGCMImplicitIV(16): enc = "AES-GCM with IIV and 16 octet ICV [RFC4106 & RFC8750]"
        case .chaCha20Poly1305ImplicitIV: enc = "ChaCha20 with Poly1305 and IIV [RFC7634 & RFC8750]"
        case .desCBC: enc = "DES-CBC [RFC2405]"
        case .cast5CBC: enc = "CAST5-CBC [RFC2144]"
        case .blowfishCBC: enc = "BLOWFISH-CBC [RFC2451]"
        // esp_sa has no AES-CCM (with or without IIV), no NULL+AES-GMAC and no IIV with a shorter ICV.
        case .aesCCM, .aesCCMImplicitIV, .aesNullGMAC, .aesGCMImplicitIV: return nil
        case .unsupported(let name):
            switch name {
            case "twofish-cbc": enc = "TWOFISH-CBC"
            default: return nil
            }
        }
        let auth: String
        switch sa.integrity {
        case .null: auth = "NULL"
        case .hmacMD5_96: auth = "HMAC-MD5-96 [RFC2403]"
        case .hmacSHA1_96: auth = "HMAC-SHA-1-96 [RFC2404]"
        case .hmacSHA256_96: auth = "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]"
        case .hmacSHA256_128: auth = "HMAC-SHA-256-128 [RFC4868]"
        case .hmacSHA384_192: auth = "HMAC-SHA-384-192 [RFC4868]"
        case .hmacSHA512_256: auth = "HMAC-SHA-512-256 [RFC4868]"
        // Wireshark's esp_sa has no AES-XCBC-MAC or AES-CMAC entry; "ANY 96 bit" would lose
        // the check, so the SA is written as a comment instead.
        case .aesXCBC_96, .aesCMAC_96: return nil
        // Nor for RFC 4543 AH GMAC (its ICV field carries an IV as well as the tag).
        case .aesGMAC: return nil
        case .unchecked(let n):
            guard [8, 12, 16, 24, 32].contains(n) else { return nil }
            auth = "ANY \(n * 8) bit authentication [no checking]"
        }
        var fields = [
            isV6 ? "IPv6" : "IPv4", src, dst, spiText(sa.spi), enc,
            sa.encryptionKey.isEmpty ? "" : hex(sa.encryptionKey), auth,
            sa.integrityKey.isEmpty ? "" : hex(sa.integrityKey),
        ]
        if sa.extendedSequenceNumbers {
            fields += ["64-bit", "0x" + String(sa.initialSequenceHigh, radix: 16)]
        }
        return fields.map(quote).joined(separator: ",")
    }

    public static func wiresharkIKEv2Line(_ sa: IKESecurityAssociation) -> String? {
        guard sa.version == .v2, let r = sa.responderSPI, let e = sa.encryption,
            let encName = WiresharkIKEParser.encryptionName(e)
        else { return nil }
        let integ = sa.integrity ?? .none
        guard let integName = WiresharkIKEParser.integrityName(integ) else { return nil }
        return [
            ikeSPIText(sa.initiatorSPI), ikeSPIText(r), Hex.encode(sa.skEi), Hex.encode(sa.skEr), quote(encName),
            Hex.encode(sa.skAi), Hex.encode(sa.skAr), quote(integName),
        ].joined(separator: ",")
    }

    // MARK: tcpdump

    /// tcpdump `-E` secrets: `spi@dst algo:key`. tcpdump decrypts CBC ciphers only and checks
    /// no ICV, so "-hmac96" just tells it to skip 12 ICV bytes.
    public static func tcpdump(_ keys: KeySet) -> String {
        var out = "# tcpdump -E secrets, written by spiglass keys convert\n"
        for sa in keys.sas {
            out += (tcpdumpLine(sa) ?? "# not expressible for tcpdump: \(nativeLine(sa))") + "\n"
        }
        for sa in keys.ikeSAs {
            if let comment = unboundComment(sa) {
                out += comment + "\n"
            } else if let lines = tcpdumpIKELines(sa) {
                out += lines.joined(separator: "\n") + "\n"
            } else {
                out += "# not expressible for tcpdump: \(nativeLine(sa))\n"
            }
        }
        return out
    }

    /// tcpdump's `ikev2 I|R 0xSPIi 0xSPIr integ:key encr:key` pair for an IKEv2 SA with CBC
    /// encryption and HMAC integrity (all tcpdump decrypts), both directions' keys given.
    public static func tcpdumpIKELines(_ sa: IKESecurityAssociation) -> [String]? {
        guard sa.version == .v2, let responder = sa.responderSPI, let encryption = sa.encryption,
            let integrity = sa.integrity,
            !sa.skEi.isEmpty, !sa.skEr.isEmpty, !sa.skAi.isEmpty, !sa.skAr.isEmpty
        else { return nil }
        let encr: String
        switch encryption {
        case .aesCBC(let bits): encr = "aes\(bits)"
        case .tripleDES: encr = "3des"
        default: return nil
        }
        let integ: String
        switch integrity {
        case .hmacSHA1_96: integ = "sha1"
        case .hmacMD5_96: integ = "md5"
        case .hmacSHA256_128: integ = "sha256"
        case .hmacSHA384_192: integ = "sha384"
        case .hmacSHA512_256: integ = "sha512"
        default: return nil
        }
        let spis = "0x\(ikeSPIText(sa.initiatorSPI)) 0x\(ikeSPIText(responder))"
        return [
            "ikev2 I \(spis) \(integ):\(hex(sa.skAi)) \(encr):\(hex(sa.skEi))",
            "ikev2 R \(spis) \(integ):\(hex(sa.skAr)) \(encr):\(hex(sa.skEr))",
        ]
    }

    public static func tcpdumpLine(_ sa: SecurityAssociation) -> String? {
        guard sa.ipsecProtocol == .esp else { return nil }
        let cipher: String
        switch sa.encryption {
        case .aesCBC: cipher = "aes\(sa.encryptionKey.count * 8)-cbc"
        case .tripleDESCBC: cipher = "3des-cbc"
        case .null: cipher = "none"
        case .desCBC: cipher = "des-cbc"
        case .blowfishCBC: cipher = "blowfish-cbc"
        case .cast5CBC: cipher = "cast128-cbc"
        // tcpdump decrypts CBC ciphers only (no CTR, no combined modes).
        default: return nil
        }
        let suffix: String
        switch sa.icvLength {
        case 0: suffix = ""
        case 12: suffix = "-hmac96"
        default: return nil
        }
        var prefix = ""
        if let spi = sa.spi {
            // tcpdump keys an SA by SPI and destination; both must be concrete.
            guard let dst = sa.destination.exactAddress else { return nil }
            prefix = spiText(spi) + "@\(dst) "
        }
        let key = sa.encryptionKey.isEmpty ? "" : ":" + hex(sa.encryptionKey)
        return prefix + cipher + suffix + key
    }
}
