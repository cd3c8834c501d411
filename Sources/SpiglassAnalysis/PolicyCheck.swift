import SpiglassCapture
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// The two checks of the Security Policy Database a capture allows:
///
/// - every decrypted (or AH-verified) packet is held to the selectors of the SA that
///   protected it (RFC 4301 5.2): the traffic selectors its CHILD_SA negotiated in the
///   capture, and the policies of the policy files that ask for such an SA;
/// - every packet seen in clear that is not IPsec is held to the PROTECT policies: those of
///   the CHILD_SAs alive at that moment, and those of the policy files.
///
/// Per flow, what the SA is bound to is found once (again after an IKE exchange settles new
/// SPIs, or a reload) and the last packet's answer is kept, so a decrypted packet costs a
/// comparison of its fields in the common case and no allocation.
final class PolicyCheck {
    // Read for every decrypted packet (`isActive`), written only by a reload.
    @exclusivity(unchecked) private(set) var database: SecurityPolicyDatabase
    private let ike: IKEReconstruction
    /// The workers of a parallel run that do not follow IKE: worker 0's CHILD_SAs by SPI, with
    /// their selectors. Nil where `ike` is followed (the cleartext all goes there).
    private let replica: ChildSAReplica?
    /// Bumped by every reload: flows bind again.
    private var reloads = 0
    /// CHILD_SAs with selectors, for the leak check, as of `activeGeneration`.
    private var negotiated: [NegotiatedPolicy] = []
    private var activeGeneration = -1
    /// Cleartext packets per PROTECT policy, in the order first seen.
    private(set) var leaks: [PolicyLeak] = []
    private var leakIndex: [LeakKey: Int] = [:]
    /// Recent cleartext answers by packet fields (direct-mapped): a capture repeats its flows,
    /// and a big SPD costs a scan per new one. Cleared when the CHILD_SAs or the policies change.
    private var leakCache = [CachedLeak?](repeating: nil, count: PolicyCheck.leakCacheSlots)
    private var leakCacheGeneration = -1
    static let leakCacheSlots = 4096
    /// CHILD_SAs alive at once that the leak check holds cleartext to; past it, a diagnostic.
    static let maxNegotiatedPolicies = 4096
    /// Called with a warning (the analyzer's diagnostics).
    var diagnose: (String) -> Void = { _ in }

    private struct CachedLeak {
        var fields: SelectorFields
        /// The leak record, or nil: not a leak.
        var key: LeakKey?
    }

    private struct NegotiatedPolicy {
        var child: Int
        var forward: PolicySelector
        var reverse: PolicySelector
        /// Tunnel mode: the IKE peers' own traffic is not the tunnel's.
        var endpoints: (IPAddress, IPAddress)?
        var description: String
    }

    private enum LeakKey: Hashable {
        case negotiated(Int)
        case configured(Int)
    }

    init(policies: [SecurityPolicy], ike: IKEReconstruction, replica: ChildSAReplica? = nil) {
        database = SecurityPolicyDatabase(policies)
        self.ike = ike
        self.replica = replica
    }

    private var childGeneration: Int { replica?.generation ?? ike.childGeneration }

    /// Whether there is anything to check against: policies, or an established CHILD_SA.
    var isActive: Bool { !database.isEmpty || childGeneration != 0 }

    /// Changes with every new CHILD_SA and every reload.
    private var generation: Int { childGeneration &+ (reloads << 40) }

    /// The selectors of the CHILD_SA `spi` belongs to, when an exchange in the capture settled it.
    private func negotiatedSelectors(spi: SPI) -> NegotiatedSelectors? {
        if let replica { return replica.selectors[spi] }
        return ike.childSA(spi: spi).map { ike.negotiatedSelectors(child: $0) }
    }

    /// New policies (SIGHUP): every flow binds again; leaks found so far stay.
    func replace(_ policies: [SecurityPolicy]) {
        database = SecurityPolicyDatabase(policies)
        reloads += 1
        // Leak records name configured policies by index: those of the old SPD go on
        // counting under a key of their own no more.
        leakIndex = leakIndex.filter { if case .negotiated = $0.key { return true } else { return false } }
    }

    // MARK: - Inbound: decrypted packets

