/// Text from outside (packets, capture and key files) made safe to show on a terminal: the one
/// escaping function every text output uses for such text. A capture can carry any bytes in an
/// identity, a vendor ID or a banner, and a terminal acts on some of them: C0 and C1 controls
/// (ESC and CSI sequences set window titles, clear screens, recolour text), bidirectional
/// overrides reorder what is shown, line and paragraph separators break records, and stacked
/// combining marks smear one character over many lines. So every code point that is not plainly
/// printable is shown as a visible escape, and the escapes themselves stay unambiguous:
///
/// - `\\` and `\"` for a backslash and a double quote;
/// - `\n`, `\r`, `\t`, and `\xNN` for the other C0 controls, DEL, and bytes that are not UTF-8;
/// - `\u{NNNN}` for C1 controls (U+0080-U+009F, NEL among them), format characters (bidi
///   controls U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C, zero-width characters),
///   U+2028/U+2029, spaces other than U+0020, private-use, unassigned and non-characters, and
///   combining marks past `maxCombiningMarks` in a row.
///
/// JSON has its own function (`JSONObject.quote` in SpiglassAnalysis), which writes the same
/// code points as `\uXXXX`.
public enum DisplayText {
    /// Combining marks shown after one base character; further ones in the same run are escaped.
    /// Real scripts stack at most three (Vietnamese, Thai, Devanagari).
    public static let maxCombiningMarks = 4

    /// Characters of escaped text a report line shows of one value (`clipped`).
    public static let defaultLimit = 200

