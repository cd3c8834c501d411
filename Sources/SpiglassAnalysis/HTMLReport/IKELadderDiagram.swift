import SpiglassCapture
import SpiglassIKE
import SpiglassWire

/// One IKE SA's messages as an SVG sequence diagram: the initiator's and the responder's
/// lifelines, one arrow per message in time order (exchange, message ID, payloads, fragments,
/// retransmissions, round-trip time). A failed message is drawn red, dashed, with a cross for an
/// arrowhead and "✗" and the outcome in its label: never colour alone. Each arrow's `<title>`
/// (the browser's tooltip) lists the message's payloads in full.
struct IKELadderDiagram {
    let ike: IKEReconstruction
    let sa: IKESARecord
    /// The SA's messages drawn, indices into `ike.messages`, in time order.
    let messages: [Int]
    /// The capture's first packet (times are shown from it).
    let start: Timestamp

    static let width = 860.0
    static let left = 190.0
    static let right = 670.0
    static let rowHeight = 44.0
    static let top = 58.0
    /// Arrows drawn of one IKE SA.
    static let maxArrows = 300

    func render(_ html: inout HTMLBuilder) {
        let height = IKELadderDiagram.top + Double(messages.count) * IKELadderDiagram.rowHeight + 16
        let label =
            "IKE ladder: \(sa.initiator) (initiator) and \(sa.responder) (responder)"
        html.svg(className: "ladder", width: IKELadderDiagram.width, height: height, label: label) { svg in
            lifelines(&svg, height: height)
            for (row, index) in messages.enumerated() where index < ike.messages.count {
                arrow(
                    &svg, ike.messages[index],
                    y: IKELadderDiagram.top + (Double(row) + 0.6) * IKELadderDiagram.rowHeight)
            }
        }
    }

    private func lifelines(_ svg: inout HTMLBuilder, height: Double) {
        let peers = [
            (IKELadderDiagram.left, "Initiator", "\(sa.initiator):\(sa.initiatorPort)", sa.initiatorBehindNAT),
            (IKELadderDiagram.right, "Responder", "\(sa.responder):\(sa.responderPort)", sa.responderBehindNAT),
        ]
        for (x, role, address, nat) in peers {
            let natText = nat == true ? " · NAT detected" : ""
            svg.element(
                "text", [HTMLAttribute("x", x), HTMLAttribute("y", 16), HTMLAttribute("text-anchor", "middle")]
            ) {
                $0.element("tspan", [HTMLAttribute("font-weight", "bold")], text: role)
                $0.text(natText)
            }
            svg.element(
                "text",
                [HTMLAttribute("x", x), HTMLAttribute("y", 32), HTMLAttribute("text-anchor", "middle")],
                text: address)
            svg.empty(
                "line",
                [
                    HTMLAttribute("class", "lifeline"), HTMLAttribute("x1", x), HTMLAttribute("y1", 40),
                    HTMLAttribute("x2", x), HTMLAttribute("y2", height - 4),
                ])
        }
    }

    private func arrow(_ svg: inout HTMLBuilder, _ message: IKEMessageRecord, y: Double) {
        let forward = message.fromOriginalInitiator
        let from = forward ? IKELadderDiagram.left : IKELadderDiagram.right
        let to = forward ? IKELadderDiagram.right : IKELadderDiagram.left
        let failure = IKELadderDiagram.failure(of: message, in: sa)
        let failed = failure != nil
        let mid = (IKELadderDiagram.left + IKELadderDiagram.right) / 2
        svg.element("g", [HTMLAttribute("class", failed ? "message failed" : "message")]) { group in
            group.element("title", text: tooltip(message, failure: failure))
            group.empty(
                "line",
                [
                    HTMLAttribute("class", failed ? "arrow failed" : "arrow"), HTMLAttribute("x1", from),
                    HTMLAttribute("y1", y), HTMLAttribute("x2", to), HTMLAttribute("y2", y),
                ])
            head(&group, at: to, y: y, pointingRight: forward, failed: failed)
            var headline = IKEDescribe.headline(message)
            if message.frames.count > 1 { headline += " · \(message.frames.count) fragments" }
            if let failure { headline = "✗ " + headline + " · " + failure }
            group.element(
                "text",
                [
                    HTMLAttribute("x", mid), HTMLAttribute("y", y - 6), HTMLAttribute("text-anchor", "middle"),
                    HTMLAttribute("class", failed ? "failed" : ""),
                ], text: IKELadderDiagram.fitted(headline, limit: 78))
            group.element(
                "text",
                [
                    HTMLAttribute("x", mid), HTMLAttribute("y", y + 14), HTMLAttribute("text-anchor", "middle"),
                    HTMLAttribute("class", "muted"),
                ], text: IKELadderDiagram.fitted(IKEDescribe.payloadList(message), limit: 74))
            margins(&group, message, y: y)
        }
    }

