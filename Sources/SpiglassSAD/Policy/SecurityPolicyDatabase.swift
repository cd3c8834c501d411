/// The policies read from policy sources, as the SPDs of the hosts they came from: each file
/// (or `--key`) is one host's SPD, looked up in its own order. Answers the two questions a
/// capture can put to an SPD:
///
/// - inbound (RFC 4301 5.2): after an SA verified and decrypted a packet, is the inner packet
///   one this SA may carry? RFC 4301 5: "the SAD acts as a cache for checking the selectors
///   of inbound IPsec-protected traffic arriving on SAs". As Linux does it
///   (`xfrm_policy_check`): the first policy, in priority order, that selects the inner
///   packet must be a PROTECT policy whose templates the SA satisfies.
/// - leak: a packet seen in clear, would the SPD have protected it? RFC 4301 5: "the SPD
///   (or associated caches) MUST be consulted during the processing of all traffic that
///   crosses the IPsec protection boundary"; a packet whose first matching policy is PROTECT
///   should never cross the wire in clear. BYPASS and DISCARD policies before it are honoured.
public struct SecurityPolicyDatabase: Sendable {
    public private(set) var policies: [SecurityPolicy] = []
    /// Per SPD and lookup (`out`, `in`, `fwd`, as Linux keeps them), policy indices in
    /// lookup order.
    private var lookups: [[[Int]]] = []
    /// SPD (index into the arrays above) of each policy.
    private var spdOf: [Int] = []
    public private(set) var spdNames: [String] = []

    public init() {}

    public init(_ policies: [SecurityPolicy]) {
        self.policies = policies
        var spdByFile: [String: Int] = [:]
        for (index, policy) in policies.enumerated() {
            let spd: Int
            if let known = spdByFile[policy.origin.file] {
                spd = known
            } else {
                spd = spdNames.count
                spdByFile[policy.origin.file] = spd
                spdNames.append(policy.origin.file)
                lookups.append([[], [], []])
            }
            spdOf.append(spd)
            lookups[spd][Lookup(policy.direction).rawValue].append(index)
        }
        // Priority order; the sort is stable, so equal priorities keep the file order.
        for spd in spdNames.indices {
            for lookup in 0..<3 { lookups[spd][lookup].sort { policies[$0].priority < policies[$1].priority } }
        }
    }

    public var isEmpty: Bool { policies.isEmpty }
    public var count: Int { policies.count }

    /// Which of an SPD's lookups a policy belongs to: Linux looks traffic the host sends up
    /// among the `out` policies, traffic for itself among `in`, traffic it forwards among `fwd`.
    public enum Lookup: Int, Sendable, Hashable {
        case outbound
        case inbound
        case forward

        init(_ direction: SecurityPolicy.Direction) {
            switch direction {
            case .outbound: self = .outbound
            case .inbound: self = .inbound
            case .forward: self = .forward
            }
        }
    }

    /// The SPD lookups that have a PROTECT policy asking for an SA like `sa`: the ones whose
    /// verdict on that SA's packets means something, ordered by SPD. Computed once per flow.
    public func bindings(for sa: ProtectingSA) -> [Binding] {
        var found: [Binding] = []
        for (index, policy) in policies.enumerated() where policy.isSatisfied(by: sa) {
            let binding = Binding(spd: spdOf[index], lookup: Lookup(policy.direction))
            if !found.contains(binding) { found.append(binding) }
        }
        // `checkInbound` walks them SPD by SPD.
        return found.sorted { ($0.spd, $0.lookup.rawValue) < ($1.spd, $1.lookup.rawValue) }
    }

    /// One SPD lookup that concerns an SA.
    public struct Binding: Sendable, Hashable {
        public var spd: Int
        public var lookup: Lookup
    }

    /// The PROTECT policies that ask for an SA like `sa`, for reports.
    public func policiesAsking(for sa: ProtectingSA) -> [Int] {
        policies.indices.filter { policies[$0].isSatisfied(by: sa) }
    }

    public enum InboundVerdict: Sendable, Equatable {
        /// No SPD has a policy for this SA: nothing to check it against.
        case unbound
        /// The first policy selecting the packet asks for this SA.
        case inside(policy: Int)
        /// The packet is not traffic this SA may carry: the first policy selecting it is
        /// `matched` (a BYPASS, a DISCARD, or a PROTECT asking for another SA), or none does.
        case outside(matched: Int?)
    }

    /// The inbound check of one decrypted packet, against the lookups `bindings` returned
    /// for its SA. Every SPD that has a policy for the SA must accept the packet; within one
    /// SPD, any of its lookups may (the capture does not say whether the host received the
    /// packet for itself or forwarded it, and a policy read for both directions is in two).
    public func checkInbound(_ packet: SelectorFields, protectedBy sa: ProtectingSA, bindings: [Binding])
        -> InboundVerdict
    {
        guard !bindings.isEmpty else { return .unbound }
        var accepted: Int? = nil
        var spd = -1
        var spdAccepted = false
        var refused: (spd: Int, matched: Int?)? = nil
        for binding in bindings {
            if binding.spd != spd {
                if spd >= 0 && !spdAccepted { return .outside(matched: refused?.matched) }
                spd = binding.spd
                spdAccepted = false
                refused = nil
            }
            let first = lookups[spd][binding.lookup.rawValue].first { policies[$0].selector.matches(packet) }
            if let first, policies[first].isSatisfied(by: sa) {
                spdAccepted = true
                accepted = accepted ?? first
            } else if refused == nil {
                refused = (spd, first)
            }
        }
        if !spdAccepted { return .outside(matched: refused?.matched) }
        return .inside(policy: accepted ?? 0)
    }

    /// The PROTECT policy a packet seen in clear falls under, if any: the first policy of an
    /// SPD lookup that selects it requires protection, and the packet is not traffic between
    /// that policy's own tunnel endpoints. Any lookup counts: whether the host sent, received
    /// or forwarded the packet, a policy requiring protection says it should not be in clear.
    public func leak(_ packet: SelectorFields) -> Int? {
        for spd in spdNames.indices {
            for lookup in 0..<3 {
                if let found = leak(packet, order: lookups[spd][lookup]) { return found }
            }
        }
        return nil
    }

    private func leak(_ packet: SelectorFields, order: [Int]) -> Int? {
        guard let first = order.first(where: { policies[$0].selector.matches(packet) }) else { return nil }
        let policy = policies[first]
        return policy.requiresProtection && !policy.isBetweenTunnelEndpoints(packet) ? first : nil
    }
}
