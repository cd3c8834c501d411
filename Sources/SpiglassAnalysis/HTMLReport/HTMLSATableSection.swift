import SpiglassCapture

/// Every ESP/AH flow as a row (sortable by the page's script; a plain table without it): SPI,
/// peers, algorithms, key source, CHILD_SA, packets, bytes, verified / decrypted / failed, loss,
/// duplicates, reordering, first and last seen.
struct HTMLSATableSection {
    let input: HTMLReportInput
    /// Rows listed; past them the table says how many more there are.
    static let maxRows = 5000

    init(_ input: HTMLReportInput) { self.input = input }

    func render(_ html: inout HTMLBuilder) {
        let flows = input.flows
        html.element("section", [HTMLAttribute("id", "sas")]) { section in
            section.element("h2", text: "Security associations seen (\(flows.count))")
            guard !flows.isEmpty else {
                section.element("p", text: "No ESP or AH in this capture.")
                return
            }
            let shown = flows.indices.prefix(HTMLSATableSection.maxRows)
            HTMLReportTable.render(
                headers: [
                    "SPI", "Proto", "Source", "Destination", "Algorithms", "Key source", "CHILD_SA", "Packets", "Bytes",
                    "Verified", "Decrypted", "ICV failed", "Lost", "Duplicates", "Reordered", "First seen", "Last seen",
                ],
                rows: shown.map(row), ids: shown.map(HTMLReportInput.flowAnchor), sortable: true, into: &section)
            if flows.count > shown.count {
                section.element(
                    "p", [HTMLAttribute("class", "muted")],
                    text: "\(flows.count - shown.count) more flows are not listed (spiglass analyze -q lists them all)."
                )
            }
            if input.untrackedFlowPackets > 0 {
                section.element(
                    "p", [HTMLAttribute("class", "muted")],
                    text: "ESP packets in flows past the tracking limit: \(input.untrackedFlowPackets)")
            }
        }
    }

    private func row(_ index: Int) -> [HTMLReportTable.Cell] {
        let flow = input.flows[index]
        let isAH = flow.key.ipsecProtocol == .ah
        let sa = input.sa(of: flow)
        let child: HTMLReportTable.Cell =
            flow.childSA.map { .link("#\($0 + 1)", anchor: HTMLReportInput.childAnchor($0)) } ?? .text("-")
        return [
            .text(flow.key.spi.description), .text(isAH ? "AH" : (flow.key.udpEncapsulated ? "ESP-in-UDP" : "ESP")),
            .text(flow.key.source.description), .text(flow.key.destination.description),
            .text(input.algorithms(of: flow) ?? "(no key)"),
            .text(sa.map { $0.origin.description + (flow.saMatch == .spiOnly ? " (spi only)" : "") } ?? "-"),
            child, .number(flow.packets), .number(flow.bytes), .number(flow.verified), .number(flow.count(.decrypted)),
            .number(flow.count(.icvFailed) + flow.count(.ahICVFailed)), .number(flow.replay.lost),
            .number(flow.replay.duplicates), .number(flow.replay.late),
            .sorted(TimeFormat.iso8601Text(flow.firstSeen), flow.firstSeen.total(in: input.resolution)),
            .sorted(TimeFormat.iso8601Text(flow.lastSeen), flow.lastSeen.total(in: input.resolution)),
        ]
    }
}
