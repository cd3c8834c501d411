/// Reads the `connections` of a strongSwan `swanctl.conf` (the settings syntax of
/// strongswan.conf(5): `name { … }` sections, `key = value` lines, `#` comments, quoted
/// strings) and turns each child's `local_ts`/`remote_ts` into policies, with the
/// connection's `local_addrs`/`remote_addrs` as tunnel endpoints. The `secrets` section is
/// skipped unread: nothing of it reaches a note or an error.
enum SwanctlConfParser {
    /// A top-level `connections {` section.
    static func looksLike(_ text: String) -> Bool {
        for raw in text.utf8.prefix(1 << 16).split(
            separator: UInt8(ascii: "\n"), maxSplits: 400, omittingEmptySubsequences: true)
        {
            let line = String(decoding: raw.prefix(4096), as: UTF8.self)
            let words = line.prefix { $0 != "#" }.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.first == "connections" && (words.count == 1 || words[1] == "{") { return true }
            if words.first == "connections{" { return true }
        }
        return false
    }

    /// A section of the settings tree: its values and subsections, with their lines.
    final class Section {
        let name: String
        let line: Int
        var values: [String: (value: String, line: Int)] = [:]
        var sections: [Section] = []

        init(name: String, line: Int) {
            self.name = name
            self.line = line
        }

        func section(_ name: String) -> Section? { sections.first { $0.name == name } }
    }

    static let maxDepth = 16

    static func parse(_ text: String, file: String) throws -> KeySet {
        var keys = KeySet()
        let root = try tree(text, file: file, notes: &keys.notes)
        for connections in root.sections where connections.name == "connections" {
            for connection in connections.sections {
                let localAddrs = list(connection.values["local_addrs"]?.value ?? "")
                let remoteAddrs = list(connection.values["remote_addrs"]?.value ?? "")
                keys.notes.append(
                    KeyFileNote(
                        .understood, file: file, line: connection.line,
                        "connection \(PolicyText.shown(connection.name)): local \(localAddrs.isEmpty ? "%any" : localAddrs.map { PolicyText.shown($0) }.joined(separator: ",")), remote \(remoteAddrs.isEmpty ? "%any" : remoteAddrs.map { PolicyText.shown($0) }.joined(separator: ","))"
                    ))
                for child in connection.section("children")?.sections ?? [] {
                    var config = StrongSwanChild(
                        connection: connection.name, name: child.name, line: child.line,
                        localAddrs: localAddrs, remoteAddrs: remoteAddrs)
                    if let ts = child.values["local_ts"]?.value { config.localTS = list(ts) }
                    if let ts = child.values["remote_ts"]?.value { config.remoteTS = list(ts) }
                    if let mode = child.values["mode"]?.value { config.mode = mode }
                    config.ah = child.values["ah_proposals"] != nil && child.values["esp_proposals"] == nil
                    if let text = child.values["priority"]?.value, text != "0" {
                        guard let value = UInt32(text) else {
                            throw KeyFileError(
                                .badValue, file: file, line: child.values["priority"]!.line, field: "priority",
                                "not a number")
                        }
                        config.priority = value
                    }
                    try XfrmPolicyBlock.checkCount(keys, file: file, line: child.line)
                    let (policies, note) = try config.policies(file: file, source: .swanctlConf)
                    keys.policies += policies
                    keys.notes.append(note)
                }
            }
        }
        return keys
    }

