import SpiglassWire

/// Reads Linux `ip xfrm state` output (also `ip -s xfrm state`, `ip xfrm state list`,
/// `ip -d …`), as iproute2's `xfrm_state_info_print` writes it: one block per SA, starting
/// with an unindented `src A dst B` line, followed by tab-indented lines.
///
///     src 10.99.0.1 dst 10.99.0.2
///     	proto esp spi 0x5e81594e reqid 1 mode tunnel
///     	replay-window 0 flag af-unspec esn
///     	auth-trunc hmac(sha256) 0xd2bb…f53 128
///     	enc cbc(aes) 0x0d85…2dc
///     	encap type espinudp sport 4500 dport 4500 addr 0.0.0.0
///     	anti-replay esn context:
///     	 seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0x1
///     	 replay_window 128, bitmap-length 4
///     	 00000000 00000000 00000000 00000000
///     	sel src 0.0.0.0/0 dst 0.0.0.0/0
///
/// Algorithm names are the kernel's crypto API names. The legacy `auth NAME KEY` form takes
/// the kernel's default truncation (net/xfrm/xfrm_algo.c `icv_truncbits`): 96 bits for
/// hmac(md5), hmac(sha1), hmac(sha256) and hmac(rmd160), 192 for hmac(sha384), 256 for
/// hmac(sha512). `auth-trunc NAME KEY BITS` and `aead NAME KEY ICV-BITS` state the length.
/// Every non-blank line gets a `KeyFileNote`; IPComp SAs (`proto comp`) are skipped.
enum XfrmStateParser: KeyDumpText {
    /// True when the first meaningful line is `src A dst B` and the next one is an indented
    /// `proto …` line. Reads at most the first few lines.
    static func looksLike(_ text: String) -> Bool {
        looksLikeBlocks(
            text, isHeader: { headerAddresses($0) != nil || XfrmPolicyBlock.isHeader($0) },
            isBody: { $0.first == "proto" || $0.first == "dir" || $0.first == "socket" })
    }

    /// One SA block as read so far; turned into a `SecurityAssociation` at its end.
    struct Block {
        var headerLine: Int
        var source: IPAddress
        var destination: IPAddress
        var noteIndex: Int
        var protocolLine: Int? = nil
        var protocolName: String? = nil
        var spi: UInt32? = nil
        var mode: IPsecMode? = nil
        var modeText: String? = nil
        var replayWindow: UInt32? = nil
        var esnFlag = false
        var encryption: AlgorithmLine? = nil
        var integrity: AlgorithmLine? = nil
        var aead: AlgorithmLine? = nil
        var compression: Int? = nil
        var encapsulation: UDPPortPair? = nil
        var esnContext: (seqHigh: UInt32, seq: UInt32, outHigh: UInt32, out: UInt32)? = nil
        var esnReplayWindow: UInt32? = nil
        /// The last section line, so its indented sub-lines are recognised.
        var section: Section? = nil
    }

    struct AlgorithmLine {
        var line: Int
        var kind: String
        var name: String
        var key: [UInt8]
        /// auth-trunc truncation or aead ICV length, in bits.
        var bits: Int?
    }

    static func parse(_ text: String, file: String) throws -> KeySet {
        var reader = Reader(file: file)
        try forEachDumpLine(text, file: file) { line in try reader.read(line) }
        try reader.endBlocks()
        return reader.keys
    }

    /// A dump being read: the keys so far, and the SA or policy block the next lines belong to.
    struct Reader: BlockDumpReader {
        let file: String
        var keys = KeySet()
        var block: Block? = nil
        /// `ip xfrm policy` blocks, read by `XfrmPolicyBlock` (a dump may hold both kinds).
        var policy: XfrmPolicyBlock? = nil
        var blocks = 0

        init(file: String) { self.file = file }

