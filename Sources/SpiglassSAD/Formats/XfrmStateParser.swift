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
        looksLikeBlocks(text, isHeader: { headerAddresses($0) != nil || XfrmPolicyBlock.isHeader($0) },
                        isBody: { $0.first == "proto" || $0.first == "dir" || $0.first == "socket" })
    }

    /// One SA block as read so far; turned into a `SecurityAssociation` at its end.
    private struct Block {
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
        /// The last "section" line, so its indented sub-lines are recognised.
        var section: String? = nil
    }

    private struct AlgorithmLine {
        var line: Int
        var kind: String
        var name: String
        var key: [UInt8]
        /// auth-trunc truncation or aead ICV length, in bits.
        var bits: Int?
    }

    static func parse(_ text: String, file: String) throws -> KeySet {
        var keys = KeySet()
        var block: Block? = nil
        // `ip xfrm policy` blocks, read by `XfrmPolicyBlock` (a dump may hold both kinds).
        var policy: XfrmPolicyBlock? = nil
        var blocks = 0
        try forEachDumpLine(text, file: file) { lineNumber, line, tokens in
            let first = tokens[0]
            func note(_ kind: KeyFileNote.Kind, _ message: String) {
                keys.notes.append(KeyFileNote(kind, file: file, line: lineNumber, message))
            }
            if first.hasPrefix("#") {
                note(.ignored, "comment")
                return
            }
            if !startsIndented(line) {
                if let done = policy { try XfrmPolicyBlock.finish(done, into: &keys) }
                policy = nil
                if XfrmPolicyBlock.isHeader(tokens) {
                    if let done = block { try finish(done, file: file, into: &keys) }
                    block = nil
                    try XfrmPolicyBlock.checkCount(keys, file: file, line: lineNumber)
                    policy = try XfrmPolicyBlock(header: tokens, line: lineNumber, file: file, noteIndex: keys.notes.count)
                    note(.understood, "policy")
                    return
                }
                // A new SA block.
                if let done = block { try finish(done, file: file, into: &keys) }
                guard let (source, destination) = headerAddresses(tokens) else {
                    if first == "src" {
                        throw KeyFileError(.badValue, file: file, line: lineNumber, field: tokens.count >= 2 ? "src" : nil,
                                           "expected 'src ADDRESS dst ADDRESS' with two addresses of the same family")
                    }
                    throw KeyFileError(.syntax, file: file, line: lineNumber,
                                       "expected 'src ADDRESS dst ADDRESS' to start an SA (ip xfrm state output), got '\(clip(first))'")
                }
                blocks += 1
                guard blocks <= KeyFileLimits.maxSAs else {
                    throw KeyFileError(.tooLarge, file: file, line: lineNumber, "more than \(KeyFileLimits.maxSAs) SAs")
                }
                block = Block(headerLine: lineNumber, source: source, destination: destination, noteIndex: keys.notes.count)
                // Replaced by the SA summary when the block ends.
                note(.understood, "SA \(source) → \(destination)")
                return
            }
            if policy != nil {
                let (kind, message) = try policy!.add(tokens, line: lineNumber)
                note(kind, message)
                return
            }
            guard block != nil else {
                throw KeyFileError(.syntax, file: file, line: lineNumber, "indented line before any 'src ADDRESS dst ADDRESS' line")
            }
            try parseIndented(tokens, line: line, lineNumber: lineNumber, file: file, block: &block!, note: note)
        }
        if let done = block { try finish(done, file: file, into: &keys) }
        if let done = policy { try XfrmPolicyBlock.finish(done, into: &keys) }
        return keys
    }

    // MARK: - Indented lines

    private static func parseIndented(_ tokens: [Substring], line: String, lineNumber: Int, file: String, block: inout Block,
                                      note: (KeyFileNote.Kind, String) -> Void) throws {
        func fail(_ code: KeyFileError.Code, _ field: String?, _ message: String) -> KeyFileError {
            KeyFileError(code, file: file, line: lineNumber, field: field, message)
        }
        let first = String(tokens[0])
        // Sub-lines of `ip -s` sections and of the ESN context start with their own words.
        if let section = block.section {
            switch section {
            case "lifetime", "stats":
                if first == "limit:" || first == "expire" || first == "add" || first.first?.isNumber == true || tokens.contains("failed") {
                    note(.ignored, section == "stats" ? "statistics" : "lifetime \(first == "limit:" || first == "expire" ? "limits" : "counters")")
                    return
                }
            case "esn":
                if first == "seq-hi" || first == "replay_window" || tokens.allSatisfy({ isHexWord($0) }) {
                    try parseESNSubLine(tokens, lineNumber: lineNumber, file: file, block: &block, note: note)
                    return
                }
            default:
                break
            }
        }
        block.section = nil
        switch first {
        case "proto":
            guard block.protocolLine == nil else { throw fail(.syntax, "proto", "a second 'proto' line in one SA block") }
            block.protocolLine = lineNumber
            var i = 0
            var unknown: [String] = []
            while i < tokens.count {
                let word = String(tokens[i])
                let value: Substring? = i + 1 < tokens.count ? tokens[i + 1] : nil
                switch word {
                case "proto", "spi", "reqid", "mode":
                    guard let value else { throw fail(.missingField, word, "'\(word)' without a value") }
                    switch word {
                    case "proto":
                        block.protocolName = String(value).lowercased()
                    case "spi":
                        // `ip -s` prints "0x5e81594e(1585535310)".
                        let text = value.prefix { $0 != "(" }
                        guard let spi = parseNumber32(text) else { throw fail(.badValue, "spi", "'\(clip(value))' is not a 32-bit SPI") }
                        block.spi = spi
                    case "reqid":
                        guard parseNumber32(value.prefix { $0 != "(" }) != nil else {
                            throw fail(.badValue, "reqid", "'\(clip(value))' is not a 32-bit number")
                        }
                    default:
                        block.modeText = String(value)
                        block.mode = IPsecMode(rawValue: String(value).lowercased())
                    }
                    i += 2
                default:
                    unknown.append(clip(word))
                    i += 1
                }
            }
            guard let proto = block.protocolName else { throw fail(.missingField, "proto", "'proto' without a value") }
            var message = "protocol \(proto)"
            if let spi = block.spi { message += ", spi 0x\(hex32(spi))" }
            if let mode = block.modeText { message += ", mode \(clip(mode))" }
            if !unknown.isEmpty {
                note(.warning, message + "; \(unknown.count) word(s) not understood")
            } else if let text = block.modeText, block.mode == nil, proto == "esp" || proto == "ah" {
                note(.warning, message + "; mode '\(clip(text))' is not tunnel, transport or beet, left unset")
            } else {
                note(.understood, message)
            }
        case "replay-window":
            if tokens.contains("failed") {
                // `stats:` sub-line printed without the extra indentation.
                note(.ignored, "statistics")
                return
            }
            guard tokens.count >= 2, let window = UInt32(tokens[1]) else {
                throw fail(.badValue, "replay-window", "'replay-window' needs a number")
            }
            block.replayWindow = window
            var flags: [Substring] = []
            var inFlags = false
            for token in tokens.dropFirst(2) {
                if token == "flag" || token == "extra_flag" { inFlags = token == "flag"; continue }
                if token == "seq" { inFlags = false; continue }
                if token.hasPrefix("(") { inFlags = false; continue }
                if inFlags { flags.append(token) }
            }
            if flags.contains("esn") { block.esnFlag = true }
            note(.understood, "replay window \(window)" + (flags.isEmpty ? "" : ", flags \(flags.map { clip($0) }.joined(separator: " "))"))
        case "enc", "auth", "auth-trunc", "aead", "comp":
            let algorithm = try parseAlgorithmLine(tokens, lineNumber: lineNumber, file: file)
            switch first {
            case "enc":
                guard block.encryption == nil else { throw fail(.syntax, "enc", "a second 'enc' line in one SA block") }
                block.encryption = algorithm
            case "aead":
                guard block.aead == nil else { throw fail(.syntax, "aead", "a second 'aead' line in one SA block") }
                block.aead = algorithm
            case "comp":
                block.compression = lineNumber
                note(.ignored, "IPComp algorithm \(clip(algorithm.name))")
                return
            default:
                guard block.integrity == nil else { throw fail(.syntax, first, "a second 'auth'/'auth-trunc' line in one SA block") }
                block.integrity = algorithm
            }
            // The algorithm itself is checked when the block ends; the note is written now.
            note(.understood, "\(first) \(clip(algorithm.name)), key \(algorithm.key.count) bytes" + (algorithm.bits.map { ", \($0) bits" } ?? ""))
        case "encap":
            var values: [String: Substring] = [:]
            var i = 1
            while i + 1 < tokens.count {
                values[String(tokens[i])] = tokens[i + 1]
                i += 2
            }
            guard let type = values["type"] else { throw fail(.missingField, "encap", "'encap' without 'type'") }
            guard let sportText = values["sport"], let sport = UInt16(sportText) else { throw fail(.badValue, "encap", "'encap' needs 'sport' with a port number") }
            guard let dportText = values["dport"], let dport = UInt16(dportText) else { throw fail(.badValue, "encap", "'encap' needs 'dport' with a port number") }
            switch type {
            case "espinudp":
                block.encapsulation = UDPPortPair(source: sport, destination: dport)
                note(.understood, "UDP encapsulation (RFC 3948) \(sport) → \(dport)")
            case "espinudp-nonike":
                block.encapsulation = UDPPortPair(source: sport, destination: dport)
                note(.warning, "UDP encapsulation \(sport) → \(dport) of the old non-IKE-marker draft: packets are read as RFC 3948 ESP-in-UDP")
            case "espintcp":
                note(.warning, "TCP encapsulation (RFC 8229) is not dissected; ports \(sport) → \(dport) are not used")
            default:
                note(.warning, "encapsulation type '\(clip(type))' is not known; ignored")
            }
        case "anti-replay":
            if tokens.count >= 2, tokens[1] == "esn" {
                block.section = "esn"
                note(.understood, "anti-replay ESN context follows")
            } else {
                note(.ignored, "anti-replay context (32-bit counters)")
            }
        case "seq-hi", "replay_window":
            // ESN context sub-lines without the extra space (hand-edited files).
            try parseESNSubLine(tokens, lineNumber: lineNumber, file: file, block: &block, note: note)
            block.section = "esn"
        case "lifetime":
            block.section = "lifetime"
            note(.ignored, "lifetime \(tokens.count > 1 ? clip(tokens[1].filter { $0 != ":" }) : "")")
        case "stats:":
            block.section = "stats"
            note(.ignored, "statistics")
        case "sel":
            note(.ignored, "selector (informative)")
        case "lastused", "coa", "mark", "output-mark", "if_id", "tfcpad", "cpu", "crypto", "security", "sec", "dir",
             "extra_flag", "level", "share", "tmpl", "ctx", "datagram", "nat-keepalive-interval", "mtimer-thresh",
             "pcpu-num", "offload", "limit:", "expire", "add":
            note(.ignored, "\(clip(first)) (not needed to decrypt)")
        default:
            if tokens.allSatisfy({ isHexWord($0) }) {
                note(.ignored, "replay bitmap")
            } else {
                note(.warning, "line not understood ('\(clip(first))'); ignored")
            }
        }
    }

    /// ` seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0x1`, ` replay_window 128, bitmap-length 4`,
    /// and the bitmap words.
    private static func parseESNSubLine(_ tokens: [Substring], lineNumber: Int, file: String, block: inout Block,
                                        note: (KeyFileNote.Kind, String) -> Void) throws {
        let words = tokens.map { $0.hasSuffix(",") ? $0.dropLast() : $0 }
        guard let first = words.first else { return }
        var values: [Substring: Substring] = [:]
        var i = 0
        while i + 1 < words.count {
            values[words[i]] = words[i + 1]
            i += 2
        }
        switch first {
        case "seq-hi":
            var numbers: [UInt32] = []
            for name in ["seq-hi", "seq", "oseq-hi", "oseq"] {
                guard let text = values[Substring(name)], let value = parseNumber32(text) else {
                    throw KeyFileError(.badValue, file: file, line: lineNumber, field: name,
                                       "the ESN context needs '\(name)' with a 32-bit number")
                }
                numbers.append(value)
            }
            block.esnContext = (numbers[0], numbers[1], numbers[2], numbers[3])
            note(.understood, "ESN counters: seq-hi 0x\(String(numbers[0], radix: 16)), oseq-hi 0x\(String(numbers[2], radix: 16))")
        case "replay_window":
            guard let text = values["replay_window"], let window = UInt32(text) else {
                throw KeyFileError(.badValue, file: file, line: lineNumber, field: "replay_window", "'replay_window' needs a number")
            }
            block.esnReplayWindow = window
            note(.understood, "ESN replay window \(window)")
        default:
            if tokens.allSatisfy({ isHexWord($0) }) {
                note(.ignored, "replay bitmap")
            } else {
                note(.warning, "line not understood in the ESN context ('\(clip(first))'); ignored")
            }
        }
    }

    /// `enc NAME [0xKEY] [(N bits)]`, `auth-trunc NAME 0xKEY [(N bits)] BITS`, `aead NAME 0xKEY [(N bits)] ICV`.
    private static func parseAlgorithmLine(_ tokens: [Substring], lineNumber: Int, file: String) throws -> AlgorithmLine {
        let kind = String(tokens[0])
        func fail(_ code: KeyFileError.Code, _ message: String) -> KeyFileError {
            KeyFileError(code, file: file, line: lineNumber, field: kind, message)
        }
        guard tokens.count >= 2 else { throw fail(.missingField, "'\(kind)' without an algorithm name") }
        let name = String(tokens[1])
        var key: [UInt8] = []
        var bits: Int? = nil
        var i = 2
        if i < tokens.count, tokens[i].hasPrefix("<<") {
            throw fail(.badValue, "the keys are hidden ('\(clip(tokens[i]))'): dump the state without 'nokeys'")
        }
        if i < tokens.count, tokens[i].hasPrefix("0x") || tokens[i].hasPrefix("0X") {
            guard let bytes = decodeHexWords(CollectionOfOne(tokens[i].dropFirst(2))) else {
                throw fail(.badValue, "the key is not an even number of hex digits")
            }
            key = bytes
            i += 1
        }
        // `ip -s` adds " (N bits)" after the key.
        if i < tokens.count, tokens[i].hasPrefix("(") {
            let statedText = tokens[i].dropFirst()
            if let stated = Int(statedText), i + 1 < tokens.count, tokens[i + 1] == "bits)" {
                guard stated == key.count * 8 else {
                    throw fail(.badKeyLength, "the key has \(key.count * 8) bits but the line says \(stated)")
                }
                i += 2
            } else {
                throw fail(.syntax, "expected '(N bits)' after the key")
            }
        }
        let needsBits = kind == "auth-trunc" || kind == "aead"
        if needsBits {
            guard i < tokens.count else {
                throw fail(.missingField, "'\(kind)' needs the \(kind == "aead" ? "ICV" : "truncation") length in bits after the key")
            }
            guard let value = Int(tokens[i]), value > 0, value <= 1024 else {
                throw fail(.badValue, "'\(clip(tokens[i]))' is not a length in bits")
            }
            bits = value
            i += 1
        }
        guard i >= tokens.count else {
            if i == 2 && kind != "comp" {
                // The word is not echoed: it is probably the key, written without its 0x.
                throw fail(.badValue, "the key must be written 0x… (word \(i + 1) of the line does not start with 0x)")
            }
            throw fail(.syntax, "unexpected '\(clip(tokens[i]))' after the \(kind) algorithm")
        }
        return AlgorithmLine(line: lineNumber, kind: kind, name: name, key: key, bits: bits)
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
    private static let knownAEADNames = ["rfc4106(gcm(aes))", "rfc7539esp(chacha20,poly1305)", "rfc4309(ccm(aes))", "rfc4543(gcm(aes))"]
    private static let knownAuthNames = [
        "hmac(md5)", "hmac(sha1)", "hmac(sha256)", "hmac(sha384)", "hmac(sha512)", "hmac(rmd160)", "xcbc(aes)",
        "cmac(aes)", "digest_null", "hmac(sm3)",
    ]

    private static func encryption(_ a: AlgorithmLine, file: String, warn: inout [String]) throws -> EncryptionAlgorithm {
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
                warn.append("\(a.name) (\(known)) is not implemented yet; its packets will show as unsupported-algorithm")
                return .unsupported(known)
            }
            if name.hasPrefix("rfc4106(") || name.hasPrefix("rfc7539esp(") || name.hasPrefix("rfc4309(") || name.hasPrefix("rfc4543(") {
                throw KeyFileError(.badValue, file: file, line: a.line, field: "enc", "\(clip(a.name)) is a combined-mode algorithm: write it as 'aead \(clip(a.name)) 0xKEY ICV-BITS'")
            }
            throw unknown(a, among: knownCipherNames, file: file, what: "encryption")
        }
    }

    private static func aead(_ a: AlgorithmLine, file: String, warn: inout [String]) throws -> EncryptionAlgorithm {
        let name = a.name.lowercased()
        let bits = a.bits ?? 0
        func icv(_ allowed: [Int]) throws -> Int {
            guard allowed.contains(bits) else {
                throw KeyFileError(.badValue, file: file, line: a.line, field: "aead",
                                   "\(clip(a.name)) takes an ICV of \(allowed.map(String.init).joined(separator: ", ")) bits, not \(bits)")
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

    private static func integrity(_ a: AlgorithmLine, file: String, warn: inout [String]) throws -> IntegrityAlgorithm {
        let name = a.name.lowercased()
        if name == "digest_null" { return .null }
        guard let hmac = hmacs[name] else { throw unknown(a, among: knownAuthNames, file: file, what: "authentication") }
        let bits = a.bits ?? hmac.defaultTruncation
        guard bits % 8 == 0, bits <= hmac.digest, bits >= 32 else {
            throw KeyFileError(.badValue, file: file, line: a.line, field: a.kind,
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
            warn.append("\(a.name) truncated to \(bits) bits is not implemented; the \(bits / 8)-byte ICV is left unchecked")
            return .unchecked(icvLength: bits / 8)
        }
    }

    private static func unknown(_ a: AlgorithmLine, among names: [String], file: String, what: String) -> KeyFileError {
        let hint = AlgorithmNames.suggestion(for: a.name, among: names).map { " (did you mean '\($0)'?)" } ?? ""
        return KeyFileError(.unknownAlgorithm, file: file, line: a.line, field: a.kind, "unknown \(what) algorithm '\(clip(a.name))'\(hint)")
    }

    // MARK: - End of a block

    private static func finish(_ block: Block, file: String, into keys: inout KeySet) throws {
        func setHeaderNote(_ kind: KeyFileNote.Kind, _ message: String) {
            guard block.noteIndex < keys.notes.count else { return }
            keys.notes[block.noteIndex] = KeyFileNote(kind, file: file, line: block.headerLine, message)
        }
        guard let proto = block.protocolName, let protocolLine = block.protocolLine else {
            throw KeyFileError(.missingField, file: file, line: block.headerLine, field: "proto",
                               "the SA block has no 'proto … spi … mode …' line")
        }
        let ipsecProtocol: IPsecProtocol
        switch proto {
        case "esp": ipsecProtocol = .esp
        case "ah": ipsecProtocol = .ah
        case "comp":
            setHeaderNote(.ignored, "IPComp SA \(block.source) → \(block.destination) (proto comp) skipped: it carries no keys")
            return
        case "route2", "hao":
            setHeaderNote(.ignored, "Mobile IPv6 state (proto \(proto)) skipped")
            return
        default:
            throw KeyFileError(.badValue, file: file, line: protocolLine, field: "proto", "'\(clip(proto))' is not esp, ah or comp")
        }
        guard let spi = block.spi else {
            throw KeyFileError(.missingField, file: file, line: protocolLine, field: "spi", "an \(proto.uppercased()) SA needs 'spi'")
        }
        var warnings: [String] = []
        var encryption = EncryptionAlgorithm.null
        var encryptionKey: [UInt8] = []
        var encryptionField = "enc"
        var encryptionLine = protocolLine
        var integrity = IntegrityAlgorithm.null
        var integrityKey: [UInt8] = []
        var integrityField = "auth"
        var integrityLine = protocolLine
        switch ipsecProtocol {
        case .esp:
            if let aeadLine = block.aead {
                if let other = block.encryption ?? block.integrity {
                    throw KeyFileError(.syntax, file: file, line: other.line, field: other.kind,
                                       "an SA with 'aead' takes no separate '\(other.kind)' line")
                }
                encryption = try aead(aeadLine, file: file, warn: &warnings)
                encryptionKey = aeadLine.key
                encryptionField = "aead"
                encryptionLine = aeadLine.line
            } else if let encLine = block.encryption {
                encryption = try self.encryption(encLine, file: file, warn: &warnings)
                encryptionKey = encLine.key
                encryptionLine = encLine.line
            } else {
                throw KeyFileError(.missingField, file: file, line: block.headerLine, field: "enc",
                                   "the ESP SA has no 'enc' or 'aead' line, so no key")
            }
        case .ah:
            if let other = block.encryption ?? block.aead {
                throw KeyFileError(.syntax, file: file, line: other.line, field: other.kind, "an AH SA takes no '\(other.kind)' line")
            }
            guard block.integrity != nil else {
                throw KeyFileError(.missingField, file: file, line: block.headerLine, field: "auth",
                                   "the AH SA has no 'auth' or 'auth-trunc' line, so no key")
            }
        }
        if let authLine = block.integrity {
            integrity = try self.integrity(authLine, file: file, warn: &warnings)
            integrityKey = authLine.key
            integrityField = authLine.kind
            integrityLine = authLine.line
        }
        var sa = SecurityAssociation(spi: spi, source: .exact(block.source), destination: .exact(block.destination),
                                     encryption: encryption, encryptionKey: encryptionKey,
                                     integrity: integrity, integrityKey: integrityKey,
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
        do {
            try SAValidation.checkKeys(&sa, file: file, line: encryptionLine, encryptionField: encryptionField, integrityField: integrityField)
        } catch let error as KeyFileError where error.field == integrityField && integrityField != encryptionField {
            throw KeyFileError(error.code, file: file, line: integrityLine, field: error.field, error.message)
        }
        keys.sas.append(sa)
        var summary = "\(ipsecProtocol.rawValue.uppercased()) SA spi=0x\(hex32(spi)) \(block.source) → \(block.destination) "
        summary += ipsecProtocol == .ah ? integrity.name : sa.algorithmDescription
        if let mode = sa.mode { summary += " \(mode.rawValue)" }
        if let ports = sa.encapsulationPorts { summary += " udp \(ports.source)→\(ports.destination)" }
        if sa.extendedSequenceNumbers { summary += " esn (high 0x\(String(sa.initialSequenceHigh, radix: 16)))" }
        if warnings.isEmpty {
            setHeaderNote(.understood, summary)
        } else {
            setHeaderNote(.warning, summary + ": " + warnings.joined(separator: "; "))
        }
    }

    // MARK: - Helpers

    private static func headerAddresses(_ tokens: [Substring]) -> (IPAddress, IPAddress)? {
        guard tokens.count == 4, tokens[0] == "src", tokens[2] == "dst",
              let source = IPAddress(tokens[1]), let destination = IPAddress(tokens[3]),
              source.isIPv4 == destination.isIPv4 else { return nil }
        return (source, destination)
    }

    /// "0x…" hex or decimal, 32 bits.
    private static func parseNumber32(_ text: Substring) -> UInt32? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            let digits = text.dropFirst(2)
            guard !digits.isEmpty, digits.count <= 8 + 8 else { return nil }
            return UInt32(digits, radix: 16)
        }
        guard !text.isEmpty, text.count <= 12 else { return nil }
        return UInt32(text)
    }

    private static func isHexWord(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 16 && text.utf8.allSatisfy { Hex.digitValue($0) != nil }
    }

}
