import SpiglassSAD

/// What the integrity checks of an IKE SA's encrypted messages say about the keys given for
/// it: whose messages fail, and whether the key file has the two peers' keys swapped.
extension IKEReconstruction {
    /// The finding for IKE SA `saIndex`, or nil when no message failed.
    func keyFinding(_ saIndex: Int) -> String? {
        let sa = ikeSAs[saIndex]
        let failed = sa.integrityFailed
        let passed = sa.integrityPassed
        guard failed.total > 0 else { return nil }
        let count = "\(failed.total) encrypted message(s)"
        guard sa.version == .v2 else {
            return "\(count) fail their HASH check: SKEYID_a is wrong, or the peers' pre-shared keys differ"
        }
        let aead = keyIndex(sa.spis, version: .v2).map { keys[$0].encryption?.isAEAD ?? false } ?? false
        let initiatorKeys = aead ? "SK_ei" : "SK_ai/SK_ei"
        let responderKeys = aead ? "SK_er" : "SK_ar/SK_er"
        if sa.integrityWithSwappedKeys == failed.total {
            return
                "\(count) fail integrity but verify with the other peer's keys: the key file has the initiator's and the responder's keys (\(initiatorKeys) and \(responderKeys)) the wrong way round"
        }
        switch (failed.fromInitiator > 0, failed.fromResponder > 0) {
        case (false, true):
            let others = passed.fromInitiator > 0 ? "; the initiator's verify" : ""
            return
                "messages from the responder fail integrity (\(failed.fromResponder) of \(failed.fromResponder + passed.fromResponder))\(others): \(responderKeys) wrong"
        case (true, false):
            let others = passed.fromResponder > 0 ? "; the responder's verify" : ""
            return
                "messages from the initiator fail integrity (\(failed.fromInitiator) of \(failed.fromInitiator + passed.fromInitiator))\(others): \(initiatorKeys) wrong"
        default:
            return
                "messages from both peers fail integrity (\(failed.total)): the keys given are wrong, or belong to another IKE SA"
        }
    }
}