        mutating func read(_ line: DumpLine) throws {
            if readCommentLine(line) { return }
            guard XfrmStateParser.startsIndented(line.text) else {
                try header(line)
                return
            }
            if try readPolicyLine(line) { return }
            guard block != nil else {
                throw line.error(.syntax, file: file, "indented line before any 'src ADDRESS dst ADDRESS' line")
            }
            if let (kind, message) = try XfrmStateParser.indented(&block!, line, file: file) {
                note(kind, line, message)
            }
        }

        /// An unindented line: ends the block before it and starts an SA or a policy block.
        private mutating func header(_ line: DumpLine) throws {
            let tokens = line.tokens
            if let done = policy { try XfrmPolicyBlock.finish(done, into: &keys) }
            policy = nil
            if let done = block { try XfrmStateParser.finish(done, file: file, into: &keys) }
            block = nil
            if XfrmPolicyBlock.isHeader(tokens) {
                try XfrmPolicyBlock.checkCount(keys, file: file, line: line.number)
                policy = try XfrmPolicyBlock(header: tokens, line: line.number, file: file, noteIndex: keys.notes.count)
                note(.understood, line, "policy")
                return
            }
            guard let (source, destination) = XfrmStateParser.headerAddresses(tokens) else {
                if line.first == "src" {
                    throw line.error(
                        .badValue, file: file, field: tokens.count >= 2 ? "src" : nil,
                        "expected 'src ADDRESS dst ADDRESS' with two addresses of the same family")
                }
                throw line.error(
                    .syntax, file: file,
                    "expected 'src ADDRESS dst ADDRESS' to start an SA (ip xfrm state "
                        + "output), got '\(XfrmStateParser.clip(line.first))'")
            }
            blocks += 1
            guard blocks <= KeyFileLimits.maxSAs else {
                throw line.error(.tooLarge, file: file, "more than \(KeyFileLimits.maxSAs) SAs")
            }
            block = Block(
                headerLine: line.number, source: source, destination: destination, noteIndex: keys.notes.count)
            // Replaced by the SA summary when the block ends.
            note(.understood, line, "SA \(source) → \(destination)")
        }

        /// Ends the last block at the end of the dump.
        mutating func endBlocks() throws {
            if let done = block { try XfrmStateParser.finish(done, file: file, into: &keys) }
            if let done = policy { try XfrmPolicyBlock.finish(done, into: &keys) }
        }
    }

    // MARK: - Algorithms

    /// Kernel encryption names Spiglass does not process: the SA loads, its packets are
    /// reported as unsupported.
    private static let unsupportedCiphers: [String: String] = [
        "cbc(serpent)": "serpent-cbc", "serpent": "serpent-cbc",
        "cbc(camellia)": "camellia-cbc", "camellia": "camellia-cbc",
        "cbc(twofish)": "twofish-cbc", "twofish": "twofish-cbc",
        "cbc(sm4)": "sm4-cbc", "sm4": "sm4-cbc",
    ]

    private static let knownCipherNames = [
        "ecb(cipher_null)", "cipher_null", "cbc(aes)", "cbc(des3_ede)", "rfc3686(ctr(aes))", "cbc(des)", "cbc(cast5)",
        "cbc(blowfish)", "cbc(serpent)", "cbc(camellia)", "cbc(twofish)", "cbc(sm4)",
    ]
    private static let knownAEADNames = [
        "rfc4106(gcm(aes))", "rfc7539esp(chacha20,poly1305)", "rfc4309(ccm(aes))", "rfc4543(gcm(aes))",
    ]
    private static let knownAuthNames = [
        "hmac(md5)", "hmac(sha1)", "hmac(sha256)", "hmac(sha384)", "hmac(sha512)", "hmac(rmd160)", "xcbc(aes)",
        "cmac(aes)", "digest_null", "hmac(sm3)",
    ]

