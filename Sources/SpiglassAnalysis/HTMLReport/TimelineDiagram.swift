import SpiglassCapture
import SpiglassWire

/// The timeline's SVG: a time axis, one bar per IKE SA and CHILD_SA, a sparkline per flow, and
/// dashed links from each rekeyed SA to the SA that replaced it.
struct TimelineDiagram {
    let input: HTMLReportInput
    let rows: [TimelineRows.Row]

    static let width = 1000.0
    static let x0 = 190.0
    static let x1 = 985.0
    static let barHeight = 20.0
    static let flowHeight = 28.0
    static let axisHeight = 30.0

    /// The capture's span in units of the run's resolution.
    private var span: Int64 { input.sinceStart(input.end).units }

    func x(_ time: Timestamp) -> Double { x(offset: input.sinceStart(time).units) }

    /// The position of a time `offset` units of the run's resolution after the first packet.
    func x(offset: Int64) -> Double {
        let position =
            TimelineDiagram.x0 + Double(offset) / Double(max(span, 1)) * (TimelineDiagram.x1 - TimelineDiagram.x0)
        return min(max(position, TimelineDiagram.x0), TimelineDiagram.x1)
    }

    func render(_ html: inout HTMLBuilder) {
        var tops: [Double] = []
        var y = TimelineDiagram.axisHeight
        for row in rows {
            tops.append(y)
            if case .flow = row.kind { y += TimelineDiagram.flowHeight } else { y += TimelineDiagram.barHeight + 4 }
        }
        let height = y + 6
        html.svg(
            className: "timeline", width: TimelineDiagram.width, height: height,
            label: "SA timeline: \(rows.count) rows"
        ) { svg in
            axis(&svg, height: height)
            for (row, top) in zip(rows, tops) { draw(&svg, row, top: top) }
            rekeyLinks(&svg, tops: tops)
        }
    }

    private func axis(_ svg: inout HTMLBuilder, height: Double) {
        for step in 0...4 {
            // The last tick is the end itself, not four truncated quarters of the span.
            let offset = step == 4 ? span : span / 4 * Int64(step)
            let position = x(offset: offset)
            svg.empty(
                "line",
                [
                    HTMLAttribute("class", "axis"), HTMLAttribute("x1", position), HTMLAttribute("y1", 18),
                    HTMLAttribute("x2", position), HTMLAttribute("y2", height),
                ])
            let anchor = step == 0 ? "start" : step == 4 ? "end" : "middle"
            svg.element(
                "text",
                [
                    HTMLAttribute("x", position), HTMLAttribute("y", 13), HTMLAttribute("text-anchor", anchor),
                    HTMLAttribute("class", "muted"),
                ], text: "+\(TimeFormat.seconds(CaptureDuration(units: offset, resolution: input.resolution))) s")
        }
    }

    private func draw(_ svg: inout HTMLBuilder, _ row: TimelineRows.Row, top: Double) {
        let indent: Double
        switch row.kind {
        case .ikeSA: indent = 4
        case .child: indent = 16
        case .flow: indent = 28
        }
        svg.element("a", [HTMLAttribute("href", "#" + row.anchor)]) {
            $0.element(
                "text", [HTMLAttribute("x", indent), HTMLAttribute("y", top + 14)],
                text: IKELadderDiagram.fitted(row.label, limit: 26))
        }
        switch row.kind {
        case .ikeSA(let index): bar(&svg, row, top: top, child: false, title: ikeSATitle(index) + span(row))
        case .child(let index): bar(&svg, row, top: top, child: true, title: childTitle(index) + span(row))
        case .flow(let index):
            SparklineRow(
                diagram: self, flow: input.flows[index],
                histogram: index < input.histograms.count ? input.histograms[index] : nil
            )
            .render(&svg, row: row, top: top)
        }
    }

    private func bar(_ svg: inout HTMLBuilder, _ row: TimelineRows.Row, top: Double, child: Bool, title: String) {
        let from = x(row.from)
        svg.element(
            "rect",
            [
                HTMLAttribute("class", child ? "bar child" : "bar"), HTMLAttribute("x", from),
                HTMLAttribute("y", top + 2),
                HTMLAttribute("width", max(x(row.to) - from, 2)),
                HTMLAttribute("height", TimelineDiagram.barHeight - 4),
                HTMLAttribute("rx", 3),
            ]
        ) { $0.element("title", text: title) }
    }

    /// When the bar's SA lived, from the first packet, and for how long: "+0.457275683 s to
    /// +1.227907533 s (0.770631850 s)", with the decimals of the run's resolution.
    private func span(_ row: TimelineRows.Row) -> String {
        let seconds = { TimeFormat.seconds(input.sinceStart($0)) }
        let life = TimeFormat.seconds(CaptureDuration(from: row.from, to: row.to, in: input.resolution))
        return "\n+\(seconds(row.from)) s to +\(seconds(row.to)) s (\(life) s)"
    }

    private func ikeSATitle(_ index: Int) -> String {
        let sa = input.ike.ikeSAs[index]
        return "IKE SA #\(index + 1) \(sa.spis)\n\(sa.initiator) ⇄ \(sa.responder)\n\(IKESAWords.state(sa.state))\n"
            + sa.proposalNames.joined(separator: " ")
    }

    private func childTitle(_ index: Int) -> String {
        let child = input.ike.children[index]
        var text = "CHILD_SA #\(index + 1) \(child.protocolID == 2 ? "AH" : "ESP") \(child.spiText)\n"
        text += child.established ? child.proposalNames.joined(separator: " ") : "not established"
        if child.deleted { text += "\ndeleted" }
        return text
    }

    /// A dashed line from the end of each rekeyed IKE SA or CHILD_SA to the start of its successor.
    private func rekeyLinks(_ svg: inout HTMLBuilder, tops: [Double]) {
        var rowOfIKESA: [Int: Int] = [:]
        var rowOfChild: [Int: Int] = [:]
        for (index, row) in rows.enumerated() {
            if case .ikeSA(let sa) = row.kind { rowOfIKESA[sa] = index }
            if case .child(let child) = row.kind { rowOfChild[child] = index }
        }
        var pairs: [(Int, Int)] = []
        for (sa, row) in rowOfIKESA {
            if let next = input.ike.ikeSAs[sa].rekeyedBy, let other = rowOfIKESA[next] { pairs.append((row, other)) }
        }
        for (child, row) in rowOfChild {
            if let next = input.ike.children[child].rekeyedBy, let other = rowOfChild[next] {
                pairs.append((row, other))
            }
        }
        for (old, new) in pairs.sorted(by: { $0 < $1 }) {
            let fromX = x(rows[new].from)
            let fromY = tops[old] + TimelineDiagram.barHeight / 2
            let toY = tops[new] + TimelineDiagram.barHeight / 2
            let path = "M\(HTMLAttribute.number(fromX)) \(HTMLAttribute.number(fromY)) V\(HTMLAttribute.number(toY))"
            svg.element("path", [HTMLAttribute("class", "link"), HTMLAttribute("d", path)]) {
                $0.element("title", text: "\(rows[old].label) rekeyed by \(rows[new].label)")
            }
        }
    }
}
