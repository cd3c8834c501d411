import SpiglassWire

/// Reads Wireshark's `esp_sa` UAT file: one SA per line, quoted comma-separated fields
/// Protocol, Src IP, Dest IP, SPI, Encryption, Encryption Key, Authentication,
/// Authentication Key, and in newer releases two more: SN length and ESN high bits.
enum WiresharkESPSAParser {
    static let columnNames = [
        "protocol", "src", "dst", "spi", "encryption", "encryption key",
        "authentication", "authentication key", "sn", "esn high bits",
    ]

    static func parseLine(_ line: Substring, file: String, lineNumber: Int) throws -> SecurityAssociation {
        let fields = try uatFields(line, table: "esp_sa", counts: [8, 10], file: file, lineNumber: lineNumber)
        func fail(_ column: Int, _ code: KeyFileError.Code, _ message: String) -> KeyFileError {
            KeyFileError(code, file: file, line: lineNumber, field: columnNames[column], message)
        }
        let family = fields[0]
        guard ["IPv4", "IPv6", "Any", "*", ""].contains(family) else {
            throw fail(0, .badValue, "'\(KeyMaterial.redacted(family))' is not IPv4, IPv6 or Any")
        }
        guard let source = AddressPattern.parse(Substring(fields[1])) else {
            throw fail(1, .badValue, "'\(KeyMaterial.redacted(fields[1]))' is not an address, prefix or '*'")
        }
        guard let destination = AddressPattern.parse(Substring(fields[2])) else {
            throw fail(2, .badValue, "'\(KeyMaterial.redacted(fields[2]))' is not an address, prefix or '*'")
        }
        var spi: UInt32? = nil
        if fields[3] != "*" {
            guard let value = KeyMaterial.spi(fields[3]) else {
                throw fail(
                    3, .badValue,
                    "'\(KeyMaterial.redacted(fields[3]))' is not a 32-bit SPI (hex with 0x, decimal, or '*')")
            }
            spi = value
        }
        guard var encryption = AlgorithmNames.wiresharkEncryption(fields[4]) else {
            let hint =
                AlgorithmNames.suggestion(for: fields[4], among: AlgorithmNames.wiresharkEncryptionNames).map {
                    " (did you mean \"\($0)\"?)"
                } ?? ""
            throw fail(4, .unknownAlgorithm, "unknown encryption algorithm '\(KeyMaterial.redacted(fields[4]))'\(hint)")
        }
        guard let encryptionKey = KeyMaterial.wireshark(fields[5]) else { throw fail(5, .badValue, "invalid hex key") }
        guard let integrity = AlgorithmNames.wiresharkIntegrity(fields[6]) else {
            let hint =
                AlgorithmNames.suggestion(for: fields[6], among: AlgorithmNames.wiresharkIntegrityNames).map {
                    " (did you mean \"\($0)\"?)"
                } ?? ""
            throw fail(
                6, .unknownAlgorithm, "unknown authentication algorithm '\(KeyMaterial.redacted(fields[6]))'\(hint)")
        }
        guard let integrityKey = KeyMaterial.wireshark(fields[7]) else { throw fail(7, .badValue, "invalid hex key") }
        if case .aesGCM(0) = encryption {
            // The deprecated GCM name left the ICV length to the authentication column.
            let icv = integrity.icvLength
            guard [8, 12, 16].contains(icv) else {
                throw fail(
                    6, .badValue,
                    "\"AES-GCM [RFC4106]\" needs \"ANY 64/96/128 bit authentication\" to give the ICV length")
            }
            encryption = .aesGCM(icvLength: icv)
        }
        let (esn, high) = try sequenceNumberColumns(fields, fail: fail)
        var sa = SecurityAssociation(
            spi: spi.map { SPI($0) }, source: source, destination: destination,
            encryption: encryption, encryptionKey: encryptionKey,
            integrity: encryption.isAEAD ? .null : integrity, integrityKey: encryption.isAEAD ? [] : integrityKey,
            extendedSequenceNumbers: esn, initialSequenceHigh: high,
            origin: SAOrigin(file: file, line: lineNumber))
        if encryption.isAEAD, integrity.verifies {
            throw fail(6, .badValue, "a combined-mode cipher (\(encryption.name)) takes NULL authentication")
        }
        try SAValidation.checkKeys(
            &sa, file: file, line: lineNumber, encryptionField: columnNames[5], integrityField: columnNames[7])
        return sa
    }

