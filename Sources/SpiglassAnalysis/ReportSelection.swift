import SpiglassCapture
import SpiglassIKE
import SpiglassWire

/// What `--spi`, `--ike-sa` and `--from`/`--to` select: the packets, IKE SAs and SAs a report
/// shows. Selection happens at reporting, never before analysis: every packet is still read,
/// decrypted and counted (an SA's replay window, loss and sequence figures need all of its
/// packets, and IKE keys come from exchanges that may lie outside the selection), so frame
/// numbers, relative times and each shown SA's figures are those of the whole capture.
///
/// A packet is shown when it lies in the time range and, when SAs are named, belongs to one of
/// them: an ESP or AH packet by its SPI (or by the IKE SA that negotiated its CHILD_SA), an IKE
/// message by its IKE SA.
public struct ReportSelection: Sendable, Equatable {
    /// ESP/AH SPIs (`--spi` with up to 8 hex digits).
    public var spis: Set<SPI> = []
    /// IKE SPIs, initiator's or responder's (`--spi` with 9 to 16 hex digits): their IKE SA.
    public var ikeSPIs: Set<UInt64> = []
    /// IKE SAs as the `ike` report numbers them (#1 is 1).
    public var ikeSANumbers: Set<Int> = []
    /// Inclusive bounds (`--from`, `--to`).
    public var from: TimeBound? = nil
    public var to: TimeBound? = nil

    public init() {}

    /// A bound of the time range: a capture time, or seconds since the run's first frame
    /// (tshark's `frame.time_relative`).
    public enum TimeBound: Sendable, Equatable {
        case absolute(Timestamp)
        /// Seconds and nanoseconds (0..<1,000,000,000) after the first frame.
        case relative(seconds: Int64, nanoseconds: Int32)

        /// Units of `resolution` since 1970 (saturating), for a run whose first frame is at
        /// `start` in those units: a nanosecond capture is selected to the nanosecond, a
        /// microsecond one as before (a bound's further digits cut).
        func units(start: Int64, _ resolution: TimestampResolution) -> Int64 {
            switch self {
            case .absolute(let time):
                return time.total(in: resolution)
            case .relative(let seconds, let nanoseconds):
                let offset = Timestamp(seconds: seconds, nanoseconds: nanoseconds, resolution: resolution)
                    .total(in: resolution)
                let (sum, overflow) = start.addingReportingOverflow(offset)
                return overflow ? .max : sum
            }
        }
    }

    /// Whether anything is selected at all (nothing: every report is whole).
    public var isActive: Bool { selectsBySA || from != nil || to != nil }
    /// Whether SAs were named (otherwise only the time range selects).
    var selectsBySA: Bool { !spis.isEmpty || followsIKE }
    /// Whether membership depends on the IKE story (which CHILD_SAs an IKE SA created): known
    /// only to the analyzer that follows IKE, so such a run reads with one thread.
    public var followsIKE: Bool { !ikeSPIs.isEmpty || !ikeSANumbers.isEmpty }

    // MARK: Packets

    /// Whether `record` is shown, in a run whose first frame is at `start`.
    func admits(_ record: PacketRecord, start: Timestamp, ike: IKEReconstruction) -> Bool {
        let resolution = TimestampResolution.finer(start.resolution, record.timestamp.resolution)
        guard contains(record.timestamp.total(in: resolution), start: start.total(in: resolution), resolution) else {
            return false
        }
        guard selectsBySA else { return true }
        for layer in record.esp where admits(spi: layer.spi, ike: ike) { return true }
        for layer in record.ah where admits(spi: layer.header.spi, ike: ike) { return true }
        if let index = record.ikeMessage?.ikeSAIndex, admits(ikeSA: index, ike: ike) { return true }
        if let header = record.ike {
            return ikeSPIs.contains(header.initiatorSPI) || ikeSPIs.contains(header.responderSPI)
        }
        return false
    }

    /// Whether `time` (units of `resolution` since 1970) lies in the range.
    func contains(_ time: Int64, start: Int64, _ resolution: TimestampResolution = .microseconds) -> Bool {
        if let from, time < from.units(start: start, resolution) { return false }
        if let to, time > to.units(start: start, resolution) { return false }
        return true
    }

    /// Whether the span `first...last` meets the range, to the nanosecond where the times have them.
    func overlaps(_ first: Timestamp, _ last: Timestamp, start: Timestamp) -> Bool {
        let resolution = max(start.resolution, first.resolution, last.resolution)
        let origin = start.total(in: resolution)
        if let from, last.total(in: resolution) < from.units(start: origin, resolution) { return false }
        if let to, first.total(in: resolution) > to.units(start: origin, resolution) { return false }
        return true
    }

    /// An ESP or AH SPI named, or one of a CHILD_SA of a named IKE SA.
    func admits(spi: SPI, ike: IKEReconstruction) -> Bool {
        if spis.contains(spi) { return true }
        guard followsIKE, let child = ike.childSA(spi: spi), child < ike.children.count else { return false }
        return admits(ikeSA: ike.children[child].ikeSAIndex, ike: ike)
    }

    /// IKE SA `index` (of `ike.ikeSAs`) named by number or by one of its SPIs.
    func admits(ikeSA index: Int, ike: IKEReconstruction) -> Bool {
        if ikeSANumbers.contains(index + 1) { return true }
        guard index < ike.ikeSAs.count else { return false }
        let spis = ike.ikeSAs[index].spis
        return ikeSPIs.contains(spis.initiator) || ikeSPIs.contains(spis.responder)
    }

    // MARK: Tables

    /// The SAs (flows) shown: named (or created by a named IKE SA) and seen in the time range.
    func flows(_ flows: [FlowStatistics], start: Timestamp, ike: IKEReconstruction) -> [FlowStatistics] {
        flows.filter { flow in
            guard overlaps(flow.firstSeen, flow.lastSeen, start: start) else { return false }
            guard selectsBySA else { return true }
            if admits(spi: flow.key.spi, ike: ike) { return true }
            guard let child = flow.childSA, child < ike.children.count else { return false }
            return admits(ikeSA: ike.children[child].ikeSAIndex, ike: ike)
        }
    }

    /// The IKE SAs shown (indexes in `ike.ikeSAs`): named, or having created a named SPI's
    /// CHILD_SA, and active in the time range.
    func ikeSAs(start: Timestamp, ike: IKEReconstruction) -> Set<Int> {
        var shown: Set<Int> = []
        for (index, sa) in ike.ikeSAs.enumerated() where overlaps(sa.firstTime, sa.lastTime, start: start) {
            let named =
                !selectsBySA || admits(ikeSA: index, ike: ike)
                || sa.children.contains {
                    $0 < ike.children.count && ike.children[$0].spis.contains(where: spis.contains)
                }
            if named { shown.insert(index) }
        }
        return shown
    }

    /// The findings about the SAs shown.
    static func findings(_ findings: [Finding], of flows: [FlowStatistics]) -> [Finding] {
        findings.filter { finding in
            flows.contains {
                $0.key.spi == finding.spi && $0.key.source == finding.source
                    && $0.key.destination == finding.destination
            }
        }
    }
}
