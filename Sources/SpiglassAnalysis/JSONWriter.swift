import SpiglassWire

/// A minimal streaming JSON object writer: one object per line, keys in insertion order.
struct JSONObject {
    private(set) var text = "{"
    private var first = true

    private mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        text += "\""
        text += name
        text += "\":"
    }

    mutating func string(_ name: String, _ value: String?) {
        key(name)
        if let value { text += JSONObject.quote(value) } else { text += "null" }
    }

    mutating func int<T: BinaryInteger>(_ name: String, _ value: T?) {
        key(name)
        if let value { text += String(value) } else { text += "null" }
    }

    mutating func bool(_ name: String, _ value: Bool) {
        key(name)
        text += value ? "true" : "false"
    }

    mutating func raw(_ name: String, _ json: String) {
        key(name)
        text += json
    }

    mutating func object(_ name: String, _ build: (inout JSONObject) -> Void) {
        var inner = JSONObject()
        build(&inner)
        raw(name, inner.finished)
    }

    var finished: String { text + "}" }

    /// `s` as a JSON string: the one escaping function of the JSON output. Besides what JSON
    /// requires, every code point `DisplayText.needsEscape` names (DEL, C1 controls with NEL,
    /// U+2028/U+2029, bidi and other format characters, unassigned and non-characters) is
    /// written as `\uXXXX` (a surrogate pair past U+FFFF): the value is the same, but a reader
    /// that splits lines on them (Python's `str.splitlines()`) sees one record per line, and
    /// nothing in a record acts on a terminal that shows it.
    static func quote(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        out.append("\"")
        for scalar in s.unicodeScalars {
            if let short = DisplayText.shortEscape(scalar) {
                out.append(contentsOf: short.unicodeScalars)
            } else if DisplayText.needsEscape(scalar) {
                for unit in String(scalar).utf16 { appendEscape(unit, to: &out) }
            } else {
                out.append(scalar)
            }
        }
        out.append("\"")
        return String(out)
    }

    /// "\u" and four hex digits.
    private static func appendEscape(_ unit: UInt16, to out: inout String.UnicodeScalarView) {
        out.append(contentsOf: "\\u".unicodeScalars)
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(DisplayText.hexDigits[Int(unit >> UInt16(shift)) & 0xf])
        }
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
}
