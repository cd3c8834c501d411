import SpiglassCapture
import SpiglassSAD

/// The overview: what the capture is, which keys were used and what they opened, the verdict
/// totals, and the findings ranked by severity, each linked to its evidence further down.
struct HTMLOverviewSection {
    let input: HTMLReportInput
    /// Key rows shown; a key file of thousands of SAs is summed up past these.
    static let maxKeyRows = 200
    static let openKeyRows = 4

    init(_ input: HTMLReportInput) { self.input = input }

    func render(_ html: inout HTMLBuilder) {
        html.element("section", [HTMLAttribute("id", "overview")]) { section in
            section.element("h2", text: "Overview")
            facts(&section)
            findings(&section)
            verdicts(&section)
            keys(&section)
        }
    }

    private func facts(_ html: inout HTMLBuilder) {
        let summary = input.summary
        var rows: [(String, String)] = []
        rows.append(("Files", input.paths.isEmpty ? "-" : input.paths.joined(separator: "\n")))
        if let first = summary.firstTime, let last = summary.lastTime {
            let span = TimeFormat.seconds(input.sinceStart(input.end))
            rows.append(
                ("Time span", "\(TimeFormat.iso8601Text(first)) to \(TimeFormat.iso8601Text(last)) (\(span) s)"))
        }
        rows.append(("Frames", "\(summary.frames) (\(summary.bytes) bytes)"))
        rows.append(
            ("IPsec", "ESP \(summary.espPackets), AH \(summary.ahPackets), IKE \(summary.ikePackets) packets"))
        rows.append(("Link types", input.linkTypes.isEmpty ? "-" : input.linkTypes.joined(separator: ", ")))
        let cut = input.flows.map(\.cutSnapLength).max() ?? 0
        let truncated = summary.count(.truncated)
        rows.append(
            (
                "Snapshot length",
                cut > 0
                    ? "frames cut at \(cut) bytes (\(truncated) packets truncated)"
                    : "no IPsec frame was cut by the snapshot length"
            ))
        rows.append(("Damage", summary.damage ?? "none: every file was read to its end"))
        if let capture = summary.capture {
            rows.append(
                (
                    "Live capture",
                    "\(capture.received) received, \(capture.dropped) dropped by kernel, \(capture.interfaceDropped) by interface"
                ))
        }
        HTMLReportTable.facts(rows, into: &html)
    }

    private func findings(_ html: inout HTMLBuilder) {
        let findings = HTMLReportFinding.collect(input)
        html.element("h3", text: "Findings (\(findings.count))")
        guard !findings.isEmpty else {
            html.element("p", [HTMLAttribute("class", "ok")], text: "✓ nothing failed and nothing weak was found")
            return
        }
        html.element("ol", [HTMLAttribute("class", "findings")]) { list in
            for finding in findings {
                list.element("li") { item in
                    let mark = finding.severity == .failure ? "✗ " : finding.severity == .warning ? "! " : "i "
                    let style =
                        finding.severity == .failure
                        ? "sev bad" : finding.severity == .warning ? "sev warn" : "sev muted"
                    item.element("span", [HTMLAttribute("class", style)], text: mark + finding.severity.word)
                    item.text(" " + finding.text + " ")
                    if let anchor = finding.anchor {
                        item.element("a", [HTMLAttribute("href", "#" + anchor)], text: "evidence")
                    }
                }
            }
        }
    }

    private func verdicts(_ html: inout HTMLBuilder) {
        html.element("h3", text: "Verdicts")
        let counted = PacketVerdict.allCases.filter { input.summary.count($0) > 0 }
        guard !counted.isEmpty else {
            html.element("p", text: "no packets")
            return
        }
        HTMLReportTable.render(
            headers: ["Verdict", "Packets"],
            rows: counted.map { [.text($0.rawValue), .number(input.summary.count($0))] }, sortable: false,
            into: &html)
    }

    private func keys(_ html: inout HTMLBuilder) {
        html.element("h3", text: "Keys and what they opened")
        let ike = input.ike
        let keyed = ike.ikeSAs.filter(\.keysKnown).count
        html.element(
            "p",
            text:
                "IKE: keys for \(keyed) of \(ike.ikeSAs.count) IKE SAs; \(ike.decryptedCount) messages decrypted, \(ike.integrityFailureCount) failed integrity."
        )
        // Per SA (by protocol and index): packets, verified, decrypted of the flows it opened.
        var opened: [Bool: [Int: (Int, Int, Int)]] = [false: [:], true: [:]]
        for flow in input.flows {
            guard let index = flow.saIndex else { continue }
            let isAH = flow.key.ipsecProtocol == .ah
            let sum = opened[isAH]?[index] ?? (0, 0, 0)
            opened[isAH]?[index] = (sum.0 + flow.packets, sum.1 + flow.verified, sum.2 + flow.count(.decrypted))
        }
        var rows: [[HTMLReportTable.Cell]] = []
        for (isAH, database) in [(false, input.sad), (true, input.ahSAD)] {
            for (index, sa) in database.entries.enumerated() {
                let sum = opened[isAH]?[index] ?? (0, 0, 0)
                rows.append([
                    .text(isAH ? "AH" : "ESP"), .text(sa.spi?.description ?? "any"),
                    .text(isAH ? sa.integrity.name : sa.algorithmDescription), .text(sa.origin.description),
                    .number(sum.0), .number(sum.1), .number(sum.2),
                ])
            }
        }
        guard !rows.isEmpty else {
            html.element("p", text: "ESP/AH: no keys given or derived.")
            return
        }
        let used = rows.filter { if case .number(let packets) = $0[4] { packets > 0 } else { false } }.count
        // A short list is open; a long one (every SA of a key file, and those derived) on click.
        let open = rows.count <= HTMLOverviewSection.openKeyRows ? [HTMLAttribute("open", "open")] : []
        html.element("details", open) { details in
            details.element(
                "summary",
                text:
                    "ESP/AH: \(rows.count) SAs with keys (from the key files, or derived from SK_d), \(used) of them matched packets"
            )
            HTMLReportTable.render(
                headers: ["Proto", "SPI", "Algorithms", "Key source", "Packets", "Verified", "Decrypted"],
                rows: Array(rows.prefix(HTMLOverviewSection.maxKeyRows)), sortable: true, into: &details)
            if rows.count > HTMLOverviewSection.maxKeyRows {
                details.element(
                    "p", [HTMLAttribute("class", "muted")],
                    text: "\(rows.count - HTMLOverviewSection.maxKeyRows) more key SAs not listed.")
            }
        }
    }
}
