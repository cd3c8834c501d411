import SpiglassSAD
import SpiglassWire

/// One IKEv2 SA as a state machine (RFC 7296 1.2-1.4, 2.18): where it stands and what each
/// phase waits for. The story's `IKESARecord` is what is reported; this is what the next
/// message needs. Captures start and stop anywhere, so every phase accepts what comes.
struct IKEv2SAState {
    enum Phase {
        /// IKE_SA_INIT (or nothing yet): the request's NAT detection, until the response.
        case initiating(Initiating)
        /// IKE_AUTH, one or more round trips (EAP, RFC 4739 multiple authentication).
        case authenticating(Authenticating)
        case established
        /// CREATE_CHILD_SA requests that rekey this IKE SA, until their responses.
        case rekeying(Rekeying)
        /// Replaced by the IKE SA its rekey made; its CHILD_SAs moved there (RFC 7296 2.18).
        case rekeyed
        case deleted
    }

    struct Initiating {
        var natRequest: NATDetection.Check = NATDetection.Check()
    }

    struct Authenticating {
        /// The first IKE_AUTH exchange whose CHILD_SA is still pending: with EAP its answer
        /// comes in a later IKE_AUTH response.
        var childExchange: Int?
    }

    struct Rekeying {
        var requests: [Int: PendingIKERekey] = [:]
    }

    var phase: Phase = .initiating(Initiating())
    /// CHILD_SAs proposed by a request (IKE_AUTH, CREATE_CHILD_SA), by exchange, until the
    /// response: several may be in flight (RFC 7296 2.3 window).
    var pendingChildren: [Int: PendingChild] = [:]
    /// The PRF of the chosen proposal, for key files that name none.
    var prf: IKEPRF?
    /// Other answers to IKE_SA_INIT, each with its own responder SPI and nonce: the
    /// initiator may go on with any of them, and IKE_AUTH tells which.
    var otherResponderAnswers: [(spi: UInt64, nonce: [UInt8])] = []

    /// IKE_SA_INIT request: what its NAT detection notifies say, for the response.
    mutating func initRequest(natRequest: NATDetection.Check) {
        guard case .initiating = phase else { return }
        phase = .initiating(Initiating(natRequest: natRequest))
    }

    /// IKE_SA_INIT accepted: the request's NAT detection, and IKE_AUTH comes next.
    mutating func initAccepted() -> NATDetection.Check {
        guard case .initiating(let initiating) = phase else { return NATDetection.Check() }
        phase = .authenticating(Authenticating())
        return initiating.natRequest
    }

    /// An IKE_AUTH request proposed a CHILD_SA in `exchange`.
    mutating func authRequestProposedChild(exchange: Int) {
        switch phase {
        case .initiating:
            phase = .authenticating(Authenticating(childExchange: exchange))
        case .authenticating(let authenticating) where authenticating.childExchange == nil:
            phase = .authenticating(Authenticating(childExchange: exchange))
        default:
            break
        }
    }

    /// The IKE_AUTH exchange whose CHILD_SA an IKE_AUTH response answers, when it is not
    /// the response's own (EAP: the last response answers the first request).
    var pendingAuthExchange: Int? {
        guard case .authenticating(let authenticating) = phase else { return nil }
        return authenticating.childExchange
    }

    /// The CHILD_SA of `exchange` is settled.
    mutating func childSettled(exchange: Int) -> PendingChild? {
        if case .authenticating(let authenticating) = phase, authenticating.childExchange == exchange {
            phase = .authenticating(Authenticating())
        }
        return pendingChildren.removeValue(forKey: exchange)
    }

    /// IKE_AUTH completed, or a later exchange shows that it did.
    mutating func established() {
        switch phase {
        case .initiating, .authenticating: phase = .established
        default: break
        }
    }

    /// A CREATE_CHILD_SA request in `exchange` rekeys this IKE SA.
    mutating func rekeyRequested(_ rekey: PendingIKERekey, exchange: Int) {
        var rekeying = Rekeying()
        if case .rekeying(let pending) = phase { rekeying = pending }
        rekeying.requests[exchange] = rekey
        phase = .rekeying(rekeying)
    }

    /// The IKE rekey that `exchange` requested, now answered (nil: it rekeyed no IKE SA).
    mutating func rekeyAnswered(exchange: Int) -> PendingIKERekey? {
        guard case .rekeying(var rekeying) = phase, let rekey = rekeying.requests.removeValue(forKey: exchange) else {
            return nil
        }
        phase = rekeying.requests.isEmpty ? .established : .rekeying(rekeying)
        return rekey
    }

    /// The rekey made a new IKE SA: this one is replaced.
    mutating func rekeyed() {
        if case .rekeying = phase { return }
        phase = .rekeyed
    }

    mutating func deleted() { phase = .deleted }
}

/// A CHILD_SA proposed by a request: its index in the story and the request's nonce (Ni of
/// a CREATE_CHILD_SA, for its KEYMAT).
struct PendingChild {
    var child: Int
    var nonce: [UInt8]
}

/// A CREATE_CHILD_SA request that rekeys an IKE SA: what the new IKE SA takes from it.
struct PendingIKERekey {
    var requesterSPI: UInt64
    var nonce: [UInt8]
    var requester: IPAddress
    var responder: IPAddress
    var requesterPort: UInt16
    var responderPort: UInt16
}
