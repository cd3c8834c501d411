import SpiglassCapture
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// `spiglass ike --json`: one "ike_message" object per IKE message as it arrives, then
/// "ike_exchange", "ike_sa" and "child_sa" objects and one "summary". Schema in the README.
final class IKEJSONReporter: Reporter {
    let sink: OutputSink
    let quiet: Bool
    var sources = SourceNames()
    let ike: IKEReconstruction
    /// The IKE SAs shown, when a selection names them.
    var shownIKESAs: Set<Int>? = nil

    init(sink: OutputSink, quiet: Bool, ike: IKEReconstruction) {
        self.sink = sink
        self.quiet = quiet
        self.ike = ike
    }

    func begin(sources paths: [String]) { sources = SourceNames(paths) }

    func select(ikeSAs: Set<Int>) { shownIKESAs = ikeSAs }

    func packet(_ record: PacketRecord, sad: SADatabase, ahSAD: SADatabase, startTime: Timestamp) {
        guard !quiet, let message = record.ikeMessage else { return }
        sink.write(
            IKEJSON.message(message, startTime: startTime, file: { sources.add(record, to: &$0) })
                + "\n")
    }

    func finish(
        summary: AnalysisSummary, flows: [FlowStatistics], sad: SADatabase, ahSAD: SADatabase, untrackedFlowPackets: Int
    ) {
        for (saIndex, sa) in ike.ikeSAs.enumerated() where shownIKESAs?.contains(saIndex) ?? true {
            for (exchangeIndex, exchange) in sa.exchanges.enumerated() {
                sink.write(
                    IKEJSON.exchange(exchange, index: exchangeIndex, ikeSA: saIndex, sa: sa, messages: ike.messages)
                        + "\n")
            }
            sink.write(IKEJSON.ikeSA(sa, index: saIndex, refusal: IKERefusal.ikeSA(saIndex, in: ike)) + "\n")
        }
        for (index, child) in ike.children.enumerated() where shownIKESAs?.contains(child.ikeSAIndex) ?? true {
            let childFlows = flows.filter { $0.childSA == index }
            sink.write(
                IKEJSON.child(
                    child, index: index, ikeSA: ike.ikeSAs[child.ikeSAIndex], flows: childFlows,
                    refusal: IKERefusal.child(index, in: ike)) + "\n")
        }
        var o = JSONObject()
        o.string("type", "summary")
        o.int("frames", summary.frames)
        ReportSelection.addCounts(summary, to: &o)
        o.int("ike", summary.ikePackets)
        o.int("ike_capture_duplicates", ike.captureDuplicateCount)
        o.int("ike_sas", ike.ikeSAs.count)
        o.int("child_sas", ike.children.count)
        o.int("ikev1_messages", ike.ikev1Messages)
        o.int("ike_decrypted", ike.decryptedCount)
        o.int("ike_integrity_failed", ike.integrityFailureCount)
        o.int("esp", summary.espPackets)
        o.int("decrypted", summary.count(.decrypted))
        o.raw(
            "unattached_spis",
            JSONObject.array(
                flows.filter { $0.childSA == nil }.map { flow in
                    var f = JSONObject()
                    f.string("protocol", flow.key.ipsecProtocol == .ah ? "AH" : "ESP")
                    f.string("spi", flow.key.spi.description)
                    f.string("src", flow.key.source.description)
                    f.string("dst", flow.key.destination.description)
                    f.int("packets", flow.packets)
                    return f.finished
                }))
        o.string("damage", summary.damage)
        o.raw("policy", PolicyPresentation.summaryJSON(summary.policy))
        o.raw("events", PolicyPresentation.eventsJSON(summary.events))
        o.raw("diagnostics", JSONObject.array(summary.diagnostics.map(JSONObject.quote)))
        sink.write(o.finished + "\n")
        sink.flush()
    }
}

/// JSON renderings of the IKE story, shared with the packet reporter's `ike` objects.
enum IKEJSON {
    static func spis(_ pair: IKESPIPair) -> String {
        var o = JSONObject()
        o.string("ispi", pair.initiator.ikeSPIHex)
        o.string("rspi", pair.responder.ikeSPIHex)
        return o.finished
    }

