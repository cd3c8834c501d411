import SpiglassCapture
import SpiglassESP
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// Human-readable output: a tshark-like line per packet, then the per-SA table and totals.
final class TextReporter: Reporter {
    let sink: OutputSink
    let quiet: Bool
    let display: TextDisplay
    var sources = SourceNames()
    /// `-V`: each packet's full dissection under its line.
    let details: Bool
    /// The run's IKE messages, for the note on shortened IKE SPIs.
    let ike: IKEReconstruction?
    /// A compact IKE line was written: it showed the IKE SPIs' fixed prefixes.
    private var shortenedIKESPIs = false

    init(
        sink: OutputSink, quiet: Bool, display: TextDisplay = .plain, details: Bool = false,
        ike: IKEReconstruction? = nil
    ) {
        self.ike = ike
        self.sink = sink
        self.quiet = quiet
        self.display = display
        self.details = details
    }

    func begin(sources paths: [String]) { sources = SourceNames(paths) }

    func packet(_ record: PacketRecord, sad: SADatabase, ahSAD: SADatabase, startTime: Timestamp) {
        guard !quiet else { return }
        var line = leftPad(String(record.frame), 5)
        if let label = sources.label(record) { line += " [\(label)]" }
        line +=
            " "
            // Piped, the number a script reads (saturated, as the timestamp warning says).
            + (display.width == nil
                ? TimeFormat.elapsed(from: startTime, to: record.timestamp)
                : TimeFormat.elapsedText(from: startTime, to: record.timestamp))
            + display.hang
        let lead = line
        if let clear = record.clearFrame, record.verdict == .notIPsec {
            var head = line + " " + clear.text
            let whole = head + (record.policy.map(PolicyPresentation.packetSuffix) ?? "")
            var rows = record.policy.map(PacketNoteRows.rows) ?? []
            // What the protocol says on a row of its own when even the packet's row is too wide.
            if let width = display.width, !clear.info.isEmpty, !TerminalRows.fits(whole, width),
                !TerminalRows.fits(head, width)
            {
                head = line + " \(clear.source) → \(clear.destination) \(clear.protocolName)"
                rows.insert("info: \(clear.info)", at: 0)
            }
            return sink.write(PacketNoteRows.text(whole: whole, head: head, rows: rows, width: display.width) + "\n")
        }
        // What a narrow terminal shows under the packet's row: its failure's detail, its policy note.
        var head: String? = nil
        var rows: [String] = []
        if let outer = record.outer {
            line += " \(outer.source) → \(outer.destination)"
        }
        line += " " + Describe.protocolLabel(record)
        if let ports = record.udpPorts, record.verdict != .notIPsec { line += " \(ports.source)→\(ports.destination)" }
        if let ports = record.tcpPorts {
            line += " \(ports.source)→\(ports.destination)"
            if let message = record.tcpMessage { line += " msg \(message)" }
        }
        for ah in record.ah {
            line += " [AH spi=\(ah.header.spi.description) seq=\(ah.sequence) \(display.paint(ah.verdict))"
            if let index = ah.saIndex { line += " \(ahSAD.entries[index].integrity.name)" }
            if let replay = ah.replay, replay != .ok { line += " \(replay.rawValue)" }
            if let detail = ah.detail { line += " (\(detail))" }
            line += "]"
        }
        if !record.esp.isEmpty {
            for (i, layer) in record.esp.enumerated() {
                if i > 0 { line += " ⇒ ESP" }
                line +=
                    " spi=\(layer.spi.description) seq=\(layer.sequence) len=\(layer.length) \(display.paint(layer.verdict))"
                // On a narrow terminal the SA table names the algorithms once.
                if let index = layer.saIndex, display.width ?? .max >= 160 || layer.saMatch == .spiOnly {
                    let sa = sad.entries[index]
                    line += " [\(sa.algorithmDescription)"
                    if layer.saMatch == .spiOnly { line += ", matched by SPI only" }
                    line += "]"
                }
                if layer.verdict == .decrypted, let tunnel = layer.tunnel { line += tunnel ? " tunnel" : " transport" }
                if layer.verdict == .decrypted && !layer.defaultPadding { line += " [non-default padding]" }
                if let child = layer.childSA { line += " [CHILD_SA #\(child + 1)]" }
                if let replay = layer.replay, replay != .ok { line += " [\(replay.rawValue)]" }
                if let detail = layer.detail, layer.verdict != .decrypted { line += " (\(detail))" }
            }
            if let inner = record.inner {
                line += ": \(inner.source) → \(inner.destination) \(inner.detail) len=\(inner.length)"
            }
        } else if let ike = record.ike {
            line += " " + Describe.ike(ike, protectionFollows: record.ikeMessage != nil)
            if let message = record.ikeMessage, message.captureDuplicateOf != nil {
                line += " (\(IKEDescribe.protection(message)))"
            } else if let message = record.ikeMessage {
                line +=
                    " (\(IKEDescribe.protection(message))): \(IKEDescribe.payloadList(message, protectionShown: true, display: display))"
                line += IKEDescribe.reassembledNote(message)
            }
        } else {
            switch record.verdict {
            case .fragment: line += " fragment" + (record.detail.map { " (\($0))" } ?? " (held for reassembly)")
            case .tcpSegment: line += " segment (part of an RFC 8229 message, held)"
            case .malformed, .undecodable, .truncated:
                line += " \(display.paint(record.verdict))"
                if let detail = record.detail {
                    head = line
                    rows = PacketNoteRows.detailRows(detail, width: display.width)
                    line += ": \(detail)"
                }
            case .notIPsec:
                if let ports = record.udpPorts { line += " \(ports.source) → \(ports.destination)" }
                if record.outer == nil, let detail = record.detail { line += " \(detail)" }
            default: break
            }
        }
        if record.reassembledFrom != 0 { line += " [reassembled]" }
        if let note = record.policy {
            if head == nil { head = line }
            rows += PacketNoteRows.rows(note)
            line += PolicyPresentation.packetSuffix(note)
        }
        var shown = fitted(line, record, lead: lead)
        if shown == line, let head {
            shown = PacketNoteRows.text(whole: line, head: head, rows: rows, width: display.width)
        }
        sink.write(shown + "\n")
        if details { sink.write(PacketDetails.lines(record, sad: sad, ahSAD: ahSAD)) }
    }

