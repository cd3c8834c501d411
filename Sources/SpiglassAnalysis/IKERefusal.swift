import SpiglassIKE
import SpiglassWire

/// What a refused negotiation shows of itself, read from its messages: what the requester
/// offered or proposed (`evidence`), and one sentence saying which side rejected what
/// (`verdict`). Only what the capture holds is said: what the refusing side would have
/// accepted is named only when the capture shows it (a later negotiation between the same
/// peers that succeeded, the group an INVALID_KE_PAYLOAD asks for); otherwise the sentence
/// says that the capture does not show it. A wrong diagnosis is worse than none.
struct IKERefusal: Equatable {
    /// "offered (frame 1): #1 IKE ENCR_AES_CBC_128 …", "proposed (frame 3): 10.200.1.0/24 === …".
    var evidence: [String] = []
    /// "the responder 10.98.0.2 rejected the only IKE proposal offered: …".
    var verdict: String?

    var isEmpty: Bool { evidence.isEmpty && verdict == nil }

    /// Later IKE SAs (or CHILD_SAs) searched for an agreement between the same peers: a bound,
    /// so that a capture of tens of thousands of refusals costs no quadratic time.
    static let lookahead = 256

    /// The indices after `index` that the search for a later agreement reads.
    static func searchRange(after index: Int, in range: Range<Int>) -> Range<Int> {
        let start = min(index + 1, range.upperBound)
        return start..<min(range.upperBound, start + lookahead)
    }

    /// The text report's lines: "rejected: …" first, then the evidence, each after `indent`.
    /// On a terminal, an evidence line too wide for it takes a row per item: its label, then
    /// each proposal and the key exchange indented under it.
    func lines(indent: String, display: TextDisplay = .plain) -> String {
        let verdictLine = verdict.map { verdict in
            let line = indent + display.paint("rejected:", .failure) + " " + verdict
            return (TerminalRows.fits(line, display.width) ? line : Self.verdictRows(verdict, indent, display)) + "\n"
        }
        return (verdictLine ?? "") + evidence.map { Self.evidenceRows($0, indent: indent, display: display) }.joined()
    }

    /// "offered (frame 1): #1 IKE … | #2 IKE …; KE MODP_2048" as one row, or when it does not
    /// fit the terminal as "offered (frame 1):" and a row per proposal and for the KE.
    /// A verdict too long for a terminal row: who refused on the label's row, then what
    /// under it, broken between its clauses ("the only IKE proposal offered;" / "what it
    /// would accept is not in the capture").
    static func verdictRows(_ verdict: String, _ indent: String, _ display: TextDisplay) -> String {
        let label = indent + display.paint("rejected:", .failure) + " "
        let pad = String(repeating: " ", count: TerminalRows.columns(label))
        var what = verdict
        var rows: [String] = []
        if let match = verdict.firstMatch(of: #/^(the (?:initiator|responder) \S+) (\S+) /#) {
            rows.append(label + "by " + match.output.1)
            what = (match.output.2 == "rejected" ? "" : "it \(match.output.2) ") + verdict[match.range.upperBound...]
        }
        rows.append(TerminalRows.prose(rows.isEmpty ? label : pad, what, width: display.width))
        return rows.joined(separator: "\n")
    }

    static func evidenceRows(_ item: String, indent: String, display: TextDisplay) -> String {
        guard let width = display.width, LineFitter.rowCount(indent + item, width: width) > 1,
            let colon = item.range(of: ": ")
        else { return indent + item + "\n" }
        let parts = item[colon.upperBound...].components(separatedBy: " | ").flatMap {
            $0.components(separatedBy: "; ")
        }
        let rows = parts.map { part -> String in
            // A proposal's transforms that still do not fit continue under its first transform
            // ("… 17 more" kept together).
            let words = part.split(separator: " ", maxSplits: 2)
            if part.hasPrefix("#") && words.count == 3 {
                var transforms = words[2].split(separator: " ").map(String.init)
                if let more = transforms.firstIndex(of: "…") {
                    transforms[more...] = [transforms[more...].joined(separator: " ")]
                }
                let lead = indent + "  " + words[0] + " " + words[1] + " "
                return TerminalRows.alignedList(lead, transforms, separator: " ", width: width) + "\n"
            }
            guard TerminalRows.fits(indent + "  " + part, width) else {
                // "proposed 10.0.0.0/16 === 10.0.2.0/24 (frame 3)," / "narrowed to …".
                let items = TerminalRows.items(part, at: [",", ";"])
                return TerminalRows.alignedList(indent + "  ", items, separator: " ", width: width) + "\n"
            }
            return indent + "  " + part + "\n"
        }
        return indent + item[..<colon.lowerBound] + ":\n" + rows.joined()
    }

