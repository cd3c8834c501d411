import SpiglassWire

/// The indented lines of an `ip xfrm state` SA block, one handler per keyword
/// (`XfrmStateParser`). A handler reads its line into the block and gives the line's note.
extension XfrmStateParser {
    typealias LineNote = (kind: KeyFileNote.Kind, message: String)
    typealias LineHandler = @Sendable (inout Block, DumpLine, _ file: String) throws -> LineNote?

    /// Lines whose indented sub-lines follow (`ip -s` statistics, the ESN context).
    enum Section { case lifetime, stats, esn }

    /// The handlers, by the line's first word.
    static let indentedLines: [Substring: LineHandler] = {
        var table: [Substring: LineHandler] = [
            "proto": protocolLine,
            "replay-window": replayWindowLine,
            "encap": encapsulationLine,
            "anti-replay": { block, line, _ in
                guard line.tokens.count >= 2, line.tokens[1] == "esn" else {
                    return (.ignored, "anti-replay context (32-bit counters)")
                }
                block.section = .esn
                return (.understood, "anti-replay ESN context follows")
            },
            "lifetime": { block, line, _ in
                block.section = .lifetime
                return (.ignored, "lifetime \(line.tokens.count > 1 ? clip(line.tokens[1].filter { $0 != ":" }) : "")")
            },
            "stats:": { block, _, _ in
                block.section = .stats
                return (.ignored, "statistics")
            },
            "sel": { _, _, _ in (.ignored, "selector (informative)") },
        ]
        for word: Substring in ["enc", "auth", "auth-trunc", "aead", "comp"] { table[word] = algorithmLine }
        // ESN context sub-lines without the extra space (hand-edited files).
        for word: Substring in ["seq-hi", "replay_window"] {
            table[word] = { block, line, file in
                let note = try esnSubLine(&block, line, file: file)
                block.section = .esn
                return note
            }
        }
        let informative: [Substring] = [
            "lastused", "coa", "mark", "output-mark", "if_id", "tfcpad", "cpu", "crypto", "security", "sec", "dir",
            "extra_flag", "level", "share", "tmpl", "ctx", "datagram", "nat-keepalive-interval", "mtimer-thresh",
            "pcpu-num", "offload", "limit:", "expire", "add",
        ]
        for word in informative {
            table[word] = { _, line, _ in (.ignored, "\(clip(line.first)) (not needed to decrypt)") }
        }
        return table
    }()

    /// One indented line of an SA block: a sub-line of the section before it, or a keyword's line.
    static func indented(_ block: inout Block, _ line: DumpLine, file: String) throws -> LineNote? {
        if let note = try sectionLine(&block, line, file: file) { return note }
        block.section = nil
        guard let handler = indentedLines[line.first] else {
            if line.tokens.allSatisfy({ isHexWord($0) }) { return (.ignored, "replay bitmap") }
            return (.warning, "line not understood ('\(clip(line.first))'); ignored")
        }
        return try handler(&block, line, file)
    }

    /// Sub-lines of `ip -s` sections and of the ESN context start with their own words; nil
    /// when the line is not one.
    private static func sectionLine(_ block: inout Block, _ line: DumpLine, file: String) throws -> LineNote? {
        let tokens = line.tokens
        let first = String(line.first)
        switch block.section {
        case .lifetime?, .stats?:
            guard
                first == "limit:" || first == "expire" || first == "add" || first.first?.isNumber == true
                    || tokens.contains("failed")
            else { return nil }
            if block.section == .stats { return (.ignored, "statistics") }
            return (.ignored, "lifetime \(first == "limit:" || first == "expire" ? "limits" : "counters")")
        case .esn?:
            guard first == "seq-hi" || first == "replay_window" || tokens.allSatisfy({ isHexWord($0) }) else {
                return nil
            }
            return try esnSubLine(&block, line, file: file)
        case nil:
            return nil
        }
    }