    /// The time at the left, frames and the round-trip time at the right.
    private func margins(_ group: inout HTMLBuilder, _ message: IKEMessageRecord, y: Double) {
        let elapsed = TimeFormat.elapsed(from: start, to: message.time)
        group.element(
            "text", [HTMLAttribute("x", 4), HTMLAttribute("y", y + 4), HTMLAttribute("class", "muted")],
            text: "+\(elapsed) s")
        var lines = ["frame " + message.frames.map(String.init).joined(separator: ",")]
        if message.isResponse, let index = message.exchangeIndex, index < sa.exchanges.count,
            sa.exchanges[index].response.map({ ike.messages[$0].time == message.time }) ?? false,
            let rtt = sa.exchanges[index].roundTrip
        {
            // On the frames' line when both fit (they always did before times had nanoseconds).
            let time = "rtt \(IKEDescribe.milliseconds(rtt))"
            if lines[0].count + time.count + 3 <= IKELadderDiagram.marginLimit {
                lines[0] += " · " + time
            } else {
                lines.append(time)
            }
        }
        for (number, line) in lines.enumerated() {
            group.element(
                "text",
                [
                    HTMLAttribute("x", IKELadderDiagram.right + 8), HTMLAttribute("y", y + 4 + 14 * Double(number)),
                    HTMLAttribute("class", "muted"),
                ],
                text: IKELadderDiagram.fitted(line, limit: IKELadderDiagram.marginLimit))
        }
    }

    /// Characters of a label right of the responder's lifeline.
    static let marginLimit = 28

    /// A triangle, or for a failed message a cross: the shape says it as well as the colour.
    private func head(_ group: inout HTMLBuilder, at x: Double, y: Double, pointingRight: Bool, failed: Bool) {
        let back = pointingRight ? x - 9 : x + 9
        if failed {
            let path =
                "M\(n(back - 5)) \(n(y - 6)) L\(n(back + 5)) \(n(y + 6)) M\(n(back - 5)) \(n(y + 6)) L\(n(back + 5)) \(n(y - 6))"
            group.empty("path", [HTMLAttribute("class", "arrow failed"), HTMLAttribute("d", path)])
        }
        let points = "\(n(x)),\(n(y)) \(n(back)),\(n(y - 5)) \(n(back)),\(n(y + 5))"
        group.empty(
            "polygon", [HTMLAttribute("class", failed ? "head failed" : "head"), HTMLAttribute("points", points)])
    }

    private func n(_ value: Double) -> String { HTMLAttribute.number(value) }

    /// A label cut to what fits between the lifelines, "…" marking the cut (the arrow's tooltip
    /// and the message list have it whole).
    static func fitted(_ text: String, limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    private func tooltip(_ message: IKEMessageRecord, failure: String?) -> String {
        var lines = [IKEDescribe.headline(message), IKEDescribe.protection(message)]
        if let failure { lines.append("failed: \(failure)") }
        lines += IKELadderDiagram.payloadSummaries(message)
        return lines.joined(separator: "\n")
    }

    static func payloadSummaries(_ message: IKEMessageRecord) -> [String] {
        switch message.payloads {
        case .v1(let payloads): return payloads.map(\.summary)
        case .v2(let payloads): return payloads.map(\.summary)
        }
    }

    /// Why a message counts as failed: the response (or the unanswered request) of an exchange
    /// that did not succeed, or a message that did not open with the keys given.
    static func failure(of message: IKEMessageRecord, in sa: IKESARecord) -> String? {
        switch message.decryption {
        case .failed(let why): return "not decrypted: \(IKEProtectionErrorText.decryption(why))"
        default: break
        }
        if message.integrity == .failed { return "integrity check failed" }
        guard let index = message.exchangeIndex, index < sa.exchanges.count else { return nil }
        let exchange = sa.exchanges[index]
        switch exchange.outcome {
        case .ok, .oneWay, .xauth(succeeded: true): return nil
        case .noResponse, .noDPDAck:
            return message.isResponse ? nil : IKEExchangeWords.outcome(exchange.outcome)
        default:
            return message.isResponse || exchange.response == nil ? IKEExchangeWords.outcome(exchange.outcome) : nil
        }
    }
}
