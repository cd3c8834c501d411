import SpiglassESP
import SpiglassWire

/// `analyze`'s ESP and AH lines on a terminal narrower than `wholeLineColumns` (or too narrow
/// for the whole line): the layout of a tcpdump one-liner. What the SA already says once is
/// left to the SA table and `-V` (outer addresses and ports, encapsulation, algorithms, tunnel
/// or transport, the CHILD_SA, the ESP length); the SPI (without "0x", as the `ike` report
/// names CHILD_SAs' SPIs) and the sequence number stay; a decryption or an AH check whose ICV
/// verified reads "ok"; the inner packet's summary follows on the same row when the whole
/// line fits there, else on a row of its own (never folded inside it, cut at a field boundary
/// "…" only when even its own row is too narrow). Failures, replay verdicts, their details and
/// policy notes keep their full words, whatever rows they take.
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
        if ipsec { return self.ipsec(record, lead: lead, tail: tail, width: width, display) }
        if let note = record.policy { tail += PolicyPresentation.packetSuffix(note) }
        guard let message = record.ikeMessage else { return record.ike.map { datagram($0, record, lead, tail, width) } }
        tail = IKEDescribe.reassembledNote(message) + tail
        let head = lead + (record.outer.map { " \($0.source) → \($0.destination)" } ?? "")
        return CompactIKELine.text(message, head: head, tail: tail, width: width, display: display)
    }

    /// An IKE datagram that is no message of its own (a fragment held for reassembly): the
    /// exchange, then its IKE SPIs as the message lines show them, on a second row when the
    /// line does not fit one.
    private static func datagram(_ ike: IKEHeader, _ record: PacketRecord, _ lead: String, _ tail: String, _ width: Int)
        -> String
    {
        var first = lead + (record.outer.map { " \($0.source) → \($0.destination)" } ?? "") + " " + ike.exchangeName
        if ike.isIKEv2 { first += ike.isResponse ? " response" : " request" }
        first += " mid=\(ike.messageID)"
        let second =
            IKESPIAbbreviation.prefix(ike.initiatorSPI) + "/" + IKESPIAbbreviation.prefix(ike.responderSPI)
            + (ike.isEncrypted ? " encrypted" : "") + tail
        let whole = first + " " + second
        if LineFitter.rowCount(whole, width: width) == 1 { return whole }
        return first + "\n" + String(repeating: " ", count: LineFitter.hangColumn(lead) ?? 0) + second
    }

    private static func ipsec(_ record: PacketRecord, lead: String, tail: String, width: Int, _ display: TextDisplay)
        -> String
    {
        // The line's parts, each kept whole on a row when it fits one: per layer its verdict,
        // then its failure's detail; the inner packet; the notes.
        var parts: [String] = []
        // A failure's detail too long for a row at the addresses' column: "detail:" rows.
        var detailRows: [String] = []
        let hang = String(repeating: " ", count: LineFitter.hangColumn(lead) ?? 0)
        func add(detail: String) {
            if LineFitter.rowCount(hang + "(\(detail))", width: width) == 1 {
                parts.append("(\(detail))")
            } else {
                detailRows += PacketNoteRows.detailRows(detail, width: width)
            }
        }
        for ah in record.ah {
            var part =
                "AH \(ah.header.spi.hexDigits) seq=\(ah.sequence) " + verdict(ah.verdict, verified: true, display)
            if ah.saMatch == .spiOnly { part += " [matched by SPI only]" }
            if let replay = ah.replay, replay != .ok { part += " [\(replay.rawValue)]" }
            parts.append(part)
            if let detail = ah.detail { add(detail: detail) }
        }
        for (index, layer) in record.esp.enumerated() {
            var part = index == 0 && record.ah.isEmpty ? "ESP" : "⇒ ESP"
            part +=
                " \(layer.spi.hexDigits) seq=\(layer.sequence) "
                + verdict(layer.verdict, verified: layer.icv == .good, display)
            if layer.saMatch == .spiOnly { part += " [matched by SPI only]" }
            if layer.verdict == .decrypted && !layer.defaultPadding { part += " [non-default padding]" }
            if let replay = layer.replay, replay != .ok { part += " [\(replay.rawValue)]" }
            parts.append(part)
            if let detail = layer.detail, layer.verdict != .decrypted { add(detail: detail) }
        }
        let fields = record.inner.map { CompactFields(fields: innerFields($0)) }
        let innerIndex = fields.map { _ in parts.count }
        if let fields {
            parts.append(CompactFields.join(fields.fields[...], kept: fields.fields.map { _ in true }[...]))
        }
        if !tail.isEmpty { parts.append(String(tail.dropFirst())) }
        let note = record.policy.map { String(PolicyPresentation.packetSuffix($0).dropFirst()) }
        let oneRow = ([lead] + parts + (note.map { [$0] } ?? [])).joined(separator: " ")
        if detailRows.isEmpty && LineFitter.rowCount(oneRow, width: width) == 1 { return oneRow }
        // The policy note, and a failure's detail too long for a row at the addresses' column,
        // go on labelled rows under the time (`PacketNoteRows`).
        let noteRows = detailRows + (record.policy.map(PacketNoteRows.rows) ?? [])
        let labelled = noteRows.map { "\n" + PacketNoteRows.indent + $0 }.joined()
        // Too long for one row: rows under the addresses' column, each holding whole parts; the
        // inner packet is cut at a field boundary only when even a row of its own is too narrow.
        let indent = String(repeating: " ", count: LineFitter.hangColumn(lead) ?? 0)
        var rows: [String] = []
        var row = lead
        for (index, part) in parts.enumerated() {
            if row == lead || LineFitter.rowCount(row + " " + part, width: width) == 1 {
                row += " " + part
                continue
            }
            rows.append(row)
            row = indent + part
            if index == innerIndex, let fields, LineFitter.rowCount(row, width: width) > 1 {
                row =
                    fields.fitted(budgets: [1], width: width) {
                        indent + CompactFields.join(fields.fields[...], kept: $0[...])
                    }
                    ?? row
            }
        }
        return (rows + [row]).joined(separator: "\n") + labelled
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