    /// The two columns newer releases add: SN length and the ESN high bits (32-bit, 0 without them).
    static func sequenceNumberColumns(
        _ fields: [String], fail: (Int, KeyFileError.Code, String) -> KeyFileError
    ) throws -> (esn: Bool, high: UInt32) {
        var esn = false
        var high: UInt32 = 0
        if fields.count == 10 {
            switch fields[8].lowercased() {
            case "", "32", "32-bit", "32 bit", "no", "false": esn = false
            case "64", "64-bit", "64 bit", "esn", "yes", "true": esn = true
            default:
                throw fail(
                    8, .badValue,
                    "'\(KeyMaterial.redacted(fields[8]))' is not a sequence number length (32-bit or 64-bit)")
            }
            let text = fields[9].trimmingCharacters(in: .whitespaces)
            if !text.isEmpty {
                guard let value = KeyMaterial.spi(text) else {
                    throw fail(9, .badValue, "'\(KeyMaterial.redacted(text))' is not a 32-bit number")
                }
                high = value
            }
        }
        return (esn, high)
    }

    /// The fields of a line of Wireshark's UAT table `table`, refused unless there are one of
    /// `counts` of them.
    static func uatFields(_ line: Substring, table: String, counts: [Int], file: String, lineNumber: Int) throws
        -> [String]
    {
        let fields = try splitUATLine(line, file: file, lineNumber: lineNumber)
        guard counts.contains(fields.count) else {
            let expected = counts.map(String.init).joined(separator: " or ")
            throw KeyFileError(
                .syntax, file: file, line: lineNumber,
                "Wireshark \(table) lines have \(expected) fields, this one has \(fields.count)")
        }
        return fields
    }

    /// Splits a UAT line into fields: each field is "quoted" (with \xHH and \\ escapes) or
    /// bare, separated by commas.
    static func splitUATLine(_ line: Substring, file: String, lineNumber: Int) throws -> [String] {
        var fields: [String] = []
        var chars = Array(line.utf8)
        while let last = chars.last,
            last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") || last == UInt8(ascii: "\r")
        { chars.removeLast() }
        var i = 0
        func skipSpaces() {
            while i < chars.count, chars[i] == UInt8(ascii: " ") || chars[i] == UInt8(ascii: "\t") { i += 1 }
        }
        while true {
            skipSpaces()
            var field = [UInt8]()
            if i < chars.count, chars[i] == UInt8(ascii: "\"") {
                i += 1
                var closed = false
                while i < chars.count {
                    let c = chars[i]
                    if c == UInt8(ascii: "\"") {
                        closed = true
                        i += 1
                        break
                    }
                    if c == UInt8(ascii: "\\"), i + 1 < chars.count {
                        if chars[i + 1] == UInt8(ascii: "x"), i + 3 < chars.count,
                            let byte = UInt8(String(decoding: chars[(i + 2)...(i + 3)], as: UTF8.self), radix: 16)
                        {
                            field.append(byte)
                            i += 4
                            continue
                        }
                        field.append(chars[i + 1])
                        i += 2
                        continue
                    }
                    field.append(c)
                    i += 1
                }
                guard closed else {
                    throw KeyFileError(
                        .syntax, file: file, line: lineNumber,
                        field: columnNames[min(fields.count, columnNames.count - 1)], "unterminated quote")
                }
            } else {
                while i < chars.count, chars[i] != UInt8(ascii: ",") {
                    field.append(chars[i])
                    i += 1
                }
                while let last = field.last, last == UInt8(ascii: " ") { field.removeLast() }
            }
            fields.append(String(decoding: field, as: UTF8.self))
            skipSpaces()
            if i >= chars.count { break }
            guard chars[i] == UInt8(ascii: ",") else {
                throw KeyFileError(
                    .syntax, file: file, line: lineNumber,
                    field: columnNames[min(fields.count - 1, columnNames.count - 1)], "expected ',' after the field")
            }
            i += 1
            guard fields.count < 32 else {
                throw KeyFileError(.syntax, file: file, line: lineNumber, "too many fields")
            }
        }
        return fields
    }
}
