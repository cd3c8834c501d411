import SpiglassCapture
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// `spiglass ike`: one line per IKE message as it arrives, then per IKE SA the ladder of its
/// exchanges, its CHILD_SAs with the ESP seen for them, and what went wrong.
final class IKETextReporter: Reporter {
    let sink: OutputSink
    let quiet: Bool
    var sources = SourceNames()
    let ike: IKEReconstruction
    /// `ike --summary`: no message lines, one line per IKE SA instead of its ladder.
    let summaryOnly: Bool
    /// `-V`: each message's full dissection under its line.
    let details: Bool
    /// The IKE SAs shown, when a selection names them.
    var shownIKESAs: Set<Int>? = nil
    /// Colour on a terminal; its width shortens the IKE SPIs of the ladders.
    let display: TextDisplay
    /// The ladders' IKE SPIs: shortened on a terminal once the run's are all known.
    private var spiText = IKESPIAbbreviation.none
    /// A message line took its compact form, with the IKE SPIs' fixed prefixes.
    private var shortenedIKESPIs = false

    init(
        sink: OutputSink, quiet: Bool, ike: IKEReconstruction, summaryOnly: Bool = false, details: Bool = false,
        display: TextDisplay = .plain
    ) {
        self.sink = sink
        self.display = display
        self.quiet = quiet || summaryOnly
        self.ike = ike
        self.summaryOnly = summaryOnly
        self.details = details
    }

    func begin(sources paths: [String]) { sources = SourceNames(paths) }

    func select(ikeSAs: Set<Int>) { shownIKESAs = ikeSAs }

    func packet(_ record: PacketRecord, sad: SADatabase, ahSAD: SADatabase, startTime: Timestamp) {
        guard !quiet, let message = record.ikeMessage else { return }
        var line = TimeFormat.pad(record.frame, 5).replacingLeadingZeros()
        if let label = sources.label(record) { line += " [\(label)]" }
        line += " " + TimeFormat.elapsed(from: startTime, to: message.time) + display.hang
        let lead = line
        let frames = message.frames.count > 1 ? " frames \(message.frames.map(String.init).joined(separator: ","))" : ""
        line += " \(message.source):\(message.sourcePort) → \(message.destination):\(message.destinationPort)" + frames
        line += " " + IKEDescribe.headline(message)
        line += " \(message.header.initiatorSPI.ikeSPIHex)/\(message.header.responderSPI.ikeSPIHex)"
        line += " (\(IKEDescribe.protection(message)))"
        if message.captureDuplicateOf == nil {
            line += ": " + IKEDescribe.payloadList(message, protectionShown: true, display: display)
        }
        let problems = message.problems.prefix(3).map { " [\(IKEDescribe.problem($0))]" }.joined()
        line += problems
        if let width = display.width {
            // A reassembled message's frames go after it, as the packet report puts them: before
            // the exchange's name, a long list would leave it no room on the first row.
            let head = lead + " \(message.source) → \(message.destination)"
            line = CompactIKELine.text(
                message, head: head, tail: IKEDescribe.reassembledNote(message) + problems, width: width,
                display: display)
            shortenedIKESPIs = true
        }
        sink.write(line + "\n")
        if details { sink.write(IKEMessageDetails.lines(message, indent: "      ")) }
    }

