// Wiring of the block- and log-oriented formats; their parsers live in Formats/.
extension KeyFileLoader {
    static func parseMultiLineFormat(
        _ text: String, file: String, format: KeyFileFormat, includes: KeyFileIncludes = .confined
    ) throws -> KeySet {
        switch format {
        case .tcpdump:
            // Included files are key files too: each gets its permission warning.
            var warnings: [KeyFileNote] = []
            var included: [String] = []
            var keys = try TcpdumpSecretsParser.parse(
                text, file: file,
                readFile: { path in
                    let (text, warning) = try readKeyFile(path: path, regularOnly: true)
                    if let warning { warnings.append(warning) }
                    included.append(path)
                    return text
                }, includes: includes)
            keys.addPermissionWarnings(warnings)
            keys.includedFiles += included
            return keys
        case .xfrm:
            return try XfrmStateParser.parse(text, file: file)
        case .setkey:
            return try SetkeyDumpParser.parse(text, file: file)
        case .strongswanLog:
            return try StrongSwanLogParser.parse(text, file: file)
        case .swanctlList:
            return try SwanctlConnsParser.parse(text, file: file)
        case .swanctlConf:
            return try SwanctlConfParser.parse(text, file: file)
        case .native, .wiresharkESP, .wiresharkIKEv1, .wiresharkIKEv2:
            return try parseLineFormat(text, file: file, format: format)
        }
    }

    /// Logs and SADB dumps are recognised from their whole shape, before any single line.
    static func detectMultiLineFormat(_ text: String) -> KeyFileFormat? {
        if StrongSwanLogParser.looksLike(text) { return .strongswanLog }
        if XfrmStateParser.looksLike(text) { return .xfrm }
        if SetkeyDumpParser.looksLike(text) { return .setkey }
        if SwanctlConnsParser.looksLike(text) { return .swanctlList }
        if SwanctlConfParser.looksLike(text) { return .swanctlConf }
        return nil
    }

    static func looksLikeTcpdump(_ text: String) -> Bool { TcpdumpSecretsParser.looksLike(text) }
}
