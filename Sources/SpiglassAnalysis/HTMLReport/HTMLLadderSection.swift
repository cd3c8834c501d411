import SpiglassIKE
import SpiglassWire

/// Per IKE SA: its facts (outcome, rekeys, proposal, identities, NAT, vendor IDs, keys, CHILD_SAs,
/// findings), its ladder (`IKELadderDiagram`), and each message's payloads in full on click. Long
/// captures stay light: only the first `openLadders` are open, and past `maxLadders` IKE SAs are
/// only counted (`spiglass ike` tells them all).
struct HTMLLadderSection {
    let input: HTMLReportInput
    static let openLadders = 12
    static let maxLadders = 500
    /// Messages drawn and listed in the whole page: past them the ladders only say how many
    /// messages they have (a capture of a few IKE SAs with thousands of exchanges each).
    static let maxMessages = 20_000

    init(_ input: HTMLReportInput) { self.input = input }

    func render(_ html: inout HTMLBuilder) {
        let ike = input.ike
        var messagesBySA: [Int: [Int]] = [:]
        for (index, message) in ike.messages.enumerated() where message.captureDuplicateOf == nil {
            if let sa = message.ikeSAIndex { messagesBySA[sa, default: []].append(index) }
        }
        html.element("section", [HTMLAttribute("id", "ike")]) { section in
            section.element("h2", text: "IKE ladders (\(ike.ikeSAs.count) IKE SAs, \(ike.children.count) CHILD_SAs)")
            if ike.ikeSAs.isEmpty {
                section.element("p", text: "No IKE SA in this capture.")
            }
            var budget = HTMLLadderSection.maxMessages
            for (index, sa) in ike.ikeSAs.enumerated().prefix(HTMLLadderSection.maxLadders) {
                let messages = (messagesBySA[index] ?? []).sorted {
                    (ike.messages[$0].time, $0) < (ike.messages[$1].time, $1)
                }
                let shown = Array(messages.prefix(min(IKELadderDiagram.maxArrows, budget)))
                budget -= shown.count
                ikeSA(&section, index, sa, messages: shown, total: messages.count)
            }
            if ike.ikeSAs.count > HTMLLadderSection.maxLadders {
                section.element(
                    "p", [HTMLAttribute("class", "muted")],
                    text:
                        "\(ike.ikeSAs.count - HTMLLadderSection.maxLadders) more IKE SAs are not drawn; spiglass ike tells every one."
                )
            }
        }
    }

    /// `messages`: the first of its `total` messages, in time order, drawn and listed.
    private func ikeSA(_ html: inout HTMLBuilder, _ index: Int, _ sa: IKESARecord, messages: [Int], total: Int) {
        var attributes = [HTMLAttribute("id", HTMLReportInput.ikeSAAnchor(index)), HTMLAttribute("class", "ike-sa")]
        if index < HTMLLadderSection.openLadders { attributes.append(HTMLAttribute("open", "open")) }
        let failed = HTMLLadderSection.failed(sa)
        html.element("details", attributes) { details in
            details.element("summary") { summary in
                if failed { summary.element("span", [HTMLAttribute("class", "bad")], text: "✗ ") }
                summary.text(
                    "IKE SA #\(index + 1) \(sa.version == .v1 ? "IKEv1" : "IKEv2") \(sa.spis)  \(sa.initiator) ⇄ \(sa.responder): \(IKESAWords.state(sa.state))"
                )
            }
            facts(&details, sa)
            IKELadderDiagram(ike: input.ike, sa: sa, messages: messages, start: input.start).render(&details)
            if total > messages.count {
                details.element(
                    "p", [HTMLAttribute("class", "muted")],
                    text:
                        "\(total - messages.count) of its \(total) messages are not drawn or listed here (spiglass ike tells them all)."
                )
            }
            messageList(&details, messages)
        }
    }

    static func failed(_ sa: IKESARecord) -> Bool {
        switch sa.state {
        case .failed, .noResponse: return true
        default: return false
        }
    }

