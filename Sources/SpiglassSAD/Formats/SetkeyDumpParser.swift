import SpiglassWire

/// Reads `setkey -D` SAD dumps of the KAME / ipsec-tools / FreeBSD / NetBSD `setkey`, as
/// libipsec's `pfkey_sadump` prints them: one block per SA, an unindented `SRC DST` line
/// (addresses with `[port]` when NAT-T is on), then tab-indented lines.
///
///     192.168.2.101 192.168.2.100
///     	esp mode=tunnel spi=135040102(0x080c8c66) reqid=16395(0x0000400b)
///     	E: rijndael-cbc  deb3098e 67577550 f23ffb5e c3737c04
///     	A: hmac-sha1  881ecd0b 71431e1b 6c35503d 5258bda9 17505da3
///     	seq=0x00000b9c replay=4 flags=0x00000000 state=mature
///     	created: Jan  4 20:56:21 2013	current: Jan  4 20:56:49 2013
///     	…
///     	sadb_seq=1 pid=1727 refcnt=2
///
/// Keys are printed as 4-byte hex words, 32 bytes per line: a longer key continues on the
/// next line, which starts with a space. `hmac-sha2-256/384/512` are read with RFC 4868
/// truncation (half the digest), as FreeBSD, NetBSD and OpenBSD use them; old KAME stacks and
/// Linux (through PF_KEY) truncate hmac-sha2-256 to 96 bits instead, so that line gets a
/// warning. `flags` bit 0x400 (SADB_X_SAFLAGS_ESN) turns extended sequence numbers on.
/// Every non-blank line gets a `KeyFileNote`; IPComp and TCP-MD5 SAs are skipped. The policy
/// blocks of a `setkey -DP` dump are read by `SetkeyPolicyBlock`.
enum SetkeyDumpParser: KeyDumpText {
    /// True when the first meaningful line is `SRC DST` and the next one is an indented
    /// `esp|ah|ipcomp mode=…` line, or when the dump says "No SAD entries.".
    static func looksLike(_ text: String) -> Bool {
        looksLikeBlocks(
            text, accept: { $0 == ["No", "SAD", "entries."] || $0 == ["No", "SPD", "entries."] },
            isHeader: { headerAddresses($0) != nil || SetkeyPolicyBlock.isHeader($0) },
            isBody: {
                ($0.count >= 2 && satypes[String($0[0])] != nil && $0[1].hasPrefix("mode="))
                    || SetkeyPolicyBlock.isPolicyLine($0)
            })
    }

    /// SA types `pfkey_sadump` prints, and whether Spiglass keeps them.
    static let satypes: [String: IPsecProtocol?] = [
        "esp": .esp, "esp-udp": .esp, "ah": .ah, "ipcomp": nil, "tcp": nil,
        "unspec": nil, "unknown": nil, "rsvp": nil, "ospfv2": nil, "ripv2": nil, "mip": nil, "policy": nil,
    ]

    /// One SA block as read so far; turned into a `SecurityAssociation` at its end.
    struct Block {
        var headerLine: Int
        var source: IPAddress
        var destination: IPAddress
        var ports: UDPPortPair?
        var noteIndex: Int
        var saLine: Int? = nil
        var satype: String? = nil
        var spi: UInt32? = nil
        var mode: IPsecMode? = nil
        var replayWindow: UInt32? = nil
        var esn = false
        var state: String? = nil
        var encryption: KeyLine? = nil
        var integrity: KeyLine? = nil
        var compression: Int? = nil
    }

    struct KeyLine {
        var line: Int
        var field: String
        var name: String
        var key: [UInt8]
    }

    static func parse(_ text: String, file: String) throws -> KeySet {
        var reader = Reader(file: file)
        try forEachDumpLine(text, file: file) { line in try reader.read(line) }
        try reader.endBlocks()
        return reader.keys
    }

    // MARK: - Algorithms

