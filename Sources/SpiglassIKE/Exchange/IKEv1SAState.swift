import SpiglassSAD
import SpiglassWire

/// One IKEv1 SA as a state machine (RFC 2409 5, 5.5): phase 1 (Main or Aggressive Mode) until
/// it completes, then phase 2 (Quick Modes) under its keys until a Delete. The story's
/// `IKESARecord` is what is reported; this is what the next message needs. Captures start and
/// stop anywhere, so every phase accepts what comes: a phase-1 message after the Quick Modes
/// still gives its payloads, a Quick Mode after a refusal or a Delete is still followed.
struct IKEv1SAState {
    enum Phase {
        /// Main Mode or Aggressive Mode under way (or nothing of it seen yet).
        case negotiating(Phase1)
        /// Phase 1 completed, or a Quick Mode shows that it did.
        case established(Phase2)
        /// An error notification answered phase 1 (see `IKESAFailure.notify`).
        case refused(Phase2)
        /// A Delete of the ISAKMP SA.
        case deleted(Phase2)
    }

    /// How far phase 1 got, and the evidence of why it did not finish.
    struct Phase1 {
        /// Main Mode or Aggressive Mode messages seen (6 or 3 complete phase 1).
        var messages = 0
        /// The initiator's last phase-1 message (5 of Main Mode, 3 of Aggressive Mode), first seen.
        var lastInitiatorFrame: Int?
        /// Frames in which the responder sent its last phase-1 message again after the
        /// initiator's last one: it did not take that message (at most `maxEvidenceFrames`).
        var responderResent: [Int] = []
    }

    /// Phase 2: the Quick Modes in flight, by message ID.
    struct Phase2 {
        var quickModes: [UInt32: IKEv1QuickMode] = [:]
    }

    /// What phase 1 exchanged that the keys, the IVs and the HASH payloads are made from.
    struct Negotiated {
        /// The responder's chosen phase-1 transform.
        var transform: IKEv1Transform?
        /// Body of the initiator's SA payload (HASH_I/HASH_R cover it).
        var initiatorSABody: [UInt8] = []
        var keInitiator: [UInt8] = []
        var keResponder: [UInt8] = []
        /// The capture's snapshot length cut a KE payload of phase 1.
        var keyExchangeCut = false
        /// The initiator's identification payload body (HASH_I covers it) and the responder's.
        var identityBodies: (initiator: [UInt8]?, responder: [UInt8]?) = (nil, nil)
    }

    /// The message protection made from the key file and the negotiated transform.
    enum Protection {
        /// Not made yet, or the keys were reloaded.
        case notMade
        case made(IKEv1MessageProtection)
        /// The keys cannot make one, and why (said once as a diagnostic).
        case unusable(IKEKeysUnusable)
    }

    /// Quick Modes followed at once, per IKE SA.
    static let maxQuickModes = IKEv1IVState.maxExchanges * 4

    var phase: Phase = .negotiating(Phase1())
    var negotiated = Negotiated()
    var protection: Protection = .notMade
    /// The CBC IV chain (RFC 2409 appendix B), and the chain as it stood before the last
    /// phase-1 message: a peer that failed to decrypt that message never advanced its chain
    /// (RFC 2409 gives no way to resync).
    var ivState: IKEv1IVState?
    var ivStateBeforeLastPhase1: IKEv1IVState?
    /// Exchange index by message ID (phase 1 is 0).
    var exchangeByMessageID: [UInt32: Int] = [:]
    /// Fingerprints of messages already decoded, with their message index, to recognise
    /// retransmissions (whose ciphertext the chained IV no longer opens).
    var seen: [UInt64: IKEMessageRecord] = [:]
    /// DPD R-U-THERE exchanges by sequence number, waiting for their ACK. Informational
    /// exchanges come in any phase, a readable R-U-THERE before phase 1 shows complete too.
    var pendingDPD: [UInt32: Int] = [:]

