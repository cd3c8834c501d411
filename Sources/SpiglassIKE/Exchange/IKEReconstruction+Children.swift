import SpiglassSAD
import SpiglassWire

/// CHILD_SAs: proposed by a request, settled by its response, keyed from SK_d.
extension IKEReconstruction {
    func startChild(_ request: IKEMessageRecord, saIndex: Int, exchangeIndex: Int, proposal: IKEv2Proposal) {
        guard children.count < limits.maxChildSAs else {
            diagnose(.tooManyChildSAs(limit: limits.maxChildSAs))
            return
        }
        let payloads = request.encryptedPayloads
        var child = ChildSARecord(
            ikeSAIndex: saIndex, createdBy: exchangeIndex,
            createdByType: request.header.exchangeType,
            requestedByInitiator: request.header.isInitiator,
            requesterSPI: proposal.spi.childSPI, responderSPI: nil,
            requester: request.source, responder: request.destination)
        child.protocolID = proposal.protocolID
        child.initiatorSelectors = payloads.selectorValues(type: IKEv2PayloadType.trafficSelectorInitiator)
        child.responderSelectors = payloads.selectorValues(type: IKEv2PayloadType.trafficSelectorResponder)
        child.transportMode = request.notifies.contains { $0.notifyType == .useTransportMode }
        if request.header.exchangeType == .v2(.createChildSA) {
            for payload in payloads {
                if case .keyExchange(let group, _) = payload.body {
                    child.perfectForwardSecrecy = true
                    child.keyExchangeGroup = .v2(group)
                }
            }
            if let rekey = request.notifies.first(where: { $0.notifyType == .rekeySA }), rekey.spi.count == 4,
                let old = lookups.childBySPI[SPI(rekey.spi.be32Value)]
            {
                child.rekeyOf = old
            }
        }
        let index = children.count
        children.append(child)
        ikeSAs[saIndex].children.append(index)
        inFlight.v2States[saIndex]?.pendingChildren[exchangeIndex] = PendingChild(
            child: index, nonce: payloads.nonce ?? [])
        if request.header.exchangeType == .v2(.ikeAuth) {
            inFlight.v2States[saIndex]?.authRequestProposedChild(exchange: exchangeIndex)
        }
    }

    func finishChild(_ response: IKEMessageRecord, saIndex: Int, exchangeIndex: Int, errors: [IKEv2Notify]) {
        var exchange = exchangeIndex
        let isAuth = response.header.exchangeType == .v2(.ikeAuth)
        if inFlight.v2States[saIndex]?.pendingChildren[exchange] == nil, isAuth,
            let earlier = inFlight.v2States[saIndex]?.pendingAuthExchange
        {
            // EAP and multiple authentication take several IKE_AUTH round trips: the SA payload
            // of the first request is answered in the last response.
            exchange = earlier
        }
        guard let pending = inFlight.v2States[saIndex]?.childSettled(exchange: exchange) else { return }
        let index = pending.child
        let payloads = response.encryptedPayloads
        guard let proposal = payloads.firstChildProposal else {
            children[index].failure = errors.first.map { .notify($0.notifyType) } ?? .noSAPayloadInResponse
            return
        }
        children[index].established = true
        children[index].responderSPI = proposal.spi.childSPI
        children[index].proposal = .v2(proposal)
        children[index].algorithms = NegotiatedChildAlgorithms(
            transforms: proposal.transforms.map { ($0.type, $0.id, $0.keyLength) })
        // RFC 7296 2.9: the responder's TSi/TSr are the narrowed ones the CHILD_SA carries.
        let narrowedTSi = payloads.selectorValues(type: IKEv2PayloadType.trafficSelectorInitiator)
        let narrowedTSr = payloads.selectorValues(type: IKEv2PayloadType.trafficSelectorResponder)
        if !narrowedTSi.isEmpty { children[index].initiatorSelectors = narrowedTSi }
        if !narrowedTSr.isEmpty { children[index].responderSelectors = narrowedTSr }
        children[index].transportMode =
            children[index].transportMode
            && response.notifies.contains { $0.notifyType == .useTransportMode }
        let rekeyed = children[index].rekeyOf != nil
        ikeSAs[saIndex].findings += WeakAlgorithms.findings(proposal, subject: rekeyed ? .rekeyedChildSA : .childSA)
        if response.header.exchangeType == .v2(.createChildSA) {
            let hasKE = payloads.contains { if case .keyExchange = $0.body { return true } else { return false } }
            children[index].perfectForwardSecrecy = children[index].perfectForwardSecrecy && hasKE
            if !children[index].perfectForwardSecrecy {
                ikeSAs[saIndex].findings.append(
                    .childSAWithoutPFS(
                        rekeyed: rekeyed, requesterSPI: children[index].requesterSPI,
                        responderSPI: children[index].responderSPI))
            }
        }
        if let old = children[index].rekeyOf { children[old].rekeyedBy = index }
        noteChildSPIs(children[index].spis, index: index)
        // Nonces: IKE_SA_INIT's for the CHILD_SA of IKE_AUTH, the exchange's own otherwise.
        let nonces: (initiator: [UInt8], responder: [UInt8])
        if isAuth {
            nonces = (ikeSAs[saIndex].nonceInitiator, ikeSAs[saIndex].nonceResponder)
        } else {
            nonces = (pending.nonce, payloads.nonce ?? [])
        }
        deriveKeys(child: index, nonceInitiator: nonces.initiator, nonceResponder: nonces.responder)
    }

