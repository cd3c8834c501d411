import SpiglassCapture
import SpiglassSAD
import SpiglassWire

/// What became of an encrypted message's SK payload.
public enum IKEDecryption: Sendable, Equatable {
    /// Nothing was encrypted (IKE_SA_INIT, or an unprotected notification).
    case notEncrypted
    case decrypted
    /// No key file gives this IKE SA's keys.
    case noKeys
    /// Keys were there, but the message did not open (integrity failure, bad padding, ...).
    case failed(IKEDecryptionFailure)
    /// A fragment waiting for the rest of its message.
    case fragmentPending
    /// The capture's snapshot length cut the encrypted part: nothing to open.
    case cutByCapture

    public var label: String {
        switch self {
        case .notEncrypted: return "not-encrypted"
        case .decrypted: return "decrypted"
        case .noKeys: return "no-keys"
        case .failed: return "failed"
        case .fragmentPending: return "fragment-pending"
        case .cutByCapture: return "cut-by-capture"
        }
    }
}

/// The integrity check of an encrypted message (`unchecked` when no integrity key was given
/// or nothing was encrypted).
public enum IKEIntegrityVerdict: String, Sendable, Equatable {
    case ok
    /// With `--ike-no-integrity`, a message whose check failed is decrypted anyway: what it
    /// shows is unauthenticated.
    case failed
    case unchecked
}

/// One IKE message (reassembled when it came in fragments), decoded as far as keys allow.
public struct IKEMessageRecord: Sendable {
    /// Capture frames that carried it, in order (several for RFC 7383 fragments).
    public var frames: [Int]
    /// When the capture saw it (a fragmented message: its earliest fragment), at the capture's resolution.
    public var time: Timestamp
    public var header: IKEHeader
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var transport: IKETransport
    /// Bytes on the wire (all fragments together).
    public var length: Int
    /// Bytes captured, when the capture's snapshot length cut the message (nil: all of it).
    public var capturedLength: Int? = nil
    /// IKEv2: payloads outside SK, in order, then the decrypted payloads. IKEv1: the clear
    /// payloads, then the decrypted ones. `decryptedFrom` tells where those begin.
    public var payloads: IKEPayloads
    /// Index in `payloads` of the first payload that came out of SK (or E), when one did.
    public var decryptedFrom: Int?
    public var decryption: IKEDecryption
    public var integrity: IKEIntegrityVerdict
    /// Same bytes as an earlier message of the same exchange.
    public var retransmission: Bool
    /// Its integrity check failed, but passes with the other sender's keys.
    public var verifiesWithOtherSendersKeys = false
    /// The frame that already carried these bytes within the capture-duplicate window: the
    /// capture saw the message twice. Such a record is not decoded, paired or counted.
    public var captureDuplicateOf: Int? = nil
    /// Index of the exchange in its IKE SA's `exchanges`, and of the IKE SA in the story.
    public var ikeSAIndex: Int?
    public var exchangeIndex: Int?
    public var problems: [IKEMessageProblem]

    /// IKEv2: the R flag. IKEv1, whose header has no such flag: the message answers an
    /// earlier one of its exchange.
    public var isResponse: Bool
    /// IKEv2: the I flag. IKEv1: sent from the IKE SA's initiator, as the addresses tell.
    public var fromOriginalInitiator: Bool
    public var spis: IKESPIPair { IKESPIPair(initiator: header.initiatorSPI, responder: header.responderSPI) }
    /// IKEv2 payloads, outer then decrypted (none for IKEv1).
    public var v2Payloads: [IKEv2Payload] { payloads.v2 }
    /// IKEv1 payloads, clear then decrypted (none for IKEv2).
    public var v1Payloads: [IKEv1Payload] { payloads.v1 }
    public var encryptedPayloads: ArraySlice<IKEv2Payload> {
        let all = payloads.v2
        return decryptedFrom.map { all[min($0, all.count)...] } ?? []
    }

    /// Notify payloads (outer and decrypted).
    public var notifies: [IKEv2Notify] {
        payloads.v2.compactMap { if case .notify(let n) = $0.body { return n } else { return nil } }
    }
}

/// A request and its response, paired by message ID.
public struct IKEExchangeRecord: Sendable {
    public var type: IKEExchangeType
    public var name: String { type.name }
    public var messageID: UInt32
    /// The request came from the IKE SA's original initiator.
    public var requestedByInitiator: Bool
    /// Indices into the story's `messages`.
    public var request: Int?
    public var response: Int?
    /// Every message of the exchange in order (IKEv1 Main Mode has six), indices into the
    /// story's `messages`.
    public var messages: [Int] = []
    public var requestRetransmissions = 0
    public var responseRetransmissions = 0
    /// Further answers to the same request that are not its bytes again: a responder that
    /// answers each retransmitted request afresh (Libreswan's IKE_SA_INIT, each time with a new
    /// responder SPI). Counted apart from retransmissions, with their frames.
    public var otherResponses: [Int] = []
    public var requestTime: Timestamp?
    public var responseTime: Timestamp?
    /// How it ended: ok, an error notify (NO_PROPOSAL_CHOSEN), no response, ...
    public var outcome: IKEExchangeOutcome = .noResponse
    /// Succeeded: a response without error notifies.
    public var succeeded = false
    /// What the exchange did: rekey a CHILD_SA, delete the IKE SA, check liveness, ...
    public var purpose: IKEExchangePurpose?

    /// Round-trip time from the first request to the first response, to the nanosecond when
    /// the capture has nanoseconds.
    public var roundTrip: CaptureDuration? {
        guard let requestTime, let responseTime else { return nil }
        return CaptureDuration(from: requestTime, to: responseTime)
    }
}

