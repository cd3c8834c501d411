import SpiglassWire

/// Text helpers shared by the dump and secrets parsers: conforming parsers get them as their
/// own static functions.
protocol KeyDumpText {}

extension KeyDumpText {
    /// Calls `body` with each non-blank line of a dump, refusing lines past the length limit.
    static func forEachDumpLine(_ text: String, file: String, _ body: (DumpLine) throws -> Void) throws {
        try forEachDumpLine(text, file: file) { number, line, tokens in
            try body(DumpLine(number: number, text: line, tokens: tokens))
        }
    }

    /// Calls `body` with each non-blank line of a dump (1-based number, text without CR or
    /// BOM, blank-separated tokens), refusing lines past the length limit.
    static func forEachDumpLine(
        _ text: String, file: String,
        _ body: (_ lineNumber: Int, _ line: String, _ tokens: [Substring]) throws -> Void
    ) throws {
        var lineNumber = 0
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard rawLine.count <= KeyFileLimits.maxLineBytes else {
                throw KeyFileError(
                    .tooLarge, file: file, line: lineNumber, "line longer than \(KeyFileLimits.maxLineBytes) bytes")
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
    static func looksLikeBlocks(
        _ text: String, accept: ([Substring]) -> Bool = { _ in false },
        isHeader: ([Substring]) -> Bool, isBody: ([Substring]) -> Bool
    ) -> Bool {
        var seenHeader = false
        var examined = 0
        for raw in text.utf8.prefix(1 << 16).split(
            separator: UInt8(ascii: "\n"), maxSplits: 64, omittingEmptySubsequences: true)
        {
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

    /// An SA block's note once it is read (xfrm, setkey): protocol, SPI, addresses,
    /// algorithms, mode and UDP ports; the format adds what it says of ESN.
    static func blockSummary(_ sa: SecurityAssociation, spi: UInt32, source: IPAddress, destination: IPAddress)
        -> String
    {
        var summary = "\(sa.ipsecProtocol.rawValue.uppercased()) SA spi=0x\(hex32(spi)) \(source) → \(destination) "
        summary += sa.ipsecProtocol == .ah ? sa.integrity.name : sa.algorithmDescription
        if let mode = sa.mode { summary += " \(mode.rawValue)" }
        if let ports = sa.encapsulationPorts { summary += " udp \(ports.source)→\(ports.destination)" }
        return summary
    }

    static func hex32(_ value: UInt32) -> String { SPI(value).hexDigits }

    static func hex64(_ value: UInt64) -> String { value.ikeSPIHex }

    /// Refers to user text in messages by its length only (`KeyMaterial.redacted`).
    static func clip<S: StringProtocol>(_ text: S) -> String {
        KeyMaterial.redacted(text)
    }

    static func redacted<S: StringProtocol>(_ text: S) -> String {
        KeyMaterial.redacted(text)
    }
}

/// One non-blank line of a dump, as `forEachDumpLine` gives it to a line handler.
struct DumpLine {
    /// 1-based.
    let number: Int
    let text: String
    /// Blank-separated, never empty.
    let tokens: [Substring]

    var first: Substring { tokens[0] }

    /// An error about this line.
    func error(_ code: KeyFileError.Code, file: String, field: String? = nil, _ message: String) -> KeyFileError {
        KeyFileError(code, file: file, line: number, field: field, message)
    }
}

/// A policy block of a dump (`ip xfrm policy`, `setkey -DP`), which reads its own indented lines.
protocol DumpPolicyBlock {
    mutating func add(_ tokens: [Substring], line: Int) throws -> (KeyFileNote.Kind, String)
}

extension XfrmPolicyBlock: DumpPolicyBlock {}
extension SetkeyPolicyBlock: DumpPolicyBlock {}

/// What the readers of block dumps (xfrm, setkey) share: the keys so far with a note per line,
/// and the policy block the next indented lines may belong to.
protocol BlockDumpReader {
    associatedtype Policy: DumpPolicyBlock
    var file: String { get }
    var keys: KeySet { get set }
    var policy: Policy? { get set }
}

extension BlockDumpReader {
    mutating func note(_ kind: KeyFileNote.Kind, _ line: DumpLine, _ message: String) {
        keys.notes.append(KeyFileNote(kind, file: file, line: line.number, message))
    }

    /// A `#` comment line, noted as ignored; false for any other line.
    mutating func readCommentLine(_ line: DumpLine) -> Bool {
        guard line.first.hasPrefix("#") else { return false }
        note(.ignored, line, "comment")
        return true
    }

    /// An indented line of the open policy block; false when no policy block is open.
    mutating func readPolicyLine(_ line: DumpLine) throws -> Bool {
        guard policy != nil else { return false }
        let (kind, message) = try policy!.add(line.tokens, line: line.number)
        note(kind, line, message)
        return true
    }
}