    /// JSON additions to the ike_sa and child_sa objects: "rejection" (the verdict) and
    /// "rejection_evidence" (the offered and proposed lines).
    func json(_ o: inout JSONObject) {
        o.string("rejection", verdict)
        o.raw("rejection_evidence", JSONObject.array(evidence.map(JSONObject.quote)))
    }

    /// "failed: phase 1 incomplete (5 of 6 messages)": an IKEv1 phase-1 failure without its
    /// evidence, which the refusal's verdict says; nil for other states.
    static func shortOutcome(_ sa: IKESARecord) -> String? {
        guard case .failed(.phase1Incomplete(let failure)) = sa.state else { return nil }
        return "failed: " + IKEExchangeWords.phase1Incomplete(failure, withEvidence: false)
    }

    /// Who sent the notify that failed `sa`: "the responder 10.98.0.2"; nil for other failures.
    static func sender(_ sa: IKESARecord) -> String? {
        guard case .failed(.notify(_, let by)) = sa.state else { return nil }
        return peer(by, of: sa)
    }
}

extension IKERefusal {
    /// The refusal of the IKE SA at `index`, nil when it did not fail in a way its messages tell.
    static func ikeSA(_ index: Int, in story: IKEReconstruction) -> IKERefusal? {
        guard story.ikeSAs.indices.contains(index) else { return nil }
        let sa = story.ikeSAs[index]
        var refusal = IKERefusal()
        if sa.version == .v2 {
            refusal.addV2InitRefusal(sa, index: index, story: story)
        } else {
            refusal.addV1Phase1Refusal(sa, index: index, story: story)
        }
        return refusal.isEmpty ? nil : refusal
    }

    /// "the responder 10.98.0.2", "the initiator 10.98.0.1".
    static func peer(_ peer: IKEPeer, of sa: IKESARecord) -> String {
        peer == .initiator ? "the initiator \(sa.initiator)" : "the responder \(sa.responder)"
    }

    static func frames(_ message: IKEMessageRecord) -> String {
        "frame\(message.frames.count > 1 ? "s" : "") \(message.frames.map(String.init).joined(separator: ","))"
    }

    /// IKEv2: what the IKE_SA_INIT request offered, and why the IKE SA failed.
    private mutating func addV2InitRefusal(_ sa: IKESARecord, index: Int, story: IKEReconstruction) {
        let inits = sa.exchanges.filter { $0.type == .v2(.ikeSAInit) }
        guard let first = inits.first, let request = first.request.flatMap({ story.message($0) }),
            let offered = request.v2Proposals
        else { return }
        let failure: IKESAFailure?
        if case .failed(let why) = sa.state { failure = why } else { failure = nil }
        let invalidKE = sa.invalidKERequestedGroup
        guard failure != nil || invalidKE != nil else { return }
        var offer = "offered (\(Self.frames(request))): \(IKEOfferText.v2(offered))"
        if let group = request.v2KeyExchangeGroup { offer += "; KE \(IKEv2Names.keyExchangeName(group))" }
        evidence.append(offer)
        switch failure {
        case .notify(.v2(.noProposalChosen), let by):
            verdict = Self.noProposal(
                by: Self.peer(by, of: sa), count: offered.count, what: "IKE proposal",
                alternative: Self.laterIKESA(after: index, like: sa, story: story) {
                    if case .v2(let chosen) = $0 { IKEOfferText.missing(chosen, from: offered) } else { nil }
                })
        case .notify(.v2(.authenticationFailed), let by):
            verdict = Self.authenticationRefused(sa, by: by)
        case .notify(let type, let by):
            verdict = "\(Self.peer(by, of: sa)) refused the IKE SA with \(type.name)"
        default:
            break
        }
        if let invalidKE, let offeredGroup = request.v2KeyExchangeGroup {
            var words =
                "\(Self.peer(.responder, of: sa)) rejected the key exchange \(IKEv2Names.keyExchangeName(offeredGroup)) and asked for \(IKESAWords.group(invalidKE))"
            if inits.count > 1, let retry = inits.last?.request.flatMap({ story.message($0) }),
                let group = retry.v2KeyExchangeGroup
            {
                words += "; the initiator retried with \(IKEv2Names.keyExchangeName(group)) (\(Self.frames(retry)))"
            }
            verdict = verdict.map { "\(words); then \($0)" } ?? words
        }
    }