    /// Whether `scalar` is shown as an escape rather than as itself.
    @inline(__always)
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20...0x7e: return false
        case 0..<0x20, 0x7f...0x9f: return true
        default: break
        }
        let properties = scalar.properties
        if properties.isNoncharacterCodePoint { return true }
        switch properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .privateUse, .surrogate,
            .unassigned:
            return true
        default:
            return false
        }
    }

    public static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.value >= 0x300 else { return false }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// `text` with every code point escaped that `needsEscape` names (see the type's comment).
    public static func escaped(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var marks = 0
        for scalar in text.unicodeScalars { append(scalar, to: &out, marks: &marks) }
        return String(out)
    }

    /// Bytes meant as UTF-8 text: each byte that is not part of a valid UTF-8 sequence as
    /// `\xNN`, the code points as `escaped` shows them.
    public static func escaped<C: Collection>(bytes: C) -> String where C.Element == UInt8 {
        var out = String.UnicodeScalarView()
        var marks = 0
        var rest = bytes[...]
        while !rest.isEmpty {
            if let (scalar, length) = decodeScalar(rest) {
                append(scalar, to: &out, marks: &marks)
                rest = rest.dropFirst(length)
            } else {
                appendHex(rest.first!, to: &out)
                marks = 0
                rest = rest.dropFirst()
            }
        }
        return String(out)
    }

    /// The bytes as escaped text when they read as text: valid UTF-8 (ASCII only with `ascii`,
    /// for opaque values that often hold text, such as key IDs and vendor IDs, where two random
    /// bytes would too often pass for a letter), not empty, and at most a quarter of the code
    /// points escaped. Nil otherwise: such bytes are better shown as hex.
    public static func readable(_ bytes: [UInt8], ascii: Bool = false) -> String? {
        guard !bytes.isEmpty, !ascii || bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        var rest = bytes[...]
        var scalars = 0
        var escapes = 0
        while !rest.isEmpty {
            guard let (scalar, length) = decodeScalar(rest) else { return nil }
            scalars += 1
            if needsEscape(scalar) { escapes += 1 }
            rest = rest.dropFirst(length)
        }
        guard escapes * 4 <= scalars else { return nil }
        return escaped(bytes: bytes)
    }

    /// Escaped text cut to `limit` characters (code points), never inside an escape, followed
    /// by "…[N characters in all]" when cut. The whole value is in the JSON output.
    public static func clipped(_ text: String, limit: Int = defaultLimit) -> String {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count > limit else { return text }
        var kept = 0
        while kept < scalars.count {
            let length = escapeLength(scalars, at: kept)
            guard kept + length <= limit else { break }
            kept += length
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[0..<kept])
        return String(out) + "…[\(scalars.count) characters in all]"
    }

    /// Code points of the escape (or the single code point) at `index` of escaped text.
    public static func escapeLength(_ scalars: [Unicode.Scalar], at index: Int) -> Int {
        guard scalars[index] == "\\", index + 1 < scalars.count else { return 1 }
        switch scalars[index + 1] {
        case "x":
            return min(4, scalars.count - index)
        case "u":
            var end = index + 2
            while end < scalars.count && scalars[end] != "}" { end += 1 }
            return min(end + 1, scalars.count) - index
        default:
            // "\\", "\"", "\n" and RFC 4514's "\," and the like.
            return 2
        }
    }

    // MARK: - the pieces

    public static let hexDigits: [Unicode.Scalar] = Array("0123456789abcdef".unicodeScalars)

    /// The escapes text and JSON share: a backslash, a double quote, newline, return and tab
    /// as `\\`, `\"`, `\n`, `\r`, `\t`; nil for any other code point.
    @inline(__always)
    public static func shortEscape(_ scalar: Unicode.Scalar) -> String? {
        switch scalar {
        case "\\": return "\\\\"
        case "\"": return "\\\""
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        default: return nil
        }
    }

    /// Appends `scalar`, escaped when it must be; `marks` counts the combining marks in a row.
    @inline(__always)
    static func append(_ scalar: Unicode.Scalar, to out: inout String.UnicodeScalarView, marks: inout Int) {
        if let short = shortEscape(scalar) {
            out.append(contentsOf: short.unicodeScalars)
        } else if scalar.value < 0x20 || scalar.value == 0x7f {
            appendHex(UInt8(scalar.value), to: &out)
        } else if needsEscape(scalar) {
            appendUnicode(scalar, to: &out)
        } else if isCombiningMark(scalar) {
            marks += 1
            if marks > maxCombiningMarks { appendUnicode(scalar, to: &out) } else { out.append(scalar) }
            return
        } else {
            out.append(scalar)
        }
        marks = 0
    }

    static func appendHex(_ byte: UInt8, to out: inout String.UnicodeScalarView) {
        out.append(contentsOf: "\\x".unicodeScalars)
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 0xf)])
    }

    static func appendUnicode(_ scalar: Unicode.Scalar, to out: inout String.UnicodeScalarView) {
        out.append(contentsOf: "\\u{".unicodeScalars)
        out.append(contentsOf: String(scalar.value, radix: 16).unicodeScalars)
        out.append("}")
    }

    /// The code point that `bytes` start with and its length in bytes, when they start with a
    /// well-formed UTF-8 sequence (no overlong forms, no surrogates, nothing past U+10FFFF).
    static func decodeScalar<S: Collection>(_ bytes: S) -> (Unicode.Scalar, Int)? where S.Element == UInt8 {
        var iterator = bytes.makeIterator()
        guard let lead = iterator.next() else { return nil }
        let length: Int
        var value: UInt32
        switch lead {
        case 0x00...0x7f: return (Unicode.Scalar(lead), 1)
        case 0xc2...0xdf:
            length = 2
            value = UInt32(lead & 0x1f)
        case 0xe0...0xef:
            length = 3
            value = UInt32(lead & 0x0f)
        case 0xf0...0xf4:
            length = 4
            value = UInt32(lead & 0x07)
        default: return nil
        }
        for _ in 1..<length {
            guard let byte = iterator.next(), byte & 0xc0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3f)
        }
        let minimum: UInt32 = length == 3 ? 0x800 : length == 4 ? 0x10000 : 0x80
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}
