/// A message's payloads, by IKE version: what a record holds and what reporters switch on.
public enum IKEPayloads: Sendable {
    /// IKEv1 (ISAKMP) payloads: the clear ones, then those decrypted.
    case v1([IKEv1Payload])
    /// IKEv2 payloads outside SK, then those that came out of SK.
    case v2([IKEv2Payload])

    /// No payloads yet, of the version `header` says (1 for IKEv1, anything else IKEv2).
    public static func none(for majorVersion: UInt8) -> IKEPayloads {
        majorVersion == 1 ? .v1([]) : .v2([])
    }

    public var count: Int {
        switch self {
        case .v1(let payloads): return payloads.count
        case .v2(let payloads): return payloads.count
        }
    }

    /// The IKEv2 payloads (none for IKEv1).
    public var v2: [IKEv2Payload] {
        if case .v2(let payloads) = self { return payloads }
        return []
    }

    /// The IKEv1 payloads (none for IKEv2).
    public var v1: [IKEv1Payload] {
        if case .v1(let payloads) = self { return payloads }
        return []
    }

    mutating func append(_ more: [IKEv2Payload]) {
        if case .v2(let payloads) = self { self = .v2(payloads + more) }
    }

    mutating func append(_ more: [IKEv1Payload]) {
        if case .v1(let payloads) = self { self = .v1(payloads + more) }
    }
}

/// Something noted on a message: a parse problem, or what the exchange layer observed, kept
/// typed until a reporter words it.
public enum IKEMessageProblem: Sendable, Equatable {
    case parse(IKEParseProblem)
    /// A response to a request already answered, with bytes that differ from the first
    /// answer (a responder that answers every copy afresh); `newResponderSPI` when it also
    /// names another responder SPI.
    case otherAnswer(newResponderSPI: Bool)
    /// A request sent again before any answer, with bytes that differ from the first copy.
    case retransmissionDiffers
    /// An IKEv1 message that opened only with the IV from before the last phase-1 message:
    /// its sender had not taken that message in.
    case ivBeforeLastPhase1Message
}

/// The proposal an SA settled on, as the responder's SA payload chose it. Indirect: an IKE
/// SA record stays as small as when it held names (a flood keeps many records).
public indirect enum IKEChosenProposal: Sendable, Equatable {
    /// IKEv2: the proposal (IKE, ESP or AH) with its transforms.
    case v2(IKEv2Proposal)
    /// IKEv1: the accepted transform, phase 1 (Main or Aggressive Mode) or Quick Mode.
    case v1(IKEv1Transform)
}

/// An identity a peer sent: IKEv2 IDi or IDr, IKEv1 ID in phase 1.
public indirect enum IKEIdentity: Sendable, Equatable {
    case v2(IKEv2Identification)
    case v1(IKEv1Identification)
}
