import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// IKE findings in words, the one place the text and JSON IKE reports take them from.
extension IKEFinding {
    public var text: String {
        switch self {
        case .weakAlgorithm(let weak, let use, let subject, let transform):
            let reason = AlgorithmPolicy.reason(weak, in: use)
            guard let transform else { return "\(subject.text): \(reason)" }
            return "\(subject.text): \(transform.name): \(reason)"
        case .childSAWithoutPFS(let rekeyed, let requesterSPI, let responderSPI):
            let subject: IKEFindingSubject = rekeyed ? .rekeyedChildSA : .childSA
            return "\(subject.text) \(ChildSARecord.spiText(requesterSPI, responderSPI)) created without PFS"
        case .aggressiveModePSK:
            return "IKE SA: Aggressive Mode with a pre-shared key sends a hash of the PSK that can be cracked offline"
        case .ikev1Deprecated: return "IKE SA: IKEv1 is deprecated (RFC 9395)"
        case .xauthFailed: return "XAUTH failed"
        case .keysFailIntegrity(let evidence): return evidence.text
        }
    }
}

extension IKEFinding {
    /// The finding as a ladder's "finding:" line, and as its fact and labelled rows for a
    /// terminal too narrow for it (`LaidOutLine`).
    var line: LaidOutLine {
        let label = "finding: "
        switch self {
        case .weakAlgorithm(let weak, let use, let subject, let transform):
            let laid = WeakAlgorithmRows.line(weak, in: use, subject: "\(subject.text): ", transform: transform?.name)
            return LaidOutLine(whole: label + text, headline: label + laid.headline, rows: laid.rows)
        case .aggressiveModePSK:
            return LaidOutLine(
                whole: label + text, headline: label + "IKE SA: Aggressive Mode with a pre-shared key",
                rows: ["risk: it sends a hash of the PSK that can be cracked offline"])
        case .keysFailIntegrity(let evidence):
            let laid = evidence.line
            return LaidOutLine(whole: label + laid.whole, headline: label + laid.headline, rows: laid.rows)
        default:
            return LaidOutLine(label + text)
        }
    }
}

extension IKEFindingSubject {
    var text: String {
        switch self {
        case .ikeSA: return "IKE SA"
        case .childSA: return "CHILD_SA"
        case .rekeyedChildSA: return "rekeyed CHILD_SA"
        }
    }
}

extension IKEKeyEvidence {
    /// Which keys to blame, and how the failures point at them.
    var text: String {
        switch self {
        case .hashCheckFailed(let failed):
            return
                "\(failed) encrypted message(s) fail their HASH check: SKEYID_a is wrong, or the peers' pre-shared keys differ"
        case .keysSwapped(let failed, let aead):
            return
                "\(failed) encrypted message(s) fail integrity but verify with the other peer's keys: the key file has the initiator's and the responder's keys (\(Self.keys(of: .initiator, aead: aead)) and \(Self.keys(of: .responder, aead: aead))) the wrong way round"
        case .onePeerFails(let peer, let failed, let total, let othersVerify, let aead):
            let others =
                othersVerify ? "; the \(Self.name(of: peer == .initiator ? .responder : .initiator))'s verify" : ""
            return
                "messages from the \(Self.name(of: peer)) fail integrity (\(failed) of \(total))\(others): \(Self.keys(of: peer, aead: aead)) wrong"
        case .bothPeersFail(let failed):
            return
                "messages from both peers fail integrity (\(failed)): the keys given are wrong, or belong to another IKE SA"
        }
    }

    /// The same as a fact and labelled rows (`LaidOutLine`).
    var line: LaidOutLine {
        switch self {
        case .hashCheckFailed(let failed):
            return LaidOutLine(
                whole: text, headline: "\(failed) encrypted message(s) fail their HASH check",
                rows: ["cause: SKEYID_a is wrong, or the peers' pre-shared keys differ"])
        case .keysSwapped(let failed, let aead):
            return LaidOutLine(
                whole: text, headline: "\(failed) encrypted message(s) fail integrity",
                rows: [
                    "but: they verify with the other peer's keys",
                    "cause: the key file swaps the initiator's and the responder's keys",
                    "keys: \(Self.keys(of: .initiator, aead: aead)) and \(Self.keys(of: .responder, aead: aead))",
                ])
        case .onePeerFails(let peer, let failed, let total, let othersVerify, let aead):
            let other = Self.name(of: peer == .initiator ? .responder : .initiator)
            return LaidOutLine(
                whole: text,
                headline: "messages from the \(Self.name(of: peer)) fail integrity (\(failed) of \(total))",
                rows: (othersVerify ? ["others: the \(other)'s verify"] : [])
                    + ["cause: \(Self.keys(of: peer, aead: aead)) wrong"])
        case .bothPeersFail(let failed):
            return LaidOutLine(
                whole: text, headline: "messages from both peers fail integrity (\(failed))",
                rows: ["cause: the keys given are wrong, or belong to another IKE SA"])
        }
    }

    static func name(of peer: IKEPeer) -> String { peer == .initiator ? "initiator" : "responder" }

    /// The keys that protect `peer`'s messages (SK_e only with an AEAD cipher).
    static func keys(of peer: IKEPeer, aead: Bool) -> String {
        switch peer {
        case .initiator: return aead ? "SK_ei" : "SK_ai/SK_ei"
        case .responder: return aead ? "SK_er" : "SK_ar/SK_er"
        }
    }
}

extension ChildSARecord {
    /// "c19c5d01/4218b56d" (requester's, responder's).
    public var spiText: String { Self.spiText(requesterSPI, responderSPI) }

    static func spiText(_ requesterSPI: SPI?, _ responderSPI: SPI?) -> String {
        [requesterSPI, responderSPI].map { $0?.hexDigits ?? "?" }.joined(separator: "/")
    }
}
