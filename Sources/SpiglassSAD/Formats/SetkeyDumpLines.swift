import SpiglassWire

/// The lines of a `setkey -D` dump, one handler per keyword (`SetkeyDumpParser`).
extension SetkeyDumpParser {
    /// Which key a continuation line extends.
    enum Continuation { case none, encryption, integrity }

    /// A dump being read: the keys so far, and the SA or policy block the next lines belong to.
    struct Reader: BlockDumpReader {
        let file: String
        var keys = KeySet()
        var block: Block? = nil
        /// A `setkey -DP` policy block, read by `SetkeyPolicyBlock`.
        var policy: SetkeyPolicyBlock? = nil
        var continuation = Continuation.none
        var blocks = 0

        init(file: String) { self.file = file }

        mutating func read(_ line: DumpLine) throws {
            if readCommentLine(line) { return }
            guard SetkeyDumpParser.startsIndented(line.text) else {
                try SetkeyDumpParser.header(&self, line)
                return
            }
            if try readPolicyLine(line) { return }
            guard block != nil else {
                throw line.error(.syntax, file: file, "indented line before any 'SOURCE DESTINATION' line")
            }
            if try SetkeyDumpParser.continueKey(&self, line) { return }
            continuation = .none
            let handler =
                SetkeyDumpParser.isSATypeLine(line.tokens)
                ? SetkeyDumpParser.saTypeLine : SetkeyDumpParser.indentedLines[keyword(line.first)]
            try (handler ?? SetkeyDumpParser.notUnderstood)(&self, line)
        }

        /// Ends the last block at the end of the dump.
        mutating func endBlocks() throws {
            if let done = block { try SetkeyDumpParser.finish(done, file: file, into: &keys) }
            block = nil
            continuation = .none
            if let done = policy { try SetkeyPolicyBlock.finish(done, into: &keys) }
            policy = nil
        }

        /// What selects a line's handler: the word, or for `name=value` words the `name=`.
        private func keyword(_ word: Substring) -> Substring {
            guard let equals = word.firstIndex(of: "=") else { return word }
            return word[...equals]
        }
    }

    typealias LineHandler = @Sendable (inout Reader, DumpLine) throws -> Void

    /// The handlers of an SA block's indented lines, by their first word (`Reader.keyword`).
    static let indentedLines: [Substring: LineHandler] = {
        var table: [Substring: LineHandler] = [
            "E:": { try keyLine(&$0, $1, field: "E") },
            "A:": { try keyLine(&$0, $1, field: "A") },
            "C:": { reader, line in
                reader.block!.compression = line.number
                reader.note(.ignored, line, "IPComp algorithm \(line.tokens.count > 1 ? clip(line.tokens[1]) : "")")
            },
            "seq=": sequenceLine,
        ]
        for word: Substring in ["NAT:", "NAT-T:"] {
            table[word] = { $0.note(.ignored, $1, "NAT-T original addresses") }
        }
        for word: Substring in ["created:", "current:", "diff:", "last:", "allocated:", "hard:", "soft:"] {
            table[word] = { $0.note(.ignored, $1, "lifetime") }
        }
        for word: Substring in ["sadb_seq=", "refcnt=", "pid="] {
            table[word] = { $0.note(.ignored, $1, "PF_KEY message counters") }
        }
        return table
    }()

    static func notUnderstood(_ reader: inout Reader, _ line: DumpLine) {
        reader.note(.warning, line, "line not understood ('\(clip(line.first))'); ignored")
    }

    // MARK: - Block boundaries

