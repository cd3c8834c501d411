import SpiglassCapture
import SpiglassSAD
import SpiglassWire

/// IKEv1 exchanges and what each one changes: phase 1 (Main, Aggressive), Quick Mode CHILD_SAs
/// with keys from SKEYID_d, Informational (notifications, deletes, DPD) and Transaction
/// (XAUTH, Mode Config).
extension IKEReconstruction {
    /// Mode Config / XAUTH attributes (draft-ietf-ipsec-isakmp-xauth, -mode-cfg).
    enum V1ConfigAttribute {
        static let internalIP4Address: UInt16 = 1
        static let xauthFirst: UInt16 = 16520
        static let xauthLast: UInt16 = 16531
        static let xauthStatus: UInt16 = 16527
    }

    /// Mode Config message types (draft-ietf-ipsec-isakmp-mode-cfg-05 3.2).
    enum V1ConfigType {
        static let set: UInt8 = 3
    }

    /// IPsec DOI encapsulation modes that are transport mode: Transport (RFC 2407 4.5),
    /// UDP-Encapsulated-Transport (RFC 3947) and its draft value.
    static let v1TransportModes: Set<UInt16> = [2, 4, 61444]

    func attachV1(_ record: inout IKEMessageRecord, saIndex: Int, clearBytes: [UInt8]) {
        let header = record.header
        let opened = record.decryption == .decrypted || record.decryption == .notEncrypted
        let content = opened ? record.v1Payloads : []
        switch header.exchangeType {
        case .v1(.mainMode), .v1(.aggressiveMode):
            phase1Message(&record, saIndex: saIndex, content: content, clearBytes: clearBytes)
        case .v1(.quickMode):
            quickModeMessage(&record, saIndex: saIndex, content: content)
        case .v1(.informational):
            informationalMessage(&record, saIndex: saIndex, content: content)
        case .v1(.transaction):
            transactionMessage(&record, saIndex: saIndex, content: content)
        default:
            let index = v1Exchange(saIndex, record: record)
            place(&record, saIndex: saIndex, exchange: index)
        }
    }

    /// The exchange for the message's ID, created with the message as its request.
    private func v1Exchange(_ saIndex: Int, record: IKEMessageRecord) -> Int? {
        let messageID = record.header.messageID
        if let existing = inFlight.v1States[saIndex]?.exchangeByMessageID[messageID],
            ikeSAs[saIndex].exchanges[existing].type == record.header.exchangeType
        {
            return existing
        }
        guard usage.exchangeCount < limits.maxExchanges, ikeSAs[saIndex].exchanges.count < limits.maxExchangesPerIKESA
        else {
            diagnose(.tooManyV1Exchanges(perIKESA: limits.maxExchangesPerIKESA, total: limits.maxExchanges))
            return nil
        }
        usage.exchangeCount += 1
        ikeSAs[saIndex].exchanges.append(
            IKEExchangeRecord(
                type: record.header.exchangeType, messageID: messageID,
                requestedByInitiator: record.fromOriginalInitiator))
        let index = ikeSAs[saIndex].exchanges.count - 1
        inFlight.v1States[saIndex]?.exchangeByMessageID[messageID] = index
        return index
    }

    /// Files the message in its exchange: the first message is the request, the first one
    /// from the other side the response.
    private func place(_ record: inout IKEMessageRecord, saIndex: Int, exchange: Int?) {
        guard let exchange else { return }
        record.exchangeIndex = exchange
        let messageIndex =
            messages.count < limits.maxMessagesKept
                && usage.keptMessageBytes + record.length <= limits.maxMessageBytesKept
            ? messages.count : nil
        if let messageIndex { ikeSAs[saIndex].exchanges[exchange].messages.append(messageIndex) }
        let requester = ikeSAs[saIndex].exchanges[exchange].requestedByInitiator
        record.isResponse = record.fromOriginalInitiator != requester
        if record.isResponse {
            if ikeSAs[saIndex].exchanges[exchange].responseTime == nil {
                ikeSAs[saIndex].exchanges[exchange].response = messageIndex
                ikeSAs[saIndex].exchanges[exchange].responseTime = record.time
            }
        } else if ikeSAs[saIndex].exchanges[exchange].requestTime == nil {
            ikeSAs[saIndex].exchanges[exchange].request = messageIndex
            ikeSAs[saIndex].exchanges[exchange].requestTime = record.time
        }
    }

