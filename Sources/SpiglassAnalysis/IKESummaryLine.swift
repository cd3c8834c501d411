import SpiglassIKE

/// Lines of `ike --summary` (one per IKE SA, for captures with hundreds of tunnels) and of the
/// `ike` report's totals.
enum IKESummaryLine {
    /// "  (all IKEv1)" when every message was IKEv1, else "  of them IKEv1: 4": the count
    /// of IKE messages is said once.
    static func versionCount(_ v1: Int, of total: Int) -> String {
        v1 == total ? " (all IKEv1)" : "  of them IKEv1: \(v1)"
    }

    /// "#1 v2 10.98.0.1 ⇄ 10.98.0.2  failed: NO_PROPOSAL_CHOSEN from the responder
    /// (IKE_SA_INIT response, frame 2)  -  CHILD_SAs: 0  messages: 2": peers, version,
    /// outcome with who ended it, algorithms, CHILD_SAs by state, messages, and what failed.
    static func ikeSA(_ index: Int, in story: IKEReconstruction, messages: Int, display: TextDisplay = .plain)
        -> String
    {
        let sa = story.ikeSAs[index]
        let peers = "#\(index + 1) v\(sa.version.rawValue) \(sa.initiator) ⇄ \(sa.responder)"
        let words = outcome(sa)
        let line = peers + "  " + display.paint(words, sa.state.style)
        let proposal = sa.proposalNames.isEmpty ? "-" : sa.proposalNames.joined(separator: " ")
        let counts = "CHILD_SAs: " + children(sa, in: story) + "  messages: \(messages)"
        // Too wide for the terminal: the algorithms, then the counts, on rows of their own; an
        // outcome too long for the peers' row on its own, its cause on rows under it.
        guard let width = display.width, !TerminalRows.fits(line + "  " + proposal + "  " + counts, width) else {
            return line + "  " + proposal + "  " + counts
        }
        var head = line
        if !TerminalRows.fits(line, width) {
            let outcomeRow = LaidOutLine(
                whole: "outcome: " + display.paint(words, sa.state.style),
                headline: "outcome: " + display.paint(String(words.prefix { $0 != ";" }), sa.state.style),
                rows: words.firstRange(of: "; ").map { LaidOutLine.causeRows(String(words[$0.upperBound...])) } ?? [])
            head = peers + "\n" + outcomeRow.text(indent: "  ", width: width).dropLast()
        }
        let proposalRows = TerminalRows.alignedList(
            "  proposal: ", proposal.split(separator: " ").map(String.init), separator: " ", width: width,
            clipsItems: false)
        return head + "\n" + proposalRows + "\n  " + counts
    }

    /// "established", "deleted", "failed: AUTHENTICATION_FAILED from the responder", "no response".
    static func outcome(_ sa: IKESARecord) -> String {
        switch sa.state {
        case .failed(.notify(let type, let by)):
            return "failed: \(type.name) from the \(by == .initiator ? "initiator" : "responder")"
        case .negotiating:
            return sa.keysKnown || sa.version == .v1 ? "negotiating" : "unknown (encrypted, no keys)"
        default:
            return IKESAWords.state(sa.state)
        }
    }

    /// "2 (1 established, 1 refused: TS_UNACCEPTABLE)", "0".
    static func children(_ sa: IKESARecord, in story: IKEReconstruction) -> String {
        let records = sa.children.filter { story.children.indices.contains($0) }.map { story.children[$0] }
        guard !records.isEmpty else { return "0" }
        var states: [String] = []
        let established = records.filter(\.established).count
        if established > 0 { states.append("\(established) established") }
        let refusals = records.compactMap { $0.failure.map(IKESAWords.failure) }
        if !refusals.isEmpty {
            states.append(
                "\(refusals.count) refused: \(IKEText.limited(Array(Set(refusals)).sorted(), separator: ", "))")
        }
        let pending = records.count - established - refusals.count
        if pending > 0 { states.append("\(pending) pending") }
        return "\(records.count) (\(states.joined(separator: ", ")))"
    }
}
