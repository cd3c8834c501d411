import SpiglassCapture
import SpiglassSAD
import SpiglassWire

/// The SA table for a terminal narrower than the full table: the same SAs with shorter fields
/// (the key file by name and line, the time as start and duration relative to the capture,
/// the replay and loss columns only when one is not zero), and when even that does not fit,
/// two lines per SA. Piped output keeps the full table (`TextReporter.table`).
struct SATableText {
    let flows: [FlowStatistics]
    let sad: SADatabase
    let ahSAD: SADatabase
    let summary: AnalysisSummary
    let display: TextDisplay

    /// One cell: its text and how it is shown.
    struct Cell {
        var text: String
        var style: TextStyle? = nil
    }

    func render(width: Int) -> String {
        let (headers, rows) = compactTable()
        let widths = headers.indices.map { i in rows.reduce(headers[i].count) { max($0, $1[i].text.count) } }
        if widths.reduce(0, +) + 2 * (widths.count - 1) <= width {
            return ([headers.map { Cell(text: $0, style: .heading) }] + rows).map { render($0, widths) }.joined()
        }
        return flows.map { stacked($0, width: width) }.joined()
    }

    private func render(_ cells: [Cell], _ widths: [Int]) -> String {
        var line = ""
        for (i, cell) in cells.enumerated() {
            if i > 0 { line += "  " }
            let padding = i == cells.count - 1 ? "" : String(repeating: " ", count: widths[i] - cell.text.count)
            line += paint(cell) + padding
        }
        return line + "\n"
    }

    private func paint(_ cell: Cell) -> String { cell.style.map { display.paint(cell.text, $0) } ?? cell.text }

    /// Columns of the short table; the replay and loss columns only when a row has one.
    private func compactTable() -> ([String], [[Cell]]) {
        var headers = ["SPI", "Proto", "Source", "Destination", "Algorithms", "Key", "Packets", "Verified", "ICV-fail"]
        var rows = flows.map { flow -> [Cell] in
            let failed = flow.count(.icvFailed) + flow.count(.ahICVFailed)
            return [
                Cell(text: flow.key.spi.description), Cell(text: protocolText(flow)),
                Cell(text: flow.key.source.description), Cell(text: flow.key.destination.description),
                Cell(text: algorithms(flow)), Cell(text: keyText(flow)), Cell(text: String(flow.packets)),
                Cell(text: String(flow.verified), style: flow.verified > 0 ? .good : nil),
                Cell(text: String(failed), style: failed > 0 ? .failure : nil),
            ]
        }
        func optional(_ header: String, _ value: (FlowStatistics) -> String?, style: TextStyle? = .warning) {
            let values = flows.map(value)
            guard values.contains(where: { $0 != nil }) else { return }
            headers.append(header)
            for i in rows.indices {
                rows[i].append(Cell(text: values[i] ?? "0", style: values[i] == nil ? nil : style))
            }
        }
        optional("No-ICV", { nonZero($0.decryptedWithoutIntegrity) })
        optional("Other", { $0.otherVerdicts.isEmpty ? nil : $0.otherVerdicts })
        headers.append("Seq")
        for i in rows.indices { rows[i].append(Cell(text: sequenceText(flows[i]))) }
        optional("Lost", { nonZero($0.replay.lost) })
        optional("Dup", { nonZero($0.replay.duplicates) })
        optional("Late", { nonZero($0.replay.late) })
        optional("Old", { nonZero($0.replay.tooOld) })
        optional("Reorder", { nonZero($0.replay.maxReorderDepth) }, style: nil)
        optional("Cap-dup", { nonZero($0.captureDuplicates) }, style: nil)
        headers += ["Start", "Duration"]
        for i in rows.indices { rows[i] += [Cell(text: startText(flows[i])), Cell(text: durationText(flows[i]))] }
        if summary.policy.active {
            headers.append("Policy")
            for i in rows.indices { rows[i].append(Cell(text: PolicyPresentation.cell(flows[i].policy))) }
        }
        return (headers, rows)
    }