    static func encryption(_ a: AlgorithmLine, file: String, warn: inout [String]) throws -> EncryptionAlgorithm {
        let name = a.name.lowercased()
        switch name {
        case "ecb(cipher_null)", "cipher_null", "null": return .null
        case "cbc(aes)", "aes": return .aesCBC
        case "cbc(des3_ede)", "des3_ede": return .tripleDESCBC
        case "rfc3686(ctr(aes))": return .aesCTR
        case "cbc(des)", "des": return .desCBC
        case "cbc(cast5)", "cast5", "cast128": return .cast5CBC
        case "cbc(blowfish)", "blowfish": return .blowfishCBC
        default:
            if let known = unsupportedCiphers[name] {
                warn.append(
                    "\(a.name) (\(known)) is not implemented yet; its packets will show as unsupported-algorithm")
                return .unsupported(known)
            }
            if name.hasPrefix("rfc4106(") || name.hasPrefix("rfc7539esp(") || name.hasPrefix("rfc4309(")
                || name.hasPrefix("rfc4543(")
            {
                throw KeyFileError(
                    .badValue, file: file, line: a.line, field: "enc",
                    "\(clip(a.name)) is a combined-mode algorithm: write it as 'aead \(clip(a.name)) 0xKEY ICV-BITS'")
            }
            throw unknown(a, among: knownCipherNames, file: file, what: "encryption")
        }
    }

    static func aead(_ a: AlgorithmLine, file: String, warn: inout [String]) throws -> EncryptionAlgorithm {
        let name = a.name.lowercased()
        let bits = a.bits ?? 0
        func icv(_ allowed: [Int]) throws -> Int {
            guard allowed.contains(bits) else {
                throw KeyFileError(
                    .badValue, file: file, line: a.line, field: "aead",
                    "\(clip(a.name)) takes an ICV of \(allowed.map(String.init).joined(separator: ", ")) bits, not \(bits)"
                )
            }
            return bits / 8
        }
        switch name {
        case "rfc4106(gcm(aes))": return .aesGCM(icvLength: try icv([64, 96, 128]))
        case "rfc7539esp(chacha20,poly1305)":
            _ = try icv([128])
            return .chaCha20Poly1305
        case "rfc4309(ccm(aes))": return .aesCCM(icvLength: try icv([64, 96, 128]))
        case "rfc4543(gcm(aes))":
            _ = try icv([128])
            return .aesNullGMAC
        default:
            throw unknown(a, among: knownAEADNames, file: file, what: "AEAD")
        }
    }

    /// The digest of each HMAC the kernel knows, in bits, and its default truncation for the
    /// legacy `auth` attribute.
    private static let hmacs: [String: (digest: Int, defaultTruncation: Int)] = [
        "hmac(md5)": (128, 96), "md5": (128, 96),
        "hmac(sha1)": (160, 96), "sha1": (160, 96),
        "hmac(sha256)": (256, 96), "sha256": (256, 96),
        "hmac(sha384)": (384, 192), "sha384": (384, 192),
        "hmac(sha512)": (512, 256), "sha512": (512, 256),
        "hmac(rmd160)": (160, 96), "rmd160": (160, 96),
        "xcbc(aes)": (128, 96), "cmac(aes)": (128, 96),
        "hmac(sm3)": (256, 256),
    ]

    static func integrity(_ a: AlgorithmLine, file: String, warn: inout [String]) throws -> IntegrityAlgorithm {
        let name = a.name.lowercased()
        if name == "digest_null" { return .null }
        guard let hmac = hmacs[name] else {
            throw unknown(a, among: knownAuthNames, file: file, what: "authentication")
        }
        let bits = a.bits ?? hmac.defaultTruncation
        guard bits % 8 == 0, bits <= hmac.digest, bits >= 32 else {
            throw KeyFileError(
                .badValue, file: file, line: a.line, field: a.kind,
                "\(clip(a.name)) cannot be truncated to \(bits) bits (its output has \(hmac.digest))")
        }
        let base = name.hasPrefix("hmac(") ? String(name.dropFirst(5).dropLast()) : name
        switch (base, bits) {
        case ("md5", 96): return .hmacMD5_96
        case ("sha1", 96): return .hmacSHA1_96
        case ("sha256", 96): return .hmacSHA256_96
        case ("sha256", 128): return .hmacSHA256_128
        case ("sha384", 192): return .hmacSHA384_192
        case ("sha512", 256): return .hmacSHA512_256
        case ("xcbc(aes)", 96): return .aesXCBC_96
        case ("cmac(aes)", 96): return .aesCMAC_96
        default:
            warn.append(
                "\(a.name) truncated to \(bits) bits is not implemented; the \(bits / 8)-byte ICV is left unchecked")
            return .unchecked(icvLength: bits / 8)
        }
    }