    func finish(
        summary: AnalysisSummary, flows: [FlowStatistics], sad: SADatabase, ahSAD: SADatabase, untrackedFlowPackets: Int
    ) {
        let start = summary.firstTime ?? Timestamp(seconds: 0, microseconds: 0)
        if display.width != nil {
            spiText = IKESPIAbbreviation(
                ike.messages.lazy.flatMap { [$0.header.initiatorSPI, $0.header.responderSPI] })
        }
        if shortenedIKESPIs, let note = IKESPIAbbreviation.sharedPrefixNote(ike.messages) { sink.write(note) }
        if !quiet { sink.write("\n") }
        sink.write(
            "IKE SAs: \(ike.ikeSAs.count)  CHILD_SAs: \(ike.children.count)  IKE messages: \(summary.ikePackets)")
        if ike.ikev1Messages > 0 { sink.write(IKESummaryLine.versionCount(ike.ikev1Messages, of: summary.ikePackets)) }
        sink.write("  decrypted: \(ike.decryptedCount)")
        if ike.integrityFailureCount > 0 { sink.write("  integrity failed: \(ike.integrityFailureCount)") }
        if ike.captureDuplicateCount > 0 { sink.write("  capture duplicates: \(ike.captureDuplicateCount)") }
        sink.write("\n")
        sink.write(ReportSelection.summaryLines(summary))
        let flowsByChild = Dictionary(grouping: flows.indices.filter { flows[$0].childSA != nil }) {
            flows[$0].childSA!
        }
        if summaryOnly && !ike.ikeSAs.isEmpty { sink.write("\n" + summaryLines()) }
        for (index, sa) in ike.ikeSAs.enumerated() where !summaryOnly && shownIKESAs?.contains(index) ?? true {
            sink.write("\n" + ikeSAText(index, sa, start: start, flows: flows, flowsByChild: flowsByChild, sad: sad))
        }
        let orphans = flows.filter { $0.childSA == nil }
        if !orphans.isEmpty && !ike.ikeSAs.isEmpty && summaryOnly {
            sink.write("\nESP/AH SPIs that no exchange in this capture created: \(orphans.count)\n")
        } else if !orphans.isEmpty && !ike.ikeSAs.isEmpty {
            sink.write("\nESP/AH SPIs that no exchange in this capture created:\n")
            for flow in orphans {
                sink.write(
                    "  \(flow.key.ipsecProtocol == .ah ? "AH" : "ESP") \(flow.key.spi.description) \(flow.key.source) → \(flow.key.destination): \(flow.packets) packets, \(flow.count(.decrypted)) decrypted\n"
                )
            }
        }
        if let policy = PolicyPresentation.totals(summary.policy) {
            sink.write("\n" + policy.text(indent: "", width: display.width))
        }
        sink.write(
            FindingsSection(
                findings: summary.findings.filter { $0.kind == .policyMismatch },
                leaks: PolicyPresentation.leakLines(summary.policy, start: summary.firstTime), display: display,
                heading: false
            ).text)
        for warning in summary.warnings {
            sink.write(warning.line("warning:").text(indent: "", width: display.width))
        }
        if let damage = CaptureDamageText.endedEarly(summary.damages) {
            sink.write(damage.text(indent: "", width: display.width))
        }
        sink.flush()
    }

