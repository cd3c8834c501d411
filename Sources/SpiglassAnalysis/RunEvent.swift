import SpiglassIKE

/// Things a run can find that a script may want to fail on (`--fail-on`).
public enum RunEvent: String, Sendable, CaseIterable {
    /// A packet failed its ESP ICV or AH ICV.
    case icv
    /// A replayed (duplicate) packet, or one older than the anti-replay window.
    case replay
    /// Sequence numbers that never arrived intact.
    case loss
    /// An ESP or AH SA with a weak algorithm (RFC 8221; the SA findings).
    case weakAlgorithm = "weak-algorithm"
    /// An IKE SA that failed or got no response, or a CHILD_SA that was not established.
    case ikeFailure = "ike-failure"
    /// A decrypted packet outside its SA's selectors.
    case policyMismatch = "policy-mismatch"
    /// A packet in clear that a PROTECT policy covers.
    case leak

    var index: Int { RunEvent.allCases.firstIndex(of: self)! }
}

/// How often each `RunEvent` happened in a finished run.
public struct RunEventCounts: Sendable, Equatable {
    private var values = [Int](repeating: 0, count: RunEvent.allCases.count)

    public init() {}

    public subscript(_ event: RunEvent) -> Int {
        get { values[event.index] }
        set { values[event.index] = newValue }
    }

    /// Counted from the run's final state (after findings and the policy summary).
    init(summary: AnalysisSummary, flows: [FlowStatistics], ike: IKEReconstruction) {
        self.init()
        for flow in flows {
            self[.icv] += flow.count(.icvFailed) + flow.count(.ahICVFailed)
            self[.replay] += flow.replay.duplicates + flow.replay.tooOld
            self[.loss] += flow.replay.lost
        }
        self[.weakAlgorithm] = summary.findings.filter { $0.kind == .weakAlgorithm }.count
        for sa in ike.ikeSAs {
            switch sa.state {
            case .failed, .noResponse: self[.ikeFailure] += 1
            default: break
            }
        }
        self[.ikeFailure] += ike.children.filter { !$0.established && $0.failure != nil }.count
        self[.policyMismatch] = summary.policy.mismatches
        self[.leak] = summary.policy.leakPackets
    }
}
