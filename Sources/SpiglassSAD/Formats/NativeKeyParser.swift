/// Reads Spiglass' own key format: one SA per line, `key=value` fields after the protocol
/// word, `#` comments. Documented in the README ("Key files").
///
///     esp spi=0xc1234567 src=10.0.0.1 dst=10.0.0.2 enc=aes-cbc enc-key=0x00112233… \
///         auth=hmac-sha2-256-128 auth-key=0x… [esn=yes] [esn-high=0]
enum NativeKeyParser {
    static let espFields: Set<String> = ["spi", "src", "dst", "enc", "enc-key", "auth", "auth-key", "esn", "esn-high"]

    struct Token {
        var text: String
        var quoted: Bool
    }

    static func parseLine(_ line: Substring, file: String, lineNumber: Int) throws -> SecurityAssociation {
        let tokens = try tokenize(line, file: file, lineNumber: lineNumber)
        guard let first = tokens.first else { throw KeyFileError(.syntax, file: file, line: lineNumber, "empty SA line") }
        switch first.text.lowercased() {
        case "esp": break
        case "ah":
            throw KeyFileError(.badValue, file: file, line: lineNumber, field: "protocol", "AH SAs are not supported yet (AH ICVs are shown, not verified)")
        default:
            throw KeyFileError(.syntax, file: file, line: lineNumber, field: "protocol", "a line starts with 'esp', not '\(first.text)'")
        }
        var values: [String: Token] = [:]
        for token in tokens.dropFirst() {
            guard let eq = token.text.firstIndex(of: "=") else {
                throw KeyFileError(.syntax, file: file, line: lineNumber, field: token.text, "expected key=value")
            }
            let key = String(token.text[..<eq]).lowercased()
            let value = String(token.text[token.text.index(after: eq)...])
            guard espFields.contains(key) else {
                let hint = AlgorithmNames.suggestion(for: key, among: Array(espFields)).map { " (did you mean '\($0)'?)" } ?? ""
                throw KeyFileError(.unknownField, file: file, line: lineNumber, field: key, "unknown field\(hint)")
            }
            guard values[key] == nil else {
                throw KeyFileError(.syntax, file: file, line: lineNumber, field: key, "given twice")
            }
            values[key] = Token(text: value, quoted: token.quoted)
        }
        func required(_ key: String) throws -> Token {
            guard let value = values[key] else { throw KeyFileError(.missingField, file: file, line: lineNumber, field: key, "required") }
            return value
        }
        let spiText = try required("spi").text
        var spi: UInt32? = nil
        if spiText != "*" {
            guard let value = KeyMaterial.spi(spiText) else {
                throw KeyFileError(.badValue, file: file, line: lineNumber, field: "spi", "'\(spiText)' is not a 32-bit SPI")
            }
            spi = value
        }
        func address(_ key: String) throws -> AddressPattern {
            guard let text = values[key]?.text else { return .any }
            guard let pattern = AddressPattern.parse(Substring(text)) else {
                throw KeyFileError(.badValue, file: file, line: lineNumber, field: key, "'\(text)' is not an address, prefix or '*'")
            }
            return pattern
        }
        let source = try address("src")
        let destination = try address("dst")
        let encName = try required("enc").text
        guard let (encryption, keyBits) = AlgorithmNames.nativeEncryption(encName) else {
            let hint = AlgorithmNames.suggestion(for: encName, among: AlgorithmNames.nativeEncryptionNames).map { " (did you mean '\($0)'?)" } ?? ""
            throw KeyFileError(.unknownAlgorithm, file: file, line: lineNumber, field: "enc", "unknown encryption algorithm '\(encName)'\(hint)")
        }
        var encryptionKey: [UInt8] = []
        if let token = values["enc-key"] {
            guard let key = KeyMaterial.native(token.text, quoted: token.quoted) else {
                throw KeyFileError(.badValue, file: file, line: lineNumber, field: "enc-key", "not hex (write 0x… or \"ascii\")")
            }
            encryptionKey = key
        }
        var integrity = IntegrityAlgorithm.null
        if let authName = values["auth"]?.text {
            guard let value = AlgorithmNames.nativeIntegrity(authName) else {
                let hint = AlgorithmNames.suggestion(for: authName, among: AlgorithmNames.nativeIntegrityNames).map { " (did you mean '\($0)'?)" } ?? ""
                throw KeyFileError(.unknownAlgorithm, file: file, line: lineNumber, field: "auth", "unknown integrity algorithm '\(authName)'\(hint)")
            }
            integrity = value
        }
        if encryption.isAEAD && integrity != .null {
            throw KeyFileError(.badValue, file: file, line: lineNumber, field: "auth", "\(encryption.name) is a combined-mode cipher: leave auth out or set auth=null")
        }
        var integrityKey: [UInt8] = []
        if let token = values["auth-key"] {
            guard let key = KeyMaterial.native(token.text, quoted: token.quoted) else {
                throw KeyFileError(.badValue, file: file, line: lineNumber, field: "auth-key", "not hex (write 0x… or \"ascii\")")
            }
            integrityKey = key
        }
        var esn = false
        if let text = values["esn"]?.text.lowercased() {
            switch text {
            case "yes", "true", "1", "on": esn = true
            case "no", "false", "0", "off": esn = false
            default: throw KeyFileError(.badValue, file: file, line: lineNumber, field: "esn", "'\(text)' is not yes or no")
            }
        }
        var high: UInt32 = 0
        if let text = values["esn-high"]?.text {
            guard let value = KeyMaterial.spi(text) else { throw KeyFileError(.badValue, file: file, line: lineNumber, field: "esn-high", "'\(text)' is not a 32-bit number") }
            high = value
        }
        var sa = SecurityAssociation(spi: spi, source: source, destination: destination, encryption: encryption,
                                     encryptionKey: encryptionKey, integrity: integrity, integrityKey: integrityKey,
                                     extendedSequenceNumbers: esn, initialSequenceHigh: high,
                                     origin: SAOrigin(file: file, line: lineNumber))
        try SAValidation.checkKeys(&sa, file: file, line: lineNumber, encryptionField: "enc-key", integrityField: "auth-key", requiredKeyBits: keyBits)
        return sa
    }

    /// Splits on blanks; a value may be double-quoted (`enc-key="ascii key"`), which keeps
    /// blanks and marks the value as text rather than hex.
    static func tokenize(_ line: Substring, file: String, lineNumber: Int) throws -> [Token] {
        var tokens: [Token] = []
        var current = ""
        var quoted = false
        var inQuotes = false
        var hasToken = false
        for c in line {
            if inQuotes {
                if c == "\"" { inQuotes = false } else { current.append(c) }
                continue
            }
            if c == "#" && !hasToken { break }
            switch c {
            case "\"":
                inQuotes = true
                quoted = true
                hasToken = true
            case " ", "\t", "\r":
                if hasToken { tokens.append(Token(text: current, quoted: quoted)) }
                current = ""
                quoted = false
                hasToken = false
            default:
                current.append(c)
                hasToken = true
            }
        }
        if inQuotes { throw KeyFileError(.syntax, file: file, line: lineNumber, "unterminated quote") }
        if hasToken { tokens.append(Token(text: current, quoted: quoted)) }
        return tokens
    }
}
