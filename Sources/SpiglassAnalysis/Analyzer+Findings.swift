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
        flows.flatMap { flow in
            findingMessages(flow).map { kind, message in
                Finding(
                    kind: kind, spi: flow.key.spi, source: flow.key.source, destination: flow.key.destination,
                    message: message)
            }
        }
    }

    /// One flow's findings, in the order the summary lists them.
    private func findingMessages(_ flow: FlowStatistics) -> [(Finding.Kind, String)] {
        var out: [(Finding.Kind, String)] = []
        func add(_ kind: Finding.Kind, _ message: String) { out.append((kind, message)) }
        if let message = icvFailureMessage(flow) { add(.icvFailures, message) }
        if let message = garbledMessage(flow) { add(.garbled, message) }
        if flow.nonDefaultPadding > 0 {
            add(
                .padding,
                "\(flow.nonDefaultPadding) released packet(s) carry padding bytes other than 1, 2, 3, … (RFC 4303 2.4 says a receiver SHOULD check them; Linux does not): the sender pads its own way"
            )
        }
        let cut = flow.count(.truncated)
        if cut > 0 {
            let which = cut == flow.packets ? "all \(cut) packets" : "\(cut) of \(flow.packets) packets"
            add(
                .truncated,
                "\(which) were cut by the capture's snapshot length (\(flow.cutSnapLength) bytes) and could not be verified or decrypted: capture whole packets (tcpdump -s 0, dumpcap -s 0)"
            )
        }
        if flow.replay.duplicates > 0 || flow.replay.tooOld > 0 {
            add(
                .replay,
                "\(flow.replay.duplicates) duplicate(s) and \(flow.replay.tooOld) packet(s) older than the \(flow.replay.size)-packet window: a receiver drops these as replays"
            )
        }
        if let message = lossMessage(flow) { add(.loss, message) }
        if let index = flow.saIndex {
            let sa = sas.sa(flow.key.ipsecProtocol, index)
            for message in WeakAlgorithmCheck.findings(for: sa) { add(.weakAlgorithm, message) }
        }
        if flow.policy.mismatches > 0 {
            let examples =
                flow.policy.examples.joined(separator: ", ")
                + (flow.policy.mismatches > flow.policy.examples.count ? ", …" : "")
            add(
                .policyMismatch,
                "carried \(flow.policy.mismatches) of \(flow.policy.checked) decrypted packets outside its selectors \(flow.policy.selectors ?? "?"): \(examples)"
            )
        }
        return out
    }

    /// Sequence numbers missing from a flow. When the capture itself lost packets (libpcap's
    /// kernel or interface drops, over the whole run; this SA's packets the snapshot length
    /// cut, whose numbers never reach the anti-replay window), the count is only an upper bound
    /// on what the network lost, and the finding says so, with the bounds.
    func lossMessage(_ flow: FlowStatistics) -> String? {
        let lost = flow.replay.lost
        guard lost > 0 else { return nil }
        let range = "between \(flow.replay.first ?? 0) and \(flow.replay.highest)"
        let late =
            flow.replay.late > 0
            ? "; \(flow.replay.late) arrived late, reordered by up to \(flow.replay.maxReorderDepth)" : ""
        let dropped = (summary.capture?.dropped ?? 0) + (summary.capture?.interfaceDropped ?? 0)
        let cut = flow.count(.truncated)
        guard dropped > 0 || cut > 0 else {
            return "\(lost) sequence number(s) missing (never received, or not intact) \(range)\(late)"
        }
        var causes: [String] = []
        if let capture = summary.capture, dropped > 0 {
            causes.append(
                "the capture dropped \(dropped) packet(s) of the run (\(capture.dropped) by the kernel, \(capture.interfaceDropped) by the interface)"
            )
        }
        if cut > 0 { causes.append("the snapshot length cut \(cut) of this SA's packets") }
        return
            "\(lost) sequence number(s) missing \(range), an upper bound on this SA's loss: \(causes.joined(separator: " and ")), which may be among them (at least \(max(0, lost - dropped - cut)) never reached the capture or were not intact)\(late)"
    }

    private func icvFailureMessage(_ flow: FlowStatistics) -> String? {
        let failed = flow.count(.icvFailed) + flow.count(.ahICVFailed)
        let malformed = flow.saIndex == nil ? 0 : flow.count(.malformed)
        let found: ICVFailureDiagnosis.Cause? = if case .found(let cause) = flow.icvDiagnosis { cause } else { nil }
        if failed + malformed > 0 && (failed > 0 || found != nil) {
            let cause: String
            switch flow.icvDiagnosis {
            case .found(.variant(let words)):
                cause = words
            case .found(.integrityKey(let words)) where flow.verified == 0:
                cause = words
            case .notDiagnosed:
                cause = "not diagnosed: ICV failures on more than \(Analyzer.maxICVDiagnoses) SAs in this run"
            default:
                cause =
                    flow.verified == 0
                    ? "no variant verifies: wrong key or wrong algorithm"
                    : "the others verify: these packets were corrupted or forged"
            }
            let what = malformed > 0 ? "failed the ICV or did not fit the SA's algorithms" : "failed the ICV"
            return "\(failed + malformed) of \(flow.packets) packets \(what); \(cause)"
        }
        return nil
    }

    private func garbledMessage(_ flow: FlowStatistics) -> String? {
        let garbled = flow.count(.garbled)
        if garbled > 0 {
            let released = flow.count(.decrypted)
            let which = garbled == flow.packets ? "all \(garbled) packets" : "\(garbled) of \(flow.packets) packets"
            if flow.garbledVerified > 0 {
                let cause =
                    released > 0
                    ? "the other \(released) decrypted: these were garbled before encryption, or the key changed"
                    : flow.garbledDiagnosis ?? "wrong encryption key (or algorithm / key length)"
                return "\(which): the ICV verifies but the plaintext is garbled: \(cause); nothing garbled was released"
            } else {
                return
                    "\(which) decrypted to garbage: \(flow.garbledDiagnosis ?? "wrong encryption key (or algorithm / key length)"); with no ICV nothing else can tell, and nothing garbled was released"
            }
        }
        return nil
    }
}
