import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire

/// What the summary tells a user about each SA: ICV failure causes, replays, loss, weak
/// algorithms.
extension Analyzer {
    /// ICV failures with their likely cause, anti-replay and loss observations, and weak
    /// algorithms, per flow.
    func findings() -> [Finding] {
        var out: [Finding] = []
        for flow in flows {
            func add(_ kind: Finding.Kind, _ message: String) {
                out.append(Finding(kind: kind, spi: flow.key.spi, source: flow.key.source, destination: flow.key.destination, message: message))
            }
            let failed = flow.count(.icvFailed) + flow.count(.ahICVFailed)
            let malformed = flow.saIndex == nil ? 0 : flow.count(.malformed)
            if failed + malformed > 0 && (failed > 0 || flow.icvDiagnosis != nil) {
                let cause = flow.icvDiagnosis ?? (failed + malformed == flow.packets
                    ? "no variant verifies: wrong key or wrong algorithm"
                    : "the others verify: these packets were corrupted or forged")
                let what = malformed > 0 ? "failed the ICV or did not fit the SA's algorithms" : "failed the ICV"
                add(.icvFailures, "\(failed + malformed) of \(flow.packets) packets \(what); \(cause)")
            }
            if flow.replay.duplicates > 0 || flow.replay.tooOld > 0 {
                add(.replay, "\(flow.replay.duplicates) duplicate(s) and \(flow.replay.tooOld) packet(s) older than the \(flow.replay.size)-packet window: a receiver drops these as replays")
            }
            if flow.replay.lost > 0 {
                add(.loss, "\(flow.replay.lost) sequence number(s) missing (never received, or not intact) between \(flow.replay.first ?? 0) and \(flow.replay.highest)\(flow.replay.late > 0 ? "; \(flow.replay.late) arrived late, reordered by up to \(flow.replay.maxReorderDepth)" : "")")
            }
            if let index = flow.saIndex {
                let sa = (flow.key.ipsecProtocol == .ah ? ahSAD : sad).entries[index]
                for message in WeakAlgorithmCheck.findings(for: sa) { add(.weakAlgorithm, message) }
            }
            if flow.policy.mismatches > 0 {
                let examples = flow.policy.examples.joined(separator: ", ") + (flow.policy.mismatches > flow.policy.examples.count ? ", …" : "")
                add(.policyMismatch, "carried \(flow.policy.mismatches) of \(flow.policy.checked) decrypted packets outside its selectors \(flow.policy.selectors ?? "?"): \(examples)")
            }
        }
        return out
    }
}
