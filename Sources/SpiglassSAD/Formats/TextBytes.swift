/// Searches in log text by its UTF-8 bytes. Character-wise `String` searches do grapheme
/// breaking on every line, which dominated reading a large log; the markers searched for are
/// ASCII, so byte comparison finds exactly the same places.
enum TextBytes {
    /// Where `needle` (ASCII) first occurs in `text`.
    static func range(of needle: StaticString, in text: Substring) -> Range<String.Index>? {
        let bytes = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard let first = bytes.first else { return nil }
        let hay = text.utf8
        var from = hay.startIndex
        while let found = hay[from...].firstIndex(of: first) {
            if hay[found...].starts(with: bytes) { return found..<hay.index(found, offsetBy: bytes.count) }
            from = hay.index(after: found)
        }
        return nil
    }

    static func contains(_ needle: StaticString, in text: Substring) -> Bool { range(of: needle, in: text) != nil }

    static func hasPrefix(_ prefix: StaticString, _ text: Substring) -> Bool {
        text.utf8.starts(with: UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
    }

    static func hasSuffix(_ suffix: StaticString, _ text: Substring) -> Bool {
        let bytes = UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount)
        return text.utf8.count >= bytes.count && text.utf8.suffix(bytes.count).elementsEqual(bytes)
    }
}