    /// An unindented line: ends the block before it and starts an SA or a policy block.
    static func header(_ reader: inout Reader, _ line: DumpLine) throws {
        let tokens = line.tokens
        let file = reader.file
        if tokens == ["No", "SAD", "entries."] || tokens == ["No", "SPD", "entries."] {
            reader.note(.ignored, line, "empty dump")
            return
        }
        try reader.endBlocks()
        if SetkeyPolicyBlock.isHeader(tokens) {
            try XfrmPolicyBlock.checkCount(reader.keys, file: file, line: line.number)
            reader.policy = try SetkeyPolicyBlock(
                header: tokens, line: line.number, file: file,
                noteIndex: reader.keys.notes.count)
            reader.note(.understood, line, "policy")
            return
        }
        guard let (source, destination, ports) = headerAddresses(tokens) else {
            throw line.error(
                .syntax, file: file,
                "expected 'SOURCE DESTINATION' addresses to start an SA (setkey -D "
                    + "output), got '\(clip(line.text.trimmingCharacters(in: .whitespaces)))'")
        }
        reader.blocks += 1
        guard reader.blocks <= KeyFileLimits.maxSAs else {
            throw line.error(.tooLarge, file: file, "more than \(KeyFileLimits.maxSAs) SAs")
        }
        reader.block = Block(
            headerLine: line.number, source: source, destination: destination, ports: ports,
            noteIndex: reader.keys.notes.count)
        reader.note(.understood, line, "SA \(source) → \(destination)")
    }

    // MARK: - Keys

    /// A key longer than 32 bytes continues on the next line, which starts with a space. True
    /// when this line was one.
    static func continueKey(_ reader: inout Reader, _ line: DumpLine) throws -> Bool {
        guard reader.continuation != .none, line.text.first == " ", line.tokens.allSatisfy({ isHexWord($0) }) else {
            return false
        }
        let encryption = reader.continuation == .encryption
        guard let bytes = decodeHexWords(line.tokens) else {
            throw line.error(
                .badValue, file: reader.file, field: encryption ? "E" : "A",
                "key words must have an even number of hex digits")
        }
        if encryption {
            reader.block!.encryption!.key += bytes
            reader.note(
                .understood, line,
                "encryption key continued (\(reader.block!.encryption!.key.count) bytes so far)")
        } else {
            reader.block!.integrity!.key += bytes
            reader.note(
                .understood, line,
                "authentication key continued (\(reader.block!.integrity!.key.count) bytes so far)")
        }
        return true
    }

    /// `E: NAME WORDS…` and `A: NAME WORDS…`.
    static func keyLine(_ reader: inout Reader, _ line: DumpLine, field: String) throws {
        let tokens = line.tokens
        let word = String(line.first)
        let file = reader.file
        guard tokens.count >= 2 else {
            throw line.error(.missingField, file: file, field: field, "'\(word)' without an algorithm name")
        }
        guard let key = decodeHexWords(tokens.dropFirst(2)) else {
            throw line.error(
                .badValue, file: file, field: field,
                "the key must be hex words (e.g. 'deadbeef 01234567')")
        }
        let keyLine = KeyLine(line: line.number, field: field, name: String(tokens[1]), key: key)
        if field == "E" {
            guard reader.block!.encryption == nil else {
                throw line.error(.syntax, file: file, field: field, "a second 'E:' line in one SA block")
            }
            reader.block!.encryption = keyLine
            reader.continuation = .encryption
            reader.note(.understood, line, "encryption \(clip(keyLine.name)), key \(key.count) bytes")
        } else {
            guard reader.block!.integrity == nil else {
                throw line.error(.syntax, file: file, field: field, "a second 'A:' line in one SA block")
            }
            reader.block!.integrity = keyLine
            reader.continuation = .integrity
            reader.note(.understood, line, "authentication \(clip(keyLine.name)), key \(key.count) bytes")
        }
    }

    // MARK: - SA type and counters

    static func isSATypeLine(_ tokens: [Substring]) -> Bool {
        satypes[String(tokens[0])] != nil || (tokens.count >= 2 && tokens[1].hasPrefix("mode="))
    }