    /// Checks one decrypted packet of a flow against its SA's selectors. Returns the note for
    /// a packet outside them.
    func checkDecrypted(
        _ stats: inout FlowPolicyStatistics, sa: ProtectingSA, packet: PacketSummary, frame: Int,
        time: Timestamp
    ) -> PolicyNote? {
        if stats.bindingGeneration != generation || stats.boundTunnel != sa.tunnel { bind(&stats, sa: sa) }
        guard stats.negotiated != nil || !stats.configured.isEmpty else {
            stats.unchecked += 1
            return nil
        }
        stats.checked += 1
        let fields = SelectorFields(packet)
        if let last = stats.lastFields, last == fields {
            if stats.lastInside { return nil }
            countMismatch(&stats, packet: packet, frame: frame, time: time)
            return stats.lastNote
        }
        var note: PolicyNote? = nil
        if let (selector, child) = stats.negotiated, !selector.matches(fields) {
            note = PolicyNote(
                kind: .policyMismatch, policy: negotiatedName(child, selector), reason: selector.mismatch(fields))
        }
        if note == nil, !stats.configured.isEmpty,
            case .outside(let matched) = database.checkInbound(fields, protectedBy: sa, bindings: stats.configured)
        {
            let asking = database.policiesAsking(for: sa)
            let reason =
                matched.map { "the first policy selecting it is \(database.policies[$0])" }
                ?? "no policy of \(DisplayText.escaped(database.spdNames[stats.configured[0].spd])) selects it"
            note = PolicyNote(
                kind: .policyMismatch, policy: PolicyCheck.describe(asking.map { database.policies[$0] }),
                reason: reason)
        }
        stats.lastFields = fields
        stats.lastInside = note == nil
        stats.lastNote = note
        if note != nil { countMismatch(&stats, packet: packet, frame: frame, time: time) }
        return note
    }

    private func countMismatch(_ stats: inout FlowPolicyStatistics, packet: PacketSummary, frame: Int, time: Timestamp)
    {
        stats.mismatches += 1
        if stats.firstMismatch == nil { stats.firstMismatch = time }
        stats.lastMismatch = time
        if stats.examples.count < FlowPolicyStatistics.maxExamples {
            stats.examples.append("frame \(frame): \(packet.source) → \(packet.destination) \(packet.detail)")
        }
    }

