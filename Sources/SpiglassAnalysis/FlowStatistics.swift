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
    /// ESP, or AH (the same SPI may name one SA of each).
    public var ipsecProtocol: IPsecProtocol = .esp
}

/// Counters and state of one observed ESP flow.
public struct FlowStatistics: Sendable {
    public var key: FlowKey
    public var saIndex: Int?
    public var saMatch: SADatabase.MatchKind?
    public var packets = 0
    public var bytes = 0
    public var counts = VerdictCounts()
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp
    public var firstSequence: UInt64?
    public var lastSequence: UInt64?
    public var sequenceTracker: SequenceNumberTracker
    /// What a receiver's anti-replay window would have made of this flow's packets.
    public var replay: ReplayWindow
    /// Why this flow's ICVs fail, found by retrying its first failing packet (nil: not known).
    public var icvDiagnosis: String? = nil
    public var icvDiagnosed = false
    /// The CHILD_SA (index in the IKE reconstruction) that negotiated this SPI.
    public var childSA: Int? = nil
    /// The IKE reconstruction's `childGeneration` when `childSA` was last looked up.
    var childGeneration = -1
    /// The policy check of the flow's decrypted packets.
    public internal(set) var policy = FlowPolicyStatistics()
    /// The frame in which the flow was first seen (flows are listed in this order).
    public internal(set) var firstFrame = 0

    public func count(_ verdict: PacketVerdict) -> Int { counts[verdict] }
}

/// Per-run totals.
public struct AnalysisSummary: Sendable {
    public var frames = 0
    public var bytes = 0
    public var verdicts = VerdictCounts()
    public var espPackets = 0
    public var ahPackets = 0
    public var ikePackets = 0
    public var written = 0
    public var firstTime: Timestamp?
    public var lastTime: Timestamp?
    /// Set when the capture file ended in the middle of a record or was otherwise damaged.
    public var damage: String?
    /// libpcap's counters, for a live capture.
    public var capture: CaptureStatistics?
    /// What went wrong, or is weak, per SA: filled in when the run finishes.
    public var findings: [Finding] = []
    /// The policy checks (decrypted packets against their selectors, leaks).
    public var policy = PolicySummary()
    /// How often each event `--fail-on` can ask about happened.
    public var events = RunEventCounts()
    public var diagnostics: [String] = []

    public func count(_ verdict: PacketVerdict) -> Int { verdicts[verdict] }
}

/// A count per verdict, in a fixed array: counting is per packet, and hashing an enum into a
/// dictionary for it showed up in profiles.
public struct VerdictCounts: Sendable, Equatable {
    private var values = [Int](repeating: 0, count: PacketVerdict.allCases.count)

    public init() {}

    /// Sum over all verdicts.
    public var total: Int { values.reduce(0, +) }

    /// Adds `other`'s counts to these.
    mutating func add(_ other: VerdictCounts) {
        for index in values.indices { values[index] += other.values[index] }
    }

    public subscript(_ verdict: PacketVerdict) -> Int {
        get { values[verdict.index] }
        set { values[verdict.index] = newValue }
    }
}

extension PacketVerdict {
    /// Position in `allCases`, computed once per case.
    var index: Int {
        switch self {
        case .decrypted: return 0
        case .icvFailed: return 1
        case .badPadding: return 2
        case .dummy: return 3
        case .malformed: return 4
        case .noSA: return 5
        case .unsupportedAlgorithm: return 6
        case .ike: return 7
        case .ah: return 8
        case .natKeepalive: return 9
        case .fragment: return 10
        case .notIPsec: return 11
        case .undecodable: return 12
        case .ahVerified: return 13
        case .ahICVFailed: return 14
        case .espNull: return 15
        case .tcpSegment: return 16
        }
    }
}

/// What libpcap counted during a live capture.
public struct CaptureStatistics: Sendable, Equatable {
    public var received: Int
    public var dropped: Int
    public var interfaceDropped: Int
}

/// One thing a user should know about an SA.
public struct Finding: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case icvFailures = "icv-failures"
        case weakAlgorithm = "weak-algorithm"
        case replay
        case loss
        /// Decrypted packets outside the SA's selectors (see `PolicyCheck`).
        case policyMismatch = "policy-mismatch"
    }

    public var kind: Kind
    public var spi: UInt32
    public var source: IPAddress
    public var destination: IPAddress
    public var message: String
}
