/// Checks an SA's key lengths against its algorithms, so a wrong key fails at load time
/// with the line to fix, not later as a wall of ICV failures.
enum SAValidation {
    static func checkKeys(
        _ sa: inout SecurityAssociation, file: String, line: Int, encryptionField: String, integrityField: String,
        requiredKeyBits: Int? = nil
    ) throws {
        let valid = sa.encryption.validKeyLengths
        if case .unsupported = sa.encryption {
            // Kept so the file loads; packets on this SA are reported as unsupported.
        } else if !valid.contains(sa.encryptionKey.count) {
            throw KeyFileError(
                .badKeyLength, file: file, line: line, field: encryptionField,
                "\(sa.encryption.name) needs a key of \(sa.encryption.keyLengthDescription) bytes, got \(sa.encryptionKey.count)"
            )
        }
        if let bits = requiredKeyBits, (sa.encryptionKey.count - sa.encryption.saltLength) * 8 != bits {
            throw KeyFileError(
                .badKeyLength, file: file, line: line, field: encryptionField,
                "the algorithm name says \(bits)-bit but the key has \((sa.encryptionKey.count - sa.encryption.saltLength) * 8) bits"
            )
        }
        if sa.ipsecProtocol != .ah && sa.integrity.isAHOnly {
            throw KeyFileError(
                .badValue, file: file, line: line, field: integrityField,
                "\(sa.integrity.name) (RFC 4543 AUTH_AES_GMAC) is an AH integrity algorithm; for ESP use the combined-mode encryption aes-gmac (ENCR_NULL_AUTH_AES_GMAC)"
            )
        }
        if sa.integrity.verifies && sa.integrityKey.isEmpty {
            throw KeyFileError(
                .badKeyLength, file: file, line: line, field: integrityField, "\(sa.integrity.name) needs a key")
        }
        if let required = sa.integrity.requiredKeyLength, sa.integrityKey.count != required {
            throw KeyFileError(
                .badKeyLength, file: file, line: line, field: integrityField,
                "\(sa.integrity.name) needs a \(required)-byte key\(sa.integrity.isAHOnly ? " (\(required - 4)-byte AES key + 4-byte salt)" : ""), got \(sa.integrityKey.count)"
            )
        }
        if sa.integrityKey.count > 1024 || sa.encryptionKey.count > 1024 {
            throw KeyFileError(.badKeyLength, file: file, line: line, "key longer than 1024 bytes")
        }
    }
}