    /// What the flow's SA is checked against: its CHILD_SA's selectors in the direction of
    /// its SPI, and the SPD lookups that have a policy asking for it.
    private func bind(_ stats: inout FlowPolicyStatistics, sa: ProtectingSA) {
        stats.bindingGeneration = generation
        stats.boundTunnel = sa.tunnel
        stats.lastFields = nil
        stats.negotiated = nil
        if let negotiated = negotiatedSelectors(spi: sa.spi), let selector = negotiated.selector(for: sa) {
            stats.negotiated = (selector, negotiated.child)
        }
        stats.configured = database.isEmpty ? [] : database.bindings(for: sa)
        var parts: [String] = []
        if let (selector, child) = stats.negotiated { parts.append(negotiatedName(child, selector)) }
        if !stats.configured.isEmpty {
            parts.append(PolicyCheck.describe(database.policiesAsking(for: sa).map { database.policies[$0] }))
        }
        stats.selectors = parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// The policies an SA is checked against, the first three in full.
    static func describe(_ policies: [SecurityPolicy]) -> String {
        let shown = policies.prefix(3).map(\.description).joined(separator: "; ")
        return policies.count > 3 ? shown + "; and \(policies.count - 3) more" : shown
    }

    private func negotiatedName(_ child: Int, _ selector: PolicySelector) -> String {
        "CHILD_SA #\(child + 1) \(selector)"
    }

    // MARK: - Leaks: cleartext packets

    /// Checks a packet seen in clear (not ESP, AH or IKE). Returns the note when a PROTECT
    /// policy covers it, and counts it for that policy.
    func checkCleartext(_ packet: PacketSummary, frame: Int, time: Timestamp) -> PolicyNote? {
        let fields = SelectorFields(packet)
        refreshNegotiated()
        if leakCacheGeneration != generation {
            leakCacheGeneration = generation
            for index in leakCache.indices { leakCache[index] = nil }
        }
        let cacheSlot = fields.hashValue & (PolicyCheck.leakCacheSlots - 1)
        var key: LeakKey? = nil
        if let cached = leakCache[cacheSlot], cached.fields == fields, !isDeleted(cached.key) {
            key = cached.key
        } else {
            key = findLeak(fields)
            leakCache[cacheSlot] = CachedLeak(fields: fields, key: key)
        }
        guard let key else { return nil }
        let slot: Int
        if let known = leakIndex[key] {
            slot = known
        } else {
            let (description, source): (String, String)
            switch key {
            case .negotiated(let child):
                description = negotiated.first { $0.child == child }?.description ?? "CHILD_SA #\(child + 1)"
                source = "negotiated"
            case .configured(let index):
                description = database.policies[index].description
                source = DisplayText.escaped(database.policies[index].origin.description)
            }
            slot = leaks.count
            leakIndex[key] = slot
            leaks.append(PolicyLeak(policy: description, source: source, first: time, last: time))
        }
        leaks[slot].packets += 1
        leaks[slot].bytes += packet.length
        leaks[slot].last = time
        if leaks[slot].examples.count < PolicyLeak.maxExamples {
            leaks[slot].examples.append("frame \(frame): \(packet.source) → \(packet.destination) \(packet.detail)")
        }
        return PolicyNote(kind: .leak, policy: leaks[slot].policy, reason: nil)
    }

    /// The PROTECT policy a cleartext packet falls under: a live CHILD_SA's, else a policy file's.
    private func findLeak(_ fields: SelectorFields) -> LeakKey? {
        for policy in negotiated where !ike.children[policy.child].deleted {
            if let (a, b) = policy.endpoints,
                (fields.source == a && fields.destination == b) || (fields.source == b && fields.destination == a)
            {
                continue
            }
            if policy.forward.matches(fields) || policy.reverse.matches(fields) { return .negotiated(policy.child) }
        }
        return database.leak(fields).map { .configured($0) }
    }

    /// A CHILD_SA's delete does not bump the generation: a cached answer naming it is checked.
    private func isDeleted(_ key: LeakKey?) -> Bool {
        if case .negotiated(let child)? = key { return ike.children[child].deleted }
        return false
    }

    /// The CHILD_SAs that hold cleartext to their selectors: established, neither deleted nor
    /// replaced by a rekey (the new one has the same selectors). Rebuilt after each exchange
    /// that settled a CHILD_SA.
    private func refreshNegotiated() {
        guard activeGeneration != ike.childGeneration else { return }
        activeGeneration = ike.childGeneration
        negotiated = []
        for (index, child) in ike.children.enumerated()
        where child.established && !child.deleted && child.rekeyedBy == nil {
            let ikeSA = ike.ikeSAs[child.ikeSAIndex]
            guard let forward = child.requesterToResponderSelector(ikeVersion: ikeSA.version) else { continue }
            guard negotiated.count < PolicyCheck.maxNegotiatedPolicies else {
                diagnose(
                    "more than \(PolicyCheck.maxNegotiatedPolicies) CHILD_SAs alive at once: cleartext is checked against the first \(PolicyCheck.maxNegotiatedPolicies) only"
                )
                break
            }
            negotiated.append(
                NegotiatedPolicy(
                    child: index, forward: forward, reverse: forward.reversed,
                    endpoints: child.transportMode ? nil : (child.requester, child.responder),
                    description: "\(negotiatedName(index, forward)) (negotiated, both directions)"))
        }
    }

    // MARK: - Summary

    /// The run's policy figures, from the flows' counters and the leaks found here.
    func summary(flows: [FlowStatistics]) -> PolicySummary {
        var summary = PolicySummary()
        summary.configuredPolicies = database.count
        summary.negotiatedChildSAs =
            ike.children.indices.filter { index in
                let child = ike.children[index]
                return child.established
                    && child.requesterToResponderSelector(ikeVersion: ike.ikeSAs[child.ikeSAIndex].version) != nil
            }.count
        for flow in flows {
            summary.checked += flow.policy.checked
            summary.mismatches += flow.policy.mismatches
            summary.unchecked += flow.policy.unchecked
        }
        summary.leaks = leaks
        return summary
    }
}
