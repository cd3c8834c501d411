import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire

/// An ESP flow as seen on the wire: one SPI between two addresses (an SA in one direction).
public struct FlowKey: Hashable, Sendable {
    public var spi: UInt32
    public var source: IPAddress
    public var destination: IPAddress
    public var udpEncapsulated: Bool
}

/// Counters and state of one observed ESP flow.
public struct FlowStatistics: Sendable {
    public var key: FlowKey
    public var saIndex: Int?
    public var saMatch: SADatabase.MatchKind?
    public var packets = 0
    public var bytes = 0
    public var counts: [PacketVerdict: Int] = [:]
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp
    public var firstSequence: UInt64?
    public var lastSequence: UInt64?
    public var sequenceTracker: SequenceNumberTracker

    public func count(_ verdict: PacketVerdict) -> Int { counts[verdict] ?? 0 }
}

/// Per-run totals.
public struct AnalysisSummary: Sendable {
    public var frames = 0
    public var bytes = 0
    public var verdicts: [PacketVerdict: Int] = [:]
    public var espPackets = 0
    public var ahPackets = 0
    public var ikePackets = 0
    public var written = 0
    public var firstTime: Timestamp?
    public var lastTime: Timestamp?
    /// Set when the capture file ended in the middle of a record or was otherwise damaged.
    public var damage: String?
    public var diagnostics: [String] = []

    public func count(_ verdict: PacketVerdict) -> Int { verdicts[verdict] ?? 0 }
}
