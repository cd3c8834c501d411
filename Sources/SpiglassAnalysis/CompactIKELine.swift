import SpiglassIKE

/// An IKE message line as a terminal shows it (`analyze` and `ike`): no ports or protocol
/// name (the `IKE SA #n` lines and `-V` have them), the IKE SPIs as their first 8 hex digits
/// (`IKESPIAbbreviation.prefix`), the protection only when it is not the plain case (a clear
/// message, or a decrypted one whose integrity checked). One row when the whole line fits, or
/// from `CompactPacketLine.wholeLineColumns` up with the payload list cut at payload
/// boundaries to that row; narrower, two rows laid out: the message (frame, time, addresses,
/// exchange), then under the addresses' column its IKE SPIs and payload list, cut to that row.
/// Error notifies, the protection's failures and the message's problems are never cut.
enum CompactIKELine {
    /// `head`: the line's start up to the addresses, with the hang mark where the second row
    /// starts; `tail`: what the whole line ends with (problems, reassembly).
    static func text(_ message: IKEMessageRecord, head: String, tail: String, width: Int, display: TextDisplay)
        -> String
    {
        let first = head + " " + IKEDescribe.headline(message)
        var second = IKESPIAbbreviation.prefix(message.spis)
        // Laid out on two rows, the headline's last words ("retransmission") start the second
        // row when the first has no room for them.
        var words = IKEDescribe.headline(message).split(separator: " ").map(String.init)
        var moved: [String] = []
        while words.count > 1, LineFitter.rowCount(head + " " + words.joined(separator: " "), width: width) > 1 {
            moved.insert(words.removeLast(), at: 0)
        }
        let firstRow = head + " " + words.joined(separator: " ")
        let indent = String(repeating: " ", count: LineFitter.hangColumn(head) ?? 0) + moved.map { $0 + " " }.joined()
        func laidOut(_ rest: String) -> String {
            let whole = first + " " + rest
            return LineFitter.rowCount(whole, width: width) == 1 ? whole : firstRow + "\n" + indent + rest
        }
        guard message.captureDuplicateOf == nil else {
            return laidOut(second + " (\(IKEDescribe.protection(message)))" + tail)
        }
        let plain =
            (message.decryption == .notEncrypted && message.integrity == .unchecked)
            || (message.decryption == .decrypted && message.integrity == .ok)
        let spis = second
        if !plain { second += " (\(IKEDescribe.protection(message)))" }
        let parts = Parts(message, display: display)
        let whole = first + " " + second + ": " + parts.text(parts.fields, kept: parts.fields.map { _ in true }) + tail
        if LineFitter.rowCount(whole, width: width) == 1 { return whole }
        // A wide terminal has room for the message and the start of its payloads on one row.
        if width >= CompactPacketLine.wholeLineColumns {
            return parts.oneRow(start: first + " " + second + ": ", end: tail, width: width)
        }
        let laid = firstRow + "\n" + parts.oneRow(start: indent + second + ": ", end: tail, width: width)
        guard laid.split(separator: "\n").contains(where: { LineFitter.rowCount(String($0), width: width) > 1 }) else {
            return laid
        }
        // Still too long: the IKE SPIs and payloads on the second row, then the protection and
        // the problems on rows of their own, broken between their clauses.
        let pad = String(repeating: " ", count: LineFitter.hangColumn(head) ?? 0)
        let withProtection = parts.oneRow(start: indent + second + ": ", end: "", width: width)
        var rows = [firstRow, parts.oneRow(start: indent + spis + ": ", end: "", width: width)]
        if LineFitter.rowCount(withProtection, width: width) == 1 {
            rows[1] = withProtection
        } else if !plain {
            var protection = TerminalRows.shortenedKeyFiles(IKEDescribe.protection(message))
            if protection.hasPrefix(Self.notDecrypted) {
                // "(not decrypted): E" on the SPIs' row, the reason on a `why:` row.
                protection.removeFirst(Self.notDecrypted.count)
                rows[1] = parts.oneRow(start: indent + spis + " (not decrypted): ", end: "", width: width)
                rows.append(TerminalRows.prose(pad + "why: ", protection, width: width))
            } else {
                rows.append(TerminalRows.prose(pad + "(", protection + ")", width: width))
            }
        }
        let problems = tail.drop { $0 == " " }
        if !problems.isEmpty {
            // Broken between the problems, inside one only when it is wider than a row.
            let items = TerminalRows.items(String(problems), at: ["]"]).flatMap {
                TerminalRows.fits(pad + $0, width) ? [$0] : TerminalRows.items($0)
            }
            rows.append(TerminalRows.alignedList(pad, items, separator: " ", width: width))
        }
        return rows.joined(separator: "\n")
    }

