import SpiglassAnalysis
import SpiglassWire

/// The fuzz targets' output oracle: whatever the input, no report may carry a raw code point
/// that a terminal acts on or that breaks a line (`DisplayText.needsEscape`: C0 and C1
/// controls, DEL, bidi and other format characters, U+2028/U+2029, unassigned...), other than
/// the newline that ends each line, nor more than `DisplayText.maxCombiningMarks` combining
/// marks in a row; and every JSON line is one well-formed JSON object. A breach traps, which
/// libFuzzer reports as a crash (and `swift test` as a crashed suite) with the input.
public enum OutputOracle {
    /// Checks one piece of text output (any number of whole or partial lines).
    public static func checkText(_ text: String, context: StaticString) {
        var marks = 0
        for scalar in text.unicodeScalars where scalar != "\n" {
            if DisplayText.needsEscape(scalar) {
                preconditionFailure(
                    "\(context): raw U+\(String(scalar.value, radix: 16)) in the output: \(text.debugDescription)")
            }
            marks = DisplayText.isCombiningMark(scalar) ? marks + 1 : 0
            if marks > DisplayText.maxCombiningMarks {
                preconditionFailure("\(context): more than \(DisplayText.maxCombiningMarks) combining marks in a row")
            }
        }
    }

    /// Checks JSON output: the text checks, and each line one JSON object.
    public static func checkJSON(_ text: String) {
        checkText(text, context: "JSON")
        for line in text.split(separator: "\n") {
            var parser = JSONSyntax(Array(line.utf8))
            guard parser.object(), parser.atEnd else {
                preconditionFailure("JSON: not one well-formed object: \(String(line).debugDescription)")
            }
        }
    }

    /// A report sink that checks everything written to it, then forgets it.
    public final class Sink: OutputSink {
        let json: Bool
        private var pending = ""

        public init(json: Bool) { self.json = json }

        public func write(_ text: String) {
            pending += text
            // Whole lines are checked as they come, so that memory stays small.
            guard let lastNewline = pending.lastIndex(of: "\n") else { return }
            let lines = String(pending[...lastNewline])
            pending = String(pending[pending.index(after: lastNewline)...])
            if json { checkJSON(lines) } else { checkText(lines, context: "text") }
        }

        public func flush() {
            guard !pending.isEmpty else { return }
            if json { checkJSON(pending) } else { checkText(pending, context: "text") }
            pending = ""
        }

        deinit { flush() }
    }
}

/// A recursive-descent recogniser of RFC 8259 JSON (no values kept), for the oracle. Depth is
/// bounded: the reports nest a few levels.
struct JSONSyntax {
    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d { position += 1 }
    }

    private mutating func expect(_ c: UInt8) -> Bool {
        guard current == c else { return false }
        position += 1
        return true
    }

    mutating func object() -> Bool {
        skipSpace()
        guard expect(UInt8(ascii: "{")), depth < 64 else { return false }
        depth += 1
        defer { depth -= 1 }
        skipSpace()
        if expect(UInt8(ascii: "}")) { return true }
        repeat {
            skipSpace()
            guard string() else { return false }
            skipSpace()
            guard expect(UInt8(ascii: ":")), value() else { return false }
            skipSpace()
        } while expect(UInt8(ascii: ","))
        return expect(UInt8(ascii: "}"))
    }

    private mutating func array() -> Bool {
        guard expect(UInt8(ascii: "[")), depth < 64 else { return false }
        depth += 1
        defer { depth -= 1 }
        skipSpace()
        if expect(UInt8(ascii: "]")) { return true }
        repeat {
            guard value() else { return false }
            skipSpace()
        } while expect(UInt8(ascii: ","))
        return expect(UInt8(ascii: "]"))
    }

    private mutating func value() -> Bool {
        skipSpace()
        switch current {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number()
        }
    }

    private mutating func literal(_ word: String) -> Bool {
        for c in word.utf8 { guard expect(c) else { return false } }
        return true
    }

    private mutating func digits() -> Int {
        var count = 0
        while let c = current, c >= 0x30 && c <= 0x39 {
            position += 1
            count += 1
        }
        return count
    }

    private mutating func number() -> Bool {
        _ = expect(UInt8(ascii: "-"))
        if expect(UInt8(ascii: "0")) {
            // No leading zeros.
        } else if digits() == 0 {
            return false
        }
        if expect(UInt8(ascii: ".")) { guard digits() > 0 else { return false } }
        if expect(UInt8(ascii: "e")) || expect(UInt8(ascii: "E")) {
            if !expect(UInt8(ascii: "+")) { _ = expect(UInt8(ascii: "-")) }
            guard digits() > 0 else { return false }
        }
        return true
    }

    private mutating func string() -> Bool {
        guard expect(UInt8(ascii: "\"")) else { return false }
        while let c = current {
            position += 1
            switch c {
            case UInt8(ascii: "\""):
                return true
            case UInt8(ascii: "\\"):
                guard let escape = current else { return false }
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    for _ in 0..<4 {
                        guard let h = current, Hex.digitValue(h) != nil else { return false }
                        position += 1
                    }
                default:
                    return false
                }
            default:
                // RFC 8259 7: control characters must be escaped.
                if c < 0x20 { return false }
            }
        }
        return false
    }
}