    /// The key set of child `index`'s IKE SA when it holds the key children derive from
    /// (`derivationKey`: SK_d, SKEYID_d); nil, with the child's keying saying why, otherwise.
    func derivationKeys(
        child index: Int, version: IKESecurityAssociation.Version,
        _ derivationKey: KeyPath<IKESecurityAssociation, SecretBytes>
    ) -> IKESecurityAssociation? {
        guard let keyIndex = keyIndex(ikeSAs[children[index].ikeSAIndex].spis, version: version) else {
            children[index].keying = .noIKESAKeys
            return nil
        }
        let key = keys[keyIndex]
        guard !key[keyPath: derivationKey].isEmpty else {
            children[index].keying = .noDerivationKey(origin: key.origin)
            return nil
        }
        return key
    }

    /// RFC 7296 2.17: KEYMAT = prf+(SK_d, Ni | Nr); the requester-to-responder keys first.
    private func deriveKeys(child index: Int, nonceInitiator: [UInt8], nonceResponder: [UInt8]) {
        let child = children[index]
        let saIndex = child.ikeSAIndex
        let sa = ikeSAs[saIndex]
        guard let key = derivationKeys(child: index, version: .v2, \.skD) else { return }
        guard let prf = key.prf ?? inFlight.v2States[saIndex]?.prf else {
            children[index].keying = .prfUnknown
            return
        }
        guard let algorithms = child.derivableAlgorithms(else: &children[index].keying) else { return }
        guard child.protocolID == IKEv2ProtocolID.esp || child.protocolID == IKEv2ProtocolID.ah else {
            children[index].keying = .notESPOrAH(protocolID: child.protocolID)
            return
        }
        guard !nonceInitiator.isEmpty, !nonceResponder.isEmpty else {
            children[index].keying = .noncesMissing
            return
        }
        guard let requesterSPI = child.requesterSPI, let responderSPI = child.responderSPI else {
            children[index].keying = .spisMissing
            return
        }
        let derived: ChildSAKeys
        do throws(IKEKeyDerivationError) {
            derived = try ChildSAKeyDerivation.derive(
                prf: prf, skD: key.skD, nonceInitiator: nonceInitiator, nonceResponder: nonceResponder,
                encryptionKeyLength: algorithms.encryptionKeyLength,
                integrityKeyLength: algorithms.integrityKeyLength)
        } catch {
            children[index].keying = .derivationFailed(error)
            return
        }
        let origin = SAOrigin.derived(
            "derived from IKE SA \(sa.spis) (SK_d from \(key.origin))",
            terse: "SK_d of IKE SA \(sa.spis.initiator.ikeSPIHex.prefix(8))… (\(key.origin.named))")
        install(
            derived, child: index, algorithms: algorithms, requesterSPI: requesterSPI, responderSPI: responderSPI,
            origin: origin)
    }

