import SpiglassWire

/// Key strings as users write them: "0x" + hex digits, or (Wireshark) raw ASCII text.
enum KeyMaterial {
    /// Wireshark's rule: "0x…" is hex (an odd digit count gets a leading 0), anything else is
    /// the ASCII bytes of the string itself; "" and "0x" are empty keys.
    static func wireshark(_ text: String) -> [UInt8]? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            return Hex.decode(text.dropFirst(2))
        }
        return Array(text.utf8)
    }

    /// Native rule: "0x…" or bare hex digits (':' separators allowed); ASCII only when quoted,
    /// which the tokenizer has already removed and flagged.
    static func native(_ text: String, quoted: Bool) -> [UInt8]? {
        if quoted { return Array(text.utf8) }
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return Hex.decode(text.dropFirst(2)) }
        return Hex.decode(Substring(text))
    }

    /// SPI as "0x…" hex or decimal.
    static func spi(_ text: String) -> UInt32? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("0x") || t.hasPrefix("0X") { return UInt32(t.dropFirst(2), radix: 16) }
        return UInt32(t)
    }
}
