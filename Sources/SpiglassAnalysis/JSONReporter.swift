import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire

/// One JSON object per line: "packet" records, then "sa" records and one "summary".
/// The schema is documented in the README.
final class JSONReporter: Reporter {
    let sink: OutputSink
    let quiet: Bool
    var sources = SourceNames()

    init(sink: OutputSink, quiet: Bool) {
        self.sink = sink
        self.quiet = quiet
    }

    func begin(sources paths: [String]) { sources = SourceNames(paths) }

    func packet(_ record: PacketRecord, sad: SADatabase, ahSAD: SADatabase, startTime: Timestamp) {
        guard !quiet else { return }
        var o = JSONObject()
        o.string("type", "packet")
        o.int("frame", record.frame)
        sources.add(record, to: &o)
        o.string("time", TimeFormat.iso8601(record.timestamp))
        o.raw("time_relative", TimeFormat.elapsed(from: startTime, to: record.timestamp))
        o.int("length", record.capturedLength)
        if record.isCut { o.int("original_length", record.originalLength) }
        outerFields(record, into: &o)
        o.string("verdict", record.verdict.rawValue)
        if !record.esp.isEmpty {
            o.raw("esp", JSONObject.array(record.esp.map { layerJSON($0, sad: sad) }))
        }
        if !record.ah.isEmpty {
            o.raw("ah", JSONObject.array(record.ah.map { ahJSON($0, ahSAD: ahSAD) }))
        }
        if let ike = record.ike {
            o.object("ike") { ikeFields(ike, record: record, into: &$0) }
        }
        if let inner = record.inner {
            o.object("inner") { innerFields(inner, into: &$0) }
        }
        if record.reassembledFrom != 0 { o.bool("reassembled", true) }
        if let detail = record.detail { o.string("detail", detail) }
        if let note = record.policy { o.raw("policy", PolicyPresentation.packetJSON(note)) }
        sink.write(o.finished + "\n")
    }

    /// The outer packet: addresses, protocol, ports, and the first IPsec header's SPI and sequence.
    private func outerFields(_ record: PacketRecord, into o: inout JSONObject) {
        o.string("src", record.outer?.source.description)
        o.string("dst", record.outer?.destination.description)
        o.string("protocol", Describe.protocolLabel(record))
        if let ports = record.udpPorts ?? record.tcpPorts {
            o.int("sport", ports.source)
            o.int("dport", ports.destination)
        }
        if let message = record.tcpMessage { o.int("tcp_message", message) }
        if let layer = record.esp.first {
            o.string("spi", layer.spi.description)
            o.int("seq", layer.sequence)
        } else if let ah = record.ah.first {
            o.string("spi", ah.header.spi.description)
            o.int("seq", ah.sequence)
        } else {
            o.raw("spi", "null")
            o.raw("seq", "null")
        }
    }

    private func ahJSON(_ ah: AHLayer, ahSAD: SADatabase) -> String {
        var a = JSONObject()
        a.string("spi", ah.header.spi.description)
        a.int("seq", ah.sequence)
        a.string("verdict", ah.verdict.rawValue)
        a.int("next_header", ah.header.nextHeader)
        a.int("icv_length", ah.header.icvRange.count)
        if let index = ah.saIndex {
            let sa = ahSAD.entries[index]
            a.object("sa") { s in
                s.string("algorithms", sa.integrity.name)
                s.string("key_line", sa.origin.description)
                s.string("match", ah.saMatch?.rawValue)
                s.bool("esn", sa.extendedSequenceNumbers)
            }
        }
        if let replay = ah.replay { a.string("replay", replay.rawValue) }
        if let detail = ah.detail { a.string("detail", detail) }
        return a.finished
    }