    private func ikeSAText(
        _ index: Int, _ sa: IKESARecord, start: Timestamp, flows: [FlowStatistics], flowsByChild: [Int: [Int]],
        sad: SADatabase
    ) -> String {
        let peers =
            "\(sa.initiator):\(sa.initiatorPort) (initiator) ⇄ \(sa.responder):\(sa.responderPort) (responder)"
        var out = "IKE SA #\(index + 1)  \(spiText.text(sa.spis))  \(peers)\n"
        if !fits(out) { out = "IKE SA #\(index + 1)  \(spiText.text(sa.spis))\n  peers: \(peers)\n" }
        let refusal = IKERefusal.ikeSA(index, in: ike)
        // A phase-1 failure the refusal line words says only its counts here.
        let outcome = refusal?.verdict == nil ? stateWords(sa) : IKERefusal.shortOutcome(sa) ?? stateWords(sa)
        var outcomeClauses: [TerminalRows.Clause] = []
        if let evidence = sa.failureEvidence.map(IKESAWords.evidence) {
            outcomeClauses.append(.init(inline: " (\(evidence))", label: "in", text: evidence))
        }
        if let sender = IKERefusal.sender(sa) {
            outcomeClauses.append(.init(inline: ", sent by \(sender)", label: "sent by", text: sender))
        }
        out += TerminalRows.headline(
            "  outcome: \(display.paint(outcome, sa.state.style))", outcomeClauses, indent: 2, width: display.width)
        out += "\n" + (refusal?.lines(indent: "  ", display: display) ?? "")
        if let from = sa.rekeyOf { out += "  rekey of IKE SA #\(from + 1)\n" }
        if let to = sa.rekeyedBy { out += "  rekeyed by IKE SA #\(to + 1)\n" }
        if !sa.proposalNames.isEmpty {
            out +=
                TerminalRows.alignedList("  proposal: ", sa.proposalNames, separator: " ", width: display.width) + "\n"
        }
        if let request = sa.invalidKERequestedGroup, refusal == nil {
            out += "  INVALID_KE_PAYLOAD: the responder asked for \(IKESAWords.group(request)); the initiator retried\n"
        }
        if sa.cookieRoundTrip {
            out +=
                display.width == nil
                ? "  COOKIE: the responder demanded a cookie (DoS protection); the initiator retried with it\n"
                : "  COOKIE: the responder demanded one (DoS protection); the initiator retried\n"
        }
        if sa.initiatorIdentity != nil || sa.responderIdentity != nil {
            // The identities are escaped whole (JSON has them so); a line shows the start of each.
            let initiator = sa.initiatorIdentity.map { DisplayText.clipped($0.summary) } ?? "?"
            let responder = sa.responderIdentity.map { DisplayText.clipped($0.summary) } ?? "?"
            let sides = [
                identity(initiator, sa.initiatorAuthentication, lead: 14),
                "⇄ " + identity(responder, sa.responderAuthentication, lead: 16),
            ]
            out += TerminalRows.alignedList("  identities: ", sides, separator: " ", width: display.width) + "\n"
        }
        if sa.initiatorBehindNAT != nil || sa.responderBehindNAT != nil {
            out += "  NAT: initiator \(natWords(sa.initiatorBehindNAT)), responder \(natWords(sa.responderBehindNAT))"
            // Said once for the line: either side's hash may be faked (strongSwan's kernel-libipsec does it).
            let fakeable = sa.initiatorBehindNAT == true || sa.responderBehindNAT == true
            let faking = "(or a peer faking NAT detection to force UDP encapsulation)"
            out += !fakeable ? "\n" : fits(out + " " + faking + "\n") ? " \(faking)\n" : "\n    \(faking)\n"
        }
        if let configuration = IKEOfferText.configuration(sa, in: ike) {
            // Broken between its attributes ("INTERNAL_IP4_ADDRESS=10.0.0.1,").
            let items = TerminalRows.items(configuration)
            out += TerminalRows.alignedList("  configuration: ", items, separator: " ", width: display.width) + "\n"
        }
        if !sa.vendorIDs.isEmpty {
            out +=
                TerminalRows.alignedList(
                    "  vendor IDs: ", sa.vendorIDs.map(IKEText.vendor), separator: ", ", width: display.width) + "\n"
        }
        if !sa.keysKnown {
            out += "  keys: none (the encrypted messages stay opaque)\n"
        } else if sa.integrityFailed.total > 0 {
            out +=
                "  keys: given, but \(sa.integrityFailed.total) encrypted message(s) fail integrity (see the findings)\n"
        } else if sa.keysBoundByIntegrity && display.width != nil {
            out += "  keys: from a key file naming no SPIs; this IKE SA's messages verify with them\n"
        } else if sa.keysBoundByIntegrity {
            out +=
                "  keys: from a key file that does not name its SPIs; bound to this IKE SA because its messages verify with them\n"
        } else {
            out += "  keys: given\n"
        }
        out += "  exchanges:\n"
        for exchange in sa.exchanges {
            out += exchangeLine(exchange, start: start, version: sa.version)
        }
        for child in sa.children {
            out += childText(child, flows: flows, flowsByChild: flowsByChild, sad: sad)
        }
        for finding in sa.findings { out += finding.line.text(indent: "  ", width: display.width) }
        return out
    }

    /// Whether the last line of `text` fits the terminal on one row (always when piped).
    private func fits(_ text: String) -> Bool {
        guard let width = display.width else { return true }
        let last = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
        return LineFitter.rowCount(String(last), width: width) == 1
    }

    /// `ike --summary`: one line per IKE SA.
    private func summaryLines() -> String {
        var messages = [Int](repeating: 0, count: ike.ikeSAs.count)
        for message in ike.messages {
            if let index = message.ikeSAIndex, messages.indices.contains(index) { messages[index] += 1 }
        }
        return ike.ikeSAs.indices.filter { shownIKESAs?.contains($0) ?? true }
            .map { IKESummaryLine.ikeSA($0, in: ike, messages: messages[$0], display: display) + "\n" }.joined()
    }

    private func stateWords(_ sa: IKESARecord) -> String {
        switch sa.state {
        case .negotiating:
            if sa.version == .v2 && sa.exchanges.allSatisfy({ $0.type == .v2(.ikeSAInit) }) {
                return "negotiating: the capture ends after IKE_SA_INIT"
            }
            return sa.keysKnown
                ? "negotiating (no outcome in the capture)"
                : "unknown: IKE_AUTH is encrypted and no keys were given"
        case .noResponse: return "failed: no response from \(sa.responder)"
        default: return IKESAWords.state(sa.state)
        }
    }