    /// How `IKEDescribe.protection` starts the reason a message did not open.
    static let notDecrypted = "not decrypted: "

    /// An `ike` ladder's row of a message's payloads (`start`: "      → frame 3: "): the
    /// ladder's list when it fits the row or says why the message did not open, else the
    /// list cut at payload boundaries to the row.
    static func ladderRow(_ message: IKEMessageRecord, start: String, width: Int, display: TextDisplay) -> String {
        let whole = start + IKEDescribe.payloadList(message, display: display)
        let plain =
            (message.decryption == .notEncrypted && message.integrity == .unchecked)
            || (message.decryption == .decrypted && message.integrity == .ok)
        guard message.captureDuplicateOf == nil, LineFitter.rowCount(whole, width: width) > 1 else { return whole }
        guard plain else {
            // Why it did not open on a `why:` row under the list, broken between its clauses.
            var why = TerminalRows.shortenedKeyFiles(IKEDescribe.protection(message))
            let lead = String(repeating: " ", count: start.prefix { $0 == " " }.count + 2)
            guard why.hasPrefix(Self.notDecrypted) else {
                let bare = Parts(message, display: display).oneRow(start: start, end: "", width: width)
                return bare + "\n" + TerminalRows.prose(lead, why, width: width)
            }
            why.removeFirst(Self.notDecrypted.count)
            let bare = Parts(message, display: display).oneRow(start: start, end: " (not decrypted)", width: width)
            return bare + "\n" + TerminalRows.prose(lead + "why: ", why, width: width)
        }
        return Parts(message, display: display).oneRow(start: start, end: "", width: width)
    }

    /// A message's payload names in two lists: outside the encryption, and inside it when it
    /// was decrypted; and what the encrypted part is called ("SK", "E{…}", "SKF{pending}").
    struct Parts {
        var clear: [CompactFields.Field] = []
        var sealed: [CompactFields.Field] = []
        /// Nil for a clear message; "SK", "SK(unauthenticated)" or "E" before the decrypted
        /// payloads; the whole encrypted part ("SK", "SKF{pending}") when it stayed closed.
        var sealedName: String?
        var decrypted = false

        init(_ message: IKEMessageRecord, display: TextDisplay) {
            switch message.payloads {
            case .v2(let payloads):
                self.init(message, payloads, sealedName: "SK") {
                    (IKEDescribe.shortName($0, display: display), $0.isErrorNotify)
                }
            case .v1(let payloads):
                self.init(message, payloads, sealedName: "E") {
                    (IKEDescribe.shortName($0, display: display), $0.isErrorNotify)
                }
            }
        }

        /// `describe`: a payload's short name, and whether it is an error notify.
        private init<Payload>(
            _ message: IKEMessageRecord, _ payloads: [Payload], sealedName name: String,
            describe: (Payload) -> (String, Bool)
        ) {
            let field = { (payload: Payload) in
                let (text, isError) = describe(payload)
                return CompactFields.Field(text: text, essential: isError)
            }
            let split = min(message.decryptedFrom ?? payloads.count, payloads.count)
            clear = payloads[..<split].map(field)
            decrypted = message.decryption == .decrypted
            if decrypted {
                sealedName = name + (message.integrity == .failed ? "(unauthenticated)" : "")
                sealed = payloads[split...].map(field)
            } else {
                // The whole line says why the encrypted part stayed closed.
                sealedName = IKEDescribe.closedPartName(message)
            }
        }

        var fields: [CompactFields.Field] { clear + sealed }

        /// `start`, the list cut at payload boundaries to one row of `width`, `end`; the
        /// essential payloads whatever rows they take.
        func oneRow(start: String, end: String, width: Int) -> String {
            let list = CompactFields(fields: fields)
            func render(_ kept: [Bool]) -> String { start + text(list.fields, kept: kept) + end }
            return list.fitted(budgets: [1], width: width, render: render) ?? render(list.fields.map(\.essential))
        }

        func text(_ fields: [CompactFields.Field], kept: [Bool]) -> String {
            var parts: [String] = []
            if !clear.isEmpty { parts.append(CompactFields.join(fields[..<clear.count], kept: kept[..<clear.count])) }
            if let sealedName {
                let inside = CompactFields.join(fields[clear.count...], kept: kept[clear.count...])
                parts.append(decrypted ? sealedName + "{" + inside + "}" : sealedName)
            }
            return parts.joined(separator: " ")
        }
    }
}

extension IKEv2Payload {
    /// A notify of an error type, which a compact line never cuts.
    var isErrorNotify: Bool {
        if case .notify(let notify) = body { return notify.isError }
        return false
    }
}

extension IKEv1Payload {
    /// A notification of an error type, which a compact line never cuts.
    var isErrorNotify: Bool {
        if case .notification(let notify) = body { return notify.isError }
        return false
    }
}