    private func ikeFields(_ ike: IKEHeader, record: PacketRecord, into i: inout JSONObject) {
        i.int("version", ike.majorVersion)
        i.string("exchange", ike.exchangeName)
        i.int("exchange_type", ike.exchangeType.rawValue)
        i.string("ispi", ike.initiatorSPI.ikeSPIHex)
        i.string("rspi", ike.responderSPI.ikeSPIHex)
        i.int("message_id", ike.messageID)
        i.bool("response", ike.isResponse)
        i.bool("encrypted", ike.isEncrypted)
        i.bool("non_esp_marker", record.ikeNonESPMarker)
        i.int("length", ike.length)
        if let message = record.ikeMessage {
            i.int("ike_sa_index", message.ikeSAIndex.map { $0 + 1 })
            IKEJSON.messageFields(message, into: &i, header: false)
        }
    }

    private func innerFields(_ inner: PacketSummary, into i: inout JSONObject) {
        i.string("src", inner.source.description)
        i.string("dst", inner.destination.description)
        i.string("protocol", inner.protocolName)
        i.int("protocol_number", inner.protocolNumber)
        if let s = inner.sourcePort { i.int("sport", s) }
        if let d = inner.destinationPort { i.int("dport", d) }
        if let t = inner.icmpType { i.int("icmp_type", t) }
        if let c = inner.icmpCode { i.int("icmp_code", c) }
        i.int("length", inner.length)
        i.string("summary", inner.detail)
    }

    private func layerJSON(_ layer: ESPLayer, sad: SADatabase) -> String {
        var e = JSONObject()
        e.string("spi", layer.spi.description)
        e.int("seq", layer.sequence)
        e.string("verdict", layer.verdict.rawValue)
        e.string("icv", layer.icv.rawValue)
        e.int("length", layer.length)
        if let index = layer.saIndex {
            let sa = sad.entries[index]
            e.object("sa") { s in
                s.string("algorithms", sa.algorithmDescription)
                s.string("key_line", sa.origin.description)
                s.string("match", layer.saMatch?.rawValue)
                s.bool("esn", sa.extendedSequenceNumbers)
            }
        }
        if let nh = layer.nextHeader { e.int("next_header", nh) }
        if let pad = layer.padLength { e.int("pad_length", pad) }
        if layer.padLength != nil { e.string("padding", layer.defaultPadding ? "default" : "non-default") }
        if let tunnel = layer.tunnel { e.string("mode", tunnel ? "tunnel" : "transport") }
        if let replay = layer.replay { e.string("replay", replay.rawValue) }
        if let child = layer.childSA { e.int("child_sa", child + 1) }
        if let detail = layer.detail { e.string("detail", detail) }
        return e.finished
    }

    func finish(
        summary: AnalysisSummary, flows: [FlowStatistics], sad: SADatabase, ahSAD: SADatabase, untrackedFlowPackets: Int
    ) {
        for flow in flows {
            sink.write(saJSON(flow, policyActive: summary.policy.active, sad: sad, ahSAD: ahSAD) + "\n")
        }
        sink.write(summaryJSON(summary, saCount: flows.count) + "\n")
        sink.flush()
    }

