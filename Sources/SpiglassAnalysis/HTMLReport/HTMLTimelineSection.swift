import SpiglassCapture
import SpiglassIKE
import SpiglassWire

/// Every IKE SA and CHILD_SA as a bar over the capture's time, rekeys as links from the old bar
/// to the new, and under each CHILD_SA its ESP and AH flows as sparklines (`SparklineRow`).
struct HTMLTimelineSection {
    let input: HTMLReportInput
    /// Rows drawn: a capture of thousands of SAs is summed up past them.
    static let maxRows = 800

    init(_ input: HTMLReportInput) { self.input = input }

    func render(_ html: inout HTMLBuilder) {
        let rows = TimelineRows.build(input, limit: HTMLTimelineSection.maxRows)
        html.element("section", [HTMLAttribute("id", "timeline")]) { section in
            section.element("h2", text: "SA timeline")
            section.element(
                "p", [HTMLAttribute("class", "muted")],
                text:
                    "Bars run from an SA's creation to its deletion or last packet; ESP and AH rows show packets over time (height), with ✗ for ICV failures, R for replays, ↯ for reordered or too-old packets and … for skipped sequence numbers. Hover a bar or a bucket for its figures."
            )
            guard !rows.rows.isEmpty else {
                section.element("p", text: "No SA and no ESP in this capture.")
                return
            }
            TimelineDiagram(input: input, rows: rows.rows).render(&section)
            if rows.omitted > 0 {
                section.element(
                    "p", [HTMLAttribute("class", "muted")], text: "\(rows.omitted) more rows are not drawn.")
            }
        }
    }
}

/// The rows of the timeline, in the order drawn: each IKE SA, its CHILD_SAs, each CHILD_SA's
/// flows; then the flows no exchange of the capture created.
struct TimelineRows {
    enum Kind {
        case ikeSA(Int)
        case child(Int)
        case flow(Int)
    }

    struct Row {
        var kind: Kind
        var label: String
        var from: Timestamp
        var to: Timestamp
        var anchor: String
    }

    var rows: [Row] = []
    var omitted = 0

    static func build(_ input: HTMLReportInput, limit: Int) -> TimelineRows {
        var result = TimelineRows()
        let ike = input.ike
        var flowsByChild: [Int: [Int]] = [:]
        for (index, flow) in input.flows.enumerated() {
            if let child = flow.childSA { flowsByChild[child, default: []].append(index) }
        }
        func add(_ row: Row) {
            if result.rows.count < limit { result.rows.append(row) } else { result.omitted += 1 }
        }
        // A CHILD_SA moves to the IKE SA that rekeyed its own: its flows are drawn the first time.
        var drawn: Set<Int> = []
        for (index, sa) in ike.ikeSAs.enumerated() {
            let children = sa.children.filter { $0 < ike.children.count }.map { child in
                (
                    child, flowsByChild[child] ?? [],
                    childSpan(input, child: child, sa: sa, flows: flowsByChild[child] ?? [])
                )
            }
            // An IKE SA still up at the end lives as long as the traffic of its CHILD_SAs.
            var end = sa.lastTime
            if sa.state == .established { end = max(end, children.map(\.2.to).max() ?? end) }
            add(
                Row(
                    kind: .ikeSA(index), label: "IKE SA #\(index + 1)", from: sa.firstTime, to: end,
                    anchor: HTMLReportInput.ikeSAAnchor(index)))
            for (child, flows, span) in children {
                add(
                    Row(
                        kind: .child(child), label: "CHILD_SA #\(child + 1)", from: span.from, to: span.to,
                        anchor: HTMLReportInput.childAnchor(child)))
                if drawn.insert(child).inserted { for flow in flows { add(flowRow(input, flow)) } }
            }
        }
        for index in input.flows.indices where input.flows[index].childSA == nil { add(flowRow(input, index)) }
        return result
    }

    static func flowRow(_ input: HTMLReportInput, _ index: Int) -> Row {
        let flow = input.flows[index]
        let proto = flow.key.ipsecProtocol == .ah ? "AH" : "ESP"
        return Row(
            kind: .flow(index), label: "\(proto) \(flow.key.spi.description)",
            from: flow.firstSeen, to: flow.lastSeen,
            anchor: HTMLReportInput.flowAnchor(index))
    }

    /// From the creating exchange's response (or request) to its Delete (or a packet of its flows
    /// after that), else to the last packet of its flows, or the IKE SA's end when it saw none.
    static func childSpan(_ input: HTMLReportInput, child: Int, sa: IKESARecord, flows: [Int]) -> (
        from: Timestamp, to: Timestamp
    ) {
        let record = input.ike.children[child]
        var from = sa.firstTime
        if record.createdBy < sa.exchanges.count {
            let exchange = sa.exchanges[record.createdBy]
            from = exchange.responseTime ?? exchange.requestTime ?? from
        }
        let lastPacket = flows.map { input.flows[$0].lastSeen }.max()
        var to = lastPacket ?? sa.lastTime
        if let deleted = record.deletedTime {
            to = max(lastPacket ?? deleted, deleted)
        } else if record.deleted || record.rekeyedBy != nil {
            to = max(to, from)
        } else {
            to = max(to, sa.lastTime)
        }
        return (from, max(from, to))
    }
}
