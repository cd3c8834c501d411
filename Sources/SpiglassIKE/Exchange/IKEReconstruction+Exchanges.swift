import SpiglassSAD
import SpiglassWire

/// Pairing messages into exchanges and the state each exchange changes.
extension IKEReconstruction {
    /// Files the message under its IKE SA and exchange and applies what it says.
    func attach(_ record: inout IKEMessageRecord, fingerprint: UInt64) {
        guard let saIndex = ikeSAIndex(for: record) else { return }
        record.ikeSAIndex = saIndex
        ikeSAs[saIndex].lastTime = max(ikeSAs[saIndex].lastTime, record.time)
        let header = record.header
        let requestedByInitiator = header.isResponse ? !header.isInitiator : header.isInitiator
        let messageIndex =
            messages.count < limits.maxMessagesKept
                && usage.keptMessageBytes + record.length <= limits.maxMessageBytesKept
            ? messages.count : nil
        let existing = lastExchange(
            saIndex, messageID: header.messageID, requestedByInitiator: requestedByInitiator,
            type: header.exchangeType)
        let exchangeIndex: Int
        if let existing, isRepeat(&record, saIndex: saIndex, exchange: existing, fingerprint: fingerprint) {
            return
        } else if let existing, header.isResponse || ikeSAs[saIndex].exchanges[existing].requestTime == nil {
            exchangeIndex = existing
        } else {
            // New, or answered and now different bytes with the same message ID: a new attempt
            // (IKE_SA_INIT again with a COOKIE or another KE group).
            guard let made = newExchange(saIndex, header: header, requestedByInitiator: requestedByInitiator) else {
                return
            }
            exchangeIndex = made
        }
        record.exchangeIndex = exchangeIndex
        lookups.fingerprints[FingerprintKey(ikeSA: saIndex, exchange: exchangeIndex, isResponse: header.isResponse)] =
            fingerprint
        if let messageIndex { ikeSAs[saIndex].exchanges[exchangeIndex].messages.append(messageIndex) }
        if header.isResponse {
            ikeSAs[saIndex].exchanges[exchangeIndex].response = messageIndex
            ikeSAs[saIndex].exchanges[exchangeIndex].responseTime = record.time
            handleResponse(record, saIndex: saIndex, exchangeIndex: exchangeIndex)
        } else {
            ikeSAs[saIndex].exchanges[exchangeIndex].request = messageIndex
            ikeSAs[saIndex].exchanges[exchangeIndex].requestTime = record.time
            handleRequest(record, saIndex: saIndex, exchangeIndex: exchangeIndex)
        }
    }

    /// Whether the message is one its exchange already has: the same message again (RFC 7296
    /// 2.1: a retransmission), a request sent once more before any answer, or another answer
    /// to the request. Counted on the exchange; the message is not applied again.
    private func isRepeat(
        _ record: inout IKEMessageRecord, saIndex: Int, exchange existing: Int,
        fingerprint: UInt64
    ) -> Bool {
        let header = record.header
        let exchange = ikeSAs[saIndex].exchanges[existing]
        let seen = lookups.fingerprints[
            FingerprintKey(ikeSA: saIndex, exchange: existing, isResponse: header.isResponse)]
        if header.isResponse {
            guard exchange.response != nil || exchange.responseTime != nil else { return false }
            record.exchangeIndex = existing
            // Different bytes are another answer (a responder that answers every copy of the
            // request afresh), which the exchange counts apart.
            if seen == fingerprint || seen == nil {
                ikeSAs[saIndex].exchanges[existing].responseRetransmissions += 1
                record.retransmission = true
                return true
            }
            if ikeSAs[saIndex].exchanges[existing].otherResponses.count < IKEReconstruction.maxEvidenceFrames {
                ikeSAs[saIndex].exchanges[existing].otherResponses.append(record.frames.last ?? 0)
            }
            let newSPI = header.responderSPI != ikeSAs[saIndex].spis.responder
            record.problems.append(.otherAnswer(newResponderSPI: newSPI))
            if header.exchangeType == .v2(.ikeSAInit), newSPI,
                (inFlight.v2States[saIndex]?.otherResponderAnswers.count ?? 0) < IKEReconstruction.maxEvidenceFrames
            {
                inFlight.v2States[saIndex]?.otherResponderAnswers.append(
                    (header.responderSPI, record.v2Payloads.nonce ?? []))
            }
            return true
        }
        guard exchange.requestTime != nil else { return false }
        let repeated = seen == fingerprint
        // Same bytes again, or new bytes before any answer (a sender that re-fragmented):
        // both are the request sent once more.
        guard repeated || exchange.responseTime == nil else { return false }
        ikeSAs[saIndex].exchanges[existing].requestRetransmissions += 1
        record.retransmission = true
        record.exchangeIndex = existing
        if !repeated { record.problems.append(.retransmissionDiffers) }
        return true
    }