    private func facts(_ html: inout HTMLBuilder, _ sa: IKESARecord) {
        html.element("dl", [HTMLAttribute("class", "facts")]) { list in
            list.element("dt", text: "Outcome")
            list.element("dd", [HTMLAttribute("class", HTMLLadderSection.failed(sa) ? "bad" : "")]) {
                $0.text(IKESAWords.state(sa.state) + (sa.failureEvidence.map { " (\(IKESAWords.evidence($0)))" } ?? ""))
            }
            rekeys(&list, sa)
            var rows: [(String, String)] = []
            if !sa.proposalNames.isEmpty { rows.append(("Proposal", sa.proposalNames.joined(separator: " "))) }
            if sa.initiatorIdentity != nil || sa.responderIdentity != nil {
                rows.append(("Initiator ID", sa.initiatorIdentity?.summary ?? "?"))
                rows.append(("Responder ID", sa.responderIdentity?.summary ?? "?"))
            }
            if !sa.vendorIDs.isEmpty {
                rows.append(("Vendor IDs", sa.vendorIDs.map(IKEText.vendor).joined(separator: ", ")))
            }
            rows.append(("Keys", sa.keysKnown ? "given" : "none (the encrypted messages stay opaque)"))
            for finding in sa.findings { rows.append(("Finding", finding.text)) }
            for (name, value) in rows {
                list.element("dt", text: name)
                list.element("dd", text: value)
            }
            children(&list, sa)
        }
    }

    private func rekeys(_ list: inout HTMLBuilder, _ sa: IKESARecord) {
        for (name, target) in [("Rekey of", sa.rekeyOf), ("Rekeyed by", sa.rekeyedBy)] {
            guard let target else { continue }
            list.element("dt", text: name)
            list.element("dd") {
                $0.element(
                    "a", [HTMLAttribute("href", "#" + HTMLReportInput.ikeSAAnchor(target))],
                    text: "IKE SA #\(target + 1)")
            }
        }
    }

    private func children(_ list: inout HTMLBuilder, _ sa: IKESARecord) {
        let ike = input.ike
        for child in sa.children where child < ike.children.count {
            let record = ike.children[child]
            list.element("dt", text: "CHILD_SA #\(child + 1)")
            list.element("dd", [HTMLAttribute("id", HTMLReportInput.childAnchor(child))]) { item in
                var text = "\(record.protocolID == 2 ? "AH" : "ESP") \(record.spiText) (\(record.createdByName))"
                if record.established {
                    let selectors = IKEDescribe.trafficSelectors(record)
                    text +=
                        " \(record.transportMode ? "transport" : "tunnel") \(selectors.initiator.joined(separator: ",")) === \(selectors.responder.joined(separator: ","))"
                    text += "; \(record.proposalNames.joined(separator: " "))"
                    if record.deleted { text += "; deleted" }
                } else {
                    text += " not established: \(record.failure.map { IKESAWords.failure($0) } ?? "pending")"
                }
                item.text(text)
                for (word, target) in [(" rekey of ", record.rekeyOf), (" rekeyed by ", record.rekeyedBy)] {
                    guard let target else { continue }
                    item.text(";" + word)
                    item.element(
                        "a", [HTMLAttribute("href", "#" + HTMLReportInput.childAnchor(target))],
                        text: "CHILD_SA #\(target + 1)")
                }
            }
        }
    }

    /// Each message with its frames, protection and every payload in full.
    private func messageList(_ html: inout HTMLBuilder, _ messages: [Int]) {
        guard !messages.isEmpty else { return }
        html.element("details", [HTMLAttribute("class", "messages")]) { details in
            details.element("summary", text: "Payloads of the \(messages.count) messages")
            details.element("ol") { list in
                for index in messages where index < input.ike.messages.count {
                    let message = input.ike.messages[index]
                    list.element("li") { item in
                        let frames = message.frames.map(String.init).joined(separator: ",")
                        item.text(
                            "frame \(frames): \(IKEDescribe.headline(message)) (\(IKEDescribe.protection(message)))")
                        for problem in message.problems.prefix(3) { item.text(" [\(IKEDescribe.problem(problem))]") }
                        item.element("ul", [HTMLAttribute("class", "payloads")]) { payloads in
                            for summary in IKELadderDiagram.payloadSummaries(message) {
                                payloads.element("li", text: summary)
                            }
                        }
                    }
                }
            }
        }
    }
}