    /// The fields every message record carries (also embedded in `analyze --json`).
    /// `header: false` leaves out what the packet record's `ike` object already says.
    static func messageFields(_ message: IKEMessageRecord, into o: inout JSONObject, header: Bool = true) {
        if header {
            if message.frames.count == 1 { o.int("frame", message.frames[0]) }
            o.raw("ike_sa", spis(message.spis))
            o.string("exchange", message.header.exchangeName)
            o.int("exchange_type", message.header.exchangeType.rawValue)
            o.int("message_id", message.header.messageID)
            o.bool("response", message.isResponse)
        }
        o.raw("frames", JSONObject.array(message.frames.map { String($0) }))
        o.int("ike_version", message.header.majorVersion)
        o.bool("initiator", message.fromOriginalInitiator)
        o.bool("retransmission", message.retransmission)
        o.bool("decrypted", message.decryption == .decrypted)
        o.string("decryption", message.decryption.label)
        if case .failed(let why) = message.decryption {
            o.string("decryption_error", IKEProtectionErrorText.decryption(why))
        }
        o.string("integrity", message.integrity.rawValue)
        if let captured = message.capturedLength { o.int("captured_length", captured) }
        if let original = message.captureDuplicateOf { o.int("capture_duplicate_of", original) }
        let objects: [String]
        switch message.payloads {
        case .v1(let payloads): objects = payloads.map { $0.jsonObject() }
        case .v2(let payloads): objects = payloads.map { $0.jsonObject() }
        }
        o.raw(
            "payloads",
            JSONObject.array(
                objects.enumerated().map { offset, object in
                    let inSK = message.decryptedFrom.map { offset >= $0 } ?? false
                    // Payloads that came out of SK say so first, and whether nothing vouches for them.
                    let marks =
                        message.integrity == .failed ? "\"in_sk\":true,\"unauthenticated\":true," : "\"in_sk\":true,"
                    return inSK && object.hasPrefix("{") ? "{" + marks + object.dropFirst() : object
                }))
        if !message.problems.isEmpty {
            o.raw(
                "problems",
                JSONObject.array(message.problems.map { JSONObject.quote(IKEDescribe.problem($0)) }))
        }
    }

    /// `file` adds where the completing frame came from, in a multi-file run.
    static func message(
        _ message: IKEMessageRecord, startTime: Timestamp, file: (inout JSONObject) -> Void = { _ in }
    ) -> String {
        var o = JSONObject()
        o.string("type", "ike_message")
        file(&o)
        o.raw("time_relative", TimeFormat.elapsed(from: startTime, to: message.time))
        o.string("src", message.source.description)
        o.string("dst", message.destination.description)
        o.int("sport", message.sourcePort)
        o.int("dport", message.destinationPort)
        o.string("transport", message.transport.rawValue)
        o.int("length", message.length)
        messageFields(message, into: &o)
        o.int("ike_sa_index", message.ikeSAIndex.map { $0 + 1 })
        return o.finished
    }

    static func exchange(
        _ exchange: IKEExchangeRecord, index: Int, ikeSA: Int, sa: IKESARecord, messages: [IKEMessageRecord]
    ) -> String {
        var o = JSONObject()
        o.string("type", "ike_exchange")
        o.int("ike_sa_index", ikeSA + 1)
        o.raw("ike_sa", spis(sa.spis))
        o.int("index", index + 1)
        o.string("exchange", exchange.name)
        o.int("message_id", exchange.messageID)
        o.string("requester", exchange.requestedByInitiator ? "initiator" : "responder")
        o.raw(
            "request_frames",
            JSONObject.array(
                (exchange.request.flatMap { $0 < messages.count ? messages[$0].frames : nil } ?? []).map { String($0) })
        )
        o.raw(
            "response_frames",
            JSONObject.array(
                (exchange.response.flatMap { $0 < messages.count ? messages[$0].frames : nil } ?? []).map { String($0) }
            ))
        o.int("request_retransmissions", exchange.requestRetransmissions)
        o.int("response_retransmissions", exchange.responseRetransmissions)
        o.raw("other_responses", JSONObject.array(exchange.otherResponses.map(String.init)))
        if let rtt = exchange.roundTrip { o.raw("rtt", TimeFormat.seconds(rtt)) } else { o.raw("rtt", "null") }
        o.string("purpose", exchange.purpose.map(IKEExchangeWords.purpose))
        o.string("outcome", IKEExchangeWords.outcome(exchange.outcome))
        o.bool("succeeded", exchange.succeeded)
        return o.finished
    }

