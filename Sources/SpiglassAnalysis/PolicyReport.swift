import SpiglassCapture
import SpiglassSAD

/// What the policy check says about one packet: a decrypted packet outside its SA's
/// selectors, or a cleartext packet a PROTECT policy covers.
public struct PolicyNote: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case policyMismatch = "policy-mismatch"
        case leak
    }

    public var kind: Kind
    /// The policy the packet broke, in words: "CHILD_SA #1 10.200.1.0/28 → 10.200.2.1/32",
    /// "10.1.0.0/16 → 10.2.0.0/16 dir out protect esp tunnel … (xfrm.txt:9)".
    public var policy: String
    /// Why, where it says more than the policy: "source 10.200.1.77 icmp is outside
    /// 10.200.1.0/28", "the first policy selecting it is … (bypass)".
    public var reason: String?
}

/// The policy check of one ESP or AH flow.
public struct FlowPolicyStatistics: Sendable {
    /// The selectors the flow's SA was checked against, in words; nil while none is known.
    public internal(set) var selectors: String? = nil
    /// Decrypted (or AH-verified) packets checked, and those outside the selectors.
    public internal(set) var checked = 0
    public internal(set) var mismatches = 0
    /// Decrypted packets no selectors were known for.
    public internal(set) var unchecked = 0
    /// The first few packets outside, in words.
    public internal(set) var examples: [String] = []
    public internal(set) var firstMismatch: Timestamp? = nil
    public internal(set) var lastMismatch: Timestamp? = nil
    /// Examples kept per flow.
    static let maxExamples = 3

    // What the flow's SA is bound to, found once per IKE or policy change (see `PolicyCheck`).
    var bindingGeneration = -1
    var boundTunnel: Bool? = nil
    var negotiated: (selector: PolicySelector, child: Int)? = nil
    var configured: [SecurityPolicyDatabase.Binding] = []
    /// The last packet's fields and whether they were inside: a flow's packets repeat a few
    /// addresses and ports, and the answer is reused.
    var lastFields: SelectorFields? = nil
    var lastInside = true
    var lastNote: PolicyNote? = nil
}

/// Cleartext packets one PROTECT policy covered.
public struct PolicyLeak: Sendable, Equatable {
    /// "CHILD_SA #1 (negotiated) 10.200.1.0/28 → 10.200.2.1/32", or the policy's description.
    public var policy: String
    /// `negotiated` (the capture's own IKE exchanges) or the policy file and line.
    public var source: String
    public var packets = 0
    public var bytes = 0
    public var first: Timestamp
    public var last: Timestamp
    /// The first few, in words: "frame 20: 10.200.1.1 → 10.200.2.1 UDP 40000 → 5002".
    public var examples: [String] = []
    static let maxExamples = 3
}

/// The policy checks of a run, for the summary.
public struct PolicySummary: Sendable, Equatable {
    /// Policies read from policy sources, and CHILD_SAs whose negotiated selectors are known.
    public var configuredPolicies = 0
    public var negotiatedChildSAs = 0
    /// Decrypted packets checked, outside their selectors, and with no selectors to check.
    public var checked = 0
    public var mismatches = 0
    public var unchecked = 0
    /// Cleartext packets covered by a PROTECT policy, per policy in the order first seen.
    public var leaks: [PolicyLeak] = []

    public var leakPackets: Int { leaks.reduce(0) { $0 + $1.packets } }
    /// Whether there was anything to check against.
    public var active: Bool { configuredPolicies > 0 || negotiatedChildSAs > 0 }

    public init() {}
}