    private static func unknown(_ a: AlgorithmLine, among names: [String], file: String, what: String) -> KeyFileError {
        let hint = AlgorithmNames.didYouMean(a.name, among: names)
        return KeyFileError(
            .unknownAlgorithm, file: file, line: a.line, field: a.kind,
            "unknown \(what) algorithm '\(clip(a.name))'\(hint)")
    }

    // MARK: - End of a block

    static func finish(_ block: Block, file: String, into keys: inout KeySet) throws {
        func setHeaderNote(_ kind: KeyFileNote.Kind, _ message: String) {
            keys.replaceNote(at: block.noteIndex, with: KeyFileNote(kind, file: file, line: block.headerLine, message))
        }
        guard let proto = block.protocolName, let protocolLine = block.protocolLine else {
            throw KeyFileError(
                .missingField, file: file, line: block.headerLine, field: "proto",
                "the SA block has no 'proto … spi … mode …' line")
        }
        let ipsecProtocol: IPsecProtocol
        switch proto {
        case "esp": ipsecProtocol = .esp
        case "ah": ipsecProtocol = .ah
        case "comp":
            setHeaderNote(
                .ignored, "IPComp SA \(block.source) → \(block.destination) (proto comp) skipped: it carries no keys")
            return
        case "route2", "hao":
            setHeaderNote(.ignored, "Mobile IPv6 state (proto \(proto)) skipped")
            return
        default:
            throw KeyFileError(
                .badValue, file: file, line: protocolLine, field: "proto", "'\(clip(proto))' is not esp, ah or comp")
        }
        guard let spi = block.spi else {
            throw KeyFileError(
                .missingField, file: file, line: protocolLine, field: "spi", "an \(proto.uppercased()) SA needs 'spi'")
        }
        var warnings: [String] = []
        let algorithms = try BlockAlgorithms(
            block, ipsecProtocol: ipsecProtocol, protocolLine: protocolLine, file: file,
            warnings: &warnings)
        var sa = SecurityAssociation(
            spi: SPI(spi), source: .exact(block.source), destination: .exact(block.destination),
            encryption: algorithms.encryption, encryptionKey: algorithms.encryptionKey,
            integrity: algorithms.integrity, integrityKey: algorithms.integrityKey,
            extendedSequenceNumbers: block.esnFlag,
            origin: SAOrigin(file: file, line: block.headerLine))
        sa.ipsecProtocol = ipsecProtocol
        sa.mode = block.mode
        sa.encapsulationPorts = block.encapsulation
        if let window = block.replayWindow, window > 0 {
            sa.replayWindow = window
        } else {
            sa.replayWindow = block.esnReplayWindow ?? block.replayWindow
        }
        if block.esnFlag, let context = block.esnContext {
            // Inbound SAs count in seq/seq-hi; outbound ones only in oseq/oseq-hi.
            sa.initialSequenceHigh = (context.seqHigh != 0 || context.seq != 0) ? context.seqHigh : context.outHigh
        }
        try algorithms.check(&sa, file: file)
        keys.sas.append(sa)
        var summary = blockSummary(sa, spi: spi, source: block.source, destination: block.destination)
        if sa.extendedSequenceNumbers { summary += " esn (high 0x\(String(sa.initialSequenceHigh, radix: 16)))" }
        setHeaderNote(
            warnings.isEmpty ? .understood : .warning,
            warnings.isEmpty ? summary : summary + ": " + warnings.joined(separator: "; "))
    }