    // MARK: phase 1

    private func phase1Message(
        _ record: inout IKEMessageRecord, saIndex: Int, content: [IKEv1Payload], clearBytes: [UInt8]
    ) {
        let exchange = v1Exchange(saIndex, record: record)
        place(&record, saIndex: saIndex, exchange: exchange)
        let fromInitiator = record.fromOriginalInitiator
        let aggressive = record.header.exchangeType == .v1(.aggressiveMode)
        let frame = record.frames.last
        let complete =
            inFlight.v1States[saIndex]?.phase1Message(
                fromInitiator: fromInitiator, aggressive: aggressive, frame: frame) == true
        // The NAT-D hashes of this message: the first one is the receiver's address, the
        // others the sender's own.
        var natD: [[UInt8]] = []
        for payload in content {
            switch payload.body {
            case .securityAssociation(let sa):
                if fromInitiator {
                    if payload.range.upperBound <= clearBytes.count, record.decryptedFrom == nil {
                        inFlight.v1States[saIndex]?.negotiated.initiatorSABody = Array(clearBytes[payload.bodyRange])
                    }
                } else if let transform = sa.proposals.first?.transforms.first {
                    inFlight.v1States[saIndex]?.negotiated.transform = transform
                    ikeSAs[saIndex].proposal = .v1(transform)
                    ikeSAs[saIndex].findings += WeakAlgorithms.findings(transform, aggressive: aggressive)
                    if let method = transform.authenticationMethod {
                        ikeSAs[saIndex].initiatorAuthentication = .v1(method)
                        ikeSAs[saIndex].responderAuthentication = .v1(method)
                    }
                    if let group = transform.group { ikeSAs[saIndex].keyExchangeGroup = .v1(group) }
                }
            case .keyExchange(let ke):
                if fromInitiator {
                    inFlight.v1States[saIndex]?.negotiated.keInitiator = ke
                } else {
                    inFlight.v1States[saIndex]?.negotiated.keResponder = ke
                }
            case .malformed(let problem)
            where problem.code == .cutByCapture && payload.type == IKEv1PayloadType.keyExchange:
                inFlight.v1States[saIndex]?.negotiated.keyExchangeCut = true
            case .identification(let id):
                if fromInitiator {
                    ikeSAs[saIndex].initiatorIdentity = .v1(id)
                    inFlight.v1States[saIndex]?.negotiated.identityBodies.initiator = id.bodyBytes
                } else {
                    ikeSAs[saIndex].responderIdentity = .v1(id)
                    inFlight.v1States[saIndex]?.negotiated.identityBodies.responder = id.bodyBytes
                }
            case .natDiscovery(let hash):
                noteNATDiscovery(record, hash: hash, saIndex: saIndex, earlier: &natD)
            case .vendorID(let bytes):
                if case .known(let name) = ikeSAs[saIndex].noteVendorID(bytes),
                    name.lowercased().contains("fragmentation")
                {
                    ikeSAs[saIndex].fragmentationSupported = true
                }
            default:
                continue
            }
        }
        if let exchange, complete {
            v1Established(saIndex)
            ikeSAs[saIndex].exchanges[exchange].succeeded = true
            ikeSAs[saIndex].exchanges[exchange].outcome = .ok
        }
    }

    /// Phase 1 completed, or a later exchange shows it did.
    private func v1Established(_ saIndex: Int) {
        if inFlight.v1States[saIndex]?.established() == true { ikeSAs[saIndex].state = .established }
    }

