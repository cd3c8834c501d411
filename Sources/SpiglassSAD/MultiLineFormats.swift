// Wiring of the block- and log-oriented formats; their parsers live in Formats/.
extension KeyFileLoader {
    static func parseMultiLineFormat(_ text: String, file: String, format: KeyFileFormat) throws -> KeySet {
        throw KeyFileError(.unknownFormat, file: file, line: 0, "\(format.rawValue) key files are not wired in yet")
    }

    static func detectMultiLineFormat(_ text: String) -> KeyFileFormat? { nil }

    static func looksLikeTcpdump(_ text: String) -> Bool { false }
}
