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
            findingLines(flow).map { kind, line in
                Finding(
                    kind: kind, spi: flow.key.spi, source: flow.key.source, destination: flow.key.destination,
                    message: line.whole, layout: line)
            }
        }
    }

    /// One flow's findings, in the order the summary lists them: each as its sentence, and as
    /// its fact and labelled rows for a narrow terminal.
    private func findingLines(_ flow: FlowStatistics) -> [(Finding.Kind, LaidOutLine)] {
        var out: [(Finding.Kind, LaidOutLine)] = []
        func add(_ kind: Finding.Kind, _ line: LaidOutLine) { out.append((kind, line)) }
        if let line = icvFailureLine(flow) { add(.icvFailures, line) }
        if let line = garbledLine(flow) { add(.garbled, line) }
        if flow.nonDefaultPadding > 0 {
            let fact = "\(flow.nonDefaultPadding) released packet(s) carry padding bytes other than 1, 2, 3, …"
            let note = "RFC 4303 2.4 says a receiver SHOULD check them; Linux does not"
            let cause = "the sender pads its own way"
            add(
                .padding,
                LaidOutLine(
                    whole: "\(fact) (\(note)): \(cause)", headline: fact, rows: ["note: \(note)", "cause: \(cause)"]))
        }
        let cut = flow.count(.truncated)
        if cut > 0 {
            let which = cut == flow.packets ? "all \(cut) packets" : "\(cut) of \(flow.packets) packets"
            let fix = "capture whole packets (tcpdump -s 0, dumpcap -s 0)"
            add(
                .truncated,
                LaidOutLine(
                    whole:
                        "\(which) were cut by the capture's snapshot length (\(flow.cutSnapLength) bytes) and could not be verified or decrypted: \(fix)",
                    headline: "\(which) cut by the snapshot length (\(flow.cutSnapLength) bytes)",
                    rows: ["effect: they could not be verified or decrypted", "fix: \(fix)"]))
        }
        if flow.replay.duplicates > 0 || flow.replay.tooOld > 0 {
            let fact =
                "\(flow.replay.duplicates) duplicate(s) and \(flow.replay.tooOld) packet(s) older than the \(flow.replay.size)-packet window"
            let effect = "a receiver drops these as replays"
            add(.replay, LaidOutLine(whole: "\(fact): \(effect)", headline: fact, rows: ["effect: \(effect)"]))
        }
        if let line = lossLine(flow) { add(.loss, line) }
        if let index = flow.saIndex {
            let sa = sas.sa(flow.key.ipsecProtocol, index)
            for weak in AlgorithmPolicy.weaknesses(of: sa) {
                add(.weakAlgorithm, WeakAlgorithmRows.line(weak, in: .ipsecSA))
            }
        }
        if flow.policy.mismatches > 0 {
            let more = flow.policy.mismatches > flow.policy.examples.count
            let examples = flow.policy.examples.joined(separator: ", ") + (more ? ", …" : "")
            let fact = "\(flow.policy.mismatches) of \(flow.policy.checked) decrypted packets outside its selectors"
            let selectors = flow.policy.selectors ?? "?"
            add(
                .policyMismatch,
                LaidOutLine(
                    whole: "carried \(fact) \(selectors): \(examples)", headline: fact,
                    rows: ["selectors: \(selectors)"]
                        + PolicyPresentation.exampleRows(
                            flow.policy.examples, more: flow.policy.mismatches - flow.policy.examples.count)))
        }
        return out
    }

    /// Sequence numbers missing from a flow. When the capture itself lost packets (libpcap's
    /// kernel or interface drops, over the whole run; this SA's packets the snapshot length
    /// cut, whose numbers never reach the anti-replay window), the count is only an upper bound
    /// on what the network lost, and the finding says so, with the bounds.
    func lossLine(_ flow: FlowStatistics) -> LaidOutLine? {
        let lost = flow.replay.lost
        guard lost > 0 else { return nil }
        let range = "between \(flow.replay.first ?? 0) and \(flow.replay.highest)"
        let late =
            flow.replay.late > 0
            ? "; \(flow.replay.late) arrived late, reordered by up to \(flow.replay.maxReorderDepth)" : ""
        let lateRows =
            flow.replay.late > 0
            ? ["late: \(flow.replay.late) arrived late, reordered by up to \(flow.replay.maxReorderDepth)"] : []
        let dropped = (summary.capture?.dropped ?? 0) + (summary.capture?.interfaceDropped ?? 0)
        let cut = flow.count(.truncated)
        guard dropped > 0 || cut > 0 else {
            let cause = "never received, or not intact"
            return LaidOutLine(
                whole: "\(lost) sequence number(s) missing (\(cause)) \(range)\(late)",
                headline: "\(lost) sequence number(s) missing \(range)", rows: ["cause: \(cause)"] + lateRows)
        }
        var causes: [String] = []
        var rows: [String] = []
        if let capture = summary.capture, dropped > 0 {
            causes.append(
                "the capture dropped \(dropped) packet(s) of the run (\(capture.dropped) by the kernel, \(capture.interfaceDropped) by the interface)"
            )
            rows.append(
                "capture: dropped \(dropped) packet(s) of the run (kernel \(capture.dropped), interface \(capture.interfaceDropped))"
            )
        }
        if cut > 0 {
            causes.append("the snapshot length cut \(cut) of this SA's packets")
            rows.append("snaplen: cut \(cut) of this SA's packets")
        }
        let least = max(0, lost - dropped - cut)
        return LaidOutLine(
            whole:
                "\(lost) sequence number(s) missing \(range), an upper bound on this SA's loss: \(causes.joined(separator: " and ")), which may be among them (at least \(least) never reached the capture or were not intact)\(late)",
            headline: "\(lost) sequence number(s) missing \(range) (an upper bound)",
            rows: rows + ["lost: at least \(least) never reached the capture or were not intact"] + lateRows)
    }

    private func icvFailureLine(_ flow: FlowStatistics) -> LaidOutLine? {
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
            let fact = "\(failed + malformed) of \(flow.packets) packets \(what)"
            return LaidOutLine(whole: "\(fact); \(cause)", headline: fact, rows: LaidOutLine.causeRows(cause))
        }
        return nil
    }

    private func garbledLine(_ flow: FlowStatistics) -> LaidOutLine? {
        let garbled = flow.count(.garbled)
        guard garbled > 0 else { return nil }
        let released = flow.count(.decrypted)
        let which = garbled == flow.packets ? "all \(garbled) packets" : "\(garbled) of \(flow.packets) packets"
        let key = flow.garbledDiagnosis ?? "wrong encryption key (or algorithm / key length)"
        let unreleased = "nothing garbled was released"
        if flow.garbledVerified > 0 {
            let cause =
                released > 0
                ? "the other \(released) decrypted: these were garbled before encryption, or the key changed" : key
            let causeRows =
                released > 0
                ? ["cause: garbled before encryption, or the key changed", "others: \(released) decrypted"]
                : ["cause: \(key)"]
            return LaidOutLine(
                whole: "\(which): the ICV verifies but the plaintext is garbled: \(cause); \(unreleased)",
                headline: "\(which): the ICV verifies but the plaintext is garbled",
                rows: causeRows + ["note: \(unreleased)"])
        }
        return LaidOutLine(
            whole: "\(which) decrypted to garbage: \(key); with no ICV nothing else can tell, and \(unreleased)",
            headline: "\(which) decrypted to garbage",
            rows: ["cause: \(key)", "note: with no ICV nothing else can tell; \(unreleased)"])
    }
}
