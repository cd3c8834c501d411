import SpiglassCapture
import SpiglassESP
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// `spiglass report`: keeps each ESP and AH flow's packets over time (`SARateHistogram`) as the records
/// pass, and at the end writes one self-contained HTML page (`HTMLReportDocument`) to the sink.
final class HTMLReporter: Reporter {
    let sink: OutputSink
    let ike: IKEReconstruction
    private(set) var paths: [String] = []
    private(set) var linkTypes: [String] = []
    /// By flow number (the run's flows, in the order first seen); flows past
    /// `maxHistograms` get none.
    private(set) var histograms: [SARateHistogram] = []
    private var lastSequences: [UInt64] = []
    /// Flows with a sparkline: 48 buckets of about 40 bytes each, some 2 KB a flow.
    static let maxHistograms = 20_000

    init(sink: OutputSink, ike: IKEReconstruction) {
        self.sink = sink
        self.ike = ike
    }

    func begin(sources: [String]) { paths = sources }

    func linkTypes(_ descriptions: [String]) { linkTypes = descriptions }

    func packet(_ record: PacketRecord, sad: SADatabase, ahSAD: SADatabase, startTime: Timestamp) {
        let time = record.timestamp.totalMicroseconds
        for layer in record.ah {
            guard let flow = layer.flowNumber else { continue }
            add(
                flow: flow, time: time, sequence: layer.sequence, bytes: layer.header.range.count,
                failed: layer.verdict == .ahICVFailed, replay: layer.replay)
        }
        for layer in record.esp {
            guard let flow = layer.flowNumber else { continue }
            add(
                flow: flow, time: time, sequence: layer.sequence, bytes: layer.length,
                failed: layer.verdict == .icvFailed, replay: layer.replay)
        }
    }

    /// Counts a packet of an ESP or AH flow in its histogram, with the sequence numbers it
    /// skipped since the highest before it.
    private func add(
        flow: Int, time: Int64, sequence: UInt64, bytes: Int, failed: Bool, replay: ReplayWindow.Outcome?
    ) {
        guard flow < HTMLReporter.maxHistograms else { return }
        while histograms.count <= flow {
            histograms.append(SARateHistogram(start: time))
            lastSequences.append(0)
        }
        let last = lastSequences[flow]
        let skipped = sequence > last &+ 1 && last > 0 ? sequence - last - 1 : 0
        if sequence > last { lastSequences[flow] = sequence }
        histograms[flow].add(at: time, bytes: bytes, failed: failed, replay: replay, skipped: skipped)
    }

    /// A parallel run's histograms, in the order of its merged flows: each worker kept those of
    /// its own flows, numbered as it found them (`order`: each merged flow's worker and number
    /// there). Flows past `maxHistograms` get none, as on one thread.
    func merge(_ workers: [HTMLReporter], order: [(worker: Int, flow: Int)]) {
        histograms = order.prefix(HTMLReporter.maxHistograms).map { owner in
            let kept = workers[owner.worker].histograms
            return owner.flow < kept.count ? kept[owner.flow] : SARateHistogram(start: 0)
        }
    }

    func finish(
        summary: AnalysisSummary, flows: [FlowStatistics], sad: SADatabase, ahSAD: SADatabase, untrackedFlowPackets: Int
    ) {
        let input = HTMLReportInput(
            paths: paths, linkTypes: linkTypes, summary: summary, flows: flows, sad: sad, ahSAD: ahSAD,
            untrackedFlowPackets: untrackedFlowPackets, ike: ike, histograms: histograms)
        sink.write(HTMLReportDocument(input).render())
        sink.flush()
    }
}

/// Everything the report is made from, as the run ends.
struct HTMLReportInput {
    var paths: [String]
    var linkTypes: [String]
    var summary: AnalysisSummary
    var flows: [FlowStatistics]
    var sad: SADatabase
    var ahSAD: SADatabase
    var untrackedFlowPackets: Int
    var ike: IKEReconstruction
    var histograms: [SARateHistogram]

    /// The capture's first packet, microseconds since 1970 (0 for an empty capture).
    var start: Int64 { summary.firstTime?.totalMicroseconds ?? 0 }
    var end: Int64 { summary.lastTime?.totalMicroseconds ?? start }

    /// The SA of a flow, from the ESP or the AH database.
    func sa(of flow: FlowStatistics) -> SecurityAssociation? {
        guard let index = flow.saIndex else { return nil }
        let database = flow.key.ipsecProtocol == .ah ? ahSAD : sad
        return index < database.entries.count ? database.entries[index] : nil
    }

    /// Anchor of a flow's row in the SA table.
    static func flowAnchor(_ index: Int) -> String { "flow-\(index + 1)" }
    static func ikeSAAnchor(_ index: Int) -> String { "ike-sa-\(index + 1)" }
    static func childAnchor(_ index: Int) -> String { "child-sa-\(index + 1)" }
}