    /// RFC 3947 3.2: NAT-D = HASH(CKY-I | CKY-R | IP | Port); the first NAT-D of a message
    /// is the peer's address as the sender sees it, the next ones the sender's own.
    /// `earlier` holds the message's NAT-D hashes read before this one.
    private func noteNATDiscovery(
        _ record: IKEMessageRecord, hash: [UInt8], saIndex: Int, earlier: inout [[UInt8]]
    ) {
        let transform = inFlight.v1States[saIndex]?.negotiated.transform
        guard let algorithm = transform?.hashAlgorithm.flatMap({ IKEv1Hash(attribute: $0) }) else { return }
        let isFirst = earlier.isEmpty
        func expected(_ address: IPAddress, _ port: UInt16) -> [UInt8]? {
            try? algorithm.digest(
                NATDetection.input(
                    initiatorSPI: record.header.initiatorSPI, responderSPI: record.header.responderSPI,
                    address: address, port: port))
        }
        if isFirst {
            earlier = [hash]
            // The destination hash: a mismatch means the receiver's address was translated.
            let matches = expected(record.destination, record.destinationPort) == hash
            if !matches { setBehindNAT(saIndex, initiator: !record.fromOriginalInitiator) }
            if ikeSAs[saIndex].initiatorBehindNAT == nil { ikeSAs[saIndex].initiatorBehindNAT = false }
            if ikeSAs[saIndex].responderBehindNAT == nil { ikeSAs[saIndex].responderBehindNAT = false }
        } else {
            // Source hashes: the sender lists its own addresses; none matching means its
            // address was translated (checked once the last NAT-D of the message is in).
            earlier.append(hash)
            let own = expected(record.source, record.sourcePort)
            if !earlier.dropFirst().contains(where: { $0 == own }) {
                setBehindNAT(saIndex, initiator: record.fromOriginalInitiator)
            }
        }
    }

    private func setBehindNAT(_ saIndex: Int, initiator: Bool) {
        if initiator { ikeSAs[saIndex].initiatorBehindNAT = true } else { ikeSAs[saIndex].responderBehindNAT = true }
    }

    // MARK: Quick Mode

    private func quickModeMessage(_ record: inout IKEMessageRecord, saIndex: Int, content: [IKEv1Payload]) {
        let messageID = record.header.messageID
        let exchange = v1Exchange(saIndex, record: record)
        if let exchange, ikeSAs[saIndex].exchanges[exchange].purpose == nil {
            ikeSAs[saIndex].exchanges[exchange].purpose = .newChildSA
        }
        place(&record, saIndex: saIndex, exchange: exchange)
        v1Established(saIndex)
        var qm =
            inFlight.v1States[saIndex]?.quickModes[messageID]
            ?? IKEv1QuickMode(
                requesterIsInitiator: record.fromOriginalInitiator, requester: record.source,
                responder: record.destination)
        let inner = record.decryptedFrom.map { Array(content[$0...]) } ?? []
        let proposal = inner.lazy.compactMap { payload -> IKEv1Proposal? in
            if case .securityAssociation(let sa) = payload.body { return sa.proposals.first } else { return nil }
        }.first
        let nonce = inner.lazy.compactMap { payload -> [UInt8]? in
            if case .nonce(let n) = payload.body { return n } else { return nil }
        }.first
        let hasKE = inner.contains { $0.type == IKEv1PayloadType.keyExchange }
        let identityValues = inner.compactMap { payload -> IKEv1Identification? in
            if case .identification(let id) = payload.body { return id } else { return nil }
        }
        if !record.isResponse, let exchange, ikeSAs[saIndex].exchanges[exchange].responseTime != nil {
            qm.finalSeen = true
        }
        if record.isResponse, let exchange, record.decryption != .decrypted, record.decryption != .notEncrypted,
            qm.child == nil
        {
            ikeSAs[saIndex].exchanges[exchange].outcome = .responseNotDecrypted(record.decryption)
        }
        if !record.isResponse, qm.nonceInitiator.isEmpty, let nonce {
            qm.nonceInitiator = nonce
            qm.requesterProposal = proposal
            qm.pfs = hasKE
            qm.identityValues = identityValues
        } else if record.isResponse, qm.nonceResponder.isEmpty, let nonce {
            qm.nonceResponder = nonce
            qm.responderProposal = proposal
            qm.pfs = qm.pfs && hasKE
            if !identityValues.isEmpty {
                qm.identityValues = identityValues
            }
            if let exchange {
                qm.child = establishV1Child(qm, saIndex: saIndex, exchange: exchange)
                ikeSAs[saIndex].exchanges[exchange].succeeded = qm.child != nil
                ikeSAs[saIndex].exchanges[exchange].outcome = qm.child != nil ? .ok : .noSAPayloadInResponse
                if let child = qm.child, children[child].rekeyOf != nil {
                    ikeSAs[saIndex].exchanges[exchange].purpose = .rekeyChildSA
                }
            }
        }
        inFlight.v1States[saIndex]?.file(qm, messageID: messageID)
    }

