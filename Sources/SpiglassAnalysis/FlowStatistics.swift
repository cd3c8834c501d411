import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire

/// An ESP flow as seen on the wire: one SPI between two addresses (an SA in one direction).
public struct FlowKey: Hashable, Sendable {
    public var spi: SPI
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
    /// Packets and bytes of the flow, capture duplicates left out (see `captureDuplicates`).
    public var packets = 0
    public var bytes = 0
    public var counts = VerdictCounts()
    /// Of the `decrypted` packets, those released without a verified ICV (the SA has none, or
    /// an ICV of unknown algorithm that is not checked).
    public var decryptedWithoutIntegrity = 0
    /// Of the `garbled` packets, those whose ICV verified: the encryption key is the suspect.
    public var garbledVerified = 0
    /// Released packets whose padding bytes were not 1, 2, 3, … (RFC 4303 2.4).
    public var nonDefaultPadding = 0
    /// Copies of this flow's packets that the capture itself made (`capture-duplicate`).
    public var captureDuplicates = 0
    /// The flow's last packets, to recognise those copies.
    var duplicates = CaptureDuplicateFilter()
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp
    public var firstSequence: UInt64?
    public var lastSequence: UInt64?
    public var sequenceTracker: SequenceNumberTracker
    /// What a receiver's anti-replay window would have made of this flow's packets.
    public var replay: ReplayWindow
    /// Why this flow's ICVs fail, found by retrying its SA's first failing packet when the run
    /// ends (nil: none failed, or not known yet).
    public var icvDiagnosis: ICVDiagnosisOutcome? = nil
    /// Whether a packet of this flow failed, so that its SA's diagnosis applies to it.
    public var icvDiagnosed = false
    /// Why this flow's packets verify but decrypt to garbage, when another SA's encryption key
    /// opens them (found from its SA's first garbled packet when the run ends).
    public var garbledDiagnosis: String? = nil
    var garbledDiagnosed = false
    /// The CHILD_SA (index in the IKE reconstruction) that negotiated this SPI.
    public var childSA: Int? = nil
    /// The IKE reconstruction's `childGeneration` when `childSA` was last looked up.
    var childGeneration = -1
    /// The largest captured length of this flow's frames that the snapshot length cut: the
    /// capture's snapshot length, as far as these frames tell.
    public var cutSnapLength = 0
    /// The policy check of the flow's decrypted packets.
    public internal(set) var policy = FlowPolicyStatistics()
    /// The frame in which the flow was first seen (flows are listed in this order).
    public internal(set) var firstFrame = 0

    public func count(_ verdict: PacketVerdict) -> Int { counts[verdict] }

    /// Adds a packet seen at `time` to the counters (see `Analyzer.count`); returns the
    /// anti-replay window's verdict for the verdicts that move it.
    mutating func tally(_ verdict: PacketVerdict, sequence: UInt64, bytes: Int, at time: Timestamp)
        -> ReplayWindow.Outcome?
    {
        var outcome: ReplayWindow.Outcome? = nil
        switch verdict {
        case .decrypted, .dummy, .garbled, .noSA, .unsupportedAlgorithm, .espNull, .ahVerified, .ah:
            outcome = replay.record(sequence)
        default:
            break
        }
        packets += 1
        self.bytes += bytes
        counts[verdict] += 1
        lastSeen = time
        if firstSequence == nil { firstSequence = sequence }
        lastSequence = sequence
        return outcome
    }

    /// Packets whose ICV (or AH ICV) verified and that were released.
    public var verified: Int { count(.decrypted) - decryptedWithoutIntegrity + count(.ahVerified) }
}

/// Per-run totals.
public struct AnalysisSummary: Sendable {
    /// Every frame read, those `-f` rejected among them (they keep the numbering).
    public var frames = 0
    /// Frames the `-f` filter rejected: counted, not analysed.
    public var filterExcluded = 0
    /// Frames `--spi`/`--ike-sa`/`--from`/`--to` selected; nil when nothing selects.
    public var selectedFrames: Int? = nil
    public var bytes = 0
    /// Frames left out of the packet list (`AnalysisOptions.hideNonIPsec`).
    public var hiddenFrames = 0
    public var verdicts = VerdictCounts()
    public var espPackets = 0
    public var ahPackets = 0
    public var ikePackets = 0
    public var written = 0
    public var firstTime: Timestamp?
    public var lastTime: Timestamp?
    /// Why capture files ended in the middle of a record or were otherwise damaged, or why
    /// libpcap could not read the rest of them, in the order the stream met them.
    public var damages: [CaptureDamage] = []
    /// `damages` as one sentence; nil when every file was read to its end.
    public var damage: String? { CaptureDamageText.sentence(damages) }
    /// Set when a stop request (SIGINT, SIGTERM) ended the reading of a file before its end.
    public var stoppedEarly = false
    /// libpcap's counters, for a live capture.
    public var capture: CaptureStatistics?
    /// Set when the -w file could not be written completely (it names the file); the path then
    /// keeps what it held before the run.
    public var outputFailure: String?
    /// What went wrong, or is weak, per SA: filled in when the run finishes.
    public var findings: [Finding] = []
    /// The policy checks (decrypted packets against their selectors, leaks).
    public var policy = PolicySummary()
    /// How often each event `--fail-on` can ask about happened.
    public var events = RunEventCounts()
    /// The run's warnings, each once, in the order a single thread raises them.
    public var warnings: [RunWarning] = []
    /// `warnings` as their sentences.
    public var diagnostics: [String] { warnings.map(\.sentence) }

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
        case .garbled: return 2
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
        case .truncated: return 17
        case .captureDuplicate: return 18
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
        /// The capture's snapshot length cut the SA's packets.
        case truncated
        /// Packets verified but did not decrypt to well-formed packets: the encryption key.
        case garbled
        /// Released packets with padding bytes other than 1, 2, 3, ….
        case padding
        case weakAlgorithm = "weak-algorithm"
        case replay
        case loss
        /// Decrypted packets outside the SA's selectors (see `PolicyCheck`).
        case policyMismatch = "policy-mismatch"
    }

    public var kind: Kind
    public var spi: SPI
    public var source: IPAddress
    public var destination: IPAddress
    /// The finding in one sentence (JSON, piped text).
    public var message: String
    /// The same on a narrow terminal: the fact, then labelled rows (`LaidOutLine`).
    var layout: LaidOutLine
}