    /// Two lines per SA: what it is, then what was seen of it (only the counts that are not 0).
    private func stacked(_ flow: FlowStatistics, width: Int) -> String {
        var head = "\(flow.key.spi.description) \(protocolText(flow)) \(flow.key.source) → \(flow.key.destination)"
        let keying = "\(algorithms(flow)) (\(keyText(flow)))"
        // Too wide for one row: the algorithms and key on a row of their own, or each on one.
        if LineFitter.rowCount(head + "  " + keying, width: width) == 1 {
            head += "  " + keying
        } else if LineFitter.rowCount("  algorithms: " + keying, width: width) == 1 {
            head += "\n  algorithms: " + keying
        } else {
            head += "\n  algorithms: \(algorithms(flow))\n  keys: \(keyText(flow))"
        }
        var facts = ["\(flow.packets) packets, \(flow.bytes) bytes"]
        if flow.verified > 0 { facts.append(display.paint("\(flow.verified) verified", .good)) }
        let failed = flow.count(.icvFailed) + flow.count(.ahICVFailed)
        if failed > 0 { facts.append(display.paint("\(failed) ICV-fail", .failure)) }
        if let other = nonZero(flow.decryptedWithoutIntegrity) { facts.append("\(other) without ICV") }
        if !flow.otherVerdicts.isEmpty { facts.append(display.paint(flow.otherVerdicts, .warning)) }
        facts.append("seq \(sequenceText(flow))")
        let replay: [String] = [
            ("lost", nonZero(flow.replay.lost)), ("dup", nonZero(flow.replay.duplicates)),
            ("late", nonZero(flow.replay.late)), ("old", nonZero(flow.replay.tooOld)),
            ("reorder depth", nonZero(flow.replay.maxReorderDepth)), ("capture-dup", nonZero(flow.captureDuplicates)),
        ].compactMap { name, value in value.map { "\(name) \($0)" } }
        if !replay.isEmpty { facts.append(display.paint(replay.joined(separator: ", "), .warning)) }
        facts.append("from \(startText(flow)) s for \(durationText(flow)) s")
        if summary.policy.active { facts.append("policy \(PolicyPresentation.cell(flow.policy))") }
        // The counts as a list broken between them, each row two columns in.
        return head + "\n" + TerminalRows.alignedList("  ", facts, separator: "; ", width: width, clipsItems: false)
            + "\n"
    }

    private func protocolText(_ flow: FlowStatistics) -> String {
        flow.key.ipsecProtocol == .ah ? "AH" : flow.key.udpEncapsulated ? "ESP/udp" : "ESP"
    }

    private func algorithms(_ flow: FlowStatistics) -> String {
        let isAH = flow.key.ipsecProtocol == .ah
        guard let index = flow.saIndex else { return "(no key)" }
        return isAH ? ahSAD.entries[index].integrity.name : sad.entries[index].algorithmDescription
    }

    /// The key line by file name and line ("charon-A.log:333"), not by path.
    private func keyText(_ flow: FlowStatistics) -> String {
        guard let index = flow.saIndex else { return "-" }
        let origin = (flow.key.ipsecProtocol == .ah ? ahSAD : sad).entries[index].origin
        return IKEDescribe.shortOrigin(origin) + (flow.saMatch == .spiOnly ? " (spi only)" : "")
    }

    private func sequenceText(_ flow: FlowStatistics) -> String {
        flow.firstSequence.map { "\($0)-\(flow.lastSequence ?? $0)" } ?? "-"
    }

    /// Seconds since the capture's first frame, as the packet lines count them.
    private func startText(_ flow: FlowStatistics) -> String {
        let start = summary.firstTime?.totalMicroseconds ?? flow.firstSeen.totalMicroseconds
        return SATableText.seconds(CaptureTime.elapsed(from: start, to: flow.firstSeen.totalMicroseconds))
    }

    private func durationText(_ flow: FlowStatistics) -> String {
        SATableText.seconds(
            CaptureTime.elapsed(from: flow.firstSeen.totalMicroseconds, to: flow.lastSeen.totalMicroseconds))
    }

    /// Milliseconds shown: "2.217".
    static func seconds(_ microseconds: Int64) -> String {
        let milliseconds = microseconds / 1000
        let sign = milliseconds < 0 ? "-" : ""
        let magnitude = milliseconds.magnitude
        return "\(sign)\(magnitude / 1000).\(TimeFormat.pad(magnitude % 1000, 3))"
    }

    private func nonZero<N: BinaryInteger>(_ value: N) -> String? { value > 0 ? String(value) : nil }
}

extension FlowStatistics {
    /// Every outcome the table has no column for, by name: "garbled 2, no-sa 5"; empty when none.
    var otherVerdicts: String {
        let counted: Set<PacketVerdict> = [.decrypted, .ahVerified, .icvFailed, .ahICVFailed]
        let others = PacketVerdict.allCases.filter { !counted.contains($0) && count($0) > 0 }
        return others.map { "\($0.rawValue) \(count($0))" }.joined(separator: ", ")
    }
}
