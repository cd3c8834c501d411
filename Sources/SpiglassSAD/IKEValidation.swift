/// Checks IKE SA keys against their algorithms where both are known, so a truncated or
/// mistyped key fails at load time with the line to fix.
enum IKEValidation {
    static func check(_ sa: IKESecurityAssociation, file: String, line: Int) throws {
        if let encryption = sa.encryption, let expected = encryption.keyMaterialLength, sa.version == .v2 {
            for (name, key) in [("sk-ei", sa.skEi), ("sk-er", sa.skEr)] where !key.isEmpty && key.count != expected {
                throw KeyFileError(
                    .badKeyLength, file: file, line: line, field: name,
                    "\(encryption.name) needs \(expected) bytes of key material, got \(key.count)")
            }
        }
        for (name, key) in [
            ("sk-ei", sa.skEi), ("sk-er", sa.skEr), ("sk-ai", sa.skAi), ("sk-ar", sa.skAr), ("sk-d", sa.skD),
            ("sk-pi", sa.skPi), ("sk-pr", sa.skPr), ("enc-key", sa.ikev1EncryptionKey), ("skeyid", sa.skeyid),
        ]
        where key.count > 1024 {
            throw KeyFileError(.badKeyLength, file: file, line: line, field: name, "key longer than 1024 bytes")
        }
    }
}
