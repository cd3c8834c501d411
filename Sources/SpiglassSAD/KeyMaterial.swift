import SpiglassWire

/// Key strings as users write them: "0x" + hex digits, or (Wireshark) raw ASCII text. Keys
/// are decoded straight into `SecretBytes`, with no intermediate array.
enum KeyMaterial {
    /// Wireshark's rule: "0x…" is hex (an odd digit count gets a leading 0), anything else is
    /// the ASCII bytes of the string itself; "" and "0x" are empty keys.
    static func wireshark(_ text: String) -> SecretBytes? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            return hex(text.dropFirst(2))
        }
        return SecretBytes(text.utf8)
    }

    /// Native rule: "0x…" or bare hex digits (':' separators allowed); ASCII only when quoted,
    /// which the tokenizer has already removed and flagged.
    static func native(_ text: String, quoted: Bool) -> SecretBytes? {
        if quoted { return SecretBytes(text.utf8) }
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return hex(text.dropFirst(2)) }
        return hex(Substring(text))
    }

    /// Hex digits as `Hex.decode` reads them (':' allowed between them, an odd count read
    /// with a leading 0), decoded into `SecretBytes`; nil on any other character. `strict`
    /// takes an even number of digits and no separators, as `Hex.decodeStrict`.
    static func hex(_ text: Substring, strict: Bool = false) -> SecretBytes? {
        var digits = 0
        for c in text.utf8 {
            if Hex.digitValue(c) != nil {
                digits += 1
            } else if c != UInt8(ascii: ":") || strict {
                return nil
            }
        }
        if strict && digits % 2 == 1 { return nil }
        return SecretBytes(count: (digits + 1) / 2) { out in
            var index = 0
            // An odd count: the first byte's high nibble is the implied leading 0.
            var high: UInt8? = digits % 2 == 1 ? 0 : nil
            for c in text.utf8 {
                guard let value = Hex.digitValue(c) else { continue }
                if let h = high {
                    out[index] = h << 4 | value
                    index += 1
                    high = nil
                } else {
                    high = value
                }
            }
        }
    }

    // MARK: Quoting user text in messages

    /// `text` as an error or note may quote it: every word (blank-, comma-, quote- or
    /// parenthesis-separated) that looks like key material (`looksLikeKey`), and every run of
    /// blank-separated hex words with 10 digits or more between them (how setkey prints
    /// keys), replaced by "<N characters hidden>"; then clipped to `limit` characters so that
    /// a hostile line cannot flood the message. A key in the wrong column, or a key with a
    /// typo, is still mostly the key: it is not echoed.
    static func redacted<S: StringProtocol>(_ text: S, limit: Int = 64) -> String {
        // Words and single separator characters, in order.
        var segments: [(text: Substring, isWord: Bool)] = []
        var wordStart: String.Index? = nil
        let whole = Substring(text)
        var index = whole.startIndex
        while index < whole.endIndex {
            let c = whole[index]
            let next = whole.index(after: index)
            if c == " " || c == "\t" || c == "," || c == "\"" || c == "'" || c == "(" || c == ")" {
                if let start = wordStart { segments.append((whole[start..<index], true)) }
                wordStart = nil
                segments.append((whole[index..<next], false))
            } else if wordStart == nil {
                wordStart = index
            }
            index = next
        }
        if let start = wordStart { segments.append((whole[start...], true)) }

        var out = ""
        var i = 0
        while i < segments.count {
            let segment = segments[i]
            guard segment.isWord else {
                out += segment.text
                i += 1
                continue
            }
            // A run of hex words separated by blanks only.
            var last = i, digits = 0, words = 0, j = i
            while j < segments.count {
                if segments[j].isWord {
                    guard let count = hexDigitCount(segments[j].text) else { break }
                    digits += count
                    words += 1
                    last = j
                } else if segments[j].text != " " && segments[j].text != "\t" {
                    break
                }
                j += 1
            }
            if words >= 2 && digits >= 10 {
                let characters = segments[i...last].reduce(0) { $0 + $1.text.count }
                out += "<\(characters) characters hidden>"
                i = last + 1
                continue
            }
            out += looksLikeKey(segment.text) ? "<\(segment.text.count) characters hidden>" : String(segment.text)
            i += 1
        }
        return out.count <= limit ? out : String(out.prefix(limit)) + "…"
    }

    /// The digits of a word that is hex digits alone (after an optional "0x"); nil otherwise.
    private static func hexDigitCount(_ word: Substring) -> Int? {
        var body = word
        if body.hasPrefix("0x") || body.hasPrefix("0X") { body = body.dropFirst(2) }
        guard !body.isEmpty, body.utf8.allSatisfy({ Hex.digitValue($0) != nil }) else { return nil }
        return body.utf8.count
    }

    /// A word of at least 10 hex digits (5 bytes, the shortest Blowfish or CAST5 key) that
    /// are at least three quarters of its letters and digits, after an optional "0x": the
    /// shape of a hex key, typos included. IPv6 addresses (at most 8 groups of at most 4
    /// digits) are not keys; 32-bit SPIs (8 digits) are too short to be taken for one.
    static func looksLikeKey<S: StringProtocol>(_ word: S) -> Bool {
        var body = Substring(word)
        if body.hasPrefix("0x") || body.hasPrefix("0X") { body = body.dropFirst(2) }
        var hex = 0, other = 0
        for c in body.utf8 {
            if Hex.digitValue(c) != nil {
                hex += 1
            } else if (c >= UInt8(ascii: "g") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "G") && c <= UInt8(ascii: "Z")) {
                other += 1
            }
        }
        guard hex >= 10, hex * 4 >= (hex + other) * 3 else { return false }
        if body.contains(":") {
            let address = body.split(separator: "/", maxSplits: 1).first ?? body
            let groups = address.split(separator: ":", omittingEmptySubsequences: true)
            let isGroup = { (group: Substring) in
                (group.count <= 4 && group.utf8.allSatisfy { Hex.digitValue($0) != nil })
                    || group.utf8.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") }
            }
            if groups.count <= 8 && groups.allSatisfy(isGroup) {
                return false
            }
        }
        return true
    }

    /// SPI as "0x…" hex or decimal.
    static func spi(_ text: String) -> UInt32? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("0x") || t.hasPrefix("0X") { return UInt32(t.dropFirst(2), radix: 16) }
        return UInt32(t)
    }
}
