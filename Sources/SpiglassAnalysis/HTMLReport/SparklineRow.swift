import SpiglassCapture
import SpiglassWire

/// One flow on the timeline: a thin bar over its life and its packets per bucket as columns, with
/// glyphs (not colour alone) where ICV failures, replays, reordering and skipped sequence numbers
/// happened. Every column's `<title>` gives its figures.
struct SparklineRow {
    let diagram: TimelineDiagram
    let flow: FlowStatistics
    let histogram: SARateHistogram?

    func render(_ svg: inout HTMLBuilder, row: TimelineRows.Row, top: Double) {
        let from = diagram.x(row.from)
        let base = top + TimelineDiagram.flowHeight - 4
        svg.element(
            "rect",
            [
                HTMLAttribute("class", "bar"), HTMLAttribute("x", from), HTMLAttribute("y", base),
                HTMLAttribute("width", max(diagram.x(row.to) - from, 2)), HTMLAttribute("height", 2),
            ]
        ) {
            $0.element(
                "title",
                text:
                    "\(row.label) \(flow.key.source) → \(flow.key.destination) (\(diagram.input.algorithms(of: flow) ?? "no key")): \(flow.packets) packets, \(flow.bytes) bytes, \(flow.verified) verified, \(flow.count(.icvFailed) + flow.count(.ahICVFailed)) ICV failures"
            )
        }
        guard let histogram else { return }
        let highest = Double(histogram.buckets.map(\.packets).max() ?? 0)
        guard highest > 0 else { return }
        // Bucket times as offsets from the capture's first packet, in the run's resolution.
        let first = diagram.input.sinceStart(histogram.start).units
        for (index, bucket) in histogram.buckets.enumerated() where bucket.packets > 0 {
            let start = first &+ Int64(index) &* histogram.width
            let left = diagram.x(offset: start)
            let width = max(diagram.x(offset: start &+ histogram.width) - left, 1.5)
            let height = max(Double(bucket.packets) / highest * (TimelineDiagram.flowHeight - 10), 1)
            svg.element(
                "rect",
                [
                    HTMLAttribute("class", "spark"), HTMLAttribute("x", left), HTMLAttribute("y", base - height),
                    HTMLAttribute("width", width), HTMLAttribute("height", height),
                ]
            ) { $0.element("title", text: title(bucket, start: start, width: histogram.width)) }
            marks(&svg, bucket, x: left + width / 2, y: base - height - 1)
        }
    }

    private func title(_ bucket: SARateHistogram.Bucket, start: Int64, width: Int64) -> String {
        let resolution = diagram.input.resolution
        let from = TimeFormat.seconds(CaptureDuration(units: start, resolution: resolution))
        let span = TimeFormat.seconds(CaptureDuration(units: width, resolution: resolution))
        var text = "+\(from) s, \(span) s: \(bucket.packets) packets, \(bucket.bytes) bytes"
        if bucket.failures > 0 { text += ", \(bucket.failures) ICV failures" }
        if bucket.replays > 0 { text += ", \(bucket.replays) replays" }
        if bucket.late > 0 { text += ", \(bucket.late) reordered or too old" }
        if bucket.skipped > 0 { text += ", \(bucket.skipped) sequence numbers skipped" }
        return text
    }

    private func marks(_ svg: inout HTMLBuilder, _ bucket: SARateHistogram.Bucket, x: Double, y: Double) {
        var glyphs: [(String, String)] = []
        if bucket.failures > 0 { glyphs.append(("✗", "mark")) }
        if bucket.replays > 0 { glyphs.append(("R", "mark")) }
        if bucket.late > 0 { glyphs.append(("↯", "gap")) }
        if bucket.skipped > 0 { glyphs.append(("…", "gap")) }
        for (offset, glyph) in glyphs.enumerated() {
            svg.element(
                "text",
                [
                    HTMLAttribute("class", glyph.1), HTMLAttribute("x", x + Double(offset) * 8),
                    HTMLAttribute("y", y), HTMLAttribute("text-anchor", "middle"),
                ], text: glyph.0)
        }
    }
}