    /// The words for a NO_PROPOSAL_CHOSEN: who rejected how many, and what the capture shows
    /// the refusing side accepting (`alternative`), if anything.
    static func noProposal(by: String, count: Int, what: String, alternative: String?) -> String {
        let all = count == 1 ? "the only \(what)" : "all \(IKEOfferText.count(count, what))"
        return "\(by) rejected \(all) offered"
            + (alternative.map { ": \($0)" } ?? "; what it would accept is not in the capture")
    }

    private static func authenticationRefused(_ sa: IKESARecord, by: IKEPeer) -> String {
        let other: IKEPeer = by == .initiator ? .responder : .initiator
        let identity = other == .initiator ? sa.initiatorIdentity : sa.responderIdentity
        let method = other == .initiator ? sa.initiatorAuthentication : sa.responderAuthentication
        var known: [String] = []
        if let identity { known.append(DisplayText.clipped(identity.summary)) }
        if let method { known.append(IKESAWords.authentication(method)) }
        let role = other == .initiator ? "initiator" : "responder"
        return "\(peer(by, of: sa)) rejected the \(role)'s authentication"
            + (known.isEmpty ? "" : " (\(known.joined(separator: ", ")))") + ": AUTHENTICATION_FAILED"
    }

    /// A later IKE SA between the same addresses that agreed on a proposal: what of it none of
    /// the refused offers held (`missing` gives that for a proposal of the right version, else nil).
    private static func laterIKESA(
        after index: Int, like sa: IKESARecord, story: IKEReconstruction,
        missing: (IKEChosenProposal) -> [String]?
    ) -> String? {
        for later in searchRange(after: index, in: story.ikeSAs.indices) {
            let other = story.ikeSAs[later]
            guard other.initiator == sa.initiator, other.responder == sa.responder,
                let chosen = other.proposal, let lacking = missing(chosen)
            else { continue }
            return agreement("IKE SA #\(later + 1)", missing: lacking, agreed: other.proposalNames)
        }
        return nil
    }

    /// What a later negotiation (`what`: "IKE SA #3") agreed on that the refused offers lacked
    /// (`missing`), or, when they held it all, what it agreed on (`agreed`).
    static func agreement(_ what: String, missing: [String], agreed: [String]) -> String {
        guard !missing.isEmpty else { return "\(what) later agreed on \(agreed.joined(separator: " "))" }
        return "none offered \(missing.joined(separator: ", ")), which \(what) later agreed on"
    }

    /// IKEv1: what the first phase-1 message offered, and why phase 1 failed.
    private mutating func addV1Phase1Refusal(_ sa: IKESARecord, index: Int, story: IKEReconstruction) {
        guard case .failed(let failure) = sa.state,
            let phase1 = sa.exchanges.first(where: { if case .v1(let t) = $0.type { t.isPhase1 } else { false } }),
            let first = phase1.messages.first.flatMap({ story.message($0) }),
            let offered = first.v1Proposals
        else { return }
        evidence.append("offered (\(Self.frames(first))): \(IKEOfferText.v1(offered))")
        switch failure {
        case .notify(.v1(.noProposalChosen), let by):
            let transforms = offered.reduce(0) { $0 + $1.transforms.count }
            verdict = Self.noProposal(
                by: Self.peer(by, of: sa), count: transforms, what: "phase-1 transform",
                alternative: Self.laterIKESA(after: index, like: sa, story: story) {
                    if case .v1(let chosen) = $0 { IKEOfferText.missing(chosen, from: offered) } else { nil }
                })
        case .notify(let type, let by):
            verdict = "\(Self.peer(by, of: sa)) refused phase 1 with \(type.name)"
        case .phase1Incomplete(let incomplete):
            verdict = Self.phase1Words(incomplete, sa)
        }
    }

    private static func phase1Words(_ failure: IKEv1Phase1Failure, _ sa: IKESARecord) -> String? {
        let message = failure.aggressive ? 3 : 5
        // RFC 2409 Appendix A: authentication method 1 is the pre-shared key.
        let psk = sa.initiatorAuthentication == .v1(1)
        switch failure.evidence {
        case .none:
            return nil
        case .responderResent:
            return
                "\(peer(.responder, of: sa)) did not accept the initiator's message \(message) (its identity and proof): it could not decrypt or verify it"
                + (psk ? "; with PSK authentication the pre-shared keys most likely differ" : "")
        case .notificationsUndecryptable:
            return
                "\(peer(.responder, of: sa)) answered the initiator's message \(message) with notifications that do not decrypt with the initiator's keys: the two sides derived different keys"
                + (psk ? " (with PSK authentication: the pre-shared keys differ)" : "")
        }
    }
}

extension IKEReconstruction {
    /// The message at `index` of the story, nil when out of range.
    func message(_ index: Int) -> IKEMessageRecord? {
        messages.indices.contains(index) ? messages[index] : nil
    }
}
