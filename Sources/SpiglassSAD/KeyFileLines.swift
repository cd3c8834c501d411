/// The lines of a key file as an editor numbers them. Swift reads "\r\n" as one Character,
/// so splitting a String at "\n" would leave a file saved on Windows as one long line.
public enum KeyFileLines {
    static func isLineBreak(_ c: Character) -> Bool { c == "\n" || c == "\r\n" }

    /// Every line, empty ones included, without its line break. Split by bytes: the same
    /// lines as by Characters, without grapheme breaking a large file.
    public static func of(_ text: String) -> [Substring] {
        text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { bytes in
            Substring(bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes)
        }
    }

    /// Calls `body` with each line (empty ones included) and its number, `firstLine` for the
    /// first, refusing a line longer than `KeyFileLimits.maxLineBytes`.
    static func forEach(
        _ text: String, file: String, firstLine: Int = 1, _ body: (_ number: Int, _ line: Substring) throws -> Void
    ) throws {
        var number = firstLine - 1
        for line in of(text) {
            number += 1
            guard line.utf8.count <= KeyFileLimits.maxLineBytes else {
                throw KeyFileError(
                    .tooLarge, file: file, line: number, "line longer than \(KeyFileLimits.maxLineBytes) bytes")
            }
            try body(number, line)
        }
    }

    /// Line `number` (1-based), or nil past the last line. Reads no further than that line,
    /// so that looking up where an error is costs nothing like splitting the whole file.
    static func line(_ number: Int, of text: String) -> Substring? {
        guard number >= 1 else { return nil }
        var rest = text[...]
        for _ in 1..<number {
            guard let lineBreak = rest.firstIndex(where: isLineBreak) else { return nil }
            rest = rest[rest.index(after: lineBreak)...]
        }
        return rest[..<(rest.firstIndex(where: isLineBreak) ?? rest.endIndex)]
    }
}
