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

/// How an exchange ended, as the capture shows it. `description` is its text in the report
/// (text and JSON alike); code compares the values.
public enum IKEExchangeOutcome: Sendable, Equatable, CustomStringConvertible {
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

    public var description: String {
        switch self {
        case .noResponse: return "no response"
        case .requestNotCaptured: return "request not captured"
        case .ok: return "ok"
        case .notify(let type): return type.name
        case .responseNotDecrypted(let decryption): return "response not decrypted (\(decryption.label))"
        case .childSARefused(let notifies):
            return "IKE SA established, CHILD_SA refused: " + notifies.map(\.name).joined(separator: ", ")
        case .noSAPayloadInResponse: return "no SA payload in the response"
        case .refusedInInformational(let type, let frame):
            return "\(type.name) (in an Informational exchange\(frame.map { ", frame \($0)" } ?? ""))"
        case .oneWay: return "one-way"
        case .noDPDAck: return "no R-U-THERE-ACK"
        case .phase1Incomplete(let failure): return failure.description
        case .quickModeUnconfirmed(let resent):
            return "incomplete: the responder sent message 2 again \(resent.count)× (frames \(resent.frameList)) "
                + "after message 3, which therefore never reached it or was not accepted"
        case .xauth(let succeeded): return succeeded ? "XAUTH ok" : "XAUTH failed"
        }
    }
}

/// Why an IKEv1 phase 1 (Main or Aggressive Mode) did not complete, with the evidence.
public struct IKEv1Phase1Failure: Sendable, Equatable, CustomStringConvertible {
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

    public var description: String {
        let reason = "phase 1 incomplete (\(messages) of \(needed) messages)"
        switch evidence {
        case .none:
            return reason
        case .responderResent(let frames, let after):
            return reason + ": the responder sent its message \(aggressive ? 2 : 4) again \(frames.count)× "
                + "(frames \(frames.frameList)) after the initiator's message \(aggressive ? 3 : 5) (frame \(after)), "
                + "so it could not decrypt or verify that message: the peers' pre-shared keys most likely differ"
        case .notificationsUndecryptable:
            return reason + "; the responder's notifications do not decrypt with these keys: "
                + "the peers derived different keys (pre-shared keys differ?)"
        }
    }
}

/// What an exchange did, beside its type. `description` is its text in the report.
public enum IKEExchangePurpose: Sendable, Equatable, CustomStringConvertible {
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

    public var description: String {
        switch self {
        case .newChildSA: return "new CHILD_SA"
        case .rekeyChildSA: return "rekey CHILD_SA"
        case .rekeyIKESA: return "rekey IKE SA"
        case .createChildSAWithoutSA: return "CREATE_CHILD_SA without SA payload"
        case .livenessCheck: return "liveness check"
        case .informational(let contents):
            guard !contents.isEmpty else { return "informational" }
            return Set(contents.map(\.description)).sorted().joined(separator: ", ")
        case .unreadInformational(let decryption): return "informational (\(decryption.label))"
        case .transaction(let xauth, let address):
            let shown = address.map { " " + $0.map(String.init).joined(separator: ".") } ?? ""
            return (xauth ? "XAUTH" : "Mode Config") + shown
        }
    }

    /// A Transaction exchange's messages may tell different things; the most telling one
    /// (with an address, then Mode Config over XAUTH) names the exchange.
    var transactionRank: Int? {
        guard case .transaction(let xauth, let address) = self else { return nil }
        return (address == nil ? 0 : 2) + (xauth ? 0 : 1)
    }
}

/// One thing an Informational exchange carried.
public enum IKEInformationalContent: Sendable, Hashable, CustomStringConvertible {
    case deleteIKESA
    case deleteChildSA
    /// UPDATE_SA_ADDRESSES (RFC 4555).
    case mobikeAddressUpdate
    case configuration
    /// RFC 3706 Dead Peer Detection.
    case dpdRequest
    case dpdAck
    case notify(IKENotifyType)

    public var description: String {
        switch self {
        case .deleteIKESA: return "delete IKE SA"
        case .deleteChildSA: return "delete CHILD_SA"
        case .mobikeAddressUpdate: return "MOBIKE address update"
        case .configuration: return "configuration"
        case .dpdRequest: return "DPD R-U-THERE"
        case .dpdAck: return "DPD R-U-THERE-ACK"
        case .notify(let type): return type.name
        }
    }
}

extension Array where Element == Int {
    /// Frame numbers as "10, 15, 20" (at most the first six, then "…").
    var frameList: String {
        prefix(6).map(String.init).joined(separator: ", ") + (count > 6 ? ", …" : "")
    }
}