    static func ikeSA(_ sa: IKESARecord, index: Int, refusal: IKERefusal? = nil) -> String {
        var o = JSONObject()
        o.string("type", "ike_sa")
        o.int("index", index + 1)
        o.int("version", sa.version.rawValue)
        o.raw("ike_sa", spis(sa.spis))
        o.string("initiator", sa.initiator.description)
        o.int("initiator_port", sa.initiatorPort)
        o.string("responder", sa.responder.description)
        o.int("responder_port", sa.responderPort)
        o.string("state", stateName(sa.state))
        if case .failed(let why) = sa.state {
            o.string("failure", IKESAWords.failure(why))
        } else {
            o.raw("failure", "null")
        }
        o.string("failure_evidence", sa.failureEvidence.map { IKESAWords.evidence($0) })
        o.raw("proposal", JSONObject.array(sa.proposalNames.map(JSONObject.quote)))
        o.string("initiator_id", sa.initiatorIdentity?.summary)
        o.string("responder_id", sa.responderIdentity?.summary)
        o.string("initiator_auth", sa.initiatorAuthentication.map { IKESAWords.authentication($0) })
        o.string("responder_auth", sa.responderAuthentication.map { IKESAWords.authentication($0) })
        o.string("ke_group", sa.keyExchangeGroup.map { IKESAWords.group($0) })
        o.raw("initiator_behind_nat", sa.initiatorBehindNAT.map { $0 ? "true" : "false" } ?? "null")
        o.raw("responder_behind_nat", sa.responderBehindNAT.map { $0 ? "true" : "false" } ?? "null")
        o.bool("cookie", sa.cookieRoundTrip)
        o.string("invalid_ke_requested_group", sa.invalidKERequestedGroup.map { IKESAWords.group($0) })
        o.bool("fragmentation_supported", sa.fragmentationSupported)
        o.int("rekey_of", sa.rekeyOf.map { $0 + 1 })
        o.int("rekeyed_by", sa.rekeyedBy.map { $0 + 1 })
        o.bool("keys", sa.keysKnown)
        o.bool("keys_bound_by_integrity", sa.keysBoundByIntegrity)
        o.object("integrity_failed") { f in
            f.int("initiator", sa.integrityFailed.fromInitiator)
            f.int("responder", sa.integrityFailed.fromResponder)
        }
        o.raw("vendor_ids", JSONObject.array(sa.vendorIDs.map { JSONObject.quote(IKEText.vendor($0)) }))
        o.int("exchanges", sa.exchanges.count)
        o.raw("child_sas", JSONObject.array(sa.children.map { String($0 + 1) }))
        o.raw("findings", JSONObject.array(sa.findings.map { JSONObject.quote($0.text) }))
        (refusal ?? IKERefusal()).json(&o)
        return o.finished
    }

    static func stateName(_ state: IKESAState) -> String {
        switch state {
        case .negotiating: return "negotiating"
        case .established: return "established"
        case .failed: return "failed"
        case .noResponse: return "no-response"
        case .rekeyed: return "rekeyed"
        case .deleted: return "deleted"
        }
    }

    static func child(
        _ child: ChildSARecord, index: Int, ikeSA: IKESARecord, flows: [FlowStatistics], refusal: IKERefusal? = nil
    ) -> String {
        var o = JSONObject()
        o.string("type", "child_sa")
        o.int("index", index + 1)
        o.int("ike_sa_index", child.ikeSAIndex + 1)
        o.raw("ike_sa", spis(ikeSA.spis))
        o.string("protocol", child.protocolID == 2 ? "AH" : "ESP")
        o.string("created_by", child.createdByName)
        o.string("requester", child.requestedByInitiator ? "initiator" : "responder")
        o.string("requester_spi", child.requesterSPI?.description)
        o.string("responder_spi", child.responderSPI?.description)
        o.bool("established", child.established)
        o.string("failure", child.failure.map { IKESAWords.failure($0) })
        o.string("mode", child.established ? (child.transportMode ? "transport" : "tunnel") : nil)
        o.raw("proposal", JSONObject.array(child.proposalNames.map(JSONObject.quote)))
        let selectors = IKEDescribe.trafficSelectors(child)
        o.raw("ts_i", JSONObject.array(selectors.initiator.map(JSONObject.quote)))
        o.raw("ts_r", JSONObject.array(selectors.responder.map(JSONObject.quote)))
        o.bool("pfs", child.perfectForwardSecrecy)
        o.string("pfs_group", child.keyExchangeGroup.map { IKESAWords.group($0) })
        o.int("rekey_of", child.rekeyOf.map { $0 + 1 })
        o.int("rekeyed_by", child.rekeyedBy.map { $0 + 1 })
        o.bool("deleted", child.deleted)
        o.bool("keys_derived", child.keysDerived)
        o.string("keys_note", child.keying.map { IKESAWords.keying($0, child: child, version: ikeSA.version) })
        o.raw(
            "flows",
            JSONObject.array(
                flows.map { flow in
                    var f = JSONObject()
                    f.string("spi", flow.key.spi.description)
                    f.string("src", flow.key.source.description)
                    f.string("dst", flow.key.destination.description)
                    f.int("packets", flow.packets)
                    f.int("decrypted", flow.count(.decrypted))
                    f.int("verified", flow.verified)
                    f.int("icv_failed", flow.count(.icvFailed))
                    f.int("policy_mismatches", flow.policy.mismatches)
                    return f.finished
                }))
        (refusal ?? IKERefusal()).json(&o)
        return o.finished
    }
}
