import SpiglassSAD
import SpiglassWire

/// One of the two peers of an IKE SA.
public enum IKEPeer: Sendable, Equatable {
    case initiator
    case responder

    /// The peer that sent a message, from its I flag (IKEv2) or its addresses (IKEv1).
    init(sentByInitiator: Bool) { self = sentByInitiator ? .initiator : .responder }
}

/// Why an IKE SA's negotiation failed, as the capture shows it. The reporters put it in words.
public enum IKESAFailure: Sendable, Equatable {
    /// A peer refused with an error notify (NO_PROPOSAL_CHOSEN, AUTHENTICATION_FAILED, ...):
    /// in the IKE_SA_INIT or IKE_AUTH response, or, IKEv1, in an Informational exchange of its own.
    case notify(IKENotifyType, sentBy: IKEPeer)
    /// IKEv1 phase 1 (Main or Aggressive Mode) never completed.
    case phase1Incomplete(IKEv1Phase1Failure)
}

/// Why a CHILD_SA was not established.
public enum ChildSAFailure: Sendable, Equatable {
    /// The response of its exchange refused it with this error notify.
    case notify(IKEv2NotifyType)
    /// The response holds no SA payload.
    case noSAPayloadInResponse
    /// Its request was never answered.
    case noResponse
}

/// The frames that show why an IKE SA failed or went unanswered.
public enum IKEFailureEvidence: Sendable, Equatable {
    /// The message that decided it: its exchange, whether it was the response, its frames.
    case message(IKEExchangeType, isResponse: Bool, frames: [Int])
    /// The first request of an IKE SA that no answer followed: its frame and how many times
    /// it was sent.
    case unansweredRequest(IKEExchangeType, frame: Int?, timesSent: Int)
    /// IKEv1: the Informational exchange that refused phase 1.
    case informational(frames: [Int])
}

/// Whether a CHILD_SA's ESP/AH keys were derived from its IKE SA's keys (IKEv2 SK_d, RFC 7296
/// 2.17; IKEv1 SKEYID_d, RFC 2409 5.5), or what stood in the way.
public enum ChildSAKeying: Sendable, Equatable {
    case derived
    /// No key file gives the IKE SA's keys.
    case noIKESAKeys
    /// The key set found (from `origin`) lacks SK_d or SKEYID_d.
    case noDerivationKey(origin: SAOrigin)
    /// Neither the key file nor the captured negotiation gives the PRF (IKEv1: the hash).
    case prfUnknown
    /// Created with a KE payload: the KEYMAT needs the DH shared secret.
    case perfectForwardSecrecy
    /// Algorithms the derivation does not support (nil: the algorithms are unknown).
    case unsupportedAlgorithms([UnsupportedChildAlgorithm]?)
    case notESPOrAH(protocolID: UInt8)
    /// The nonces of the creating exchange were not captured or not decrypted.
    case noncesMissing
    /// An SA payload gave no 4-byte SPI.
    case spisMissing
    /// The key derivation threw.
    case derivationFailed(IKEKeyDerivationError)
}