    /// One `sa` record: a flow's SA, its counts and its sequence-number story.
    private func saJSON(_ flow: FlowStatistics, policyActive: Bool, sad: SADatabase, ahSAD: SADatabase) -> String {
        var o = JSONObject()
        o.string("type", "sa")
        o.string("spi", flow.key.spi.description)
        o.string("src", flow.key.source.description)
        o.string("dst", flow.key.destination.description)
        o.string("protocol", flow.key.ipsecProtocol == .ah ? "AH" : "ESP")
        o.bool("udp_encapsulated", flow.key.udpEncapsulated)
        let isAH = flow.key.ipsecProtocol == .ah
        let sa = flow.saIndex.map { (isAH ? ahSAD : sad).entries[$0] }
        o.string("algorithms", sa.map { isAH ? $0.integrity.name : $0.algorithmDescription })
        o.string("key_line", sa?.origin.description)
        o.string("match", flow.saMatch?.rawValue)
        o.int("packets", flow.packets)
        o.int("bytes", flow.bytes)
        o.object("verdicts") { v in
            for verdict in PacketVerdict.allCases where flow.count(verdict) > 0 {
                v.int(verdict.rawValue, flow.count(verdict))
            }
        }
        o.int("decrypted", flow.count(.decrypted))
        o.int("verified", flow.verified)
        o.int("decrypted_without_integrity", flow.decryptedWithoutIntegrity)
        o.int("garbled", flow.count(.garbled))
        o.int("non_default_padding", flow.nonDefaultPadding)
        o.int("ah_verified", flow.count(.ahVerified))
        o.int("icv_failed", flow.count(.icvFailed) + flow.count(.ahICVFailed))
        o.int("capture_duplicates", flow.captureDuplicates)
        o.object("replay") { r in
            r.int("window", flow.replay.size)
            r.int("accepted", flow.replay.accepted)
            r.int("late", flow.replay.late)
            r.int("duplicates", flow.replay.duplicates)
            r.int("too_old", flow.replay.tooOld)
            r.int("lost", flow.replay.lost)
            r.int("max_reorder", flow.replay.maxReorderDepth)
        }
        o.int("seq_first", flow.firstSequence)
        o.int("seq_last", flow.lastSequence)
        o.string("first_seen", TimeFormat.iso8601(flow.firstSeen))
        o.string("last_seen", TimeFormat.iso8601(flow.lastSeen))
        if policyActive { o.raw("policy", PolicyPresentation.flowJSON(flow.policy)) }
        return o.finished
    }

    /// The closing `summary` record.
    private func summaryJSON(_ summary: AnalysisSummary, saCount: Int) -> String {
        var o = JSONObject()
        o.string("type", "summary")
        o.int("frames", summary.frames)
        o.int("bytes", summary.bytes)
        ReportSelection.addCounts(summary, to: &o)
        ReportSelection.addCounts(summary, to: &o)
        o.int("esp", summary.espPackets)
        o.int("ah", summary.ahPackets)
        o.int("ike", summary.ikePackets)
        o.int("sas", saCount)
        o.int("written", summary.written)
        o.object("verdicts") { v in
            for verdict in PacketVerdict.allCases where summary.count(verdict) > 0 {
                v.int(verdict.rawValue, summary.count(verdict))
            }
        }
        o.string("first_time", summary.firstTime.flatMap(TimeFormat.iso8601))
        o.string("last_time", summary.lastTime.flatMap(TimeFormat.iso8601))
        o.string("damage", summary.damage)
        if let capture = summary.capture {
            o.object("capture") { c in
                c.int("received", capture.received)
                c.int("dropped", capture.dropped)
                c.int("interface_dropped", capture.interfaceDropped)
            }
        }
        o.raw(
            "findings",
            JSONObject.array(
                summary.findings.map { finding in
                    JSONReporter.findingJSON(
                        kind: finding.kind.rawValue, spi: finding.spi.description,
                        source: finding.source.description,
                        destination: finding.destination.description, message: finding.message)
                } + PolicyPresentation.leakFindingsJSON(summary.policy)))
        o.raw("policy", PolicyPresentation.summaryJSON(summary.policy))
        o.raw("events", PolicyPresentation.eventsJSON(summary.events))
        o.raw("diagnostics", JSONObject.array(summary.diagnostics.map(JSONObject.quote)))
        return o.finished
    }

    /// One `findings` entry; `spi`, `src` and `dst` are null for findings about no SA (leaks).
    static func findingJSON(kind: String, spi: String?, source: String?, destination: String?, message: String)
        -> String
    {
        var f = JSONObject()
        f.string("kind", kind)
        f.string("spi", spi)
        f.string("src", source)
        f.string("dst", destination)
        f.string("message", message)
        return f.finished
    }
}
