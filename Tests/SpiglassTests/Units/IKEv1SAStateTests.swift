import SpiglassWire
import Testing

@testable import SpiglassIKE

/// The IKEv1 SA state machine on its own: phase 1 counted to its end, the evidence it keeps
/// while it negotiates, the Quick Modes of phase 2, and what a refusal or a Delete leads to.
struct IKEv1SAStateTests {
    private func phaseName(_ state: IKEv1SAState) -> String {
        switch state.phase {
        case .negotiating(let p):
            let last = p.lastInitiatorFrame.map(String.init) ?? "-"
            return "negotiating(\(p.messages), last \(last), resent \(p.responderResent))"
        case .established(let p): return "established(\(p.quickModes.keys.sorted()))"
        case .refused(let p): return "refused(\(p.quickModes.keys.sorted()))"
        case .deleted(let p): return "deleted(\(p.quickModes.keys.sorted()))"
        }
    }

    private func quickMode(finalSeen: Bool = false) -> IKEv1QuickMode {
        var qm = IKEv1QuickMode(
            requesterIsInitiator: true, requester: IPAddress("192.0.2.1")!, responder: IPAddress("192.0.2.2")!)
        qm.finalSeen = finalSeen
        return qm
    }

    @Test func mainModeCompletesWithItsSixthMessage() {
        var state = IKEv1SAState()
        var complete: [Bool] = []
        for message in 1...6 {
            complete.append(
                state.phase1Message(fromInitiator: message % 2 == 1, aggressive: false, frame: message * 10))
        }
        #expect(complete == [false, false, false, false, false, true])
        #expect(phaseName(state) == "negotiating(6, last 50, resent [])")
        let endedPhase1 = state.established()
        #expect(endedPhase1)
        #expect(phaseName(state) == "established([])")
        // Phase-1 messages after that count for nothing, and it is established only once.
        let lateMessageCompletes = state.phase1Message(fromInitiator: true, aggressive: false, frame: 70)
        #expect(!lateMessageCompletes)
        let establishedAgain = state.established()
        #expect(!establishedAgain)
    }

    @Test func aggressiveModeCompletesWithItsThirdMessage() {
        var state = IKEv1SAState()
        let afterFirst = state.phase1Message(fromInitiator: true, aggressive: true, frame: 1)
        #expect(!afterFirst)
        let afterSecond = state.phase1Message(fromInitiator: false, aggressive: true, frame: 2)
        #expect(!afterSecond)
        let afterThird = state.phase1Message(fromInitiator: true, aggressive: true, frame: 3)
        #expect(afterThird)
        #expect(phaseName(state) == "negotiating(3, last 3, resent [])")
    }

    /// A responder's resends count as evidence only after the initiator's last message, and
    /// only while phase 1 negotiates; at most `maxEvidenceFrames` of them.
    @Test func responderResendsAfterTheInitiatorsLastMessage() {
        var state = IKEv1SAState()
        state.phase1ResentByResponder(frame: 4)
        for message in 1...5 {
            _ = state.phase1Message(fromInitiator: message % 2 == 1, aggressive: false, frame: message)
        }
        for frame in 6..<(6 + IKEReconstruction.maxEvidenceFrames + 3) { state.phase1ResentByResponder(frame: frame) }
        guard case .negotiating(let phase1) = state.phase else {
            Issue.record("not negotiating: \(phaseName(state))")
            return
        }
        #expect(phase1.lastInitiatorFrame == 5)
        #expect(phase1.responderResent == Array(6..<(6 + IKEReconstruction.maxEvidenceFrames)))
        _ = state.established()
        state.phase1ResentByResponder(frame: 99)
        #expect(phaseName(state) == "established([])")
    }

    @Test func quickModesLiveInPhaseTwo() {
        var state = IKEv1SAState()
        // Nothing is filed while phase 1 negotiates (a Quick Mode establishes the SA first).
        state.file(quickMode(), messageID: 7)
        #expect(state.quickModes.isEmpty)
        _ = state.established()
        state.file(quickMode(), messageID: 7)
        state.file(quickMode(finalSeen: true), messageID: 9)
        #expect(phaseName(state) == "established([7, 9])")
        // Message 2 resent after message 3: kept for Quick Mode 9 only, whose message 3 was seen.
        state.quickModeResentByResponder(messageID: 7, frame: 20)
        state.quickModeResentByResponder(messageID: 9, frame: 21)
        #expect(state.quickModes[7]?.responderResentAfterFinal == [])
        #expect(state.quickModes[9]?.responderResentAfterFinal == [21])
    }

    @Test func quickModesInFlightAreBounded() {
        var state = IKEv1SAState()
        _ = state.established()
        for id in 0..<UInt32(IKEv1SAState.maxQuickModes + 5) { state.file(quickMode(), messageID: id) }
        #expect(state.quickModes.count == IKEv1SAState.maxQuickModes)
        // One already followed is still updated.
        state.file(quickMode(finalSeen: true), messageID: 0)
        #expect(state.quickModes[0]?.finalSeen == true)
    }

    /// A refusal ends only a negotiating phase 1; a Delete ends only an established SA; the
    /// Quick Modes go along.
    @Test func refusalAndDelete() {
        var refused = IKEv1SAState()
        let firstRefusal = refused.refused()
        #expect(firstRefusal)
        let secondRefusal = refused.refused()
        #expect(!secondRefusal)
        let deletedAfterRefusal = refused.deleted()
        #expect(!deletedAfterRefusal)
        refused.file(quickMode(), messageID: 3)
        #expect(phaseName(refused) == "refused([3])")

        var deleted = IKEv1SAState()
        let deletedWhileNegotiating = deleted.deleted()
        #expect(!deletedWhileNegotiating)
        #expect(phaseName(deleted) == "negotiating(0, last -, resent [])")
        _ = deleted.established()
        deleted.file(quickMode(), messageID: 5)
        let refusedWhenEstablished = deleted.refused()
        #expect(!refusedWhenEstablished)
        let deletedOnce = deleted.deleted()
        #expect(deletedOnce)
        let deletedTwice = deleted.deleted()
        #expect(deletedTwice)
        #expect(phaseName(deleted) == "deleted([5])")
        let establishedAfterDelete = deleted.established()
        #expect(!establishedAfterDelete)
    }
}
