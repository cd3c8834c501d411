import SpiglassWire

/// The members of one JSON object on one line, as log writers emit them (journalctl -o json,
/// strongSwan's JSON filelog): strings, numbers, and arrays of byte values (journald's form
/// of a field that is not printable UTF-8). Nested objects and other arrays are skipped.
/// Untrusted text: every index is checked, nesting is bounded, and anything malformed gives
/// nil rather than a partial object.
struct FlatJSONObject {
    enum Value: Equatable {
        case string(String)
        case number(Substring)
        case bytes([UInt8])
        case other
    }

    private(set) var members: [String: Value] = [:]

    /// The member as text: a string, a number's digits, or byte values read as UTF-8.
    func text(_ key: String) -> String? {
        switch members[key] {
        case .string(let s)?: return s
        case .number(let n)?: return String(n)
        case .bytes(let b)?: return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }

    func integer(_ key: String) -> Int? {
        guard let text = text(key), text.utf8.count <= 18 else { return nil }
        return Int(text)
    }

    /// Nested arrays or objects deeper than this are not log records.
    static let maxDepth = 16

    init?(_ line: Substring) {
        var reader = Reader(bytes: Array(line.utf8))
        reader.skipBlanks()
        guard reader.take(UInt8(ascii: "{")) else { return nil }
        reader.skipBlanks()
        if reader.take(UInt8(ascii: "}")) {
            reader.skipBlanks()
            guard reader.atEnd else { return nil }
            return
        }
        while true {
            reader.skipBlanks()
            guard let key = reader.string() else { return nil }
            reader.skipBlanks()
            guard reader.take(UInt8(ascii: ":")) else { return nil }
            reader.skipBlanks()
            guard let value = reader.value(depth: 0) else { return nil }
            members[key] = value
            reader.skipBlanks()
            if reader.take(UInt8(ascii: ",")) { continue }
            guard reader.take(UInt8(ascii: "}")) else { return nil }
            reader.skipBlanks()
            guard reader.atEnd else { return nil }
            return
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index >= bytes.count }

        mutating func skipBlanks() {
            while index < bytes.count,
                bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0d || bytes[index] == 0x0a
            {
                index += 1
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func value(depth: Int) -> Value? {
            guard index < bytes.count, depth < FlatJSONObject.maxDepth else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""): return string().map(Value.string)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "{"): return skipObject(depth: depth) ? .other : nil
            case UInt8(ascii: "t"): return literal("true") ? .other : nil
            case UInt8(ascii: "f"): return literal("false") ? .other : nil
            case UInt8(ascii: "n"): return literal("null") ? .other : nil
            default: return number()
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for i in 0..<count where bytes[index + i] != word.utf8Start[i] { return false }
            index += count
            return true
        }

        mutating func number() -> Value? {
            let start = index
            while index < bytes.count,
                (bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9"))
                    || bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+")
                    || bytes[index] == UInt8(ascii: ".")
                    || bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")
            {
                index += 1
            }
            guard index > start else { return nil }
            return .number(Substring(String(decoding: bytes[start..<index], as: UTF8.self)))
        }

        /// An array of byte values (0…255) is journald's blob; any other array is skipped.
        mutating func array(depth: Int) -> Value? {
            index += 1
            var values: [UInt8] = []
            var onlyBytes = true
            skipBlanks()
            if take(UInt8(ascii: "]")) { return .bytes([]) }
            while true {
                skipBlanks()
                guard let element = value(depth: depth + 1) else { return nil }
                if case .number(let digits) = element, let byte = UInt8(digits) {
                    values.append(byte)
                } else {
                    onlyBytes = false
                }
                skipBlanks()
                if take(UInt8(ascii: ",")) { continue }
                guard take(UInt8(ascii: "]")) else { return nil }
                return onlyBytes ? .bytes(values) : .other
            }
        }

        mutating func skipObject(depth: Int) -> Bool {
            index += 1
            skipBlanks()
            if take(UInt8(ascii: "}")) { return true }
            while true {
                skipBlanks()
                guard string() != nil else { return false }
                skipBlanks()
                guard take(UInt8(ascii: ":")) else { return false }
                skipBlanks()
                guard value(depth: depth + 1) != nil else { return false }
                skipBlanks()
                if take(UInt8(ascii: ",")) { continue }
                return take(UInt8(ascii: "}"))
            }
        }

        /// A string with its escapes decoded (\uXXXX with surrogate pairs; a lone surrogate
        /// becomes U+FFFD).
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            var out: [UInt8] = []
            while index < bytes.count {
                let c = bytes[index]
                index += 1
                if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
                guard c == UInt8(ascii: "\\") else {
                    out.append(c)
                    continue
                }
                guard index < bytes.count else { return nil }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    {
                        let saved = index
                        index += 2
                        if let low = hex4(), (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = saved
                        }
                    }
                    out.append(contentsOf: Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8))
                default: out.append(e)  // \" \\ \/
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = Hex.digitValue(bytes[index]) else { return nil }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }
    }
}
