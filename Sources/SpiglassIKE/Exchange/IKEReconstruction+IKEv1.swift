import SpiglassSAD
import SpiglassWire

/// One Quick Mode exchange in flight.
struct IKEv1QuickMode {
    var requesterIsInitiator: Bool
    var requester: IPAddress
    var responder: IPAddress
    var nonceInitiator: [UInt8] = []
    var nonceResponder: [UInt8] = []
    var requesterProposal: IKEv1Proposal?
    var responderProposal: IKEv1Proposal?
    var pfs = false
    /// The client IDs (IDci, IDcr).
    var identityValues: [IKEv1Identification] = []
    var child: Int?
    /// The requester's third message was seen, and the frames in which the responder sent its
    /// message 2 again after it (it never took message 3).
    var finalSeen = false
    var responderResentAfterFinal: [Int] = []
}

/// IKEv1 (RFC 2408/2409): Main, Aggressive, Quick, Informational and Transaction exchanges,
/// decrypted with the CBC IV chain and checked with the HASH payloads where keys allow.
extension IKEReconstruction {
    /// RFC 2408 3.1 flags.
    static let encryptionFlag: UInt8 = 0x01
    /// Fingerprints remembered per IKEv1 SA for retransmission detection.
    static let maxRememberedV1Messages = 256
    /// DPD R-U-THERE sequence numbers waiting for their ACK, per IKE SA.
    static let maxPendingDPD = 1024
    static let maxRememberedV1MessagesTotal = 50_000
    /// ISAKMP fragments (payload 132) held at once, over all SAs, and per message.
    static let maxPendingV1Fragments = 512
    static let maxV1FragmentsPerMessage = 64
    /// Fragment bytes held over all pending sets (a whole ISAKMP message is at most 64 KiB).
    static let maxV1FragmentBytes = 4 << 20

    func processV1(_ datagram: IKEDatagram, header: IKEHeader, frames: [Int]? = nil) -> IKEMessageRecord? {
        var record = IKEMessageRecord(
            frames: frames ?? [datagram.frame], time: datagram.time, header: header, source: datagram.source,
            destination: datagram.destination, sourcePort: datagram.sourcePort,
            destinationPort: datagram.destinationPort, transport: datagram.transport,
            length: datagram.range.count, payloads: .v1([]), decryptedFrom: nil, decryption: .notEncrypted,
            integrity: .unchecked, retransmission: false, ikeSAIndex: nil, exchangeIndex: nil, problems: [],
            isResponse: false, fromOriginalInitiator: true)
        var range = datagram.range
        if Int(header.length) >= IKEHeader.length && Int(header.length) < range.count {
            range = range.lowerBound..<(range.lowerBound + Int(header.length))
        }
        let message: IKEv1Message
        let cut = markCut(&record, datagram: datagram, header: header)
        switch IKEv1Parser.parseMessage(datagram.bytes, range: range, cutByCapture: cut) {
        case .success(let parsed): message = parsed
        case .failure(let problem):
            record.problems.append(.parse(problem))
            return keep(record)
        }
        record.problems += message.problems.map(IKEMessageProblem.parse)
        record.payloads = .v1(message.payloads)
        // Cisco/strongSwan fragmentation: each fragment carries a piece of the whole
        // (already encrypted) message; the last one completes it.
        if let first = message.payloads.first, case .fragment(let fragment) = first.body {
            return processV1Fragment(fragment, datagram: datagram)
        }
        guard let saIndex = v1SAIndex(for: record) else { return keep(record) }
        record.ikeSAIndex = saIndex
        let sa = ikeSAs[saIndex]
        record.fromOriginalInitiator =
            sa.initiator == record.source && sa.initiatorPort == record.sourcePort
            || (sa.initiator == record.source && sa.responder != record.source)
        ikeSAs[saIndex].lastTime = max(ikeSAs[saIndex].lastTime, record.time)
        let fingerprint = self.fingerprint(datagram.bytes, range)
        if let earlier = inFlight.v1States[saIndex]?.seen[fingerprint] {
            // The same bytes again: a retransmission, decoded as its first copy was.
            var copy = earlier
            copy.frames = record.frames
            copy.time = record.time
            copy.retransmission = true
            countV1Retransmission(copy, saIndex: saIndex)
            return keep(copy)
        }
        if message.isEncrypted {
            if cut {
                // Its last block, which the next message's IV chains from, was not captured either.
                record.decryption = .cutByCapture
            } else {
                decryptV1(&record, message: message, bytes: datagram.bytes, range: range, saIndex: saIndex)
            }
        }
        attachV1(&record, saIndex: saIndex, clearBytes: datagram.bytes)
        if !message.isEncrypted, record.header.exchangeType == .v1(.aggressiveMode) {
            // Aggressive Mode carries HASH_R (and in some implementations HASH_I) in the clear;
            // the message's own KE and ID, just filed, are part of what it covers.
            record.integrity = clearPhase1Integrity(record, saIndex: saIndex)
        }
        if inFlight.v1States[saIndex, default: IKEv1SAState()].seen.count < IKEReconstruction.maxRememberedV1Messages,
            usage.v1RememberedTotal < IKEReconstruction.maxRememberedV1MessagesTotal
        {
            usage.v1RememberedTotal += 1
            inFlight.v1States[saIndex, default: IKEv1SAState()].seen[fingerprint] = record
        }
        return keep(record)
    }

