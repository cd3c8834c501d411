import SpiglassIKE
import SpiglassSAD

/// The `ike` ladder's exchange lines as a terminal shows them: the outcome as a short fact
/// for the headline, and what explains it as clauses that become labelled sub-rows when the
/// line does not fit (`TerminalRows`). Piped output keeps `IKEExchangeWords`' sentences.
enum IKELadderWords {
    typealias Clause = TerminalRows.Clause

    /// The fact the headline says ("incomplete", "CHILD_SA refused: TS_UNACCEPTABLE").
    static func fact(_ outcome: IKEExchangeOutcome) -> String {
        switch outcome {
        case .childSARefused(let notifies): return "CHILD_SA refused: " + notifies.map(\.name).joined(separator: ", ")
        case .refusedInInformational(let type, _): return type.name
        case .phase1Incomplete(let failure): return "incomplete (\(failure.messages) of \(failure.needed) messages)"
        case .quickModeUnconfirmed: return "incomplete"
        default: return IKEExchangeWords.outcome(outcome)
        }
    }

    /// What explains the fact, each clause as the whole line says it and as its sub-row.
    static func clauses(_ outcome: IKEExchangeOutcome) -> [Clause] {
        switch outcome {
        case .childSARefused:
            return [Clause(inline: " (IKE SA established)", label: "IKE SA", text: "established")]
        case .refusedInInformational(_, let frame):
            let place = "Informational exchange" + (frame.map { ", frame \($0)" } ?? "")
            return [Clause(inline: " (in an \(place))", label: "in", text: place)]
        case .phase1Incomplete(let failure):
            return phase1(failure)
        case .quickModeUnconfirmed(let resent):
            return [
                Clause(
                    inline: ": message 2 resent \(resent.count)× (frames \(frames(resent))) after message 3",
                    label: "evidence",
                    text: "message 2 resent \(resent.count)× (frames \(frames(resent))) after message 3"),
                Clause(
                    inline: ", which never reached the responder or was not accepted", label: "so",
                    text: "message 3 never reached the responder or was not accepted"),
            ]
        default:
            return []
        }
    }

    private static func phase1(_ failure: IKEv1Phase1Failure) -> [Clause] {
        switch failure.evidence {
        case .none:
            return []
        case .responderResent(let resent, let after):
            let (theirs, ours) = failure.aggressive ? (2, 3) : (4, 5)
            let evidence = "message \(theirs) resent \(resent.count)× (frames \(frames(resent))) after message \(ours)"
            return [
                Clause(
                    inline: ": \(evidence) (frame \(after))", label: "evidence", text: evidence + " (frame \(after))"),
                Clause(
                    inline: ", so the responder could not read it", label: "so",
                    text: "the responder could not decrypt or verify message \(ours)"),
                Clause(inline: " (PSKs differ?)", label: "likely", text: "the peers' pre-shared keys differ"),
            ]
        case .notificationsUndecryptable:
            return [
                Clause(
                    inline: "; the responder's notifications do not decrypt", label: "evidence",
                    text: "the responder's notifications do not decrypt with these keys"),
                Clause(
                    inline: " (PSKs differ?)", label: "likely",
                    text: "the peers derived different keys (pre-shared keys differ?)"),
            ]
        }
    }

    /// The purpose in the headline's parentheses: an Informational exchange that did not
    /// open says only why; nil when the fact says the same.
    static func purpose(_ purpose: IKEExchangePurpose, fact: String) -> String? {
        let words: String
        if case .unreadInformational(let decryption) = purpose {
            words = decryption.label
        } else {
            words = IKEExchangeWords.purpose(purpose)
        }
        return words == fact ? nil : words
    }

    /// The round trip, the retransmissions and the other answers as clauses.
    static func timing(_ exchange: IKEExchangeRecord) -> [Clause] {
        var clauses: [Clause] = []
        if let rtt = exchange.roundTrip {
            let shown = IKEDescribe.milliseconds(rtt)
            clauses.append(Clause(inline: ", rtt \(shown)", label: "rtt", text: shown))
        }
        var inline: [String] = []
        var counts: [String] = []
        if exchange.requestRetransmissions > 0 {
            inline.append("request retransmitted \(exchange.requestRetransmissions)×")
            counts.append("request \(exchange.requestRetransmissions)×")
        }
        if exchange.responseRetransmissions > 0 {
            inline.append("response retransmitted \(exchange.responseRetransmissions)×")
            counts.append("response \(exchange.responseRetransmissions)×")
        }
        if !inline.isEmpty {
            clauses.append(
                Clause(
                    inline: ", " + inline.joined(separator: ", "), label: "retransmitted",
                    text: counts.joined(separator: ", ")))
        }
        if !exchange.otherResponses.isEmpty {
            let list = exchange.otherResponses.map(String.init).joined(separator: ", ")
            clauses.append(
                Clause(
                    inline:
                        ", \(exchange.otherResponses.count) other answer(s) to retransmitted requests (frames \(list))",
                    label: "other answers", text: "frames \(list) (to retransmitted requests)"))
        }
        return clauses
    }

    private static func frames(_ frames: [Int]) -> String { IKEExchangeWords.frameList(frames) }
}

extension IKELadderWords {
    /// A CHILD_SA's keys in the fewest words ("PFS (MODP_2048): KEYMAT needs the DH secret,
    /// never on the wire"); the key file by name and line.
    static func keying(_ keying: ChildSAKeying, child: ChildSARecord, version: IKESecurityAssociation.Version)
        -> String
    {
        let v1 = version == .v1
        switch keying {
        case .noDerivationKey(let origin):
            return "no \(v1 ? "SKEYID_d" : "SK_d") for this IKE SA in \(IKEDescribe.shortOrigin(origin))"
        case .prfUnknown:
            return v1
                ? "hash unknown (not in the key file, phase 1 not captured)"
                : "PRF unknown (not in the key file, IKE_SA_INIT not captured)"
        case .perfectForwardSecrecy:
            let group = child.keyExchangeGroup.map(IKESAWords.group) ?? "KE"
            return "PFS (\(group)): KEYMAT needs the DH secret, never on the wire"
        case .noncesMissing:
            return "nonces of the creating exchange not captured or not decrypted"
        default:
            return IKESAWords.keying(keying, child: child, version: version)
        }
    }

    /// The keys an ESP flow verified with, as a terminal says them: a key file by name and line
    /// ("charon-A.log:330"), keys derived from the CHILD_SA's own IKE SA by the key file that
    /// gave its SK_d ("derived from charon-B.log:178").
    static func keys(_ origin: SAOrigin) -> String {
        guard origin.line == 0, let from = origin.file.firstMatch(of: #/\((?:SK_d|SKEYID_d) from (.+)\)$/#) else {
            return IKEDescribe.shortOrigin(origin)
        }
        return "derived from " + TerminalRows.shortenedKeyFiles(String(from.output.1))
    }

    /// An authentication method by its common short name on a terminal: IKEv2's "Shared Key
    /// Message Integrity Code" as "PSK", its RSA and DSS "Digital Signature"s as "RSA-SIG" and
    /// "DSS-SIG" (IKEv1's names are short already).
    static func authentication(_ method: IKEAuthenticationMethod) -> String {
        switch method {
        case .v2(1): return "RSA-SIG"
        case .v2(2): return "PSK"
        case .v2(3): return "DSS-SIG"
        default: return IKESAWords.authentication(method)
        }
    }
}
