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
    /// The run's timestamp resolution, the finest of its inputs': the histograms and the
    /// timeline count in it.
    let resolution: TimestampResolution
    private(set) var paths: [String] = []
    private(set) var linkTypes: [String] = []
    /// By flow number (the run's flows, in the order first seen); flows past
    /// `maxHistograms` get none.
    private(set) var histograms: [SARateHistogram] = []
    private var lastSequences: [UInt64] = []
    /// Flows with a sparkline: 48 buckets of about 40 bytes each, some 2 KB a flow.
    static let maxHistograms = 20_000

    init(sink: OutputSink, ike: IKEReconstruction, resolution: TimestampResolution = .microseconds) {
        self.sink = sink
        self.ike = ike
        self.resolution = resolution
    }

    func begin(sources: [String]) { paths = sources }

    func linkTypes(_ descriptions: [String]) { linkTypes = descriptions }

    func packet(_ record: PacketRecord, sad: SADatabase, ahSAD: SADatabase, startTime: Timestamp) {
        let time = record.timestamp
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
        flow: Int, time: Timestamp, sequence: UInt64, bytes: Int, failed: Bool, replay: ReplayWindow.Outcome?
    ) {
        guard flow < HTMLReporter.maxHistograms else { return }
        while histograms.count <= flow {
            histograms.append(SARateHistogram(start: time, resolution: resolution))
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
            return owner.flow < kept.count
                ? kept[owner.flow]
                : SARateHistogram(start: Timestamp(seconds: 0, microseconds: 0), resolution: resolution)
        }
    }

    func finish(
        summary: AnalysisSummary, flows: [FlowStatistics], sad: SADatabase, ahSAD: SADatabase, untrackedFlowPackets: Int
    ) {
        let input = HTMLReportInput(
            paths: paths, linkTypes: linkTypes, summary: summary, flows: flows, sad: sad, ahSAD: ahSAD,
            untrackedFlowPackets: untrackedFlowPackets, ike: ike, histograms: histograms, resolution: resolution)
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
    /// The run's timestamp resolution (`HTMLReporter.resolution`).
    var resolution: TimestampResolution

    /// The capture's first packet (the epoch for an empty capture) and its last.
    var start: Timestamp { summary.firstTime ?? Timestamp(seconds: 0, microseconds: 0) }
    var end: Timestamp { summary.lastTime ?? start }

    /// The time from the first packet to `time` in the run's resolution: the timeline's scale.
    func sinceStart(_ time: Timestamp) -> CaptureDuration { CaptureDuration(from: start, to: time, in: resolution) }

    /// The SA of a flow, from the ESP or the AH database.
    func sa(of flow: FlowStatistics) -> SecurityAssociation? {
        guard let index = flow.saIndex else { return nil }
        let database = flow.key.ipsecProtocol == .ah ? ahSAD : sad
        return index < database.entries.count ? database.entries[index] : nil
    }

    /// A flow's algorithms ("aes-cbc-128/hmac-sha2-256-128", an AH SA's integrity), nil without keys.
    func algorithms(of flow: FlowStatistics) -> String? {
        sa(of: flow).map { flow.key.ipsecProtocol == .ah ? $0.integrity.name : $0.algorithmDescription }
    }

    /// Anchor of a flow's row in the SA table.
    static func flowAnchor(_ index: Int) -> String { "flow-\(index + 1)" }
    static func ikeSAAnchor(_ index: Int) -> String { "ike-sa-\(index + 1)" }
    static func childAnchor(_ index: Int) -> String { "child-sa-\(index + 1)" }
}
