import SpiglassIKE

/// Words for what the story's exchanges hold as values (how each ended, what it did): the text,
/// JSON and HTML reports say them alike.
public enum IKEExchangeWords {
    /// "ok", "no response", "NO_PROPOSAL_CHOSEN", "IKE SA established, CHILD_SA refused: ...".
    public static func outcome(_ outcome: IKEExchangeOutcome) -> String {
        switch outcome {
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
        case .phase1Incomplete(let failure): return phase1Incomplete(failure)
        case .quickModeUnconfirmed(let resent):
            return "incomplete: the responder sent message 2 again \(resent.count)× (frames \(frameList(resent))) "
                + "after message 3, which therefore never reached it or was not accepted"
        case .xauth(let succeeded): return succeeded ? "XAUTH ok" : "XAUTH failed"
        }
    }

    /// "phase 1 incomplete (5 of 6 messages)", with what the capture shows of why unless
    /// `withEvidence` is false (the refusal's verdict says it instead).
    public static func phase1Incomplete(_ failure: IKEv1Phase1Failure, withEvidence: Bool = true) -> String {
        let reason = "phase 1 incomplete (\(failure.messages) of \(failure.needed) messages)"
        guard withEvidence else { return reason }
        switch failure.evidence {
        case .none:
            return reason
        case .responderResent(let frames, let after):
            let aggressive = failure.aggressive
            return reason + ": the responder sent its message \(aggressive ? 2 : 4) again \(frames.count)× "
                + "(frames \(frameList(frames))) after the initiator's message \(aggressive ? 3 : 5) (frame \(after)), "
                + "so it could not decrypt or verify that message: the peers' pre-shared keys most likely differ"
        case .notificationsUndecryptable:
            return reason + "; the responder's notifications do not decrypt with these keys: "
                + "the peers derived different keys (pre-shared keys differ?)"
        }
    }

    /// "new CHILD_SA", "rekey IKE SA", "delete CHILD_SA, DPD R-U-THERE", "Mode Config 10.0.0.2".
    public static func purpose(_ purpose: IKEExchangePurpose) -> String {
        switch purpose {
        case .newChildSA: return "new CHILD_SA"
        case .rekeyChildSA: return "rekey CHILD_SA"
        case .rekeyIKESA: return "rekey IKE SA"
        case .createChildSAWithoutSA: return "CREATE_CHILD_SA without SA payload"
        case .livenessCheck: return "liveness check"
        case .informational(let contents):
            guard !contents.isEmpty else { return "informational" }
            return Set(contents.map(informational)).sorted().joined(separator: ", ")
        case .unreadInformational(let decryption): return "informational (\(decryption.label))"
        case .transaction(let xauth, let address):
            let shown = address.map { " " + $0.map(String.init).joined(separator: ".") } ?? ""
            return (xauth ? "XAUTH" : "Mode Config") + shown
        }
    }

    /// "delete IKE SA", "MOBIKE address update", "DPD R-U-THERE", a notify's name.
    public static func informational(_ content: IKEInformationalContent) -> String {
        switch content {
        case .deleteIKESA: return "delete IKE SA"
        case .deleteChildSA: return "delete CHILD_SA"
        case .mobikeAddressUpdate: return "MOBIKE address update"
        case .configuration: return "configuration"
        case .dpdRequest: return "DPD R-U-THERE"
        case .dpdAck: return "DPD R-U-THERE-ACK"
        case .notify(let type): return type.name
        }
    }

    /// "encryption transform 99", "ESP transform 250", "AES key length 100": what stood in the
    /// way of deriving a CHILD_SA's keys, with the numbers as they were negotiated.
    public static func unsupported(_ algorithm: UnsupportedChildAlgorithm) -> String {
        switch algorithm {
        case .encryptionTransform(let id): return "encryption transform \(id)"
        case .integrityTransform(let id): return "integrity transform \(id)"
        case .aesKeyLength(let bits): return "AES key length \(bits)"
        case .espTransform(let id): return "ESP transform \(id)"
        case .authenticationAlgorithm(let id): return "authentication algorithm \(id)"
        case .ahWithoutAuthentication: return "AH transform without an authentication algorithm"
        }
    }

    /// Frame numbers as "10, 15, 20" (at most the first six, then "…").
    static func frameList(_ frames: [Int]) -> String {
        frames.prefix(6).map(String.init).joined(separator: ", ") + (frames.count > 6 ? ", …" : "")
    }
}