    /// `line`, or on a terminal its compact form (`CompactPacketLine`).
    private func fitted(_ line: String, _ record: PacketRecord, lead: String) -> String {
        guard let width = display.width,
            let compact = CompactPacketLine.text(record, full: line, lead: lead, width: width, display: display)
        else { return line }
        shortenedIKESPIs = shortenedIKESPIs || record.ikeMessage != nil
        return compact
    }

    private func leftPad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    func finish(
        summary: AnalysisSummary, flows: [FlowStatistics], sad: SADatabase, ahSAD: SADatabase, untrackedFlowPackets: Int
    ) {
        if !quiet, let hidden = HiddenFrames.line(summary, display: display) { sink.write(hidden) }
        if shortenedIKESPIs, let note = IKESPIAbbreviation.sharedPrefixNote(ike?.messages ?? []) { sink.write(note) }
        if !quiet { sink.write("\n") }
        sink.write("IPsec security associations seen: \(flows.count)\n")
        if !flows.isEmpty {
            var headers = [
                "SPI", "Proto", "Source", "Destination", "Encap", "Algorithms", "Key line", "Packets", "Bytes",
                "Verified", "No-ICV",
                "ICV-fail", "Other",
                "Seq first-last", "Lost", "Dup", "Late", "Old", "Reorder", "Cap-dup", "First seen", "Last seen",
            ]
            // Only when something was checked: a run without policies keeps its table.
            if summary.policy.active { headers.append("Policy") }
            var rows: [[String]] = []
            for flow in flows {
                let isAH = flow.key.ipsecProtocol == .ah
                let sa = flow.saIndex.map { (isAH ? ahSAD : sad).entries[$0] }
                let failed = flow.count(.icvFailed) + flow.count(.ahICVFailed)
                // Every other outcome by name: garbled, truncated, no-sa, dummy, ...
                let other = flow.otherVerdicts.isEmpty ? "0" : flow.otherVerdicts
                let seq = flow.firstSequence.map { "\($0)-\(flow.lastSequence ?? $0)" } ?? "-"
                rows.append(
                    [
                        flow.key.spi.description, isAH ? "AH" : "ESP", flow.key.source.description,
                        flow.key.destination.description,
                        flow.key.udpEncapsulated ? "udp" : "-",
                        sa.map { isAH ? $0.integrity.name : $0.algorithmDescription } ?? "(no key)",
                        sa.map { $0.origin.description + (flow.saMatch == .spiOnly ? " (spi only)" : "") } ?? "-",
                        String(flow.packets), String(flow.bytes), String(flow.verified),
                        String(flow.decryptedWithoutIntegrity), String(failed),
                        other, seq,
                        String(flow.replay.lost), String(flow.replay.duplicates), String(flow.replay.late),
                        String(flow.replay.tooOld),
                        String(flow.replay.maxReorderDepth), String(flow.captureDuplicates),
                        TimeFormat.iso8601Text(flow.firstSeen), TimeFormat.iso8601Text(flow.lastSeen),
                    ] + (summary.policy.active ? [PolicyPresentation.cell(flow.policy)] : []))
            }
            let full = table(headers, rows)
            if let width = display.width, full.split(separator: "\n").contains(where: { $0.count > width }) {
                sink.write(
                    SATableText(flows: flows, sad: sad, ahSAD: ahSAD, summary: summary, display: display).render(
                        width: width))
            } else {
                sink.write(full)
            }
        }
        if untrackedFlowPackets > 0 {
            sink.write("ESP packets in flows past the tracking limit: \(untrackedFlowPackets)\n")
        }
        sink.write(
            "Frames: \(summary.frames)  ESP: \(summary.espPackets)  AH: \(summary.ahPackets)  IKE: \(summary.ikePackets)  written: \(summary.written)\n"
        )
        sink.write(ReportSelection.summaryLines(summary))
        let verdicts = PacketVerdict.allCases.compactMap { v -> String? in
            let n = summary.count(v)
            return n > 0 ? display.paint("\(v.rawValue) \(n)", v.style) : nil
        }
        sink.write(
            TerminalRows.alignedList(
                "Verdicts: ", verdicts.isEmpty ? ["none"] : verdicts, separator: ", ", width: display.width,
                clipsItems: false) + "\n")
        if let first = summary.firstTime, let last = summary.lastTime {
            let span = LaidOutLine(
                whole: "Capture: \(TimeFormat.iso8601Text(first)) to \(TimeFormat.iso8601Text(last))",
                headline: "Capture: \(TimeFormat.iso8601Text(first))", rows: ["to: \(TimeFormat.iso8601Text(last))"])
            sink.write(span.text(indent: "", width: display.width))
        }
        if let capture = summary.capture { writeCaptureCounters(capture) }
        if let policy = PolicyPresentation.totals(summary.policy) {
            sink.write(policy.text(indent: "", width: display.width))
        }
        let leaks = PolicyPresentation.leakLines(summary.policy, start: summary.firstTime)
        sink.write(FindingsSection(findings: summary.findings, leaks: leaks, display: display).text)
        for warning in summary.warnings {
            sink.write(warning.line(display.paint("Warning:", .warning)).text(indent: "", width: display.width))
        }
        sink.flush()
    }

    /// libpcap's counters of a live capture, and what its drops mean for the loss figures.
    private func writeCaptureCounters(_ capture: CaptureStatistics) {
        sink.write(
            "Live capture: \(capture.received) packets received by filter, \(capture.dropped) dropped by kernel, \(capture.interfaceDropped) dropped by interface\n"
        )
        if capture.dropped + capture.interfaceDropped > 0 {
            sink.write(
                "Capture loss: \(capture.dropped + capture.interfaceDropped) packets were dropped before analysis (a larger ring, -B, or more --threads help); sequence numbers missing per SA include them and are upper bounds\n"
            )
        }
    }

    private func table(_ headers: [String], _ rows: [[String]]) -> String {
        var widths = headers.map { $0.count }
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func render(_ cells: [String]) -> String {
            var line = ""
            for (i, cell) in cells.enumerated() {
                if i > 0 { line += "  " }
                line += cell + String(repeating: " ", count: widths[i] - cell.count)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line + "\n"
        }
        var out = render(headers)
        for row in rows { out += render(row) }
        return out
    }
}