    private func processV1Fragment(_ fragment: IKEv1Fragment, datagram: IKEDatagram) -> IKEMessageRecord? {
        let cookie = IKEHeader.parse(datagram.bytes, range: datagram.range)?.initiatorSPI ?? 0
        let key = V1FragmentKey(
            initiatorCookie: cookie, source: datagram.source, sourcePort: datagram.sourcePort,
            id: fragment.id)
        let added = inFlight.v1Fragments.add(fragment, key: key, frame: datagram.frame)
        for problem in added.problems { diagnose(problem) }
        guard let (whole, frames) = added.whole else { return nil }
        guard let header = IKEHeader.parse(whole, range: 0..<whole.count), header.majorVersion == 1,
            whole.count <= 65_535
        else {
            diagnose(.v1ReassemblyNotISAKMP(frames: frames))
            return nil
        }
        var reassembled = datagram
        reassembled.bytes = whole
        reassembled.range = 0..<whole.count
        var record = processV1(reassembled, header: header, frames: frames)
        record?.length = whole.count
        return record
    }

    /// The IKEv1 SA a message belongs to, by initiator cookie; created on first sight.
    private func v1SAIndex(for record: IKEMessageRecord) -> Int? {
        let header = record.header
        for index in (lookups.ikeSAsByInitiatorSPI[header.initiatorSPI] ?? []).reversed()
        where ikeSAs[index].version == .v1 {
            if ikeSAs[index].spis.responder == 0 && header.responderSPI != 0 {
                learnResponderSPI(index, header.responderSPI)
            }
            return index
        }
        guard ikeSAs.count < limits.maxIKESAs else {
            diagnose(.tooManyIKESAs(limit: limits.maxIKESAs))
            return nil
        }
        // The first message seen is normally the initiator's; a capture that starts later
        // cannot tell, and says so through the exchange it files the message under.
        let sa = IKESARecord(
            version: .v1, spis: IKESPIPair(initiator: header.initiatorSPI, responder: header.responderSPI),
            initiator: record.source, responder: record.destination,
            initiatorPort: record.sourcePort, responderPort: record.destinationPort,
            firstTime: record.time, lastTime: record.time)
        let index = addIKESA(sa)
        inFlight.v1States[index] = IKEv1SAState()
        return index
    }

    // MARK: decryption