/// Where an IKE SA stands at the end of the capture.
public enum IKESAState: Sendable, Equatable {
    case negotiating
    case established
    /// Negotiation failed, and why.
    case failed(IKESAFailure)
    /// Requests were never answered.
    case noResponse
    case rekeyed
    case deleted
}

/// One IKE SA's negotiation and life.
public struct IKESARecord: Sendable {
    public var version: IKESecurityAssociation.Version
    public var spis: IKESPIPair
    public var initiator: IPAddress
    public var responder: IPAddress
    public var initiatorPort: UInt16
    public var responderPort: UInt16
    public var state: IKESAState = .negotiating
    /// The frames that show a failure or a missing answer (the IKE_AUTH response, frame 4).
    public var failureEvidence: IKEFailureEvidence?
    public var exchanges: [IKEExchangeRecord] = []
    /// Indices into the story's `children`.
    public var children: [Int] = []
    /// The chosen IKE proposal.
    public var proposal: IKEChosenProposal?
    public var initiatorIdentity: IKEIdentity?
    public var responderIdentity: IKEIdentity?
    public var initiatorAuthentication: IKEAuthenticationMethod?
    public var responderAuthentication: IKEAuthenticationMethod?
    public var nonceInitiator: [UInt8] = []
    public var nonceResponder: [UInt8] = []
    /// Key-exchange group of the accepted IKE_SA_INIT.
    public var keyExchangeGroup: IKEKeyExchangeGroup?
    /// Some key file gives this IKE SA's keys.
    public var keysKnown = false
    /// The keys came without SPIs (a log) and were bound to this IKE SA because its messages
    /// verified with them.
    public var keysBoundByIntegrity = false
    /// NAT detection (RFC 7296 2.23), from the hashes against the addresses seen.
    public var initiatorBehindNAT: Bool?
    public var responderBehindNAT: Bool?
    public var cookieRoundTrip = false
    /// Group the responder asked for with INVALID_KE_PAYLOAD.
    public var invalidKERequestedGroup: IKEInvalidKERequest?
    public var fragmentationSupported = false
    /// IKE SA this one rekeyed (index), and the one that replaced it.
    public var rekeyOf: Int?
    public var rekeyedBy: Int?
    /// Vendor IDs the peers sent, each once, at most `IKEVendorID.maxPerIKESA`.
    public var vendorIDs: [IKEVendorID] = []
    /// Its first and last message's capture times.
    public var firstTime: Timestamp
    public var lastTime: Timestamp
    /// Findings as values: weak algorithms, no PFS, failures (SpiglassAnalysis words them).
    public var findings: [IKEFinding] = []
    /// Encrypted messages whose integrity check passed or failed, by sender, and the failing
    /// ones that verify with the other sender's keys: the evidence against a key set.
    public var integrityPassed = IntegrityTally()
    public var integrityFailed = IntegrityTally()
    public var integrityWithSwappedKeys = 0
}

/// Messages counted by who sent them.
public struct IntegrityTally: Sendable, Equatable {
    public var fromInitiator = 0
    public var fromResponder = 0

    public var total: Int { fromInitiator + fromResponder }

    mutating func add(fromInitiator initiator: Bool) {
        if initiator { fromInitiator += 1 } else { fromResponder += 1 }
    }
}

/// A CHILD_SA as the exchanges negotiated it.
public struct ChildSARecord: Sendable {
    public var ikeSAIndex: Int
    /// Exchange (index in the IKE SA) that created it.
    public var createdBy: Int
    /// The type of that exchange (IKE_AUTH, CREATE_CHILD_SA, Quick Mode).
    public var createdByType: IKEExchangeType
    public var createdByName: String { createdByType.name }
    /// The exchange's requester was the IKE SA's original initiator.
    public var requestedByInitiator: Bool
    /// SPI the requester receives on (from the request's SA payload) and the responder's
    /// (from the response's): traffic requester→responder carries `responderSPI`.
    public var requesterSPI: SPI?
    public var responderSPI: SPI?
    public var requester: IPAddress
    public var responder: IPAddress
    public var protocolID: UInt8 = 3
    public var proposal: IKEChosenProposal?
    public var algorithms: NegotiatedChildAlgorithms?
    public var transportMode = false
    /// The traffic selectors, for the policy check (`ChildSARecord+Selectors.swift`) and the
    /// reports: IKEv2 TSi/TSr as the response settled them; IKEv1 Quick Mode client IDs (IDci, IDcr).
    public var initiatorSelectors: [IKEv2TrafficSelector] = []
    public var responderSelectors: [IKEv2TrafficSelector] = []
    public var quickModeIdentities: [IKEv1Identification] = []
    /// A KE payload came with the exchange: the KEYMAT needs the DH secret.
    public var perfectForwardSecrecy = false
    public var keyExchangeGroup: IKEKeyExchangeGroup?
    /// CHILD_SA (index in the story) this one rekeyed, and the one that replaced it.
    public var rekeyOf: Int?
    public var rekeyedBy: Int?
    public var established = false
    public var failure: ChildSAFailure?
    public var deleted = false
    /// When the first Delete of it (or of its IKE SA) was seen: where its life ends.
    public var deletedTime: Timestamp?
    /// Whether ESP keys were derived from SK_d, or why not (nil: not tried).
    public var keying: ChildSAKeying?

    public var keysDerived: Bool { keying == .derived }

    mutating func noteDeleted(at time: Timestamp) {
        if !deleted { deletedTime = time }
        deleted = true
    }

    /// Both SPIs, requester's first.
    public var spis: [SPI] { [requesterSPI, responderSPI].compactMap { $0 } }
}
