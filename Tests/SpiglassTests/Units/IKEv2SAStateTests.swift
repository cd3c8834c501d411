import SpiglassWire
import Testing

@testable import SpiglassIKE

/// The IKEv2 SA state machine on its own: which phase each step leads to and what each phase
/// keeps pending; and the exchange types, outcomes and purposes as values (`IKEExchangeWordsTests`
/// pins their text).
struct IKEv2SAStateTests {
    private func phaseName(_ state: IKEv2SAState) -> String {
        switch state.phase {
        case .initiating: return "initiating"
        case .authenticating(let a): return "authenticating(\(a.childExchange.map(String.init) ?? "-"))"
        case .established: return "established"
        case .rekeying(let r): return "rekeying(\(r.requests.keys.sorted()))"
        case .rekeyed: return "rekeyed"
        case .deleted: return "deleted"
        }
    }

    private let rekey = PendingIKERekey(
        requesterSPI: 7, nonce: [1], requester: IPAddress("192.0.2.1")!,
        responder: IPAddress("192.0.2.2")!, requesterPort: 500, responderPort: 500)

    @Test func initAuthEAPEstablished() {
        var state = IKEv2SAState()
        state.initRequest(natRequest: NATDetection.Check(sourceMatches: false, destinationMatches: true))
        let nat = state.initAccepted()
        #expect(nat.sourceMatches == false && nat.destinationMatches == true)
        #expect(phaseName(state) == "authenticating(-)")
        // The first IKE_AUTH request proposes the CHILD_SA; EAP rounds follow in exchanges 2, 3.
        state.pendingChildren[1] = PendingChild(child: 0, nonce: [])
        state.authRequestProposedChild(exchange: 1)
        state.authRequestProposedChild(exchange: 2)
        #expect(phaseName(state) == "authenticating(1)")
        #expect(state.pendingAuthExchange == 1)
        // The last IKE_AUTH response settles the first request's CHILD_SA.
        #expect(state.childSettled(exchange: 1)?.child == 0)
        #expect(state.pendingAuthExchange == nil && state.pendingChildren.isEmpty)
        state.established()
        #expect(phaseName(state) == "established")
        // A second IKE_SA_INIT request after that does not reopen IKE_SA_INIT.
        state.initRequest(natRequest: NATDetection.Check())
        #expect(phaseName(state) == "established")
    }

    @Test func rekeyAndDelete() {
        var state = IKEv2SAState()
        state.established()
        state.rekeyRequested(rekey, exchange: 4)
        state.rekeyRequested(rekey, exchange: 5)
        #expect(phaseName(state) == "rekeying([4, 5])")
        #expect(state.rekeyAnswered(exchange: 3) == nil)
        #expect(state.rekeyAnswered(exchange: 4)?.requesterSPI == 7)
        #expect(phaseName(state) == "rekeying([5])")
        #expect(state.rekeyAnswered(exchange: 5) != nil)
        state.rekeyed()
        #expect(phaseName(state) == "rekeyed")
        state.deleted()
        #expect(phaseName(state) == "deleted")
        // Nothing to answer once deleted.
        #expect(state.rekeyAnswered(exchange: 4) == nil)
    }

    @Test func aCaptureThatStartsAtIKEAuth() {
        var state = IKEv2SAState()
        state.authRequestProposedChild(exchange: 0)
        #expect(phaseName(state) == "authenticating(0)")
        // A CREATE_CHILD_SA answered: IKE_AUTH must have succeeded.
        state.established()
        #expect(phaseName(state) == "established")
    }

    @Test func exchangeTypesAreReadInTheirVersion() {
        #expect(IKEExchangeType(majorVersion: 2, rawValue: 34) == .v2(.ikeSAInit))
        #expect(IKEExchangeType(majorVersion: 1, rawValue: 34) == .v1(IKEv1ExchangeType(rawValue: 34)))
        #expect(IKEExchangeType(majorVersion: 2, rawValue: 41).name == "GSA_REKEY")
        #expect(IKEExchangeType(majorVersion: 2, rawValue: 250).name == "exchange-250")
        #expect(IKEExchangeType(majorVersion: 1, rawValue: 4).name == "Aggressive Mode")
        #expect(IKEExchangeType(majorVersion: 1, rawValue: 250).rawValue == 250)
        #expect(IKEv2NotifyType(rawValue: 16390) == .cookie && IKEv2NotifyType.cookie.name == "COOKIE")
        #expect(IKEv2NotifyType(rawValue: 45000).name == "NOTIFY_45000" && !IKEv2NotifyType(rawValue: 45000).isError)
        #expect(IKEv1NotifyType.rUThere.name == "R-U-THERE" && IKEv1NotifyType.noProposalChosen.isError)
    }

    @Test func theMostTellingTransactionMessageNamesTheExchange() {
        let ranks = [
            IKEExchangePurpose.transaction(xauth: true, internalAddress: nil),
            .transaction(xauth: false, internalAddress: nil),
            .transaction(xauth: true, internalAddress: [10, 0, 0, 2]),
        ].map(\.transactionRank)
        #expect(ranks == [0, 1, 2])
    }

    @Test func oneFormatterForSPIs() {
        #expect(UInt64(0xc0ffee).ikeSPIHex == "0000000000c0ffee")
        #expect(UInt64.max.ikeSPIHex == "ffffffffffffffff")
        #expect(SPI(0x1f).hexDigits == "0000001f")
        #expect(IKESPIPair(initiator: 1, responder: 0xabc).description == "0000000000000001_i 0000000000000abc_r")
    }
}