    private func decryptV1(
        _ record: inout IKEMessageRecord, message: IKEv1Message, bytes: [UInt8], range: Range<Int>, saIndex: Int
    ) {
        guard let keyIndex = keyIndex(record.spis, version: .v1) else {
            record.decryption = .noKeys
            return
        }
        guard let protection = v1Protection(saIndex: saIndex, keyIndex: keyIndex) else {
            record.decryption = .failed(.keysUnusable(inFlight.v1States[saIndex]?.protectionFailure))
            return
        }
        guard var ivState = v1IVState(saIndex: saIndex, blockSize: protection.blockSize) else {
            let cut = inFlight.v1States[saIndex]?.negotiated.keyExchangeCut == true
            record.decryption = .failed(.ivNeedsKEPayloads(cut: cut))
            return
        }
        let messageID = record.header.messageID
        let iv: [UInt8]
        do { iv = try ivState.ivForExchange(messageID: messageID) } catch {
            record.decryption = .failed(.v1(error))
            return
        }
        var result = protection.decrypt(message: bytes, messageRange: range, iv: iv)
        if case .failure = result, messageID != 0, let before = inFlight.v1States[saIndex]?.ivStateBeforeLastPhase1,
            let fallback = try? before.ivForExchange(messageID: messageID),
            case .success(let retried) = protection.decrypt(message: bytes, messageRange: range, iv: fallback)
        {
            // The sender never took in the last phase-1 message (it could not decrypt it).
            result = .success(retried)
            ivState = before
            record.problems.append(.ivBeforeLastPhase1Message)
        }
        switch result {
        case .failure(let error):
            record.decryption = .failed(.v1(error))
        case .success(let plain):
            if messageID == 0 { inFlight.v1States[saIndex]?.ivStateBeforeLastPhase1 = ivState }
            try? ivState.exchangeMessageDecrypted(messageID: messageID, lastBlock: plain.lastCiphertextBlock)
            inFlight.v1States[saIndex]?.ivState = ivState
            let chain = IKEv1Parser.parsePayloadChain(
                plain.decrypted, range: 0..<plain.payloadsLength, firstPayload: plain.firstPayloadType)
            record.decryption = .decrypted
            record.decryptedFrom = record.v1Payloads.count
            record.payloads.append(chain.payloads)
            record.problems += chain.problems.map(IKEMessageProblem.parse)
            record.integrity = v1Integrity(plain, record: record, protection: protection, saIndex: saIndex)
        }
    }

    private func v1Protection(saIndex: Int, keyIndex: Int) -> IKEv1MessageProtection? {
        switch inFlight.v1States[saIndex]?.protection {
        case .made(let existing): return existing
        case .unusable: return nil
        case .notMade, nil: break
        }
        let transform = inFlight.v1States[saIndex]?.negotiated.transform
        let encryption = transform.flatMap { t in
            t.encryptionAlgorithm.flatMap {
                IKEv1KeyDerivation.encryptionAlgorithm(attribute: $0, keyLengthBits: t.keyLength)
            }
        }
        let hash = transform?.hashAlgorithm.flatMap { IKEv1Hash(attribute: $0) }
        do {
            let made = try IKEv1MessageProtection(sa: keys[keyIndex], encryption: encryption, hash: hash)
            inFlight.v1States[saIndex]?.protection = .made(made)
            return made
        } catch {
            // Without the negotiated algorithms (SA payloads not captured) this may work later.
            if transform != nil {
                let why = IKEKeysUnusable(keys[keyIndex], .v1(error))
                inFlight.v1States[saIndex]?.protection = .unusable(why)
                diagnose(.keysUnusable(why))
            }
            return nil
        }
    }

    private func v1IVState(saIndex: Int, blockSize: Int) -> IKEv1IVState? {
        if let existing = inFlight.v1States[saIndex]?.ivState { return existing }
        guard let state = inFlight.v1States[saIndex], !state.negotiated.keInitiator.isEmpty,
            !state.negotiated.keResponder.isEmpty, let hash = state.madeProtection?.hash
        else { return nil }
        let made = try? IKEv1IVState(
            hash: hash, keInitiator: state.negotiated.keInitiator, keResponder: state.negotiated.keResponder,
            blockSize: blockSize)
        inFlight.v1States[saIndex]?.ivState = made
        return made
    }