    private func establishV1Child(_ qm: IKEv1QuickMode, saIndex: Int, exchange: Int) -> Int? {
        guard let responderProposal = qm.responderProposal, let transform = responderProposal.transforms.first else {
            return nil
        }
        guard children.count < limits.maxChildSAs else {
            diagnose(.tooManyChildSAs(limit: limits.maxChildSAs))
            return nil
        }
        var child = ChildSARecord(
            ikeSAIndex: saIndex, createdBy: exchange, createdByType: .v1(.quickMode),
            requestedByInitiator: qm.requesterIsInitiator,
            requesterSPI: qm.requesterProposal?.spi.childSPI, responderSPI: responderProposal.spi.childSPI,
            requester: qm.requester, responder: qm.responder)
        child.protocolID = responderProposal.protocolID
        child.established = true
        child.proposal = .v1(transform)
        child.algorithms = NegotiatedChildAlgorithms(ikev1: transform)
        child.transportMode = Self.v1TransportModes.contains(transform.encapsulationMode ?? 1)
        child.perfectForwardSecrecy = qm.pfs
        if qm.pfs, let group = transform.group { child.keyExchangeGroup = .v1(group) }
        child.quickModeIdentities = Array(qm.identityValues.prefix(2))
        // IKEv1 has no REKEY_SA: a new Quick Mode for the same pair of client IDs (protocol and
        // port included), or like the old one without a pair, replaces the old one.
        let clientIDs = child.quickModeIdentities.count == 2 ? child.quickModeIdentities : []
        child.rekeyOf = ikeSAs[saIndex].children.last { index in
            let old = children[index]
            return old.established && !old.deleted && old.rekeyedBy == nil
                && (old.quickModeIdentities.count == 2 ? old.quickModeIdentities : []) == clientIDs
        }
        if !qm.pfs && child.rekeyOf != nil {
            ikeSAs[saIndex].findings.append(
                .childSAWithoutPFS(rekeyed: true, requesterSPI: child.requesterSPI, responderSPI: child.responderSPI))
        }
        let index = children.count
        children.append(child)
        ikeSAs[saIndex].children.append(index)
        if let old = child.rekeyOf { children[old].rekeyedBy = index }
        noteChildSPIs(child.spis, index: index)
        deriveV1Keys(child: index, quickMode: qm)
        return index
    }

