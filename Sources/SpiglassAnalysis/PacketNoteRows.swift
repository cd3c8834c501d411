import SpiglassSAD

/// A packet line's notes and failure details on a terminal too narrow for the whole line:
/// the packet on its first row, then each note on labelled rows under the time
/// ("policy-mismatch: …", "outside: …", "policy: …", "detail: …"), as `git` lays out its hints.
/// Piped, or where the whole line fits, the line stays as it always was.
enum PacketNoteRows {
    /// The rows' indent: under the packet line's time, left of its addresses, so that the
    /// longest selectors still fit a row of 80 columns.
    static let indent = "      "

    /// `whole` when it fits `width` (or there is none), else `head` and `rows` under it.
    static func text(whole: String, head: String, rows: [String], width: Int?) -> String {
        guard let width, !rows.isEmpty, !TerminalRows.fits(whole, width) else { return whole }
        return ([head] + rows.map { indent + $0 }).joined(separator: "\n")
    }

    /// A policy note's rows: what is outside and what it is outside of, then the policy
    /// ("CHILD_SA #1 10.200.1.0/28 → 10.200.2.1/32"), or for a leak the policy that should
    /// have protected the packet and how it was set up ("negotiated, both directions").
    static func rows(_ note: PolicyNote) -> [String] {
        switch note.kind {
        case .policyMismatch:
            guard let reason = note.reason else { return ["policy-mismatch: \(note.policy)"] }
            guard let outside = reason.range(of: " are outside ") ?? reason.range(of: " is outside ") else {
                return ["policy-mismatch: \(reason)", "policy: \(note.policy)"]
            }
            return [
                "policy-mismatch: \(reason[..<outside.lowerBound])", "outside: \(reason[outside.upperBound...])",
                "policy: \(note.policy)",
            ]
        case .leak:
            let (policy, scope) = split(note.policy)
            return ["leak: sent in clear, but this policy protects it", "policy: \(policy)"]
                + (scope.map { ["scope: \($0)"] } ?? [])
        }
    }

    /// "CHILD_SA #1 … (negotiated, both directions)" as the policy and its parenthesis.
    private static func split(_ policy: String) -> (String, String?) {
        guard policy.hasSuffix(")"), let open = policy.range(of: " (", options: .backwards) else {
            return (policy, nil)
        }
        return (String(policy[..<open.lowerBound]), String(policy[open.upperBound...].dropLast()))
    }

    /// A failure's detail ("captured 42 of 262144 bytes; ESP-in-UDP at offset 42: …"), a
    /// "detail:" row per clause; a clause wider than a row of `width` (less the rows' indent)
    /// is broken between its own clauses, aligned under its start, as `TerminalRows.prose` does.
    static func detailRows(_ detail: String, width: Int?) -> [String] {
        let room = width.map { $0 - indent.count }
        return detail.components(separatedBy: "; ").flatMap { clause in
            TerminalRows.prose("detail: ", clause, width: room).split(separator: "\n").map(String.init)
        }
    }
}