    /// `esp mode=tunnel spi=135040102(0x080c8c66) reqid=16395(0x0000400b)`.
    static func saTypeLine(_ reader: inout Reader, _ line: DumpLine) throws {
        let word = String(line.first)
        let file = reader.file
        guard reader.block!.saLine == nil else {
            throw line.error(.syntax, file: file, field: word, "a second SA type line in one block")
        }
        guard satypes[word] != nil else {
            throw line.error(
                .badValue, file: file, field: "satype",
                "'\(clip(word))' is not an SA type (esp, ah, ipcomp)")
        }
        reader.block!.saLine = line.number
        reader.block!.satype = word
        var unknown: [String] = []
        for token in line.tokens.dropFirst() {
            guard let eq = token.firstIndex(of: "=") else {
                unknown.append(clip(token))
                continue
            }
            if try !saTypeField(
                &reader.block!, String(token[..<eq]), token[token.index(after: eq)...], line: line,
                file: file)
            {
                unknown.append(clip(token))
            }
        }
        var message = "SA type \(word)"
        if let spi = reader.block!.spi { message += ", spi 0x\(hex32(spi))" }
        if let mode = reader.block!.mode { message += ", mode \(mode.rawValue)" }
        reader.note(
            unknown.isEmpty ? .understood : .warning, line,
            message + (unknown.isEmpty ? "" : "; \(unknown.count) word(s) not understood"))
    }

    /// One `name=value` of the SA type line; false when the name is not one of them.
    private static func saTypeField(
        _ block: inout Block, _ name: String, _ value: Substring, line: DumpLine,
        file: String
    ) throws -> Bool {
        switch name {
        case "mode":
            switch value {
            case "tunnel": block.mode = .tunnel
            case "transport": block.mode = .transport
            case "any": block.mode = nil
            default:
                throw line.error(
                    .badValue, file: file, field: "mode",
                    "'\(clip(value))' is not tunnel, transport or any")
            }
        case "spi":
            guard let spi = parseDualNumber(value) else {
                throw line.error(
                    .badValue, file: file, field: "spi",
                    "'\(clip(value))' is not a 32-bit SPI (decimal(0xhex))")
            }
            block.spi = spi
        case "reqid":
            guard parseDualNumber(value) != nil else {
                throw line.error(.badValue, file: file, field: "reqid", "'\(clip(value))' is not a 32-bit number")
            }
        default:
            return false
        }
        return true
    }

    /// `seq=0x00000b9c replay=4 flags=0x00000000 state=mature`. A word without '=' ends the
    /// line's reading, without a note.
    static func sequenceLine(_ reader: inout Reader, _ line: DumpLine) throws {
        let file = reader.file
        var parts: [String] = []
        for token in line.tokens {
            guard let eq = token.firstIndex(of: "=") else { return }
            let value = token[token.index(after: eq)...]
            switch token[..<eq] {
            case "replay":
                guard let window = UInt32(value) else {
                    throw line.error(.badValue, file: file, field: "replay", "'\(clip(value))' is not a number")
                }
                reader.block!.replayWindow = window
                parts.append("replay window \(window)")
            case "flags":
                guard value.hasPrefix("0x"), let flags = UInt32(value.dropFirst(2), radix: 16) else {
                    throw line.error(.badValue, file: file, field: "flags", "'\(clip(value))' is not 0x-prefixed hex")
                }
                // SADB_X_SAFLAGS_ESN.
                if flags & 0x400 != 0 {
                    reader.block!.esn = true
                    parts.append("extended sequence numbers")
                }
            case "state":
                reader.block!.state = String(value)
                parts.append("state \(clip(value))")
            case "seq":
                guard value.hasPrefix("0x"), UInt32(value.dropFirst(2), radix: 16) != nil else {
                    throw line.error(.badValue, file: file, field: "seq", "'\(clip(value))' is not 0x-prefixed hex")
                }
            default:
                break
            }
        }
        reader.note(.understood, line, parts.isEmpty ? "sequence and state" : parts.joined(separator: ", "))
    }
}