    /// "ID_FQDN a.example (PSK)": an identity and how it authenticated.
    /// On a terminal the identity is clipped to leave its method room on a row that starts
    /// `lead` columns in.
    private func identity(_ shown: String, _ method: IKEAuthenticationMethod?, lead: Int) -> String {
        guard let width = display.width else { return shown + " (\(authentication(method)))" }
        let method = " (\(method.map(IKELadderWords.authentication) ?? "no AUTH seen"))"
        return TerminalRows.clipped(shown, columns: max(width - lead - TerminalRows.columns(method), 8)) + method
    }

    private func authentication(_ method: IKEAuthenticationMethod?) -> String {
        method.map { IKESAWords.authentication($0) } ?? "no AUTH seen"
    }

    private func natWords(_ behind: Bool?) -> String {
        switch behind {
        case .some(true): return "behind a NAT"
        case .some(false): return "not behind a NAT"
        case .none: return "unknown"
        }
    }

    private func exchangeLine(_ exchange: IKEExchangeRecord, start: Timestamp, version: IKESecurityAssociation.Version)
        -> String
    {
        let requester = exchange.requestedByInitiator ? "I" : "R"
        let responder = exchange.requestedByInitiator ? "R" : "I"
        if let width = display.width {
            let head =
                "    \(exchange.name) mid=\(IKEDescribe.messageID(exchange.messageID, version: version)) \(requester)→\(responder)"
                + (exchange.requestTime.map { " +" + TimeFormat.elapsed(from: start, to: $0) } ?? "")
            let fact = IKELadderWords.fact(exchange.outcome)
            let outcome = ": " + display.paint(fact, exchange.outcome.style)
            var clauses = IKELadderWords.clauses(exchange.outcome) + IKELadderWords.timing(exchange)
            var headline = head + outcome
            if let purpose = exchange.purpose.flatMap({ IKELadderWords.purpose($0, fact: fact) }) {
                // A purpose that leaves no room for the fact takes a sub-row of its own.
                if TerminalRows.fits(head + " (\(purpose))" + outcome, width) {
                    headline = head + " (\(purpose))" + outcome
                } else {
                    clauses.insert(.init(inline: "", label: "purpose", text: purpose), at: 0)
                }
            }
            let line = TerminalRows.headline(headline, clauses, indent: 4, width: width)
            return line + payloadRows(exchange) + "\n"
        }
        var line =
            "    \(exchange.name) mid=\(IKEDescribe.messageID(exchange.messageID, version: version)) \(requester)→\(responder)"
        if let time = exchange.requestTime {
            line += " at +\(TimeFormat.elapsed(from: start, to: time))"
        }
        if let purpose = exchange.purpose { line += " (\(IKEExchangeWords.purpose(purpose)))" }
        line += ": \(display.paint(IKEExchangeWords.outcome(exchange.outcome), exchange.outcome.style))"
        if let rtt = exchange.roundTrip { line += ", rtt \(IKEDescribe.milliseconds(rtt))" }
        if exchange.requestRetransmissions > 0 { line += ", request retransmitted \(exchange.requestRetransmissions)×" }
        if exchange.responseRetransmissions > 0 {
            line += ", response retransmitted \(exchange.responseRetransmissions)×"
        }
        if !exchange.otherResponses.isEmpty {
            line +=
                ", \(exchange.otherResponses.count) other answer(s) to retransmitted requests (frames \(exchange.otherResponses.map(String.init).joined(separator: ", ")))"
        }
        return line + payloadRows(exchange) + "\n"
    }

    /// The exchange's messages, a row each: its request and response, or IKEv1's phase 1 (six
    /// messages) and Quick Mode (three) in order.
    private func payloadRows(_ exchange: IKEExchangeRecord) -> String {
        var rows = ""
        if exchange.messages.count > 2 || (exchange.messages.count == 2 && exchange.request == nil) {
            for index in exchange.messages where index < ike.messages.count {
                let message = ike.messages[index]
                let arrow = message.fromOriginalInitiator == exchange.requestedByInitiator ? "→" : "←"
                rows += payloadRow(arrow, message)
            }
            return rows
        }
        if let request = exchange.request, request < ike.messages.count {
            rows += payloadRow("→", ike.messages[request])
        }
        if let response = exchange.response, response < ike.messages.count {
            rows += payloadRow("←", ike.messages[response])
        }
        return rows
    }

