import SpiglassSAD
import SpiglassWire

/// What each IKEv2 exchange (RFC 7296 1.2-1.4) changes, request and response, on the IKE SA's
/// state machine (`IKEv2SAState`) and on the story's records.
extension IKEReconstruction {
    // MARK: requests

    func handleRequest(_ record: IKEMessageRecord, saIndex: Int, exchangeIndex: Int) {
        guard case .v2(let type) = record.header.exchangeType else { return }
        switch type {
        case .ikeSAInit:
            if let nonce = record.v2Payloads.nonce { ikeSAs[saIndex].nonceInitiator = nonce }
            inFlight.v2States[saIndex]?.initRequest(natRequest: NATDetection.check(record))
            noteVendorsAndFragmentation(record, saIndex: saIndex)
        case .ikeAuth:
            let payloads = record.v2Payloads
            if let id = payloads.identification(type: IKEv2PayloadType.identificationInitiator) {
                ikeSAs[saIndex].initiatorIdentity = id
            }
            if let auth = payloads.authenticationMethod { ikeSAs[saIndex].initiatorAuthentication = auth }
            noteVendorsAndFragmentation(record, saIndex: saIndex)
            if let proposal = payloads.firstChildProposal {
                startChild(record, saIndex: saIndex, exchangeIndex: exchangeIndex, proposal: proposal)
            }
        case .createChildSA:
            createChildRequest(record, saIndex: saIndex, exchangeIndex: exchangeIndex)
        case .informational:
            if record.decryption == .decrypted || record.decryption == .notEncrypted {
                ikeSAs[saIndex].exchanges[exchangeIndex].purpose = informationalPurpose(record)
                applyDeletes(record, saIndex: saIndex)
            }
            impliedEstablished(saIndex)
        default:
            break
        }
    }

    private func createChildRequest(_ record: IKEMessageRecord, saIndex: Int, exchangeIndex: Int) {
        let payloads = record.v2Payloads
        if let proposal = payloads.proposals.first, proposal.protocolID == IKEv2ProtocolID.ike {
            ikeSAs[saIndex].exchanges[exchangeIndex].purpose = .rekeyIKESA
            let rekey = PendingIKERekey(
                requesterSPI: proposal.spi.be64Value, nonce: payloads.nonce ?? [],
                requester: record.source, responder: record.destination,
                requesterPort: record.sourcePort, responderPort: record.destinationPort)
            inFlight.v2States[saIndex]?.rekeyRequested(rekey, exchange: exchangeIndex)
        } else if let proposal = payloads.firstChildProposal {
            let rekey = record.notifies.contains { $0.notifyType == .rekeySA }
            ikeSAs[saIndex].exchanges[exchangeIndex].purpose = rekey ? .rekeyChildSA : .newChildSA
            startChild(record, saIndex: saIndex, exchangeIndex: exchangeIndex, proposal: proposal)
        } else if record.decryption == .decrypted {
            ikeSAs[saIndex].exchanges[exchangeIndex].purpose = .createChildSAWithoutSA
        }
    }

    private func informationalPurpose(_ record: IKEMessageRecord) -> IKEExchangePurpose {
        let content = record.encryptedPayloads
        if content.isEmpty && record.decryption == .decrypted { return .livenessCheck }
        var parts: [IKEInformationalContent] = []
        for payload in content {
            switch payload.body {
            case .delete(let delete):
                parts.append(delete.protocolID == IKEv2ProtocolID.ike ? .deleteIKESA : .deleteChildSA)
            case .notify(let notify):
                let type = notify.notifyType
                parts.append(type == .updateSAAddresses ? .mobikeAddressUpdate : .notify(.v2(type)))
            case .configuration:
                parts.append(.configuration)
            default:
                continue
            }
        }
        return .informational(parts)
    }

    private func applyDeletes(_ record: IKEMessageRecord, saIndex: Int) {
        for payload in record.encryptedPayloads {
            guard case .delete(let delete) = payload.body else { continue }
            if delete.protocolID == IKEv2ProtocolID.ike {
                inFlight.v2States[saIndex]?.deleted()
                if ikeSAs[saIndex].rekeyedBy != nil {
                    // Its CHILD_SAs moved to the new IKE SA (RFC 7296 2.18); only the old one goes.
                    ikeSAs[saIndex].state = .rekeyed
                } else {
                    ikeSAs[saIndex].state = .deleted
                    for child in ikeSAs[saIndex].children { children[child].noteDeleted(at: record.time) }
                }
            } else {
                for spi in delete.spis where spi.count == 4 {
                    if let child = lookups.childBySPI[SPI(spi.be32Value)],
                        children[child].ikeSAIndex == saIndex || children[child].ikeSAIndex == ikeSAs[saIndex].rekeyOf
                    {
                        children[child].noteDeleted(at: record.time)
                    }
                }
            }
        }
    }

