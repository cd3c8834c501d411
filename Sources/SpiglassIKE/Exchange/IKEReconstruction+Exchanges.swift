import SpiglassSAD
import SpiglassWire

/// Pairing messages into exchanges and the state each exchange changes.
extension IKEReconstruction {
    /// Notify types (IANA "IKEv2 Notify Message Types") the story reacts to.
    enum NotifyType {
        static let unsupportedCriticalPayload: UInt16 = 1
        static let invalidKEPayload: UInt16 = 17
        static let authenticationFailed: UInt16 = 24
        static let cookie: UInt16 = 16390
        static let useTransportMode: UInt16 = 16391
        static let rekeySA: UInt16 = 16393
        static let fragmentationSupported: UInt16 = 16430
        static let updateSAAddresses: UInt16 = 16400
    }

    /// Files the message under its IKE SA and exchange and applies what it says.
    func attach(_ record: inout IKEMessageRecord, fingerprint: UInt64) {
        guard let saIndex = ikeSAIndex(for: record) else { return }
        record.ikeSAIndex = saIndex
        ikeSAs[saIndex].lastTime = max(ikeSAs[saIndex].lastTime, record.time)
        let header = record.header
        let requestedByInitiator = header.isResponse ? !header.isInitiator : header.isInitiator
        let messageIndex = messages.count < limits.maxMessagesKept && keptMessageBytes + record.length <= limits.maxMessageBytesKept
            ? messages.count : nil
        let existing = lastExchange(saIndex, messageID: header.messageID, requestedByInitiator: requestedByInitiator,
                                    type: header.exchangeType)
        var exchangeIndex: Int
        if let existing {
            exchangeIndex = existing
            let exchange = ikeSAs[saIndex].exchanges[existing]
            let key = FingerprintKey(ikeSA: saIndex, exchange: existing, isResponse: header.isResponse)
            if header.isResponse {
                if exchange.response != nil || exchange.responseTime != nil {
                    record.exchangeIndex = existing
                    // RFC 7296 2.1: a retransmission is the same message again; different
                    // bytes are another answer (a responder that answers every copy of the
                    // request afresh), which the exchange counts apart.
                    if fingerprints[key] == fingerprint || fingerprints[key] == nil {
                        ikeSAs[saIndex].exchanges[existing].responseRetransmissions += 1
                        record.retransmission = true
                    } else {
                        if ikeSAs[saIndex].exchanges[existing].otherResponses.count < IKEReconstruction.maxEvidenceFrames {
                            ikeSAs[saIndex].exchanges[existing].otherResponses.append(record.frames.last ?? 0)
                        }
                        let spi = header.responderSPI != ikeSAs[saIndex].spis.responder ? " with a new responder SPI" : ""
                        record.problems.append("another answer to the request\(spi), not a retransmission (its bytes differ)")
                        if header.exchangeType == 34, spi != "", ikeSAs[saIndex].otherResponderAnswers.count < IKEReconstruction.maxEvidenceFrames {
                            ikeSAs[saIndex].otherResponderAnswers.append((header.responderSPI,
                                                                          record.v2Payloads.nonce ?? []))
                        }
                    }
                    return
                }
            } else if exchange.requestTime != nil {
                let repeated = fingerprints[key] == fingerprint
                if repeated || exchange.responseTime == nil {
                    // Same bytes again, or new bytes before any answer (a sender that
                    // re-fragmented): both are the request sent once more.
                    ikeSAs[saIndex].exchanges[existing].requestRetransmissions += 1
                    record.retransmission = true
                    record.exchangeIndex = existing
                    if !repeated { record.problems.append("retransmitted request differs from the first one") }
                    return
                }
                // Answered, and now different bytes with the same message ID: a new attempt
                // (IKE_SA_INIT again with a COOKIE or another KE group).
                guard let made = newExchange(saIndex, header: header, requestedByInitiator: requestedByInitiator) else { return }
                exchangeIndex = made
            }
        } else {
            guard let made = newExchange(saIndex, header: header, requestedByInitiator: requestedByInitiator) else { return }
            exchangeIndex = made
        }
        record.exchangeIndex = exchangeIndex
        fingerprints[FingerprintKey(ikeSA: saIndex, exchange: exchangeIndex, isResponse: header.isResponse)] = fingerprint
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

    /// The IKE SA a message belongs to, created on first sight.
    private func ikeSAIndex(for record: IKEMessageRecord) -> Int? {
        let header = record.header
        let errorInitResponse = header.exchangeType == 34 && header.isResponse && record.notifies.contains { $0.type < 16384 || $0.type == NotifyType.cookie }
        for index in (ikeSAsByInitiatorSPI[header.initiatorSPI] ?? []).reversed() {
            let known = ikeSAs[index].spis.responder
            if known == header.responderSPI || header.responderSPI == 0 {
                return index
            }
            if let answer = ikeSAs[index].otherResponderAnswers.first(where: { $0.spi == header.responderSPI }) {
                // The initiator went on with another of the responder's IKE_SA_INIT answers:
                // its SPI and nonce are the IKE SA's.
                if header.exchangeType != 34 {
                    learnResponderSPI(index, answer.spi)
                    if !answer.nonce.isEmpty { ikeSAs[index].nonceResponder = answer.nonce }
                }
                return index
            }
            if known != 0, header.exchangeType == 34, header.isResponse, !errorInitResponse,
               ikeSAs[index].exchanges.allSatisfy({ $0.type == 34 }) {
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
            diagnose("more than \(limits.maxIKESAs) IKE SAs: messages of further ones are reported but not tracked")
            return nil
        }
        let fromInitiator = header.isInitiator
        let sa = IKESARecord(version: 2,
                             spis: IKESPIPair(initiator: header.initiatorSPI, responder: errorInitResponse ? 0 : header.responderSPI),
                             initiator: fromInitiator ? record.source : record.destination,
                             responder: fromInitiator ? record.destination : record.source,
                             initiatorPort: fromInitiator ? record.sourcePort : record.destinationPort,
                             responderPort: fromInitiator ? record.destinationPort : record.sourcePort,
                             firstTime: record.time, lastTime: record.time)
        return addIKESA(sa)
    }

    /// "IKE_AUTH response, frame 4": where a message that decides an outcome is.
    func evidence(_ record: IKEMessageRecord) -> String {
        let frames = record.frames.map(String.init).joined(separator: ",")
        return "\(record.header.exchangeName) \(record.isResponse ? "response" : "request"), frame\(record.frames.count > 1 ? "s" : "") \(frames)"
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
            sa.keysBoundByIntegrity = boundKeyIndices.contains(keyIndex)
        }
        ikeSAs.append(sa)
        ikeSAsByInitiatorSPI[sa.spis.initiator, default: []].append(index)
        return index
    }

    private func lastExchange(_ saIndex: Int, messageID: UInt32, requestedByInitiator: Bool, type: UInt8) -> Int? {
        let exchanges = ikeSAs[saIndex].exchanges
        // Recent exchanges first: message IDs only grow, so the match is near the end.
        var index = exchanges.count - 1
        var looked = 0
        while index >= 0 && looked < 64 {
            let exchange = exchanges[index]
            if exchange.messageID == messageID && exchange.requestedByInitiator == requestedByInitiator && exchange.type == type {
                return index
            }
            index -= 1
            looked += 1
        }
        return nil
    }

    private func newExchange(_ saIndex: Int, header: IKEHeader, requestedByInitiator: Bool) -> Int? {
        guard exchangeCount < limits.maxExchanges else {
            diagnose("more than \(limits.maxExchanges) IKE exchanges: later ones are not kept")
            return nil
        }
        guard ikeSAs[saIndex].exchanges.count < limits.maxExchangesPerIKESA else {
            diagnose("IKE SA \(ikeSAs[saIndex].spis): more than \(limits.maxExchangesPerIKESA) exchanges; later ones are not kept")
            return nil
        }
        exchangeCount += 1
        ikeSAs[saIndex].exchanges.append(IKEExchangeRecord(type: header.exchangeType, name: header.exchangeName,
                                                           messageID: header.messageID, requestedByInitiator: requestedByInitiator))
        return ikeSAs[saIndex].exchanges.count - 1
    }

    // MARK: requests

    private func handleRequest(_ record: IKEMessageRecord, saIndex: Int, exchangeIndex: Int) {
        let payloads = record.v2Payloads
        switch record.header.exchangeType {
        case 34:
            if let nonce = payloads.nonce { ikeSAs[saIndex].nonceInitiator = nonce }
            natRequestChecks[saIndex] = NATDetection.check(record)
            noteVendorsAndFragmentation(record, saIndex: saIndex)
        case 35:
            if let id = payloads.identification(type: 35) { ikeSAs[saIndex].initiatorIdentity = id }
            if let auth = payloads.authenticationMethod { ikeSAs[saIndex].initiatorAuthentication = auth }
            noteVendorsAndFragmentation(record, saIndex: saIndex)
            if let proposal = payloads.firstChildProposal {
                startChild(record, saIndex: saIndex, exchangeIndex: exchangeIndex, proposal: proposal)
            }
        case 36:
            if let proposal = payloads.proposals.first, proposal.protocolID == 1 {
                ikeSAs[saIndex].exchanges[exchangeIndex].purpose = "rekey IKE SA"
                pendingIKERekeys[ExchangeRef(ikeSA: saIndex, exchange: exchangeIndex)] =
                    PendingIKERekey(requesterSPI: proposal.spi.be64Value, nonce: payloads.nonce ?? [],
                                    requester: record.source, responder: record.destination,
                                    requesterPort: record.sourcePort, responderPort: record.destinationPort)
            } else if let proposal = payloads.firstChildProposal {
                let rekey = record.notifies.first { $0.type == NotifyType.rekeySA }
                ikeSAs[saIndex].exchanges[exchangeIndex].purpose = rekey == nil ? "new CHILD_SA" : "rekey CHILD_SA"
                startChild(record, saIndex: saIndex, exchangeIndex: exchangeIndex, proposal: proposal)
            } else if record.decryption == .decrypted {
                ikeSAs[saIndex].exchanges[exchangeIndex].purpose = "CREATE_CHILD_SA without SA payload"
            }
        case 37:
            if record.decryption == .decrypted || record.decryption == .notEncrypted {
                ikeSAs[saIndex].exchanges[exchangeIndex].purpose = informationalPurpose(record)
                applyDeletes(record, saIndex: saIndex, fromInitiator: record.header.isInitiator)
            }
            impliedEstablished(saIndex)
        default:
            break
        }
    }

    private func informationalPurpose(_ record: IKEMessageRecord) -> String {
        let content = record.encryptedPayloads
        if content.isEmpty && record.decryption == .decrypted { return "liveness check" }
        var parts: [String] = []
        for payload in content {
            switch payload.body {
            case .delete(let delete):
                parts.append(delete.protocolID == 1 ? "delete IKE SA" : "delete CHILD_SA")
            case .notify(let notify):
                parts.append(notify.type == NotifyType.updateSAAddresses ? "MOBIKE address update" : notify.name)
            case .configuration:
                parts.append("configuration")
            default:
                continue
            }
        }
        return parts.isEmpty ? "informational" : Array(Set(parts)).sorted().joined(separator: ", ")
    }

    private func applyDeletes(_ record: IKEMessageRecord, saIndex: Int, fromInitiator: Bool) {
        for payload in record.encryptedPayloads {
            guard case .delete(let delete) = payload.body else { continue }
            if delete.protocolID == 1 {
                if ikeSAs[saIndex].rekeyedBy != nil {
                    // Its CHILD_SAs moved to the new IKE SA (RFC 7296 2.18); only the old one goes.
                    ikeSAs[saIndex].state = .rekeyed
                } else {
                    ikeSAs[saIndex].state = .deleted
                    for child in ikeSAs[saIndex].children { children[child].deleted = true }
                }
            } else {
                for spi in delete.spis where spi.count == 4 {
                    if let child = childBySPI[spi.be32Value], children[child].ikeSAIndex == saIndex || children[child].ikeSAIndex == ikeSAs[saIndex].rekeyOf {
                        children[child].deleted = true
                    }
                }
            }
        }
    }

    private func noteVendorsAndFragmentation(_ record: IKEMessageRecord, saIndex: Int) {
        for payload in record.v2Payloads {
            if case .vendorID(let bytes) = payload.body {
                let name = KnownVendorIDs.name(bytes) ?? Hex.encode(Array(bytes.prefix(16)))
                if !ikeSAs[saIndex].vendorIDs.contains(name), ikeSAs[saIndex].vendorIDs.count < 32 { ikeSAs[saIndex].vendorIDs.append(name) }
            }
        }
        if record.notifies.contains(where: { $0.type == NotifyType.fragmentationSupported }) && record.isResponse {
            ikeSAs[saIndex].fragmentationSupported = true
        }
    }

    // MARK: responses

    private func handleResponse(_ record: IKEMessageRecord, saIndex: Int, exchangeIndex: Int) {
        let errors = record.notifies.filter { $0.type < 16384 }
        let opened = record.decryption == .decrypted || record.decryption == .notEncrypted
        var outcome = opened ? (errors.first?.name ?? "ok") : "response not decrypted (\(record.decryption.label))"
        let succeeded = opened && errors.isEmpty
        switch record.header.exchangeType {
        case 34:
            noteVendorsAndFragmentation(record, saIndex: saIndex)
            if let cookie = record.notifies.first(where: { $0.type == NotifyType.cookie }) {
                ikeSAs[saIndex].cookieRoundTrip = true
                outcome = cookie.name
                ikeSAs[saIndex].exchanges[exchangeIndex].succeeded = false
                ikeSAs[saIndex].exchanges[exchangeIndex].outcome = outcome
                return
            }
            if let invalidKE = errors.first(where: { $0.type == NotifyType.invalidKEPayload }) {
                ikeSAs[saIndex].invalidKERequestedGroup = invalidKE.data.count == 2
                    ? IKEv2Names.transformIDName(type: 4, id: invalidKE.data.be16(0)) : "unknown group"
            } else if let error = errors.first {
                ikeSAs[saIndex].state = .failed(error.name)
                ikeSAs[saIndex].failureEvidence = evidence(record)
            } else {
                acceptInit(record, saIndex: saIndex)
            }
        case 35:
            guard opened else { break }
            let payloads = record.encryptedPayloads
            if let id = payloads.identification(type: 36) { ikeSAs[saIndex].responderIdentity = id }
            if let auth = payloads.authenticationMethod { ikeSAs[saIndex].responderAuthentication = auth }
            let hasEAP = payloads.contains { if case .eap = $0.body { return true } else { return false } }
            if let fatal = errors.first(where: { $0.type == NotifyType.authenticationFailed || $0.type == NotifyType.unsupportedCriticalPayload }) {
                ikeSAs[saIndex].state = .failed(fatal.name)
                ikeSAs[saIndex].failureEvidence = evidence(record)
            } else if payloads.authenticationMethod != nil && !hasEAP {
                ikeSAs[saIndex].state = .established
                outcome = errors.isEmpty ? "ok" : "IKE SA established, CHILD_SA refused: " + errors.map(\.name).joined(separator: ", ")
            } else if let error = errors.first {
                ikeSAs[saIndex].state = .failed(error.name)
                ikeSAs[saIndex].failureEvidence = evidence(record)
            }
            // While EAP goes on, the CHILD_SA of the first request is still pending.
            if !hasEAP || !errors.isEmpty {
                finishChild(record, saIndex: saIndex, exchangeIndex: exchangeIndex, errors: errors)
            }
        case 36:
            impliedEstablished(saIndex)
            guard opened else { break }
            let ref = ExchangeRef(ikeSA: saIndex, exchange: exchangeIndex)
            if let rekey = pendingIKERekeys.removeValue(forKey: ref) {
                if succeeded, let proposal = record.encryptedPayloads.proposals.first, proposal.protocolID == 1 {
                    completeIKERekey(rekey, responderSPI: proposal.spi.be64Value, response: record, saIndex: saIndex)
                }
            } else {
                finishChild(record, saIndex: saIndex, exchangeIndex: exchangeIndex, errors: errors)
            }
        case 37:
            impliedEstablished(saIndex)
            if opened { applyDeletes(record, saIndex: saIndex, fromInitiator: record.header.isInitiator) }
        default:
            break
        }
        ikeSAs[saIndex].exchanges[exchangeIndex].succeeded = succeeded
        ikeSAs[saIndex].exchanges[exchangeIndex].outcome = outcome
    }

    /// IKE_SA_INIT accepted: SPIr, Nr, the chosen proposal, NAT detection.
    private func acceptInit(_ record: IKEMessageRecord, saIndex: Int) {
        let payloads = record.v2Payloads
        learnResponderSPI(saIndex, record.header.responderSPI)
        if let nonce = payloads.nonce { ikeSAs[saIndex].nonceResponder = nonce }
        if let proposal = payloads.proposals.first {
            ikeSAs[saIndex].proposal = .v2(proposal)
            if let prf = proposal.transforms.first(where: { $0.type == 2 }) { negotiatedPRFs[saIndex] = negotiatedPRF(id: prf.id) }
            ikeSAs[saIndex].findings += WeakAlgorithms.findings(proposal.transforms, what: "IKE SA")
        }
        for payload in payloads {
            if case .keyExchange(let group, _) = payload.body { ikeSAs[saIndex].keyExchangeGroup = IKEv2Names.transformIDName(type: 4, id: group) }
        }
        let request = natRequestChecks[saIndex] ?? (nil, nil)
        let response = NATDetection.check(record)
        // Request hashes are the initiator's view, response hashes the responder's: a
        // mismatch on either side of the capture point reveals the NAT.
        if request.sourceMatches != nil || response.destinationMatches != nil {
            ikeSAs[saIndex].initiatorBehindNAT = request.sourceMatches == false || response.destinationMatches == false
        }
        if response.sourceMatches != nil || request.destinationMatches != nil {
            ikeSAs[saIndex].responderBehindNAT = response.sourceMatches == false || request.destinationMatches == false
        }
        // Keys given by SPIs only become findable now that SPIr is known.
        if let keyIndex = keyIndex(for: record.header) {
            ikeSAs[saIndex].keysKnown = hasKeys(keys[keyIndex])
        }
    }

    /// Later exchanges on an IKE SA whose IKE_AUTH could not be read show it was established.
    func impliedEstablished(_ saIndex: Int) {
        if ikeSAs[saIndex].state == .negotiating { ikeSAs[saIndex].state = .established }
    }

    private func completeIKERekey(_ rekey: PendingIKERekey, responderSPI: UInt64, response: IKEMessageRecord, saIndex: Int) {
        guard ikeSAs.count < limits.maxIKESAs else { return }
        var fresh = IKESARecord(version: 2, spis: IKESPIPair(initiator: rekey.requesterSPI, responder: responderSPI),
                                initiator: rekey.requester, responder: rekey.responder,
                                initiatorPort: rekey.requesterPort, responderPort: rekey.responderPort,
                                firstTime: response.time, lastTime: response.time)
        fresh.state = .established
        fresh.rekeyOf = saIndex
        fresh.nonceInitiator = rekey.nonce
        fresh.nonceResponder = response.encryptedPayloads.nonce ?? []
        if let proposal = response.encryptedPayloads.proposals.first {
            fresh.proposal = .v2(proposal)
            fresh.findings += WeakAlgorithms.findings(proposal.transforms, what: "IKE SA")
        }
        fresh.initiatorIdentity = ikeSAs[saIndex].initiatorIdentity
        fresh.responderIdentity = ikeSAs[saIndex].responderIdentity
        let index = addIKESA(fresh)
        if let prf = negotiatedPRFs[saIndex] { negotiatedPRFs[index] = prf }
        ikeSAs[saIndex].rekeyedBy = index
        ikeSAs[saIndex].state = .rekeyed
        // CHILD_SAs move to the new IKE SA (RFC 7296 2.18).
        for child in ikeSAs[saIndex].children where !children[child].deleted {
            ikeSAs[index].children.append(child)
        }
    }
}

struct ExchangeRef: Hashable {
    var ikeSA: Int
    var exchange: Int
}

struct PendingIKERekey {
    var requesterSPI: UInt64
    var nonce: [UInt8]
    var requester: IPAddress
    var responder: IPAddress
    var requesterPort: UInt16
    var responderPort: UInt16
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
}