    /// RFC 2409 5.5: KEYMAT = prf(SKEYID_d, protocol | SPI | Ni_b | Nr_b), one per SPI: the
    /// SA that a side receives on is keyed with its own SPI.
    private func deriveV1Keys(child index: Int, quickMode qm: IKEv1QuickMode) {
        let child = children[index]
        let sa = ikeSAs[child.ikeSAIndex]
        guard let key = derivationKeys(child: index, version: .v1, \.skeyidD) else { return }
        guard
            let hash = key.prf.flatMap(IKEv1Hash.init(prf:))
                ?? inFlight.v1States[child.ikeSAIndex]?.negotiated.transform?.hashAlgorithm.flatMap({
                    IKEv1Hash(attribute: $0)
                })
        else {
            children[index].keying = .prfUnknown
            return
        }
        guard let algorithms = child.derivableAlgorithms(else: &children[index].keying) else { return }
        guard let requesterSPI = child.requesterSPI, let responderSPI = child.responderSPI else {
            children[index].keying = .spisMissing
            return
        }
        let origin = SAOrigin.derived(
            "derived from IKEv1 SA \(sa.spis) (SKEYID_d from \(key.origin))",
            terse: "SKEYID_d of IKEv1 SA \(sa.spis.initiator.ikeSPIHex.prefix(8))… (\(key.origin.named))")
        func make(spi: SPI, from source: IPAddress, to destination: IPAddress, direction: String)
            throws(IKEKeyDerivationError) -> SecurityAssociation
        {
            let keys = try IKEv1KeyDerivation.quickModeKeys(
                hash: hash, skeyidD: key.skeyidD, protocolID: child.protocolID,
                spi: spi.rawValue.bigEndianBytes, nonceInitiator: qm.nonceInitiator,
                nonceResponder: qm.nonceResponder,
                encryptionKeyLength: algorithms.encryptionKeyLength,
                integrityKeyLength: algorithms.integrityKeyLength)
            var made = SecurityAssociation(
                spi: spi, source: .exact(source), destination: .exact(destination),
                encryption: algorithms.encryption, encryptionKey: keys.encryption,
                integrity: algorithms.integrity, integrityKey: keys.integrity,
                extendedSequenceNumbers: algorithms.extendedSequenceNumbers, origin: origin)
            made.ipsecProtocol = child.protocolID == IKEv1Names.protoAH ? IPsecProtocol.ah : IPsecProtocol.esp
            made.mode = child.transportMode ? IPsecMode.transport : IPsecMode.tunnel
            made.label = "CHILD_SA #\(index + 1) \(direction)"
            return made
        }
        do throws(IKEKeyDerivationError) {
            let outbound = try make(
                spi: responderSPI, from: child.requester, to: child.responder, direction: "requester→responder")
            let inbound = try make(
                spi: requesterSPI, from: child.responder, to: child.requester, direction: "responder→requester")
            children[index].keying = .derived
            for sa in [outbound, inbound] {
                derivedSAs.append(sa)
                onDerivedSA?(sa)
            }
        } catch {
            children[index].keying = .derivationFailed(error)
        }
    }

    // MARK: Informational and Transaction

