import SpiglassSAD
import SpiglassWire

/// One thing an IKE SA's story flags for the reader, as values; SpiglassAnalysis words it
/// (`IKEFindingText`) for the text and JSON reports.
public enum IKEFinding: Sendable, Equatable {
    /// A negotiated algorithm `AlgorithmPolicy` flags for `use`, in the IKE SA or a CHILD_SA.
    /// `transform` is the IKEv2 transform that carried it: nil for IKEv1 phase 1 attributes
    /// and for a weakness of the whole proposal (encryption without integrity).
    case weakAlgorithm(WeakAlgorithm, use: AlgorithmUse, subject: IKEFindingSubject, transform: IKEv2Transform?)
    /// A CHILD_SA created without a fresh key exchange (IKEv2 CREATE_CHILD_SA without KE, or an
    /// IKEv1 Quick Mode rekey without PFS), with its SPIs as known when it was created.
    case childSAWithoutPFS(rekeyed: Bool, requesterSPI: SPI?, responderSPI: SPI?)
    /// IKEv1 Aggressive Mode with a pre-shared key: the PSK's hash can be cracked offline.
    case aggressiveModePSK
    /// IKEv1 itself (RFC 9395).
    case ikev1Deprecated
    /// The responder's XAUTH status said the user was rejected.
    case xauthFailed
    /// Encrypted messages failed their integrity check with the keys given.
    case keysFailIntegrity(IKEKeyEvidence)
}

/// Which SA a weak-algorithm finding is about.
public enum IKEFindingSubject: Sendable, Equatable {
    case ikeSA
    case childSA
    case rekeyedChildSA
}

/// What the failing integrity checks of an IKE SA's encrypted messages say about its keys.
/// `aead` tells whether the IKE SA's cipher is an AEAD (its keys are then SK_e only).
public enum IKEKeyEvidence: Sendable, Equatable {
    /// IKEv1: `failed` messages fail their HASH check.
    case hashCheckFailed(failed: Int)
    /// IKEv2: every failing message verifies with the other peer's keys.
    case keysSwapped(failed: Int, aead: Bool)
    /// IKEv2: only `peer`'s messages fail, `failed` of `total`; `othersVerify` when the other
    /// peer has messages that pass.
    case onePeerFails(IKEPeer, failed: Int, total: Int, othersVerify: Bool, aead: Bool)
    /// IKEv2: both peers' messages fail.
    case bothPeersFail(failed: Int)
}
