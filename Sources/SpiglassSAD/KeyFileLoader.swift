import Foundation

/// The key-file formats Spiglass reads.
public enum KeyFileFormat: String, Sendable, CaseIterable {
    case native
    case wiresharkESP = "wireshark-esp_sa"
}

/// Loads key files into a `SADatabase`, detecting each file's format from its content.
public enum KeyFileLoader {
    /// Reads and parses `path`. Errors name the file, the line and the field.
    public static func load(path: String) throws -> [SecurityAssociation] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw KeyFileError(.cannotRead, file: path, line: 0, "cannot read key file: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) != S_IFDIR else {
            throw KeyFileError(.cannotRead, file: path, line: 0, "is a directory, not a key file")
        }
        if (info.st_mode & S_IFMT) == S_IFREG && Int(info.st_size) > KeyFileLimits.maxFileBytes {
            throw KeyFileError(.tooLarge, file: path, line: 0, "\(info.st_size) bytes; key files over \(KeyFileLimits.maxFileBytes) bytes are refused")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw KeyFileError(.cannotRead, file: path, line: 0, "cannot open key file")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: KeyFileLimits.maxFileBytes + 1)) ?? Data()
        guard data.count <= KeyFileLimits.maxFileBytes else {
            throw KeyFileError(.tooLarge, file: path, line: 0, "key files over \(KeyFileLimits.maxFileBytes) bytes are refused")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// Parses key-file text; `file` names it in errors.
    public static func parse(_ text: String, file: String, format forced: KeyFileFormat? = nil) throws -> [SecurityAssociation] {
        var result: [SecurityAssociation] = []
        var format = forced
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            guard rawLine.utf8.count <= KeyFileLimits.maxLineBytes else {
                throw KeyFileError(.tooLarge, file: file, line: lineNumber, "line longer than \(KeyFileLimits.maxLineBytes) bytes")
            }
            let line = rawLine.drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{feff}" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if format == nil { format = try detect(line, file: file, line: lineNumber) }
            let sa: SecurityAssociation
            switch format! {
            case .wiresharkESP: sa = try WiresharkESPSAParser.parseLine(line, file: file, lineNumber: lineNumber)
            case .native: sa = try NativeKeyParser.parseLine(line, file: file, lineNumber: lineNumber)
            }
            guard result.count < KeyFileLimits.maxSAs else {
                throw KeyFileError(.tooLarge, file: file, line: lineNumber, "more than \(KeyFileLimits.maxSAs) SAs")
            }
            result.append(sa)
        }
        return result
    }

    static func detect(_ line: Substring, file: String, line lineNumber: Int) throws -> KeyFileFormat {
        if line.hasPrefix("\"") || line.hasPrefix("IPv4,") || line.hasPrefix("IPv6,") { return .wiresharkESP }
        let word = line.prefix { !$0.isWhitespace }.lowercased()
        if word == "esp" || word == "ah" { return .native }
        throw KeyFileError(.unknownFormat, file: file, line: lineNumber,
                           "not a key file Spiglass knows: expected a Wireshark esp_sa line (\"IPv4\",\"src\",…) or a native line (esp spi=… enc=…)")
    }
}