    private static let encryptionNames = [
        "null", "des-cbc", "3des-cbc", "rijndael-cbc", "aes-cbc", "aes-ctr", "aes-gcm-16", "aes-ccm-16",
        "chacha20-poly1305",
        "blowfish-cbc", "cast128-cbc", "twofish-cbc", "camellia-cbc",
    ]
    private static let integrityNames = [
        "null", "hmac-md5", "hmac-sha1", "hmac-sha2-256", "hmac-sha2-384", "hmac-sha2-512", "hmac-ripemd160",
        "aes-xcbc-mac", "aes-cmac", "keyed-md5", "keyed-sha1", "aes-gmac-128", "aes-gmac-192", "aes-gmac-256",
    ]

    private static func encryption(_ k: KeyLine, file: String, warn: inout [String]) throws -> EncryptionAlgorithm {
        switch k.name.lowercased() {
        case "null", "none": return .null
        case "3des-cbc": return .tripleDESCBC
        case "rijndael-cbc", "aes-cbc": return .aesCBC
        case "aes-ctr": return .aesCTR
        case "aes-gcm-16": return .aesGCM(icvLength: 16)
        case "aes-gcm-12": return .aesGCM(icvLength: 12)
        case "aes-gcm-8": return .aesGCM(icvLength: 8)
        case "chacha20-poly1305": return .chaCha20Poly1305
        // KAME/ipsec-tools and the BSDs: the key includes the 3-byte salt (RFC 4309) or the
        // 4-byte salt (RFC 4543).
        case "aes-ccm-16", "aes-ccm": return .aesCCM(icvLength: 16)
        case "aes-ccm-12": return .aesCCM(icvLength: 12)
        case "aes-ccm-8": return .aesCCM(icvLength: 8)
        case "des-cbc": return .desCBC
        case "blowfish-cbc": return .blowfishCBC
        case "cast128-cbc": return .cast5CBC
        case let name:
            let unsupported: [String: String] = [
                "des-deriv": "des-cbc", "3des-deriv": "3des-deriv", "simple": "simple", "twofish-cbc": "twofish-cbc",
                "camellia-cbc": "camellia-cbc", "rc5-cbc": "rc5-cbc",
            ]
            if let known = unsupported[name] {
                warn.append("\(known) is not implemented yet; its packets will show as unsupported-algorithm")
                return .unsupported(known)
            }
            let hint = AlgorithmNames.didYouMean(k.name, among: encryptionNames)
            throw KeyFileError(
                .unknownAlgorithm, file: file, line: k.line, field: "E",
                "unknown encryption algorithm '\(clip(k.name))'\(hint)")
        }
    }

    private static func integrity(_ k: KeyLine, file: String, warn: inout [String]) throws -> IntegrityAlgorithm {
        switch k.name.lowercased() {
        case "null", "none": return .null
        case "hmac-md5": return .hmacMD5_96
        case "hmac-sha1": return .hmacSHA1_96
        case "hmac-sha2-256", "hmac-sha256":
            warn.append(
                "hmac-sha2-256 is read as HMAC-SHA-256-128 (RFC 4868, FreeBSD/NetBSD/OpenBSD); old KAME and Linux PF_KEY truncate it to 96 bits. If every ICV fails, write this SA natively with auth=hmac-sha2-256-96"
            )
            return .hmacSHA256_128
        case "hmac-sha2-384", "hmac-sha384": return .hmacSHA384_192
        case "hmac-sha2-512", "hmac-sha512": return .hmacSHA512_256
        case "aes-xcbc-mac", "aes-xcbc-mac-96": return .aesXCBC_96
        case "aes-cmac", "aes-cmac-96": return .aesCMAC_96
        case "hmac-ripemd160":
            warn.append("\(k.name) is not implemented; its 96-bit ICV is left unchecked")
            return .unchecked(icvLength: 12)
        case "keyed-md5", "md5":
            warn.append("\(k.name) (RFC 1828) is not implemented; its 128-bit ICV is left unchecked")
            return .unchecked(icvLength: 16)
        case "keyed-sha1", "sha":
            warn.append("\(k.name) (RFC 1852) is not implemented; its 160-bit ICV is left unchecked")
            return .unchecked(icvLength: 20)
        // RFC 4543 AUTH_AES_GMAC (AH only): ipsec-tools "aes-gmac-128", FreeBSD "aes-128-gmac",
        // OpenBSD "gmac-aes-128".
        case "aes-gmac-128", "aes-128-gmac", "gmac-aes-128": return .aesGMAC(keyBits: 128)
        case "aes-gmac-192", "aes-192-gmac", "gmac-aes-192": return .aesGMAC(keyBits: 192)
        case "aes-gmac-256", "aes-256-gmac", "gmac-aes-256": return .aesGMAC(keyBits: 256)
        default:
            let hint = AlgorithmNames.didYouMean(k.name, among: integrityNames)
            throw KeyFileError(
                .unknownAlgorithm, file: file, line: k.line, field: "A",
                "unknown authentication algorithm '\(clip(k.name))'\(hint)")
        }
    }

