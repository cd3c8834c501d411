import SpiglassIKE

/// An IKE message line as a terminal shows it (`analyze` and `ike`): no ports or protocol
/// name (the `IKE SA #n` lines and `-V` have them), the IKE SPIs as their first 8 hex digits
/// (`IKESPIAbbreviation.prefix`), the protection only when it is not the plain case (a clear
/// message, or a decrypted one whose integrity checked), and the payload list cut at payload
/// boundaries so that the line takes at most two rows. Error notifies, the protection's
/// failures and the message's problems are never cut.
enum CompactIKELine {
    /// Rows a compact IKE line may take when its payload list can be cut to fit.
    static let rows = 2

    /// `head`: the line's start up to the addresses; `tail`: what the whole line ends with
    /// (problems, reassembly).
    static func text(_ message: IKEMessageRecord, head: String, tail: String, width: Int, display: TextDisplay)
        -> String
    {
        var line = head + " " + IKEDescribe.headline(message) + " " + IKESPIAbbreviation.prefix(message.spis)
        guard message.captureDuplicateOf == nil else { return line + " (\(IKEDescribe.protection(message)))" + tail }
        let plain =
            (message.decryption == .notEncrypted && message.integrity == .unchecked)
            || (message.decryption == .decrypted && message.integrity == .ok)
        if !plain { line += " (\(IKEDescribe.protection(message)))" }
        let parts = Parts(message, display: display)
        let list = CompactFields(fields: parts.clear + parts.sealed)
        func render(_ kept: [Bool]) -> String {
            line + ": " + parts.text(list.fields, kept: kept) + tail
        }
        let cutAll = list.fields.map(\.essential)
        return list.fitted(budgets: [rows], width: width, render: render) ?? render(cutAll)
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
