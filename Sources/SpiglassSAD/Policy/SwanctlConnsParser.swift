/// Reads `swanctl --list-conns` output (strongSwan 5.x and 6.x, `list_conns.c`): the
/// configured connections with their CHILD_SAs' traffic selectors.
///
///     gw: IKEv2, no reauthentication, no rekeying, dpd delay 2s
///       local:  10.97.0.1
///       remote: 10.97.0.2
///       local pre-shared key authentication:
///         id: a@spiglass.test
///       remote pre-shared key authentication:
///         id: b@spiglass.test
///       dns: TUNNEL, no rekeying, dpd action is none
///         local:  10.200.1.0/28[udp]
///         remote: 10.200.2.1/32[udp/domain]
///
/// A connection's `local:`/`remote:` lines (one per address; strongSwan 6 adds `[port]`) are
/// its IKE addresses, the tunnel endpoints; a child's `local:`/`remote:` line lists its
/// selectors separated by blanks, as charon prints them (service names for ports, `8` or
/// `3(1)` for ICMP types and codes, `a..b` for ranges). Modes TUNNEL, TRANSPORT and BEET are
/// PROTECT policies, PASS and DROP the shunts.
enum SwanctlConnsParser: KeyDumpText {
    /// A connection line (`NAME: IKEv…, …`) followed by an indented `local:` line.
    static func looksLike(_ text: String) -> Bool {
        looksLikeBlocks(
            text, isHeader: { isConnectionLine($0) }, isBody: { $0.first == "local:" || $0.first == "remote:" })
    }

    static func isConnectionLine(_ tokens: [Substring]) -> Bool {
        tokens.count >= 2 && tokens[0].hasSuffix(":") && tokens[1].hasPrefix("IKE")
    }

    static func parse(_ text: String, file: String) throws -> KeySet {
        var keys = KeySet()
        var connection: String? = nil
        var localAddrs: [String] = []
        var remoteAddrs: [String] = []
        var child: StrongSwanChild? = nil
        func finishChild() throws {
            guard let done = child else { return }
            child = nil
            try XfrmPolicyBlock.checkCount(keys, file: file, line: done.line)
            let (policies, note) = try done.policies(file: file, source: .swanctlList)
            keys.policies += policies
            keys.notes.append(note)
        }
        try forEachDumpLine(text, file: file) { lineNumber, line, tokens in
            func note(_ kind: KeyFileNote.Kind, _ message: String) {
                keys.notes.append(KeyFileNote(kind, file: file, line: lineNumber, message))
            }
            let indent = line.prefix { $0 == " " }.count
            let first = tokens[0]
            if indent == 0 {
                try finishChild()
                guard isConnectionLine(tokens) else {
                    throw KeyFileError(
                        .syntax, file: file, line: lineNumber,
                        "expected 'NAME: IKEv2, …' to start a connection (swanctl --list-conns output), got '\(clip(first))'"
                    )
                }
                connection = String(first.dropLast())
                localAddrs = []
                remoteAddrs = []
                note(
                    .understood,
                    "connection \(PolicyText.shown(connection!)) (\(PolicyText.shown(tokens[1].filter { $0 != "," })))")
                return
            }
            guard let connection else {
                throw KeyFileError(.syntax, file: file, line: lineNumber, "indented line before any connection line")
            }
            if indent <= 2 {
                try finishChild()
                if (first == "local:" || first == "remote:") && tokens.count >= 2 {
                    // `10.97.0.1` (5.x), `10.97.0.1[500]` (6.x), `%any`
                    let address = String(tokens[1].prefix { $0 != "[" })
                    if first == "local:" { localAddrs.append(address) } else { remoteAddrs.append(address) }
                    note(.understood, "\(first.dropLast()) address \(PolicyText.shown(address))")
                } else if tokens.count >= 2, first.hasSuffix(":"),
                    ["TUNNEL,", "TRANSPORT,", "BEET,", "PASS,", "DROP,"].contains(tokens[1])
                {
                    child = StrongSwanChild(
                        connection: connection, name: String(first.dropLast()), line: lineNumber,
                        mode: String(tokens[1].dropLast()).lowercased(), localAddrs: localAddrs,
                        remoteAddrs: remoteAddrs, localField: "local", remoteField: "remote")
                    // Replaced by the child's own note when it ends.
                } else {
                    note(.ignored, "\(PolicyText.shown(first)) (authentication, not policy)")
                }
                return
            }
            if child != nil, indent <= 4 {
                switch first {
                case "local:": child!.localTS = tokens.dropFirst().map(String.init)
                case "remote:": child!.remoteTS = tokens.dropFirst().map(String.init)
                case "priority:":
                    guard tokens.count == 2, let value = UInt32(tokens[1]) else {
                        throw KeyFileError(.badValue, file: file, line: lineNumber, field: "priority", "not a number")
                    }
                    child!.priority = value
                default:
                    note(.ignored, "\(PolicyText.shown(first.dropLast())) (selects nothing a capture shows)")
                    return
                }
                note(.understood, "\(first.dropLast()) selectors of CHILD_SA \(PolicyText.shown(child!.name))")
                return
            }
            note(.ignored, "\(PolicyText.shown(first)) (authentication, not policy)")
        }
        try finishChild()
        return keys
    }
}
