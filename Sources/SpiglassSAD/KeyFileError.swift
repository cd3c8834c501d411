import SpiglassWire

/// A key file problem, naming the file, the line and the field, as a user needs to fix it.
/// It never quotes what the line holds (`KeyMaterial.redacted`), and the message, the field
/// name and the file name are escaped for display (`DisplayText`): a key file's bytes never
/// reach a terminal raw.
public struct KeyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case cannotRead
        case unknownFormat
        case syntax
        case missingField
        case unknownField
        case badValue
        case unknownAlgorithm
        case badKeyLength
        case tooLarge
        /// A capture file (pcap, pcapng) where a key file goes: `-r` and `-k` swapped?
        case captureFile
    }

    public let code: Code
    public let file: String
    public let line: Int
    public let field: String?
    public let message: String

    public init(_ code: Code, file: String, line: Int, field: String? = nil, _ message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.field = field
        self.message = DisplayText.escaped(message)
    }

    /// "file:line" (or the file alone), escaped.
    public var location: String { line > 0 ? "\(DisplayText.escaped(file)):\(line)" : DisplayText.escaped(file) }

    /// The field name as messages show it, escaped.
    public var fieldText: String? { field.map(DisplayText.escaped) }

    public var description: String {
        if let fieldText { return "\(location): field '\(fieldText)': \(message)" }
        return "\(location): \(message)"
    }
}

/// Bounds on key files: they are untrusted input like captures.
public enum KeyFileLimits {
    /// A key file larger than this is refused before it is read whole.
    public static let maxFileBytes = 64 << 20
    /// SAs across all key files of one run.
    public static let maxSAs = 1_000_000
    /// One line; key lines are short, a longer one is not a key file.
    public static let maxLineBytes = 64 << 10

    /// Refuses a key file of `byteCount` bytes past `maxFileBytes`.
    static func checkFileSize(_ byteCount: Int, file: String) throws {
        guard byteCount <= maxFileBytes else {
            throw KeyFileError(.tooLarge, file: file, line: 0, "key files over \(maxFileBytes) bytes are refused")
        }
    }
}
