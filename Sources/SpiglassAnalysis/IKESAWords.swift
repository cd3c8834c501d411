import SpiglassIKE
import SpiglassSAD

/// Words for what the story's IKE SA and CHILD_SA records hold as values (how they ended, the
/// groups and methods negotiated): the text and JSON reports say them alike.
public enum IKESAWords {
    /// "established", "failed: NO_PROPOSAL_CHOSEN", "no response", ...
    public static func state(_ state: IKESAState) -> String {
        switch state {
        case .negotiating: return "negotiating"
        case .established: return "established"
        case .failed(let failure): return "failed: \(Self.failure(failure))"
        case .noResponse: return "no response"
        case .rekeyed: return "rekeyed"
        case .deleted: return "deleted"
        }
    }

    /// "NO_PROPOSAL_CHOSEN", "phase 1 incomplete (5 of 6 messages): ...".
    public static func failure(_ failure: IKESAFailure) -> String {
        switch failure {
        case .notify(let type, _): return type.name
        case .phase1Incomplete(let incomplete): return IKEExchangeWords.phase1Incomplete(incomplete)
        }
    }

    /// "TS_UNACCEPTABLE", "no response", "no SA payload in the response".
    public static func failure(_ failure: ChildSAFailure) -> String {
        switch failure {
        case .notify(let type): return type.name
        case .noSAPayloadInResponse: return IKEExchangeWords.outcome(.noSAPayloadInResponse)
        case .noResponse: return IKEExchangeWords.outcome(.noResponse)
        }
    }

    /// "IKE_AUTH response, frame 4", "IKE_SA_INIT request, frame 1, sent 4 times",
    /// "Informational, frame 2".
    public static func evidence(_ evidence: IKEFailureEvidence) -> String {
        switch evidence {
        case .message(let type, let isResponse, let frames):
            let plural = frames.count > 1 ? "s" : ""
            return "\(type.name) \(isResponse ? "response" : "request"), frame\(plural) \(frameList(frames))"
        case .unansweredRequest(let type, let frame, let timesSent):
            let sent = timesSent > 1 ? ", sent \(timesSent) times" : ""
            return "\(type.name) request\(frame.map { ", frame \($0)" } ?? "")\(sent)"
        case .informational(let frames):
            return "Informational, frame \(frameList(frames))"
        }
    }

    /// "derived from SK_d", "created with PFS (MODP_2048): ...": `child`'s keys, for an IKE SA
    /// of `version` (IKEv1 derives from SKEYID_d).
    public static func keying(
        _ keying: ChildSAKeying, child: ChildSARecord, version: IKESecurityAssociation.Version
    ) -> String {
        let v1 = version == .v1
        let key = v1 ? "SKEYID_d" : "SK_d"
        switch keying {
        case .derived: return "derived from \(key)"
        case .noIKESAKeys: return "no key file gives this IKE SA's \(key)"
        case .noDerivationKey(let origin): return "the key file gives no \(key) for this IKE SA (\(origin))"
        case .prfUnknown:
            return v1
                ? "the IKE SA's hash is unknown (not in the key file, phase 1 not captured)"
                : "the PRF of this IKE SA is unknown (not in the key file, IKE_SA_INIT not captured)"
        case .perfectForwardSecrecy:
            let secret = v1 ? "Quick Mode DH shared secret" : "DH shared secret"
            return
                "created with PFS (\(child.keyExchangeGroup.map(group) ?? "KE")): its KEYMAT needs the \(secret), which no capture holds"
        case .unsupportedAlgorithms(let algorithms):
            let names = algorithms?.map(IKEExchangeWords.unsupported).joined(separator: ", ")
            return "algorithms not supported: \(names ?? "unknown")"
        case .notESPOrAH(let protocolID): return "protocol \(protocolID) is neither ESP nor AH"
        case .noncesMissing: return "the nonces of the creating exchange were not captured or not decrypted"
        case .spisMissing: return "SPIs missing from the SA payloads"
        case .derivationFailed(let why): return "derivation failed: \(IKEProtectionErrorText.description(why))"
        }
    }

    /// "MODP_2048" (IKEv2's IANA name), "MODP2048" (IKEv1's).
    public static func group(_ group: IKEKeyExchangeGroup) -> String {
        switch group {
        case .v1(let id): return IKEv1Names.groupName(id)
        case .v2(let id): return IKEv2Names.transformIDName(type: IKEv2TransformType.keyExchange, id: id)
        }
    }

    /// The group an INVALID_KE_PAYLOAD asked for, or "unknown group".
    public static func group(_ request: IKEInvalidKERequest) -> String {
        switch request {
        case .group(let requested): return group(requested)
        case .unreadable: return "unknown group"
        }
    }

    /// "Shared Key Message Integrity Code" (IKEv2), "PSK" (IKEv1).
    public static func authentication(_ method: IKEAuthenticationMethod) -> String {
        switch method {
        case .v1(let id): return IKEv1Names.authMethodName(id)
        case .v2(let id): return IKEv2Names.authMethodName(id)
        }
    }

    private static func frameList(_ frames: [Int]) -> String { frames.map(String.init).joined(separator: ",") }
}