    /// "\n      → frame 3: SA KE Nonce …", on a terminal cut to its row (`CompactIKELine.ladderRow`).
    private func payloadRow(_ arrow: String, _ message: IKEMessageRecord) -> String {
        let start = "      \(arrow) frame \(message.frames.map(String.init).joined(separator: ",")): "
        guard let width = display.width else {
            return "\n" + start + IKEDescribe.payloadList(message, display: display)
        }
        return "\n" + CompactIKELine.ladderRow(message, start: start, width: width, display: display)
    }

    private func childText(_ index: Int, flows: [FlowStatistics], flowsByChild: [Int: [Int]], sad: SADatabase) -> String
    {
        let child = ike.children[index]
        let proto = child.protocolID == 2 ? "AH" : "ESP"
        var out = "  CHILD_SA #\(index + 1) \(proto) \(child.spiText)"
        out += " (\(child.createdByName)\(child.rekeyOf.map { ", rekey of CHILD_SA #\($0 + 1)" } ?? ""))"
        if child.established {
            var mode = child.transportMode ? "transport" : "tunnel"
            let selectors = IKEDescribe.trafficSelectors(child)
            if !selectors.initiator.isEmpty || !selectors.responder.isEmpty {
                mode +=
                    " \(selectors.initiator.joined(separator: ",")) === \(selectors.responder.joined(separator: ","))"
            }
            // Too wide for one row: the mode and selectors on a row of their own.
            out += fits(out + " " + mode + "\n") ? " " + mode : "\n    " + mode
            out += "\n    proposal: \(child.proposalNames.joined(separator: " "))"
            out +=
                child.perfectForwardSecrecy
                ? ", PFS \(child.keyExchangeGroup.map { IKESAWords.group($0) } ?? "")" : ", no PFS"
            var fate: [String] = []
            if let by = child.rekeyedBy { fate.append("rekeyed by CHILD_SA #\(by + 1)") }
            if child.deleted { fate.append("deleted") }
            if !fate.isEmpty {
                let then = fate.joined(separator: ", ")
                let last = String(out.split(separator: "\n", omittingEmptySubsequences: false).last ?? "")
                out = String(out.dropLast(last.count))
                out += TerminalRows.headline(
                    last, [.init(inline: "; " + then, label: "then", text: then)], indent: 4, width: display.width)
            }
            let version = ike.ikeSAs[child.ikeSAIndex].version
            let keys = child.keying.map {
                display.width == nil
                    ? IKESAWords.keying($0, child: child, version: version)
                    : IKELadderWords.keying($0, child: child, version: version)
            }
            out += "\n    keys: \(keys ?? "not derived")"
        } else {
            let failure = child.failure.map { IKESAWords.failure($0) }
            out += " " + display.paint("not established: \(failure ?? "pending")", failure == nil ? .warning : .failure)
        }
        out += "\n" + (IKERefusal.child(index, in: ike)?.lines(indent: "    ", display: display) ?? "")
        for flowIndex in flowsByChild[index] ?? [] {
            let flow = flows[flowIndex]
            let headline =
                "    \(flow.key.ipsecProtocol == .ah ? "AH" : "ESP") \(flow.key.spi.description) \(flow.key.source) → \(flow.key.destination): \(flow.packets) packets, \(flow.verified) verified"
            var clauses: [TerminalRows.Clause] = []
            if let sa = flow.saIndex.map({ sad.entries[$0] }), flow.key.ipsecProtocol == .esp {
                let origin = display.width == nil ? IKEDescribe.origin(sa.origin) : IKELadderWords.keys(sa.origin)
                clauses.append(.init(inline: " with keys \(origin)", label: "keys", text: origin))
            }
            if flow.decryptedWithoutIntegrity > 0 {
                let words = "\(flow.decryptedWithoutIntegrity) decrypted without integrity"
                clauses.append(.init(inline: ", " + words, label: "note", text: words))
            }
            if flow.policy.mismatches > 0 {
                let words = "\(flow.policy.mismatches) outside the CHILD_SA's selectors"
                clauses.append(.init(inline: ", " + words, label: "note", text: words))
            }
            out += TerminalRows.headline(headline, clauses, indent: 4, width: display.width) + "\n"
        }
        if child.established && (flowsByChild[index] ?? []).isEmpty { out += "    no ESP seen for it\n" }
        return out
    }
}

extension String {
    /// "00012" → "   12": frame numbers right-aligned like the packet report's.
    fileprivate func replacingLeadingZeros() -> String {
        var characters = Array(self)
        var i = 0
        while i < characters.count - 1 && characters[i] == "0" {
            characters[i] = " "
            i += 1
        }
        return String(characters)
    }
}