    /// The IKE SA a message belongs to, created on first sight.
    private func ikeSAIndex(for record: IKEMessageRecord) -> Int? {
        let header = record.header
        let isInit = header.exchangeType == .v2(.ikeSAInit)
        let errorInitResponse =
            isInit && header.isResponse
            && record.notifies.contains { $0.notifyType.isError || $0.notifyType == .cookie }
        for index in (lookups.ikeSAsByInitiatorSPI[header.initiatorSPI] ?? []).reversed() {
            let known = ikeSAs[index].spis.responder
            if known == header.responderSPI || header.responderSPI == 0 {
                return index
            }
            if let answer = inFlight.v2States[index]?.otherResponderAnswers.first(where: {
                $0.spi == header.responderSPI
            }) {
                // The initiator went on with another of the responder's IKE_SA_INIT answers:
                // its SPI and nonce are the IKE SA's.
                if !isInit {
                    learnResponderSPI(index, answer.spi)
                    if !answer.nonce.isEmpty { ikeSAs[index].nonceResponder = answer.nonce }
                }
                return index
            }
            if known != 0, isInit, header.isResponse, !errorInitResponse,
                ikeSAs[index].exchanges.allSatisfy({ $0.type == .v2(.ikeSAInit) })
            {
                // Another answer to IKE_SA_INIT with a responder SPI of its own, before the
                // initiator went on: the same IKE SA (see `attach`).
                return index
            }
            if known == 0 {
                // The first response names the responder's SPI; an error response to
                // IKE_SA_INIT may carry one that the real exchange then replaces.
                if !errorInitResponse { learnResponderSPI(index, header.responderSPI) }
                return index
            }
        }
        guard ikeSAs.count < limits.maxIKESAs else {
            diagnose(.tooManyIKESAs(limit: limits.maxIKESAs))
            return nil
        }
        let fromInitiator = header.isInitiator
        let sa = IKESARecord(
            version: .v2,
            spis: IKESPIPair(initiator: header.initiatorSPI, responder: errorInitResponse ? 0 : header.responderSPI),
            initiator: fromInitiator ? record.source : record.destination,
            responder: fromInitiator ? record.destination : record.source,
            initiatorPort: fromInitiator ? record.sourcePort : record.destinationPort,
            responderPort: fromInitiator ? record.destinationPort : record.sourcePort,
            firstTime: record.time, lastTime: record.time)
        let index = addIKESA(sa)
        inFlight.v2States[index] = IKEv2SAState()
        return index
    }

    /// Where a message that decides an outcome is (the IKE_AUTH response, frame 4).
    func evidence(_ record: IKEMessageRecord) -> IKEFailureEvidence {
        .message(record.header.exchangeType, isResponse: record.isResponse, frames: record.frames)
    }

    /// The responder's SPI (IKEv1: cookie), learnt from a message after the first: a key
    /// file that gives both SPIs finds the SA only now.
    func learnResponderSPI(_ saIndex: Int, _ spi: UInt64) {
        ikeSAs[saIndex].spis.responder = spi
        if let keyIndex = keyIndex(ikeSAs[saIndex].spis, version: ikeSAs[saIndex].version) {
            ikeSAs[saIndex].keysKnown = hasKeys(keys[keyIndex])
        }
    }

    func addIKESA(_ sa: IKESARecord) -> Int {
        var sa = sa
        let index = ikeSAs.count
        if let keyIndex = keyIndex(sa.spis, version: sa.version) {
            sa.keysKnown = hasKeys(keys[keyIndex])
            sa.keysBoundByIntegrity = keyRing.boundIndices.contains(keyIndex)
        }
        ikeSAs.append(sa)
        lookups.ikeSAsByInitiatorSPI[sa.spis.initiator, default: []].append(index)
        return index
    }

    private func lastExchange(
        _ saIndex: Int, messageID: UInt32, requestedByInitiator: Bool,
        type: IKEExchangeType
    ) -> Int? {
        let exchanges = ikeSAs[saIndex].exchanges
        // Recent exchanges first: message IDs only grow, so the match is near the end.
        var index = exchanges.count - 1
        var looked = 0
        while index >= 0 && looked < 64 {
            let exchange = exchanges[index]
            if exchange.messageID == messageID && exchange.requestedByInitiator == requestedByInitiator
                && exchange.type == type
            {
                return index
            }
            index -= 1
            looked += 1
        }
        return nil
    }

    private func newExchange(_ saIndex: Int, header: IKEHeader, requestedByInitiator: Bool) -> Int? {
        guard usage.exchangeCount < limits.maxExchanges else {
            diagnose(.tooManyExchanges(limit: limits.maxExchanges))
            return nil
        }
        guard ikeSAs[saIndex].exchanges.count < limits.maxExchangesPerIKESA else {
            diagnose(.tooManyExchangesOnIKESA(ikeSAs[saIndex].spis, limit: limits.maxExchangesPerIKESA))
            return nil
        }
        usage.exchangeCount += 1
        ikeSAs[saIndex].exchanges.append(
            IKEExchangeRecord(
                type: header.exchangeType, messageID: header.messageID,
                requestedByInitiator: requestedByInitiator))
        return ikeSAs[saIndex].exchanges.count - 1
    }

}

extension Array where Element == UInt8 {
    /// Big-endian value of an 8-byte SPI (0 when the length is wrong).
    var be64Value: UInt64 {
        guard count == 8 else { return 0 }
        return reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Big-endian value of a 4-byte SPI (0 when the length is wrong).
    var be32Value: UInt32 {
        guard count == 4 else { return 0 }
        return reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The ESP or AH SPI of a proposal (4 bytes); nil for any other length.
    var childSPI: SPI? { count == 4 ? SPI(be32Value) : nil }
}