    // MARK: - End of a block

    static func finish(_ block: Block, file: String, into keys: inout KeySet) throws {
        func setHeaderNote(_ kind: KeyFileNote.Kind, _ message: String) {
            keys.replaceNote(at: block.noteIndex, with: KeyFileNote(kind, file: file, line: block.headerLine, message))
        }
        guard let satype = block.satype, let saLine = block.saLine else {
            throw KeyFileError(
                .missingField, file: file, line: block.headerLine, field: "satype",
                "the SA block has no 'esp|ah mode=… spi=…' line")
        }
        guard let known = satypes[satype], let ipsecProtocol = known else {
            setHeaderNote(.ignored, "\(satype) SA \(block.source) → \(block.destination) skipped: not ESP or AH")
            return
        }
        guard let spi = block.spi else {
            throw KeyFileError(.missingField, file: file, line: saLine, field: "spi", "an \(satype) SA needs 'spi='")
        }
        if block.encryption == nil && block.integrity == nil && block.state == "larval" {
            setHeaderNote(.ignored, "larval SA spi=0x\(hex32(spi)) (no keys yet) skipped")
            return
        }
        var warnings: [String] = []
        let (encryption, encryptionKey, integrity, integrityKey) = try algorithms(
            block, ipsecProtocol: ipsecProtocol, file: file, warn: &warnings)
        var sa = SecurityAssociation(
            spi: SPI(spi), source: .exact(block.source), destination: .exact(block.destination),
            encryption: encryption, encryptionKey: encryptionKey,
            integrity: integrity, integrityKey: integrityKey,
            extendedSequenceNumbers: block.esn,
            origin: SAOrigin(file: file, line: block.headerLine))
        sa.ipsecProtocol = ipsecProtocol
        sa.mode = block.mode
        sa.replayWindow = block.replayWindow
        sa.encapsulationPorts = block.ports
        let encryptionLine = block.encryption?.line ?? saLine
        let integrityLine = block.integrity?.line ?? saLine
        do {
            try SAValidation.checkKeys(&sa, file: file, line: encryptionLine, encryptionField: "E", integrityField: "A")
        } catch let error as KeyFileError where error.field == "A" {
            throw KeyFileError(error.code, file: file, line: integrityLine, field: error.field, error.message)
        }
        keys.sas.append(sa)
        var summary = blockSummary(sa, spi: spi, source: block.source, destination: block.destination)
        if sa.extendedSequenceNumbers { summary += " esn" }
        if let state = block.state, state == "dying" || state == "dead" {
            warnings.append("the SA was \(state) when dumped")
        }
        if ipsecProtocol == .ah { warnings.append("AH ICVs are verified with this key") }
        setHeaderNote(
            warnings.isEmpty ? .understood : .warning,
            summary + (warnings.isEmpty ? "" : ": " + warnings.joined(separator: "; ")))
    }