    /// The algorithms of an ESP or AH block, with the lines and fields their errors name.
    private struct BlockAlgorithms {
        var encryption = EncryptionAlgorithm.null
        var encryptionKey: [UInt8] = []
        var encryptionField = "enc"
        var encryptionLine: Int
        var integrity = IntegrityAlgorithm.null
        var integrityKey: [UInt8] = []
        var integrityField = "auth"
        var integrityLine: Int

        init(_ block: Block, ipsecProtocol: IPsecProtocol, protocolLine: Int, file: String, warnings: inout [String])
            throws
        {
            encryptionLine = protocolLine
            integrityLine = protocolLine
            switch ipsecProtocol {
            case .esp:
                if let aeadLine = block.aead {
                    if let other = block.encryption ?? block.integrity {
                        throw KeyFileError(
                            .syntax, file: file, line: other.line, field: other.kind,
                            "an SA with 'aead' takes no separate '\(other.kind)' line")
                    }
                    encryption = try XfrmStateParser.aead(aeadLine, file: file, warn: &warnings)
                    encryptionKey = aeadLine.key
                    encryptionField = "aead"
                    encryptionLine = aeadLine.line
                } else if let encLine = block.encryption {
                    encryption = try XfrmStateParser.encryption(encLine, file: file, warn: &warnings)
                    encryptionKey = encLine.key
                    encryptionLine = encLine.line
                } else {
                    throw KeyFileError(
                        .missingField, file: file, line: block.headerLine, field: "enc",
                        "the ESP SA has no 'enc' or 'aead' line, so no key")
                }
            case .ah:
                if let other = block.encryption ?? block.aead {
                    throw KeyFileError(
                        .syntax, file: file, line: other.line, field: other.kind,
                        "an AH SA takes no '\(other.kind)' line")
                }
                guard block.integrity != nil else {
                    throw KeyFileError(
                        .missingField, file: file, line: block.headerLine, field: "auth",
                        "the AH SA has no 'auth' or 'auth-trunc' line, so no key")
                }
            }
            if let authLine = block.integrity {
                integrity = try XfrmStateParser.integrity(authLine, file: file, warn: &warnings)
                integrityKey = authLine.key
                integrityField = authLine.kind
                integrityLine = authLine.line
            }
        }

        /// The key lengths (`SAValidation`), an error naming the line of the key at fault.
        func check(_ sa: inout SecurityAssociation, file: String) throws {
            do {
                try SAValidation.checkKeys(
                    &sa, file: file, line: encryptionLine, encryptionField: encryptionField,
                    integrityField: integrityField)
            } catch let error as KeyFileError where error.field == integrityField && integrityField != encryptionField {
                throw KeyFileError(error.code, file: file, line: integrityLine, field: error.field, error.message)
            }
        }
    }

    // MARK: - Helpers

    static func headerAddresses(_ tokens: [Substring]) -> (IPAddress, IPAddress)? {
        guard tokens.count == 4, tokens[0] == "src", tokens[2] == "dst",
            let source = IPAddress(tokens[1]), let destination = IPAddress(tokens[3]),
            source.isIPv4 == destination.isIPv4
        else { return nil }
        return (source, destination)
    }

    /// "0x…" hex or decimal, 32 bits.
    static func parseNumber32(_ text: Substring) -> UInt32? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            let digits = text.dropFirst(2)
            guard !digits.isEmpty, digits.count <= 8 + 8 else { return nil }
            return UInt32(digits, radix: 16)
        }
        guard !text.isEmpty, text.count <= 12 else { return nil }
        return UInt32(text)
    }

    static func isHexWord(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 16 && text.utf8.allSatisfy { Hex.digitValue($0) != nil }
    }

}