    private func informationalMessage(_ record: inout IKEMessageRecord, saIndex: Int, content: [IKEv1Payload]) {
        var parts: [IKEInformationalContent] = []
        var ackOf: Int?
        for payload in content {
            switch payload.body {
            case .notification(let notify):
                let sequence = notify.data.count == 4 ? notify.data.be32Value : nil
                if notify.notifyType == .rUThereAck, let sequence,
                    let pending = inFlight.v1States[saIndex]?.pendingDPD.removeValue(forKey: sequence)
                {
                    ackOf = pending
                }
                switch notify.notifyType {
                case .rUThere: parts.append(.dpdRequest)
                case .rUThereAck: parts.append(.dpdAck)
                default: parts.append(.notify(.v1(notify.notifyType)))
                }
                if notify.isError { phase1Refused(notify, record: record, saIndex: saIndex) }
            case .delete(let delete):
                parts.append(delete.protocolID == IKEv1Names.protoISAKMP ? .deleteIKESA : .deleteChildSA)
                applyV1Delete(delete, saIndex: saIndex, at: record.time)
            default:
                continue
            }
        }
        if let ackOf {
            // The ACK answers an R-U-THERE sent with another message ID: one exchange for both.
            place(&record, saIndex: saIndex, exchange: ackOf)
            record.isResponse = true
            ikeSAs[saIndex].exchanges[ackOf].succeeded = true
            ikeSAs[saIndex].exchanges[ackOf].outcome = .ok
            return
        }
        let exchange = v1Exchange(saIndex, record: record)
        place(&record, saIndex: saIndex, exchange: exchange)
        guard let exchange else { return }
        switch record.decryption {
        case .noKeys, .failed: ikeSAs[saIndex].exchanges[exchange].purpose = .unreadInformational(record.decryption)
        default: ikeSAs[saIndex].exchanges[exchange].purpose = .informational(parts)
        }
        // Informational exchanges are one message; there is no response to wait for.
        ikeSAs[saIndex].exchanges[exchange].succeeded = true
        ikeSAs[saIndex].exchanges[exchange].outcome =
            content.lazy.compactMap { payload -> IKEExchangeOutcome? in
                guard case .notification(let n) = payload.body, n.isError else { return nil }
                return .notify(.v1(n.notifyType))
            }.first ?? .oneWay
        for payload in content {
            if case .notification(let notify) = payload.body, notify.notifyType == .rUThere, notify.data.count == 4,
                inFlight.v1States[saIndex]?.pendingDPD.count ?? 0 < IKEReconstruction.maxPendingDPD
            {
                inFlight.v1States[saIndex]?.pendingDPD[notify.data.be32Value] = exchange
                ikeSAs[saIndex].exchanges[exchange].outcome = .noDPDAck
                ikeSAs[saIndex].exchanges[exchange].succeeded = false
            }
        }
    }

    /// An error notification while phase 1 negotiates: the answer to phase 1, sent in an
    /// Informational exchange of its own.
    private func phase1Refused(_ notify: IKEv1Notification, record: IKEMessageRecord, saIndex: Int) {
        guard inFlight.v1States[saIndex]?.refused() == true else { return }
        ikeSAs[saIndex].state = .failed(
            .notify(.v1(notify.notifyType), sentBy: IKEPeer(sentByInitiator: record.fromOriginalInitiator)))
        ikeSAs[saIndex].failureEvidence = .informational(frames: record.frames)
        guard let phase1 = inFlight.v1States[saIndex]?.exchangeByMessageID[0] else { return }
        ikeSAs[saIndex].exchanges[phase1].outcome = .refusedInInformational(
            notify.notifyType, frame: record.frames.last)
        if ikeSAs[saIndex].exchanges[phase1].responseTime == nil {
            ikeSAs[saIndex].exchanges[phase1].responseTime = record.time
        }
    }

    private func applyV1Delete(_ delete: IKEv1Delete, saIndex: Int, at time: Timestamp) {
        if delete.protocolID == IKEv1Names.protoISAKMP {
            if inFlight.v1States[saIndex]?.deleted() == true { ikeSAs[saIndex].state = .deleted }
            for child in ikeSAs[saIndex].children { children[child].noteDeleted(at: time) }
        } else {
            for spi in delete.spis where spi.count == 4 {
                if let child = lookups.childBySPI[SPI(spi.be32Value)], children[child].ikeSAIndex == saIndex {
                    children[child].noteDeleted(at: time)
                }
            }
        }
    }

