import SpiglassWire

/// Reads Spiglass' own key format: one SA per line, `key=value` fields after the protocol
/// word (`esp`, `ah` or `ike`), `#` comments. Documented in the README ("Key files").
///
///     esp spi=0xc1234567 src=10.0.0.1 dst=10.0.0.2 enc=aes-cbc enc-key=0x00112233… \
///         auth=hmac-sha2-256-128 auth-key=0x… [esn=yes] [esn-high=0]
///     ah  spi=0x1000 dst=10.0.0.2 auth=hmac-sha1-96 auth-key=0x…
///     ike version=2 ispi=0x… rspi=0x… enc=aes-cbc-256 sk-ei=0x… sk-er=0x… \
///         integ=hmac-sha2-256-128 sk-ai=0x… sk-ar=0x… [prf=hmac-sha2-256 sk-d=0x… sk-pi=0x… sk-pr=0x…]
enum NativeKeyParser {
    enum Entry {
        case ipsec(SecurityAssociation)
        case ike(IKESecurityAssociation)
        /// A `policy` line (`NativePolicyLine.swift`): one entry, or two for both directions.
        case policy([SecurityPolicy])
    }

    static let espFields: Set<String> = [
        "spi", "src", "dst", "enc", "enc-key", "auth", "auth-key", "esn", "esn-high", "mode", "label",
    ]
    static let ahFields: Set<String> = ["spi", "src", "dst", "auth", "auth-key", "esn", "esn-high", "mode", "label"]
    static let ikeFields = Set(["version", "ispi", "rspi", "enc", "integ", "prf"] + ikeKeyFields.map(\.name))
    /// The keys of an `ike` line by their field names, in the order `KeyFileWriter.nativeLine`
    /// writes them: one table for reading and writing.
    static let ikeKeyFields: [(name: String, key: WritableKeyPath<IKESecurityAssociation, SecretBytes> & Sendable)] = [
        ("sk-d", \.skD), ("sk-ei", \.skEi), ("sk-er", \.skEr), ("sk-ai", \.skAi), ("sk-ar", \.skAr), ("sk-pi", \.skPi),
        ("sk-pr", \.skPr), ("enc-key", \.ikev1EncryptionKey), ("skeyid", \.skeyid), ("skeyid-d", \.skeyidD),
        ("skeyid-a", \.skeyidA), ("skeyid-e", \.skeyidE),
    ]

    struct Token {
        var text: String
        var quoted: Bool
    }

    /// The `key=value` fields of one line, with errors that name the line and the field.
    struct Fields {
        let file: String
        let line: Int
        var values: [String: Token]

        func error(_ code: KeyFileError.Code, _ field: String, _ message: String) -> KeyFileError {
            KeyFileError(code, file: file, line: line, field: field, message)
        }

        func required(_ key: String) throws -> Token {
            guard let value = values[key] else { throw error(.missingField, key, "required") }
            return value
        }

        func key(_ name: String) throws -> SecretBytes {
            guard let token = values[name] else { return SecretBytes() }
            guard let bytes = KeyMaterial.native(token.text, quoted: token.quoted) else {
                throw error(.badValue, name, "not hex (write 0x… or \"ascii\")")
            }
            return bytes
        }

        func address(_ name: String) throws -> AddressPattern {
            guard let text = values[name]?.text else { return .any }
            guard let pattern = AddressPattern.parse(Substring(text)) else {
                throw error(.badValue, name, "'\(KeyMaterial.redacted(text))' is not an address, prefix or '*'")
            }
            return pattern
        }

        func spi() throws -> UInt32? {
            let text = try required("spi").text
            if text == "*" { return nil }
            guard let value = KeyMaterial.spi(text) else {
                throw error(.badValue, "spi", "'\(KeyMaterial.redacted(text))' is not a 32-bit SPI")
            }
            return value
        }

        func ikeSPI(_ name: String) throws -> UInt64? {
            guard let text = values[name]?.text else { return nil }
            let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? String(text.dropFirst(2)) : text
            guard digits.count <= 16, let value = UInt64(digits, radix: 16) else {
                throw error(.badValue, name, "'\(KeyMaterial.redacted(text))' is not a 64-bit SPI in hex")
            }
            return value
        }