    private func noteVendorsAndFragmentation(_ record: IKEMessageRecord, saIndex: Int) {
        for payload in record.v2Payloads {
            if case .vendorID(let bytes) = payload.body { ikeSAs[saIndex].noteVendorID(bytes) }
        }
        if record.notifies.contains(where: { $0.notifyType == .fragmentationSupported }) && record.isResponse {
            ikeSAs[saIndex].fragmentationSupported = true
        }
    }

    // MARK: responses

    /// What a response tells, before the exchange's own rules apply.
    private struct ResponseSummary {
        var errors: [IKEv2Notify]
        /// Decrypted, or nothing to decrypt.
        var opened: Bool
        var outcome: IKEExchangeOutcome
        var succeeded: Bool { opened && errors.isEmpty }

        init(_ record: IKEMessageRecord) {
            errors = record.notifies.filter { $0.notifyType.isError }
            opened = record.decryption == .decrypted || record.decryption == .notEncrypted
            if !opened {
                outcome = .responseNotDecrypted(record.decryption)
            } else {
                outcome = errors.first.map { .notify(.v2($0.notifyType)) } ?? .ok
            }
        }
    }

    func handleResponse(_ record: IKEMessageRecord, saIndex: Int, exchangeIndex: Int) {
        guard case .v2(let type) = record.header.exchangeType else { return }
        var summary = ResponseSummary(record)
        switch type {
        case .ikeSAInit:
            noteVendorsAndFragmentation(record, saIndex: saIndex)
            if let cookie = record.notifies.first(where: { $0.notifyType == .cookie }) {
                ikeSAs[saIndex].cookieRoundTrip = true
                ikeSAs[saIndex].exchanges[exchangeIndex].succeeded = false
                ikeSAs[saIndex].exchanges[exchangeIndex].outcome = .notify(.v2(cookie.notifyType))
                return
            }
            initResponse(record, saIndex: saIndex, errors: summary.errors)
        case .ikeAuth:
            guard summary.opened else { break }
            authResponse(record, saIndex: saIndex, exchangeIndex: exchangeIndex, summary: &summary)
        case .createChildSA:
            impliedEstablished(saIndex)
            guard summary.opened else { break }
            if let rekey = inFlight.v2States[saIndex]?.rekeyAnswered(exchange: exchangeIndex) {
                if summary.succeeded, let proposal = record.encryptedPayloads.proposals.first,
                    proposal.protocolID == IKEv2ProtocolID.ike
                {
                    completeIKERekey(rekey, responderSPI: proposal.spi.be64Value, response: record, saIndex: saIndex)
                }
            } else {
                finishChild(record, saIndex: saIndex, exchangeIndex: exchangeIndex, errors: summary.errors)
            }
        case .informational:
            impliedEstablished(saIndex)
            if summary.opened { applyDeletes(record, saIndex: saIndex) }
        default:
            break
        }
        ikeSAs[saIndex].exchanges[exchangeIndex].succeeded = summary.succeeded
        ikeSAs[saIndex].exchanges[exchangeIndex].outcome = summary.outcome
    }

    /// IKE_SA_INIT answered: another KE group asked for, refused, or accepted.
    private func initResponse(_ record: IKEMessageRecord, saIndex: Int, errors: [IKEv2Notify]) {
        if let invalidKE = errors.first(where: { $0.notifyType == .invalidKEPayload }) {
            ikeSAs[saIndex].invalidKERequestedGroup =
                invalidKE.data.count == 2 ? .group(.v2(invalidKE.data.be16(0))) : .unreadable
        } else if let error = errors.first {
            ikeSAs[saIndex].state = .failed(refusal(error, in: record))
            ikeSAs[saIndex].failureEvidence = evidence(record)
        } else {
            acceptInit(record, saIndex: saIndex)
        }
    }

    /// The error notify `notify` of `record` as the reason an IKE SA failed.
    private func refusal(_ notify: IKEv2Notify, in record: IKEMessageRecord) -> IKESAFailure {
        .notify(.v2(notify.notifyType), sentBy: IKEPeer(sentByInitiator: record.fromOriginalInitiator))
    }

