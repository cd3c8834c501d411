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

    // MARK: Referring to user text in messages

    /// How an error or a note refers to text from a key file: by its length only, "<16
    /// characters>", never by its content. The field name and the position (file, line, and
    /// in `keys check` the column) say where it is. A key or a password in the wrong column, a
    /// key with a typo, or a line of a file that never was a key file (an include pointed at
    /// /proc/self/environ) is not echoed to a terminal or a log.
    static func redacted<S: StringProtocol>(_ text: S) -> String {
        "<\(text.count) characters>"
    }

    /// SPI as "0x…" hex or decimal.
    static func spi(_ text: String) -> UInt32? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("0x") || t.hasPrefix("0X") { return UInt32(t.dropFirst(2), radix: 16) }
        return UInt32(t)
    }
}