        func flag(_ name: String) throws -> Bool {
            guard let text = values[name]?.text.lowercased() else { return false }
            switch text {
            case "yes", "true", "1", "on": return true
            case "no", "false", "0", "off": return false
            default: throw error(.badValue, name, "'\(KeyMaterial.redacted(text))' is not yes or no")
            }
        }

        func number(_ name: String) throws -> UInt32 {
            guard let text = values[name]?.text else { return 0 }
            guard let value = KeyMaterial.spi(text) else {
                throw error(.badValue, name, "'\(KeyMaterial.redacted(text))' is not a 32-bit number")
            }
            return value
        }

        func mode() throws -> IPsecMode? {
            guard let text = values["mode"]?.text else { return nil }
            guard let mode = IPsecMode(rawValue: text.lowercased()) else {
                throw error(.badValue, "mode", "'\(KeyMaterial.redacted(text))' is not tunnel, transport or beet")
            }
            return mode
        }

        func integrity() throws -> IntegrityAlgorithm {
            try algorithm(
                "auth", "integrity algorithm", known: AlgorithmNames.nativeIntegrityNames,
                AlgorithmNames.nativeIntegrity)
                ?? .null
        }

        /// The algorithm `parse` reads from field `name`; nil when the field is absent. An
        /// unknown name is refused as an unknown `what`, with the closest of `known`.
        func algorithm<A>(_ name: String, _ what: String, known: [String], _ parse: (String) -> A?) throws -> A? {
            guard let text = values[name]?.text else { return nil }
            guard let value = parse(text) else {
                let hint = AlgorithmNames.didYouMean(text, among: known)
                throw error(.unknownAlgorithm, name, "unknown \(what) '\(KeyMaterial.redacted(text))'\(hint)")
            }
            return value
        }
    }

    static func parseLine(_ line: Substring, file: String, lineNumber: Int) throws -> Entry {
        let tokens = try tokenize(line, file: file, lineNumber: lineNumber)
        guard let first = tokens.first else {
            throw KeyFileError(.syntax, file: file, line: lineNumber, "empty SA line")
        }
        let word = first.text.lowercased()
        let allowed: Set<String>
        switch word {
        case "esp": allowed = espFields
        case "ah": allowed = ahFields
        case "ike": allowed = ikeFields
        case "policy": allowed = policyFields
        default:
            throw KeyFileError(
                .syntax, file: file, line: lineNumber, field: "protocol",
                "a line starts with 'esp', 'ah', 'ike' or 'policy', not '\(KeyMaterial.redacted(first.text))'")
        }
        var values: [String: Token] = [:]
        for (index, token) in tokens.enumerated().dropFirst() {
            guard let eq = token.text.firstIndex(of: "=") else {
                // The word is not echoed: a key given without its field name is still a key.
                throw KeyFileError(
                    .syntax, file: file, line: lineNumber,
                    "word \(index + 1) of the line has no '=' (fields are written key=value)")
            }
            let key = String(token.text[..<eq]).lowercased()
            let value = String(token.text[token.text.index(after: eq)...])
            guard allowed.contains(key) else {
                let hint = AlgorithmNames.didYouMean(key, among: allowed.sorted())
                throw KeyFileError(
                    .unknownField, file: file, line: lineNumber, field: key, "unknown field for \(word)\(hint)")
            }
            guard values[key] == nil else {
                throw KeyFileError(.syntax, file: file, line: lineNumber, field: key, "given twice")
            }
            values[key] = Token(text: value, quoted: token.quoted)
        }
        let fields = Fields(file: file, line: lineNumber, values: values)
        switch word {
        case "esp": return .ipsec(try esp(fields))
        case "ah": return .ipsec(try ah(fields))
        case "policy": return .policy(try policy(fields))
        default: return .ike(try ike(fields))
        }
    }