    /// HASH payloads (RFC 2409 5.5, 5.7) where the key file gives SKEYID_a; `unchecked`
    /// otherwise (Wireshark's table gives only the encryption key).
    private func v1Integrity(
        _ plain: IKEv1Plaintext, record: IKEMessageRecord, protection: IKEv1MessageProtection, saIndex: Int
    ) -> IKEIntegrityVerdict {
        let kind: IKEv1HashKind
        var nonces: ([UInt8], [UInt8]) = ([], [])
        switch record.header.exchangeType {
        case .v1(.quickMode):
            let qm = inFlight.v1States[saIndex]?.quickModes[record.header.messageID]
            let inner = record.v1Payloads[(record.decryptedFrom ?? 0)...]
            if qm == nil || (qm?.nonceInitiator.isEmpty ?? true) {
                kind = .quickMode1
            } else if qm?.nonceResponder.isEmpty ?? true {
                kind = .quickMode2
                nonces = (qm!.nonceInitiator, [])
            } else if inner.count == 1 {
                kind = .quickMode3
                nonces = (qm!.nonceInitiator, qm!.nonceResponder)
            } else {
                kind = .quickMode2
                nonces = (qm!.nonceInitiator, [])
            }
        case .v1(.informational), .v1(.transaction):
            kind = .informational
        case .v1(.mainMode), .v1(.aggressiveMode):
            return v1Phase1Integrity(record, protection: protection, saIndex: saIndex)
        default:
            return .unchecked
        }
        do {
            let status = try protection.verifyHash(
                kind: kind, plaintext: plain, nonceInitiator: nonces.0, nonceResponder: nonces.1)
            return status == .ok ? .ok : .unchecked
        } catch {
            return error.code == .hashMismatch ? .failed : .unchecked
        }
    }

    /// HASH_I / HASH_R of Main and Aggressive Mode (pre-shared keys; signatures are not
    /// checked here). The identity is the message's own ID payload or, in Aggressive Mode's
    /// third message, which has none, the one its sender gave in the first (RFC 2409 5:
    /// HASH_I covers IDii_b).
    private func v1Phase1Integrity(_ record: IKEMessageRecord, protection: IKEv1MessageProtection, saIndex: Int)
        -> IKEIntegrityVerdict
    {
        guard let state = inFlight.v1States[saIndex]?.negotiated, !state.initiatorSABody.isEmpty else {
            return .unchecked
        }
        let inner = record.v1Payloads[(record.decryptedFrom ?? 0)...]
        guard let hashPayload = inner.first(where: { $0.type == IKEv1PayloadType.hash }),
            case .hash(let received) = hashPayload.body
        else { return .unchecked }
        let identityBody: [UInt8]
        if let id = inner.first(where: { $0.type == IKEv1PayloadType.identification }),
            case .identification(let identity) = id.body
        {
            identityBody = identity.bodyBytes
        } else if let earlier = record.fromOriginalInitiator
            ? state.identityBodies.initiator : state.identityBodies.responder
        {
            identityBody = earlier
        } else {
            return .unchecked
        }
        guard
            let computed = try? protection.phase1Hash(
                sentByInitiator: record.fromOriginalInitiator, keInitiator: state.keInitiator,
                keResponder: state.keResponder, initiatorCookie: record.header.initiatorSPI,
                responderCookie: record.header.responderSPI,
                saInitiatorBody: state.initiatorSABody, identityBody: identityBody)
        else { return .unchecked }
        return IKEv1MessageProtection.hashesMatch(computed, received[...]) ? .ok : .failed
    }

    private func clearPhase1Integrity(_ record: IKEMessageRecord, saIndex: Int) -> IKEIntegrityVerdict {
        guard record.v1Payloads.contains(where: { $0.type == IKEv1PayloadType.hash }),
            let keyIndex = keyIndex(record.spis, version: .v1),
            let protection = v1Protection(saIndex: saIndex, keyIndex: keyIndex)
        else { return .unchecked }
        return v1Phase1Integrity(record, protection: protection, saIndex: saIndex)
    }

    /// Frames kept as evidence of one kind (the report names the first few).
    static let maxEvidenceFrames = 16

    private func countV1Retransmission(_ record: IKEMessageRecord, saIndex: Int) {
        guard let exchange = record.exchangeIndex, exchange < ikeSAs[saIndex].exchanges.count else { return }
        if record.isResponse {
            ikeSAs[saIndex].exchanges[exchange].responseRetransmissions += 1
        } else {
            ikeSAs[saIndex].exchanges[exchange].requestRetransmissions += 1
        }
        // A responder that sends its last message again after the requester's next one did not
        // take that next message: evidence for the outcome.
        let frame = record.frames.last ?? 0
        switch record.header.exchangeType {
        case .v1(.mainMode), .v1(.aggressiveMode):
            if record.isResponse { inFlight.v1States[saIndex]?.phase1ResentByResponder(frame: frame) }
        case .v1(.quickMode):
            if record.isResponse {
                inFlight.v1States[saIndex]?.quickModeResentByResponder(messageID: record.header.messageID, frame: frame)
            }
        default:
            break
        }
    }
}
