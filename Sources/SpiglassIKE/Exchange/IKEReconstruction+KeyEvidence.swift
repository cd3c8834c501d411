import SpiglassSAD

/// What the integrity checks of an IKE SA's encrypted messages say about the keys given for
/// it: whose messages fail, and whether the key file has the two peers' keys swapped.
extension IKEReconstruction {
    /// The evidence for IKE SA `saIndex`, or nil when no message failed.
    func keyEvidence(_ saIndex: Int) -> IKEKeyEvidence? {
        let sa = ikeSAs[saIndex]
        let failed = sa.integrityFailed
        let passed = sa.integrityPassed
        guard failed.total > 0 else { return nil }
        guard sa.version == .v2 else { return .hashCheckFailed(failed: failed.total) }
        let aead = keyIndex(sa.spis, version: .v2).map { keys[$0].encryption?.isAEAD ?? false } ?? false
        if sa.integrityWithSwappedKeys == failed.total { return .keysSwapped(failed: failed.total, aead: aead) }
        switch (failed.fromInitiator > 0, failed.fromResponder > 0) {
        case (false, true):
            return .onePeerFails(
                .responder, failed: failed.fromResponder, total: failed.fromResponder + passed.fromResponder,
                othersVerify: passed.fromInitiator > 0, aead: aead)
        case (true, false):
            return .onePeerFails(
                .initiator, failed: failed.fromInitiator, total: failed.fromInitiator + passed.fromInitiator,
                othersVerify: passed.fromResponder > 0, aead: aead)
        default:
            return .bothPeersFail(failed: failed.total)
        }
    }
}
