import SpiglassSAD
import SpiglassWire

/// Key sets whose source does not name their IKE SA (a charon log shows the SPIs of an IKE SA
/// made by a rekey only with `mgr` at level 2) are bound to the IKE SA of the capture whose
/// messages verify with them: the first encrypted message of an IKE SA without keys is tried
/// with each unbound key set, and an integrity check (HMAC or AEAD tag) that passes binds
/// the set to that SA's SPIs for the rest of the run. A key set without integrity keys is
/// never bound this way: decryption alone proves nothing.
extension IKEReconstruction {
    /// Tries per IKE SA (a corrupted first message gets another chance), and in all: a
    /// capture of many IKE SAs without keys cannot make every message cost every key set.
    static let maxBindingAttemptsPerIKESA = 3
    static let maxBindingTrials = 100_000

    func bindByIntegrity(_ datagram: IKEDatagram, payloadOffset: Int, header: IKEHeader) -> Int? {
        guard !keyRing.unbound.isEmpty, header.isIKEv2, header.responderSPI != 0 else { return nil }
        let pair = IKESPIPair(initiator: header.initiatorSPI, responder: header.responderSPI)
        let attempts = keyRing.bindingAttempts[pair, default: 0]
        guard attempts < Self.maxBindingAttemptsPerIKESA, keyRing.bindingAttempts.count < limits.maxIKESAs else {
            return nil
        }
        keyRing.bindingAttempts[pair] = attempts + 1
        for keyIndex in keyRing.unbound {
            guard keyRing.bindingTrials < Self.maxBindingTrials else {
                diagnose(.bindingStopped(attempts: Self.maxBindingTrials))
                return nil
            }
            keyRing.bindingTrials += 1
            guard let protection = protection(keyIndex) else { continue }
            guard
                case .success(let plain) = protection.open(
                    message: datagram.bytes, messageRange: datagram.range,
                    encryptedPayloadOffset: payloadOffset, sentByInitiator: header.isInitiator),
                plain.integrity == .ok
            else { continue }
            bind(keyIndex, to: pair)
            return keyIndex
        }
        return nil
    }

    private func bind(_ keyIndex: Int, to pair: IKESPIPair) {
        keyRing.bind(keyIndex, to: pair)
        if let saIndex = (lookups.ikeSAsByInitiatorSPI[pair.initiator] ?? []).last(where: { ikeSAs[$0].spis == pair }) {
            ikeSAs[saIndex].keysKnown = true
            ikeSAs[saIndex].keysBoundByIntegrity = true
        }
    }
}
