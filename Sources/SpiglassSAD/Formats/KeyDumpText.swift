import SpiglassWire

/// Text helpers shared by the dump and secrets parsers: conforming parsers get them as their
/// own static functions.
protocol KeyDumpText {}

extension KeyDumpText {
    /// Calls `body` with each non-blank line of a dump (1-based number, text without CR or
    /// BOM, blank-separated tokens), refusing lines past the length limit.
    static func forEachDumpLine(_ text: String, file: String,
                                _ body: (_ lineNumber: Int, _ line: String, _ tokens: [Substring]) throws -> Void) throws {
        var lineNumber = 0
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard rawLine.count <= KeyFileLimits.maxLineBytes else {
                throw KeyFileError(.tooLarge, file: file, line: lineNumber, "line longer than \(KeyFileLimits.maxLineBytes) bytes")
            }
            var line = String(decoding: rawLine, as: UTF8.self)
            if line.hasSuffix("\r") { line.removeLast() }
            if lineNumber == 1, line.hasPrefix("\u{feff}") { line.removeFirst() }
            let tokens = tokenize(line)
            guard !tokens.isEmpty else { continue }
            try body(lineNumber, line, tokens)
        }
    }

    /// Shape test of block dumps (xfrm, setkey): the first meaningful line is a header that
    /// `isHeader` accepts, and the next one is indented and accepted by `isBody`. Reads at
    /// most the first few lines. `accept` short-cuts a first line that settles it alone.
    static func looksLikeBlocks(_ text: String, accept: ([Substring]) -> Bool = { _ in false },
                                isHeader: ([Substring]) -> Bool, isBody: ([Substring]) -> Bool) -> Bool {
        var seenHeader = false
        var examined = 0
        for raw in text.utf8.prefix(1 << 16).split(separator: UInt8(ascii: "\n"), maxSplits: 64, omittingEmptySubsequences: true) {
            let line = String(decoding: raw.prefix(4096), as: UTF8.self)
            let tokens = tokenize(line)
            guard let first = tokens.first else { continue }
            if first.hasPrefix("#") { continue }
            examined += 1
            if examined > 8 { return false }
            if !seenHeader {
                if accept(tokens) { return true }
                guard !startsIndented(line), isHeader(tokens) else { return false }
                seenHeader = true
            } else {
                return startsIndented(line) && isBody(tokens)
            }
        }
        return false
    }

    static func tokenize(_ line: String) -> [Substring] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
    }

    static func startsIndented(_ line: String) -> Bool {
        guard let c = line.first else { return false }
        return c == "\t" || c == " "
    }

    /// Hex words, each an even number of digits, concatenated; nil on any other character.
    static func decodeHexWords<C: Collection>(_ words: C) -> [UInt8]? where C.Element == Substring {
        var bytes: [UInt8] = []
        for word in words {
            let digits = Array(word.utf8)
            guard digits.count % 2 == 0 else { return nil }
            bytes.reserveCapacity(bytes.count + digits.count / 2)
            var i = 0
            while i + 1 < digits.count {
                guard let high = Hex.digitValue(digits[i]), let low = Hex.digitValue(digits[i + 1]) else { return nil }
                bytes.append(high << 4 | low)
                i += 2
            }
        }
        return bytes
    }

    static func hex32(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    static func hex64(_ value: UInt64) -> String { value.ikeSPIHex }

    /// Refers to user text in messages by its length only (`KeyMaterial.redacted`).
    static func clip<S: StringProtocol>(_ text: S) -> String {
        KeyMaterial.redacted(text)
    }

    static func redacted<S: StringProtocol>(_ text: S) -> String {
        KeyMaterial.redacted(text)
    }
}