    static func esp(_ f: Fields) throws -> SecurityAssociation {
        let encName = try f.required("enc").text
        guard let (encryption, keyBits) = AlgorithmNames.nativeEncryption(encName) else {
            let hint = AlgorithmNames.didYouMean(encName, among: AlgorithmNames.nativeEncryptionNames)
            throw f.error(
                .unknownAlgorithm, "enc", "unknown encryption algorithm '\(KeyMaterial.redacted(encName))'\(hint)")
        }
        let integrity = try f.integrity()
        if encryption.isAEAD && integrity != .null {
            throw f.error(
                .badValue, "auth", "\(encryption.name) is a combined-mode cipher: leave auth out or set auth=null")
        }
        var sa = SecurityAssociation(
            spi: try f.spi().map { SPI($0) }, source: try f.address("src"), destination: try f.address("dst"),
            encryption: encryption, encryptionKey: try f.key("enc-key"),
            integrity: integrity, integrityKey: try f.key("auth-key"),
            extendedSequenceNumbers: try f.flag("esn"), initialSequenceHigh: try f.number("esn-high"),
            origin: SAOrigin(file: f.file, line: f.line))
        sa.mode = try f.mode()
        sa.label = f.values["label"]?.text
        try SAValidation.checkKeys(
            &sa, file: f.file, line: f.line, encryptionField: "enc-key", integrityField: "auth-key",
            requiredKeyBits: keyBits)
        return sa
    }

    static func ah(_ f: Fields) throws -> SecurityAssociation {
        let integrity = try f.integrity()
        guard integrity != .null else { throw f.error(.missingField, "auth", "an AH SA needs an integrity algorithm") }
        var sa = SecurityAssociation(
            spi: try f.spi().map { SPI($0) }, source: try f.address("src"), destination: try f.address("dst"),
            encryption: .null, encryptionKey: [],
            integrity: integrity, integrityKey: try f.key("auth-key"),
            extendedSequenceNumbers: try f.flag("esn"), initialSequenceHigh: try f.number("esn-high"),
            origin: SAOrigin(file: f.file, line: f.line))
        sa.ipsecProtocol = .ah
        sa.mode = try f.mode()
        sa.label = f.values["label"]?.text
        try SAValidation.checkKeys(
            &sa, file: f.file, line: f.line, encryptionField: "enc-key", integrityField: "auth-key")
        return sa
    }

    static func ike(_ f: Fields) throws -> IKESecurityAssociation {
        let version: IKESecurityAssociation.Version
        switch f.values["version"]?.text ?? "2" {
        case "2", "v2", "ikev2": version = .v2
        case "1", "v1", "ikev1": version = .v1
        case let other: throw f.error(.badValue, "version", "'\(KeyMaterial.redacted(other))' is not 1 or 2")
        }
        guard let ispi = try f.ikeSPI("ispi") else { throw f.error(.missingField, "ispi", "required") }
        var sa = IKESecurityAssociation(
            version: version, initiatorSPI: ispi, responderSPI: try f.ikeSPI("rspi"),
            origin: SAOrigin(file: f.file, line: f.line))
        if let name = f.values["enc"]?.text {
            guard let value = IKEEncryptionAlgorithm(nativeName: name) else {
                throw f.error(
                    .unknownAlgorithm, "enc",
                    "unknown IKE encryption algorithm '\(KeyMaterial.redacted(name))' (e.g. aes-cbc-256, aes-gcm-128-16, 3des)"
                )
            }
            sa.encryption = value
        }
        let integrityNames = IKEIntegrityAlgorithm.allCases.map(\.name)
        if let integrity = try f.algorithm(
            "integ", "IKE integrity algorithm", known: integrityNames, IKEIntegrityAlgorithm.init(nativeName:))
        {
            sa.integrity = integrity
        }
        if let prf = try f.algorithm("prf", "PRF", known: IKEPRF.allCases.map(\.name), IKEPRF.init(nativeName:)) {
            sa.prf = prf
        }
        for field in ikeKeyFields { sa[keyPath: field.key] = try f.key(field.name) }
        try IKEValidation.check(sa, file: f.file, line: f.line)
        return sa
    }

    /// Splits on blanks; a value may be double-quoted (`enc-key="ascii key"`), which keeps
    /// blanks and marks the value as text rather than hex. `#` outside a token ends the line.
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