    /// IKE_AUTH answered: the responder's identity, the IKE SA up or failed, and the CHILD_SA
    /// of the first request (still pending while EAP goes on).
    private func authResponse(
        _ record: IKEMessageRecord, saIndex: Int, exchangeIndex: Int,
        summary: inout ResponseSummary
    ) {
        let payloads = record.encryptedPayloads
        let errors = summary.errors
        if let id = payloads.identification(type: IKEv2PayloadType.identificationResponder) {
            ikeSAs[saIndex].responderIdentity = id
        }
        if let auth = payloads.authenticationMethod { ikeSAs[saIndex].responderAuthentication = auth }
        let hasEAP = payloads.contains { if case .eap = $0.body { return true } else { return false } }
        var established = false
        let fatalTypes: [IKEv2NotifyType] = [.authenticationFailed, .unsupportedCriticalPayload]
        if let fatal = errors.first(where: { fatalTypes.contains($0.notifyType) }) {
            ikeSAs[saIndex].state = .failed(refusal(fatal, in: record))
            ikeSAs[saIndex].failureEvidence = evidence(record)
        } else if payloads.authenticationMethod != nil && !hasEAP {
            ikeSAs[saIndex].state = .established
            established = true
            summary.outcome = errors.isEmpty ? .ok : .childSARefused(errors.map(\.notifyType))
        } else if let error = errors.first {
            ikeSAs[saIndex].state = .failed(refusal(error, in: record))
            ikeSAs[saIndex].failureEvidence = evidence(record)
        }
        if !hasEAP || !errors.isEmpty {
            finishChild(record, saIndex: saIndex, exchangeIndex: exchangeIndex, errors: errors)
        }
        if established { inFlight.v2States[saIndex]?.established() }
    }

    /// IKE_SA_INIT accepted: SPIr, Nr, the chosen proposal, NAT detection.
    private func acceptInit(_ record: IKEMessageRecord, saIndex: Int) {
        let payloads = record.v2Payloads
        learnResponderSPI(saIndex, record.header.responderSPI)
        if let nonce = payloads.nonce { ikeSAs[saIndex].nonceResponder = nonce }
        if let proposal = payloads.proposals.first {
            ikeSAs[saIndex].proposal = .v2(proposal)
            if let prf = proposal.transforms.first(where: { $0.type == IKEv2TransformType.prf }) {
                inFlight.v2States[saIndex]?.prf = negotiatedPRF(id: prf.id)
            }
            ikeSAs[saIndex].findings += WeakAlgorithms.findings(proposal, subject: .ikeSA)
        }
        for payload in payloads {
            if case .keyExchange(let group, _) = payload.body {
                ikeSAs[saIndex].keyExchangeGroup = .v2(group)
            }
        }
        let request = inFlight.v2States[saIndex]?.initAccepted() ?? NATDetection.Check()
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
        inFlight.v2States[saIndex]?.established()
        if ikeSAs[saIndex].state == .negotiating { ikeSAs[saIndex].state = .established }
    }

    private func completeIKERekey(
        _ rekey: PendingIKERekey, responderSPI: UInt64, response: IKEMessageRecord,
        saIndex: Int
    ) {
        guard ikeSAs.count < limits.maxIKESAs else { return }
        var fresh = IKESARecord(
            version: .v2, spis: IKESPIPair(initiator: rekey.requesterSPI, responder: responderSPI),
            initiator: rekey.requester, responder: rekey.responder,
            initiatorPort: rekey.requesterPort, responderPort: rekey.responderPort,
            firstTime: response.time, lastTime: response.time)
        fresh.state = .established
        fresh.rekeyOf = saIndex
        fresh.nonceInitiator = rekey.nonce
        fresh.nonceResponder = response.encryptedPayloads.nonce ?? []
        if let proposal = response.encryptedPayloads.proposals.first {
            fresh.proposal = .v2(proposal)
            fresh.findings += WeakAlgorithms.findings(proposal, subject: .ikeSA)
        }
        fresh.initiatorIdentity = ikeSAs[saIndex].initiatorIdentity
        fresh.responderIdentity = ikeSAs[saIndex].responderIdentity
        let index = addIKESA(fresh)
        var state = IKEv2SAState()
        state.phase = .established
        state.prf = inFlight.v2States[saIndex]?.prf
        inFlight.v2States[index] = state
        ikeSAs[saIndex].rekeyedBy = index
        ikeSAs[saIndex].state = .rekeyed
        inFlight.v2States[saIndex]?.rekeyed()
        // CHILD_SAs move to the new IKE SA (RFC 7296 2.18).
        for child in ikeSAs[saIndex].children where !children[child].deleted {
            ikeSAs[index].children.append(child)
        }
    }
}
