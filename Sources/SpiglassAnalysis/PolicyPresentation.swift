import SpiglassCapture

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
    static func totalsLine(_ summary: PolicySummary) -> String? {
        guard summary.active else { return nil }
        var sources: [String] = []
        if summary.configuredPolicies > 0 {
            sources.append("\(summary.configuredPolicies) SPD entries from policy files")
        }
        if summary.negotiatedChildSAs > 0 {
            sources.append("\(summary.negotiatedChildSAs) CHILD_SA(s) with negotiated selectors")
        }
        var line =
            "Policy: \(sources.joined(separator: " and ")); \(summary.checked) packet(s) checked after decryption, "
        line += "\(summary.mismatches) outside their selectors"
        if summary.unchecked > 0 { line += ", \(summary.unchecked) of SAs with no selectors known" }
        line += "; \(summary.leakPackets) cleartext packet(s) leaked"
        if !summary.leaks.isEmpty {
            line += " under \(summary.leaks.count) polic\(summary.leaks.count == 1 ? "y" : "ies")"
        }
        return line + "\n"
    }

    /// One finding line per policy that leaked.
    static func leakFindings(_ summary: PolicySummary) -> [String] {
        summary.leaks.map { leak in
            let more = leak.packets > leak.examples.count ? ", …" : ""
            return
                "  leak: \(leak.policy): \(leak.packets) packet(s), \(leak.bytes) bytes in clear from \(TimeFormat.iso8601Text(leak.first)) to \(TimeFormat.iso8601Text(leak.last)): \(leak.examples.joined(separator: ", "))\(more)\n"
        }
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