    /// The CHILD_SA's two SAs, keyed from its KEYMAT, into the SAD.
    private func install(
        _ derived: ChildSAKeys, child index: Int, algorithms: NegotiatedChildAlgorithms, requesterSPI: SPI,
        responderSPI: SPI, origin: SAOrigin
    ) {
        let child = children[index]
        let ipsecProtocol: IPsecProtocol = child.protocolID == IKEv2ProtocolID.ah ? .ah : .esp
        func make(
            spi: SPI, from source: IPAddress, to destination: IPAddress, encryption: SecretBytes,
            integrity: SecretBytes, direction: String
        ) -> SecurityAssociation {
            var sa = SecurityAssociation(
                spi: spi, source: .exact(source), destination: .exact(destination),
                encryption: algorithms.encryption, encryptionKey: encryption,
                integrity: algorithms.integrity, integrityKey: integrity,
                extendedSequenceNumbers: algorithms.extendedSequenceNumbers, origin: origin)
            sa.ipsecProtocol = ipsecProtocol
            sa.mode = child.transportMode ? IPsecMode.transport : IPsecMode.tunnel
            sa.label = "CHILD_SA #\(index + 1) \(direction)"
            return sa
        }
        // Traffic requester→responder carries the SPI the responder chose.
        let outbound = make(
            spi: responderSPI, from: child.requester, to: child.responder,
            encryption: derived.initiatorEncryption, integrity: derived.initiatorIntegrity,
            direction: "requester→responder")
        let inbound = make(
            spi: requesterSPI, from: child.responder, to: child.requester,
            encryption: derived.responderEncryption, integrity: derived.responderIntegrity,
            direction: "responder→requester")
        children[index].keying = .derived
        for sa in [outbound, inbound] {
            derivedSAs.append(sa)
            onDerivedSA?(sa)
        }
    }

    /// Wraps up at the end of the capture: unanswered exchanges and IKE SAs that never got
    /// an answer.
    public func finish() {
        for saIndex in ikeSAs.indices {
            finishV1(saIndex)
            let exchanges = ikeSAs[saIndex].exchanges
            if ikeSAs[saIndex].state == .negotiating, !exchanges.isEmpty,
                exchanges.allSatisfy({ $0.responseTime == nil })
            {
                ikeSAs[saIndex].state = .noResponse
                let first = exchanges[0]
                let frame = first.request.flatMap { $0 < messages.count ? messages[$0].frames.first : nil }
                ikeSAs[saIndex].failureEvidence = .unansweredRequest(
                    first.type, frame: frame, timesSent: first.requestRetransmissions + 1)
            }
            // IKEv1 Informational messages are one-way (only an R-U-THERE awaits its ACK).
            // IKEv1 Informational exchanges are one-way: no response to miss.
            for (i, exchange) in exchanges.enumerated()
            where exchange.responseTime == nil && exchange.type != .v1(.informational) {
                ikeSAs[saIndex].exchanges[i].outcome = exchange.requestTime == nil ? .requestNotCaptured : .noResponse
            }
            for index in ikeSAs[saIndex].children where children[index].ikeSAIndex == saIndex {
                if !children[index].established && children[index].failure == nil {
                    children[index].failure = .noResponse
                }
            }
            if let evidence = keyEvidence(saIndex) { ikeSAs[saIndex].findings.append(.keysFailIntegrity(evidence)) }
            if inFlight.fragments.pendingCount > 0 {
                diagnose(.fragmentsNeverCompleted(inFlight.fragments.pendingCount))
            }
        }
    }
}

extension Collection where Element == IKEv2Payload {
    var nonce: [UInt8]? {
        for payload in self { if case .nonce(let n) = payload.body { return n } }
        return nil
    }

    var proposals: [IKEv2Proposal] {
        for payload in self { if case .securityAssociation(let p) = payload.body { return p } }
        return []
    }

    /// The first ESP or AH proposal.
    var firstChildProposal: IKEv2Proposal? {
        proposals.first { $0.protocolID == IKEv2ProtocolID.ah || $0.protocolID == IKEv2ProtocolID.esp }
    }

    func identification(type: UInt8) -> IKEIdentity? {
        for payload in self where payload.type == type {
            if case .identification(let id) = payload.body { return .v2(id) }
        }
        return nil
    }

    var authenticationMethod: IKEAuthenticationMethod? {
        for payload in self {
            if case .authentication(let method, _) = payload.body { return .v2(method) }
        }
        return nil
    }

    func selectorValues(type: UInt8) -> [IKEv2TrafficSelector] {
        for payload in self where payload.type == type {
            if case .trafficSelectors(let selectors) = payload.body { return selectors }
        }
        return []
    }
}

extension ChildSARecord {
    /// The algorithms to derive this CHILD_SA's keys for (IKEv1 and IKEv2 alike); nil, with
    /// `keying` set to why, when the record alone rules the derivation out: created with PFS, or
    /// its algorithms unknown or unsupported.
    func derivableAlgorithms(else keying: inout ChildSAKeying?) -> NegotiatedChildAlgorithms? {
        guard !perfectForwardSecrecy else {
            keying = .perfectForwardSecrecy
            return nil
        }
        guard let algorithms, algorithms.unsupported.isEmpty else {
            keying = .unsupportedAlgorithms(algorithms?.unsupported)
            return nil
        }
        return algorithms
    }
}