    /// At the end: a phase 1 that never completed failed, and if the responder's
    /// notifications would not decrypt, the two sides most likely derived different keys.
    func finishV1(_ saIndex: Int) {
        guard ikeSAs[saIndex].version == .v1, let state = inFlight.v1States[saIndex] else { return }
        finishQuickModes(saIndex, state: state)
        guard case .negotiating(let progress) = state.phase, let phase1 = state.exchangeByMessageID[0] else { return }
        var failure = IKEv1Phase1Failure(
            aggressive: ikeSAs[saIndex].exchanges[phase1].type == .v1(.aggressiveMode),
            messages: progress.messages, evidence: .none)
        guard failure.messages < failure.needed else { return }
        let undecryptable = ikeSAs[saIndex].exchanges.contains { exchange in
            guard exchange.type == .v1(.informational), !exchange.requestedByInitiator,
                case .unreadInformational(.failed) = exchange.purpose
            else { return false }
            return true
        }
        if let last = progress.lastInitiatorFrame, !progress.responderResent.isEmpty {
            failure.evidence = .responderResent(frames: progress.responderResent, after: last)
        } else if undecryptable {
            failure.evidence = .notificationsUndecryptable
        }
        ikeSAs[saIndex].state = progress.messages <= 1 ? .noResponse : .failed(.phase1Incomplete(failure))
        ikeSAs[saIndex].exchanges[phase1].outcome = .phase1Incomplete(failure)
    }

    /// A Quick Mode whose responder sent message 2 again after the requester's message 3
    /// never completed on the responder's side, whatever the requester thinks.
    private func finishQuickModes(_ saIndex: Int, state: IKEv1SAState) {
        for (messageID, qm) in state.quickModes where !qm.responderResentAfterFinal.isEmpty {
            guard let exchange = state.exchangeByMessageID[messageID] else { continue }
            ikeSAs[saIndex].exchanges[exchange].succeeded = false
            let resent = qm.responderResentAfterFinal
            ikeSAs[saIndex].exchanges[exchange].outcome = .quickModeUnconfirmed(resentFrames: resent)
        }
    }

    private func transactionMessage(_ record: inout IKEMessageRecord, saIndex: Int, content: [IKEv1Payload]) {
        let exchange = v1Exchange(saIndex, record: record)
        place(&record, saIndex: saIndex, exchange: exchange)
        guard let exchange else { return }
        for payload in content {
            guard case .attributes(let config) = payload.body else { continue }
            let xauth = config.attributes.contains {
                (V1ConfigAttribute.xauthFirst...V1ConfigAttribute.xauthLast).contains($0.type)
            }
            let address = config.attributes.first {
                $0.type == V1ConfigAttribute.internalIP4Address && $0.value.count == 4
            }
            let purpose = IKEExchangePurpose.transaction(xauth: xauth, internalAddress: address?.value)
            if (purpose.transactionRank ?? 0) > (ikeSAs[saIndex].exchanges[exchange].purpose?.transactionRank ?? -1) {
                ikeSAs[saIndex].exchanges[exchange].purpose = purpose
            }
            // The status rides in the responder's SET; the ACK only echoes the attribute.
            if config.type == V1ConfigType.set,
                let status = config.attributes.first(where: { $0.type == V1ConfigAttribute.xauthStatus })
            {
                let ok = status.integerValue == 1
                ikeSAs[saIndex].exchanges[exchange].outcome = .xauth(succeeded: ok)
                if !ok { ikeSAs[saIndex].findings.append(.xauthFailed) }
            }
        }
        if record.isResponse {
            ikeSAs[saIndex].exchanges[exchange].succeeded = true
            if ikeSAs[saIndex].exchanges[exchange].outcome == .noResponse {
                ikeSAs[saIndex].exchanges[exchange].outcome = .ok
            }
        }
    }
}

extension UInt32 {
    var bigEndianBytes: [UInt8] {
        [UInt8(self >> 24), UInt8((self >> 16) & 0xff), UInt8((self >> 8) & 0xff), UInt8(self & 0xff)]
    }
}

extension IKEv1Identification {
    /// The ID payload body as HASH_I/HASH_R cover it: type, protocol, port, data.
    var bodyBytes: [UInt8] { [type, protocolID, UInt8(port >> 8), UInt8(port & 0xff)] + data }
}