    /// `a, b,c` → [a, b, c].
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The sections and values of the file. Values of `secrets` are not kept.
    static func tree(_ text: String, file: String, notes: inout [KeyFileNote]) throws -> Section {
        let root = Section(name: "", line: 0)
        var stack = [root]
        var lineNumber = 0
        for rawLine in KeyFileLines.of(text) {
            lineNumber += 1
            guard rawLine.utf8.count <= KeyFileLimits.maxLineBytes else {
                throw KeyFileError(
                    .tooLarge, file: file, line: lineNumber, "line longer than \(KeyFileLimits.maxLineBytes) bytes")
            }
            var rest = Substring(stripComment(rawLine))
            while true {
                rest = rest.drop { $0 == " " || $0 == "\t" || $0 == "\u{feff}" }
                if rest.isEmpty { break }
                if rest.first == "}" {
                    guard stack.count > 1 else {
                        throw KeyFileError(.syntax, file: file, line: lineNumber, "'}' without its section")
                    }
                    stack.removeLast()
                    rest = rest.dropFirst()
                    continue
                }
                let inSecrets = stack.contains { $0.name == "secrets" }
                if let brace = rest.firstIndex(of: "{"), !rest[..<brace].contains("=") {
                    // `name {` or `name : template {`
                    var name = rest[..<brace].trimmingCharacters(in: .whitespaces)
                    if let colon = name.firstIndex(of: ":") {
                        notes.append(
                            KeyFileNote(
                                .warning, file: file, line: lineNumber,
                                "section \(PolicyText.shown(name)) inherits from another one: settings only given there are not read"
                            ))
                        name = String(name[..<colon]).trimmingCharacters(in: .whitespaces)
                    }
                    guard !name.isEmpty else {
                        throw KeyFileError(.syntax, file: file, line: lineNumber, "a section without a name")
                    }
                    guard stack.count <= maxDepth else {
                        throw KeyFileError(
                            .tooLarge, file: file, line: lineNumber, "sections nested more than \(maxDepth) deep")
                    }
                    let section = Section(name: name, line: lineNumber)
                    stack.last!.sections.append(section)
                    stack.append(section)
                    rest = rest[rest.index(after: brace)...]
                    continue
                }
                if let equals = rest.firstIndex(of: "=") {
                    let key = rest[..<equals].trimmingCharacters(in: .whitespaces)
                    let value = rest[rest.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
                    let text: String
                    (text, rest) = try readValue(value, key: key, file: file, line: lineNumber)
                    if !inSecrets && stack.count > 1 { stack.last!.values[key] = (text, lineNumber) }
                    continue
                }
                if rest.hasPrefix("include") {
                    notes.append(
                        KeyFileNote(
                            .warning, file: file, line: lineNumber,
                            "include is not followed: give the included file's connections with -k as well"))
                    break
                }
                throw KeyFileError(.syntax, file: file, line: lineNumber, "expected 'name {', 'key = value' or '}'")
            }
        }
        guard stack.count == 1 else {
            throw KeyFileError(
                .syntax, file: file, line: lineNumber,
                "section '\(PolicyText.shown(stack.last!.name))' (line \(stack.last!.line)) is not closed")
        }
        return root
    }

    /// A value after `key =`: quoted (ending at its closing quote, `\"` inside is a quote) or bare
    /// (to the end of the line or a closing brace); and what follows it on the line.
    private static func readValue(
        _ start: Substring, key: String, file: String, line: Int
    ) throws -> (text: String, rest: Substring) {
        var value = start
        var text: String
        if value.first == "\"" {
            // A quoted value ends at its closing quote; `\"` inside is a quote.
            value = value.dropFirst()
            var end = value.startIndex
            var escaped = false
            text = ""
            while end < value.endIndex && (escaped || value[end] != "\"") {
                if escaped || value[end] != "\\" { text.append(value[end]) }
                escaped = !escaped && value[end] == "\\"
                end = value.index(after: end)
            }
            guard end < value.endIndex else {
                throw KeyFileError(.syntax, file: file, line: line, field: key, "unterminated quote")
            }
            return (text, value[value.index(after: end)...])
        } else {
            // An unquoted value runs to the end of the line or a closing brace.
            let end = value.firstIndex(of: "}") ?? value.endIndex
            text = value[..<end].trimmingCharacters(in: .whitespaces)
            return (text, value[end...])
        }
    }

    /// The line without a `#` comment (outside double quotes).
    private static func stripComment(_ line: Substring) -> Substring {
        var inQuotes = false
        for index in line.indices {
            if line[index] == "\"" { inQuotes.toggle() }
            if line[index] == "#" && !inQuotes { return line[..<index] }
        }
        return line
    }
}
