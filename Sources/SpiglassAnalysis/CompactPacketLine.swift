import SpiglassESP
import SpiglassWire

/// `analyze`'s ESP and AH lines on a terminal narrower than `wholeLineColumns` (or too narrow
/// for the whole line): the layout of a tcpdump one-liner. What the SA already says once is
/// left to the SA table and `-V` (outer addresses and ports, encapsulation, algorithms, tunnel
/// or transport, the CHILD_SA, the ESP length); the SPI (without "0x", as the `ike` report
/// names CHILD_SAs' SPIs) and the sequence number stay; a decryption or an AH check whose ICV
/// verified reads "ok"; the inner packet's summary is cut at a field boundary ("…") rather
/// than wrapped, to one row when its addresses fit there, else two. Failures, replay
/// verdicts, their details and policy notes keep their full words, whatever rows they take.
/// IKE messages take `CompactIKELine`'s form.
enum CompactPacketLine {
    /// From this width up, an ESP or AH line that fits stays whole (with the algorithms:
    /// `TextReporter` shows them from 160 columns); narrower, every one is compact, so that
    /// the list reads as one layout.
    static let wholeLineColumns = 160

    /// The compact line of `record` on a terminal of `width` columns, or nil when it keeps the
    /// whole line (`full`): a record that has no compact form, or an ESP or AH line that fits
    /// a terminal of `wholeLineColumns` or more. IKE messages always take theirs, so that
    /// every message line shows the IKE SPIs alike. `lead`: the frame number, file label and
    /// time, as `full` starts.
    static func text(_ record: PacketRecord, full: String, lead: String, width: Int, display: TextDisplay) -> String? {
        let ipsec = !record.esp.isEmpty || !record.ah.isEmpty
        if ipsec && width >= wholeLineColumns && LineFitter.rowCount(full, width: width) == 1 { return nil }
        var tail = record.reassembledFrom != 0 ? " [reassembled]" : ""
        if let note = record.policy { tail += PolicyPresentation.packetSuffix(note) }
        if ipsec { return self.ipsec(record, lead: lead, tail: tail, width: width, display) }
        guard let message = record.ikeMessage else { return nil }
        if message.frames.count > 1 {
            tail = " [reassembled from frames \(message.frames.map(String.init).joined(separator: ","))]" + tail
        }
        let head = lead + (record.outer.map { " \($0.source) → \($0.destination)" } ?? "")
        return CompactIKELine.text(message, head: head, tail: tail, width: width, display: display)
    }

    private static func ipsec(_ record: PacketRecord, lead: String, tail: String, width: Int, _ display: TextDisplay)
        -> String
    {
        var head = lead
        for ah in record.ah {
            head += " AH \(ah.header.spi.hexDigits) seq=\(ah.sequence) " + verdict(ah.verdict, verified: true, display)
            if ah.saMatch == .spiOnly { head += " [matched by SPI only]" }
            if let replay = ah.replay, replay != .ok { head += " [\(replay.rawValue)]" }
            if let detail = ah.detail { head += " (\(detail))" }
        }
        for (index, layer) in record.esp.enumerated() {
            head += index == 0 && record.ah.isEmpty ? " ESP" : " ⇒ ESP"
            head +=
                " \(layer.spi.hexDigits) seq=\(layer.sequence) "
                + verdict(layer.verdict, verified: layer.icv == .good, display)
            if layer.saMatch == .spiOnly { head += " [matched by SPI only]" }
            if layer.verdict == .decrypted && !layer.defaultPadding { head += " [non-default padding]" }
            if let replay = layer.replay, replay != .ok { head += " [\(replay.rawValue)]" }
            if let detail = layer.detail, layer.verdict != .decrypted { head += " (\(detail))" }
        }
        guard let inner = record.inner else { return head + tail }
        let fields = CompactFields(fields: innerFields(inner))
        func render(_ kept: [Bool]) -> String {
            head + " " + CompactFields.join(fields.fields[...], kept: kept[...]) + tail
        }
        return fields.fitted(budgets: [1, 2], width: width, render: render)
            ?? render([Bool](repeating: true, count: fields.fields.count))
    }

    /// "ok" for a packet whose ICV verified and that was released (or an AH check that
    /// passed); every other verdict by its name.
    static func verdict(_ verdict: PacketVerdict, verified: Bool, _ display: TextDisplay) -> String {
        (verdict == .decrypted && verified) || verdict == .ahVerified
            ? display.paint("ok", .good) : display.paint(verdict)
    }

    /// The inner packet's summary in the fields it is cut at: the addresses (never cut), the
    /// protocol, what the protocol says (ports, ICMP type). Its length is left to `-V`, as the
    /// ESP length is: on every line it would be the first field cut, and its "…" would cost the
    /// ICMP type on lines with longer numbers.
    static func innerFields(_ inner: PacketSummary) -> [CompactFields.Field] {
        var fields = [CompactFields.Field(text: "\(inner.source) → \(inner.destination)", essential: true)]
        let detail = inner.detail
        if let space = detail.firstIndex(of: " ") {
            fields.append(CompactFields.Field(text: String(detail[..<space])))
            fields.append(CompactFields.Field(text: String(detail[detail.index(after: space)...])))
        } else {
            fields.append(CompactFields.Field(text: detail))
        }
        return fields
    }
}