    /// `proto esp spi 0x5e81594e reqid 1 mode tunnel`.
    static func protocolLine(_ block: inout Block, _ line: DumpLine, file: String) throws -> LineNote? {
        guard block.protocolLine == nil else {
            throw line.error(.syntax, file: file, field: "proto", "a second 'proto' line in one SA block")
        }
        block.protocolLine = line.number
        let tokens = line.tokens
        var i = 0
        var unknown: [String] = []
        while i < tokens.count {
            let word = String(tokens[i])
            guard ["proto", "spi", "reqid", "mode"].contains(word) else {
                unknown.append(clip(word))
                i += 1
                continue
            }
            guard i + 1 < tokens.count else {
                throw line.error(.missingField, file: file, field: word, "'\(word)' without a value")
            }
            try protocolField(&block, word, tokens[i + 1], line: line, file: file)
            i += 2
        }
        guard let proto = block.protocolName else {
            throw line.error(.missingField, file: file, field: "proto", "'proto' without a value")
        }
        var message = "protocol \(proto)"
        if let spi = block.spi { message += ", spi 0x\(hex32(spi))" }
        if let mode = block.modeText { message += ", mode \(clip(mode))" }
        if !unknown.isEmpty { return (.warning, message + "; \(unknown.count) word(s) not understood") }
        if let text = block.modeText, block.mode == nil, proto == "esp" || proto == "ah" {
            return (.warning, message + "; mode '\(clip(text))' is not tunnel, transport or beet, left unset")
        }
        return (.understood, message)
    }

    private static func protocolField(
        _ block: inout Block, _ word: String, _ value: Substring, line: DumpLine,
        file: String
    ) throws {
        switch word {
        case "proto":
            block.protocolName = String(value).lowercased()
        case "spi":
            // `ip -s` prints "0x5e81594e(1585535310)".
            guard let spi = parseNumber32(value.prefix { $0 != "(" }) else {
                throw line.error(.badValue, file: file, field: "spi", "'\(clip(value))' is not a 32-bit SPI")
            }
            block.spi = spi
        case "reqid":
            guard parseNumber32(value.prefix { $0 != "(" }) != nil else {
                throw line.error(.badValue, file: file, field: "reqid", "'\(clip(value))' is not a 32-bit number")
            }
        default:
            block.modeText = String(value)
            block.mode = IPsecMode(rawValue: String(value).lowercased())
        }
    }

    /// `replay-window 0 flag af-unspec esn`.
    static func replayWindowLine(_ block: inout Block, _ line: DumpLine, file: String) throws -> LineNote? {
        let tokens = line.tokens
        // `stats:` sub-line printed without the extra indentation.
        if tokens.contains("failed") { return (.ignored, "statistics") }
        guard tokens.count >= 2, let window = UInt32(tokens[1]) else {
            throw line.error(.badValue, file: file, field: "replay-window", "'replay-window' needs a number")
        }
        block.replayWindow = window
        var flags: [Substring] = []
        var inFlags = false
        for token in tokens.dropFirst(2) {
            if token == "flag" || token == "extra_flag" {
                inFlags = token == "flag"
                continue
            }
            if token == "seq" || token.hasPrefix("(") {
                inFlags = false
                continue
            }
            if inFlags { flags.append(token) }
        }
        if flags.contains("esn") { block.esnFlag = true }
        return (
            .understood,
            "replay window \(window)"
                + (flags.isEmpty ? "" : ", flags \(flags.map { clip($0) }.joined(separator: " "))")
        )
    }

    /// `enc`, `auth`, `auth-trunc`, `aead` and `comp`: the algorithm itself is checked when the
    /// block ends; the note is given now.
    static func algorithmLine(_ block: inout Block, _ line: DumpLine, file: String) throws -> LineNote? {
        let algorithm = try algorithmLine(line, file: file)
        switch line.first {
        case "enc":
            guard block.encryption == nil else {
                throw line.error(.syntax, file: file, field: "enc", "a second 'enc' line in one SA block")
            }
            block.encryption = algorithm
        case "aead":
            guard block.aead == nil else {
                throw line.error(.syntax, file: file, field: "aead", "a second 'aead' line in one SA block")
            }
            block.aead = algorithm
        case "comp":
            block.compression = line.number
            return (.ignored, "IPComp algorithm \(clip(algorithm.name))")
        default:
            guard block.integrity == nil else {
                throw line.error(
                    .syntax, file: file, field: String(line.first),
                    "a second 'auth'/'auth-trunc' line in one SA block")
            }
            block.integrity = algorithm
        }
        let bits = algorithm.bits.map { ", \($0) bits" } ?? ""
        return (.understood, "\(line.first) \(clip(algorithm.name)), key \(algorithm.key.count) bytes" + bits)
    }

