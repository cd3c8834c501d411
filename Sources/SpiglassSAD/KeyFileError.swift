/// A key file problem, naming the file, the line and the field, as a user needs to fix it.
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
        self.message = message
    }

    public var description: String {
        let location = line > 0 ? "\(file):\(line)" : file
        if let field { return "\(location): field '\(field)': \(message)" }
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
}