    var madeProtection: IKEv1MessageProtection? {
        if case .made(let protection) = protection { return protection }
        return nil
    }

    /// Why the keys cannot make a protection, once tried.
    var protectionFailure: IKEKeysUnusable? {
        if case .unusable(let why) = protection { return why }
        return nil
    }

    // MARK: phase 1

    /// A Main Mode or Aggressive Mode message (not a retransmission), counted while phase 1
    /// negotiates. True when phase 1 now has all its messages.
    mutating func phase1Message(fromInitiator: Bool, aggressive: Bool, frame: Int?) -> Bool {
        guard case .negotiating(var phase1) = phase else { return false }
        phase1.messages += 1
        if fromInitiator, phase1.messages == (aggressive ? 3 : 5) { phase1.lastInitiatorFrame = frame }
        phase = .negotiating(phase1)
        return phase1.messages >= (aggressive ? 3 : 6)
    }

    /// The responder sent a phase-1 message again (in `frame`): after the initiator's last
    /// one, evidence that it did not take it.
    mutating func phase1ResentByResponder(frame: Int) {
        guard case .negotiating(var phase1) = phase, phase1.lastInitiatorFrame != nil,
            phase1.responderResent.count < IKEReconstruction.maxEvidenceFrames
        else { return }
        phase1.responderResent.append(frame)
        phase = .negotiating(phase1)
    }

    /// Phase 1 completed, or a later exchange shows it did. True when this ended phase 1.
    mutating func established() -> Bool {
        guard case .negotiating = phase else { return false }
        phase = .established(Phase2())
        return true
    }

    /// An error notification while phase 1 negotiates refuses it. True when it did.
    mutating func refused() -> Bool {
        guard case .negotiating = phase else { return false }
        phase = .refused(Phase2())
        return true
    }

    /// A Delete of the ISAKMP SA. True when it deleted an established SA (a refused or
    /// unfinished phase 1 stays what it was).
    mutating func deleted() -> Bool {
        switch phase {
        case .established(let phase2), .deleted(let phase2):
            phase = .deleted(phase2)
            return true
        case .negotiating, .refused:
            return false
        }
    }

    // MARK: phase 2

    /// The Quick Modes in flight (none while phase 1 negotiates).
    var quickModes: [UInt32: IKEv1QuickMode] {
        switch phase {
        case .negotiating: return [:]
        case .established(let phase2), .refused(let phase2), .deleted(let phase2): return phase2.quickModes
        }
    }

    /// Files Quick Mode `messageID` (a new one only below `maxQuickModes`).
    mutating func file(_ quickMode: IKEv1QuickMode, messageID: UInt32) {
        changePhase2 { phase2 in
            if phase2.quickModes.count < Self.maxQuickModes || phase2.quickModes[messageID] != nil {
                phase2.quickModes[messageID] = quickMode
            }
        }
    }

    /// The responder of Quick Mode `messageID` sent its message 2 again (in `frame`): after
    /// the requester's message 3, evidence that it never took that message.
    mutating func quickModeResentByResponder(messageID: UInt32, frame: Int) {
        changePhase2 { phase2 in
            guard phase2.quickModes[messageID]?.finalSeen == true,
                (phase2.quickModes[messageID]?.responderResentAfterFinal.count ?? 0)
                    < IKEReconstruction.maxEvidenceFrames
            else { return }
            phase2.quickModes[messageID]?.responderResentAfterFinal.append(frame)
        }
    }

    private mutating func changePhase2(_ change: (inout Phase2) -> Void) {
        switch phase {
        case .negotiating:
            return
        case .established(var phase2):
            change(&phase2)
            phase = .established(phase2)
        case .refused(var phase2):
            change(&phase2)
            phase = .refused(phase2)
        case .deleted(var phase2):
            change(&phase2)
            phase = .deleted(phase2)
        }
    }
}