    /// `encap type espinudp sport 4500 dport 4500 addr 0.0.0.0`.
    static func encapsulationLine(_ block: inout Block, _ line: DumpLine, file: String) throws -> LineNote? {
        let tokens = line.tokens
        var values: [String: Substring] = [:]
        var i = 1
        while i + 1 < tokens.count {
            values[String(tokens[i])] = tokens[i + 1]
            i += 2
        }
        guard let type = values["type"] else {
            throw line.error(.missingField, file: file, field: "encap", "'encap' without 'type'")
        }
        guard let sportText = values["sport"], let sport = UInt16(sportText) else {
            throw line.error(.badValue, file: file, field: "encap", "'encap' needs 'sport' with a port number")
        }
        guard let dportText = values["dport"], let dport = UInt16(dportText) else {
            throw line.error(.badValue, file: file, field: "encap", "'encap' needs 'dport' with a port number")
        }
        switch type {
        case "espinudp":
            block.encapsulation = UDPPortPair(source: sport, destination: dport)
            return (.understood, "UDP encapsulation (RFC 3948) \(sport) → \(dport)")
        case "espinudp-nonike":
            block.encapsulation = UDPPortPair(source: sport, destination: dport)
            return (
                .warning,
                "UDP encapsulation \(sport) → \(dport) of the old non-IKE-marker draft: packets are read as "
                    + "RFC 3948 ESP-in-UDP"
            )
        case "espintcp":
            return (.warning, "TCP encapsulation (RFC 8229) is not dissected; ports \(sport) → \(dport) are not used")
        default:
            return (.warning, "encapsulation type '\(clip(type))' is not known; ignored")
        }
    }

    /// ` seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0x1`, ` replay_window 128, bitmap-length 4`,
    /// and the bitmap words.
    static func esnSubLine(_ block: inout Block, _ line: DumpLine, file: String) throws -> LineNote {
        let words = line.tokens.map { $0.hasSuffix(",") ? $0.dropLast() : $0 }
        var values: [Substring: Substring] = [:]
        var i = 0
        while i + 1 < words.count {
            values[words[i]] = words[i + 1]
            i += 2
        }
        switch words[0] {
        case "seq-hi":
            var numbers: [UInt32] = []
            for name in ["seq-hi", "seq", "oseq-hi", "oseq"] {
                guard let text = values[Substring(name)], let value = parseNumber32(text) else {
                    throw line.error(
                        .badValue, file: file, field: name,
                        "the ESN context needs '\(name)' with a 32-bit number")
                }
                numbers.append(value)
            }
            block.esnContext = (numbers[0], numbers[1], numbers[2], numbers[3])
            return (
                .understood,
                "ESN counters: seq-hi 0x\(String(numbers[0], radix: 16)), oseq-hi 0x\(String(numbers[2], radix: 16))"
            )
        case "replay_window":
            guard let text = values["replay_window"], let window = UInt32(text) else {
                throw line.error(.badValue, file: file, field: "replay_window", "'replay_window' needs a number")
            }
            block.esnReplayWindow = window
            return (.understood, "ESN replay window \(window)")
        default:
            if line.tokens.allSatisfy({ isHexWord($0) }) { return (.ignored, "replay bitmap") }
            return (.warning, "line not understood in the ESN context ('\(clip(words[0]))'); ignored")
        }
    }

    /// `enc NAME [0xKEY] [(N bits)]`, `auth-trunc NAME 0xKEY [(N bits)] BITS`, `aead NAME 0xKEY [(N bits)] ICV`.
    static func algorithmLine(_ line: DumpLine, file: String) throws -> AlgorithmLine {
        let tokens = line.tokens
        let lineNumber = line.number
        let kind = String(tokens[0])
        func fail(_ code: KeyFileError.Code, _ message: String) -> KeyFileError {
            line.error(code, file: file, field: kind, message)
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
                throw fail(
                    .missingField,
                    "'\(kind)' needs the \(kind == "aead" ? "ICV" : "truncation") length in bits after the key")
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
}
