import SpiglassCapture
import SpiglassWire

/// How the policy check's results read in text and JSON, for the packet and the IKE reports
/// alike (the schema is in the README).
enum PolicyPresentation {
    // MARK: - Text

    /// Appended to a packet's line: " [policy-mismatch: …]" or " [leak: …]".
    static func packetSuffix(_ note: PolicyNote) -> String {
        switch note.kind {
        case .policyMismatch:
            return " [policy-mismatch: \(note.reason.map { $0 + " " } ?? "")(\(note.policy))]"
        case .leak:
            return " [leak: sent in clear, but \(note.policy) protects it]"
        }
    }

    /// The SA table's "Policy" cell of a flow.
    static func cell(_ stats: FlowPolicyStatistics) -> String {
        if stats.selectors == nil { return stats.unchecked > 0 ? "no selectors" : "-" }
        return stats.mismatches > 0 ? "\(stats.mismatches)/\(stats.checked) outside" : "ok \(stats.checked)"
    }

    /// The "Policy:" line of the totals; nil when nothing was checked against anything.
    static func totalsLine(_ summary: PolicySummary) -> String? { totals(summary)?.whole.appending("\n") }

    /// The "Policy:" line, and for a narrow terminal its sources with a row each for what
    /// was checked, what had no selectors and what leaked.
    static func totals(_ summary: PolicySummary) -> LaidOutLine? {
        guard summary.active else { return nil }
        var sources: [String] = []
        if summary.configuredPolicies > 0 {
            sources.append("\(summary.configuredPolicies) SPD entries from policy files")
        }
        if summary.negotiatedChildSAs > 0 {
            sources.append("\(summary.negotiatedChildSAs) CHILD_SA(s) with negotiated selectors")
        }
        let headline = "Policy: \(sources.joined(separator: " and "))"
        let outside = "\(summary.mismatches) outside their selectors"
        var line = "\(headline); \(summary.checked) packet(s) checked after decryption, \(outside)"
        var rows = ["checked: \(summary.checked) decrypted packet(s), \(outside)"]
        if summary.unchecked > 0 {
            line += ", \(summary.unchecked) of SAs with no selectors known"
            rows.append("unchecked: \(summary.unchecked) packet(s) of SAs with no selectors known")
        }
        let policies =
            summary.leaks.isEmpty
            ? "" : " under \(summary.leaks.count) polic\(summary.leaks.count == 1 ? "y" : "ies")"
        return LaidOutLine(
            whole: "\(line); \(summary.leakPackets) cleartext packet(s) leaked\(policies)", headline: headline,
            rows: rows + ["leaked: \(summary.leakPackets) cleartext packet(s)\(policies)"])
    }

    /// One finding line per policy that leaked.
    static func leakFindings(_ summary: PolicySummary) -> [String] {
        leakLines(summary, start: nil).map { "  " + $0.whole + "\n" }
    }

    /// Each leak as its finding line, and for a narrow terminal as the policy with rows for
    /// how it was negotiated, what went in clear (times from `start`, the capture's first
    /// packet, as the SA table has them) and an example per row.
    static func leakLines(_ summary: PolicySummary, start: Timestamp?) -> [LaidOutLine] {
        summary.leaks.map { leak in
            let more = leak.packets > leak.examples.count ? ", …" : ""
            let whole =
                "leak: \(leak.policy): \(leak.packets) packet(s), \(leak.bytes) bytes in clear from \(TimeFormat.iso8601Text(leak.first)) to \(TimeFormat.iso8601Text(leak.last)): \(leak.examples.joined(separator: ", "))\(more)"
            // "CHILD_SA #1 … (negotiated, both directions)": the parenthesis on a row of its own.
            var policy = leak.policy[...]
            var rows: [String] = []
            if policy.hasSuffix(")"), let open = policy.range(of: " (", options: .backwards) {
                rows.append("policy: \(policy[open.upperBound..<policy.index(before: policy.endIndex)])")
                policy = policy[..<open.lowerBound]
            }
            let from = SATableText.seconds(
                CaptureTime.elapsed(
                    from: start?.totalMicroseconds ?? leak.first.totalMicroseconds, to: leak.first.totalMicroseconds))
            let span = SATableText.seconds(
                CaptureTime.elapsed(from: leak.first.totalMicroseconds, to: leak.last.totalMicroseconds))
            rows.append("in clear: \(leak.packets) packet(s), \(leak.bytes) bytes, from \(from) s for \(span) s")
            rows += exampleRows(leak.examples, more: leak.packets - leak.examples.count)
            return LaidOutLine(whole: whole, headline: "leak: \(policy)", rows: rows)
        }
    }

    /// "example: frame 25: 10.200.1.77 → 10.200.2.1 ICMP echo request" per example, then
    /// "more: 3 packet(s)" for those not shown.
    static func exampleRows(_ examples: [String], more: Int) -> [String] {
        examples.map { "example: \($0)" } + (more > 0 ? ["more: \(more) packet(s)"] : [])
    }

    // MARK: - JSON

    static func packetJSON(_ note: PolicyNote) -> String {
        var o = JSONObject()
        o.string("check", note.kind.rawValue)
        o.string("policy", note.policy)
        o.string("reason", note.reason)
        return o.finished
    }

    static func flowJSON(_ stats: FlowPolicyStatistics) -> String {
        var o = JSONObject()
        o.string("selectors", stats.selectors)
        o.int("checked", stats.checked)
        o.int("mismatches", stats.mismatches)
        o.int("unchecked", stats.unchecked)
        o.string("first_mismatch", stats.firstMismatch.flatMap(TimeFormat.iso8601))
        o.string("last_mismatch", stats.lastMismatch.flatMap(TimeFormat.iso8601))
        o.raw("examples", JSONObject.array(stats.examples.map(JSONObject.quote)))
        return o.finished
    }

    static func summaryJSON(_ summary: PolicySummary) -> String {
        var o = JSONObject()
        o.int("configured_policies", summary.configuredPolicies)
        o.int("negotiated_child_sas", summary.negotiatedChildSAs)
        o.int("checked", summary.checked)
        o.int("mismatches", summary.mismatches)
        o.int("unchecked", summary.unchecked)
        o.int("leak_packets", summary.leakPackets)
        o.raw(
            "leaks",
            JSONObject.array(
                summary.leaks.map { leak in
                    var l = JSONObject()
                    l.string("policy", leak.policy)
                    l.string("source", leak.source)
                    l.int("packets", leak.packets)
                    l.int("bytes", leak.bytes)
                    l.string("first_seen", TimeFormat.iso8601(leak.first))
                    l.string("last_seen", TimeFormat.iso8601(leak.last))
                    l.raw("examples", JSONObject.array(leak.examples.map(JSONObject.quote)))
                    return l.finished
                }))
        return o.finished
    }

    /// `findings` entries for leaks: no SA, so `spi`, `src` and `dst` are null.
    static func leakFindingsJSON(_ summary: PolicySummary) -> [String] {
        summary.leaks.map { leak in
            JSONReporter.findingJSON(
                kind: "leak", spi: nil, source: nil, destination: nil,
                message: "\(leak.policy): \(leak.packets) packet(s) in clear: \(leak.examples.joined(separator: ", "))")
        }
    }

    static func eventsJSON(_ events: RunEventCounts) -> String {
        var o = JSONObject()
        for event in RunEvent.allCases { o.int(event.rawValue, events[event]) }
        return o.finished
    }
}