    /// The block's algorithms and keys, checked against what its SA type takes.
    static func algorithms(
        _ block: Block, ipsecProtocol: IPsecProtocol, file: String, warn warnings: inout [String]
    ) throws -> (EncryptionAlgorithm, [UInt8], IntegrityAlgorithm, [UInt8]) {
        var encryption = EncryptionAlgorithm.null
        var encryptionKey: [UInt8] = []
        var integrity = IntegrityAlgorithm.null
        var integrityKey: [UInt8] = []
        switch ipsecProtocol {
        case .esp:
            guard block.encryption != nil || block.integrity != nil else {
                throw KeyFileError(
                    .missingField, file: file, line: block.headerLine, field: "E",
                    "the ESP SA has no 'E:' or 'A:' line, so no key")
            }
            if let e = block.encryption {
                encryption = try self.encryption(e, file: file, warn: &warnings)
                encryptionKey = e.key
            }
        case .ah:
            if let e = block.encryption {
                throw KeyFileError(.syntax, file: file, line: e.line, field: "E", "an AH SA takes no 'E:' line")
            }
            guard block.integrity != nil else {
                throw KeyFileError(
                    .missingField, file: file, line: block.headerLine, field: "A",
                    "the AH SA has no 'A:' line, so no key")
            }
        }
        if let a = block.integrity {
            integrity = try self.integrity(a, file: file, warn: &warnings)
            integrityKey = a.key
            if encryption.isAEAD && integrity != .null {
                throw KeyFileError(
                    .badValue, file: file, line: a.line, field: "A",
                    "\(encryption.name) is a combined-mode cipher: it takes no separate authentication")
            }
        }
        if encryption.isAEAD { integrityKey = [] }
        return (encryption, encryptionKey, integrity, integrityKey)
    }

    // MARK: - Helpers

    /// `ADDR ADDR`, each optionally `[port]` (NAT-T) and, for IPv6, `%scope`.
    static func headerAddresses(_ tokens: [Substring]) -> (IPAddress, IPAddress, UDPPortPair?)? {
        guard tokens.count == 2, let (source, sport) = address(tokens[0]),
            let (destination, dport) = address(tokens[1]),
            source.isIPv4 == destination.isIPv4
        else { return nil }
        var ports: UDPPortPair? = nil
        if let sport, let dport { ports = UDPPortPair(source: sport, destination: dport) }
        return (source, destination, ports)
    }

    private static func address(_ token: Substring) -> (IPAddress, UInt16?)? {
        var text = token
        var port: UInt16? = nil
        if text.hasSuffix("]"), let open = text.lastIndex(of: "[") {
            let inside = text[text.index(after: open)..<text.index(before: text.endIndex)]
            if inside != "any" {
                guard let value = UInt16(inside) else { return nil }
                port = value
            }
            text = text[..<open]
        }
        if let percent = text.firstIndex(of: "%") { text = text[..<percent] }
        guard !text.isEmpty, text.count <= 64, let address = IPAddress(text) else { return nil }
        return (address, port)
    }

    /// `135040102(0x080c8c66)`: both halves must agree; either alone is accepted.
    static func parseDualNumber(_ text: Substring) -> UInt32? {
        guard text.count <= 32 else { return nil }
        if let open = text.firstIndex(of: "("), text.hasSuffix(")") {
            let decimal = text[..<open]
            let inner = text[text.index(after: open)..<text.index(before: text.endIndex)]
            guard let d = UInt32(decimal), inner.hasPrefix("0x"), let h = UInt32(inner.dropFirst(2), radix: 16), d == h
            else { return nil }
            return d
        }
        if text.hasPrefix("0x") { return UInt32(text.dropFirst(2), radix: 16) }
        return UInt32(text)
    }

    static func isHexWord(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { Hex.digitValue($0) != nil }
    }

}
