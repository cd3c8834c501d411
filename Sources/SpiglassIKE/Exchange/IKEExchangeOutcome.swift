import SpiglassWire

/// A notify type of either version: the number spaces overlap, the meanings do not.
public enum IKENotifyType: Sendable, Hashable {
    case v1(IKEv1NotifyType)
    case v2(IKEv2NotifyType)

    public var name: String {
        switch self {
        case .v1(let type): return type.name
        case .v2(let type): return type.name
        }
    }
}

/// How an exchange ended, as the capture shows it. Code compares the values; the reports word
/// them (`IKEExchangeWords.outcome` in SpiglassAnalysis).
public enum IKEExchangeOutcome: Sendable, Equatable {
    /// The request was not answered (or not yet).
    case noResponse
    /// A response whose request the capture does not hold.
    case requestNotCaptured
    /// Answered without an error notify.
    case ok
    /// Answered with this notify: the first error, or IKE_SA_INIT's COOKIE demand. IKEv1:
    /// the error an Informational exchange carried.
    case notify(IKENotifyType)
    /// The response came, but did not decrypt (the decryption says why).
    case responseNotDecrypted(IKEDecryption)
    /// IKE_AUTH: the IKE SA came up, its CHILD_SA was refused with these notifies.
    case childSARefused([IKEv2NotifyType])
    /// Quick Mode: the response holds no SA payload.
    case noSAPayloadInResponse
    /// IKEv1 phase 1 answered with an error sent in an Informational exchange of its own.
    case refusedInInformational(IKEv1NotifyType, frame: Int?)
    /// An IKEv1 Informational exchange: one message, nothing to wait for.
    case oneWay
    /// A DPD R-U-THERE (RFC 3706) whose ACK never came.
    case noDPDAck
    /// IKEv1 phase 1 never completed.
    case phase1Incomplete(IKEv1Phase1Failure)
    /// Quick Mode: the responder sent its message 2 again (in these frames) after message 3.
    case quickModeUnconfirmed(resentFrames: [Int])
    /// The XAUTH status the responder's SET carried.
    case xauth(succeeded: Bool)
}

/// Why an IKEv1 phase 1 (Main or Aggressive Mode) did not complete, with the evidence.
public struct IKEv1Phase1Failure: Sendable, Equatable {
    public enum Evidence: Sendable, Equatable {
        case none
        /// RFC 2409 peers answer a message they cannot decrypt or authenticate by sending
        /// their previous one again: the responder did so in `frames` after the initiator's
        /// last phase-1 message (in `after`).
        case responderResent(frames: [Int], after: Int)
        /// The responder's notifications do not decrypt with the keys given.
        case notificationsUndecryptable
    }

    public var aggressive: Bool
    /// Phase-1 messages seen, of the 3 (Aggressive Mode) or 6 (Main Mode) that complete it.
    public var messages: Int
    public var evidence: Evidence

    public var needed: Int { aggressive ? 3 : 6 }
}

/// What an exchange did, beside its type (worded by `IKEExchangeWords.purpose`).
public enum IKEExchangePurpose: Sendable, Equatable {
    case newChildSA
    case rekeyChildSA
    case rekeyIKESA
    /// CREATE_CHILD_SA whose (decrypted) request proposes nothing.
    case createChildSAWithoutSA
    /// An INFORMATIONAL exchange with an empty SK payload (RFC 7296 2.4).
    case livenessCheck
    /// What an Informational exchange carried; none: a bare "informational".
    case informational([IKEInformationalContent])
    /// An IKEv1 Informational exchange that could not be read.
    case unreadInformational(IKEDecryption)
    /// An IKEv1 Transaction exchange: XAUTH or Mode Config, with the internal IPv4 address
    /// it assigned.
    case transaction(xauth: Bool, internalAddress: [UInt8]?)

    /// A Transaction exchange's messages may tell different things; the most telling one
    /// (with an address, then Mode Config over XAUTH) names the exchange.
    var transactionRank: Int? {
        guard case .transaction(let xauth, let address) = self else { return nil }
        return (address == nil ? 0 : 2) + (xauth ? 0 : 1)
    }
}

/// One thing an Informational exchange carried.
public enum IKEInformationalContent: Sendable, Hashable {
    case deleteIKESA
    case deleteChildSA
    /// UPDATE_SA_ADDRESSES (RFC 4555).
    case mobikeAddressUpdate
    case configuration
    /// RFC 3706 Dead Peer Detection.
    case dpdRequest
    case dpdAck
    case notify(IKENotifyType)
}
