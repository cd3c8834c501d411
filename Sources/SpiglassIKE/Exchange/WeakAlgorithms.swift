import SpiglassSAD

/// IKE's findings on negotiated algorithms: the numbers of a chosen proposal mapped to typed
/// algorithms and judged by the one policy (`AlgorithmPolicy`, SpiglassSAD) that ESP's findings use.
enum WeakAlgorithms {
    /// IKEv2: each transform of the chosen proposal, for the IKE SA or a CHILD_SA (`what`).
    static func findings(_ transforms: [IKEv2Transform], what: String) -> [String] {
        transforms.compactMap { transform in
            judge(transform).map { "\(what): \(transform.name): \(AlgorithmPolicy.reason($0, in: .ikev2Proposal))" }
        }
    }

    /// IKEv1 phase 1: the responder's transform (RFC 2409 Appendix A attribute values), then
    /// Aggressive Mode with a pre-shared key, then IKEv1 itself (RFC 9395).
    static func findings(_ transform: IKEv1Transform, aggressive: Bool) -> [String] {
        let judged = [
            transform.encryptionAlgorithm.flatMap { IKEv1KeyDerivation.encryptionAlgorithm(attribute: $0) }
                .flatMap(AlgorithmPolicy.judge),
            transform.hashAlgorithm.flatMap(IKEv1Hash.init(attribute:)).flatMap { AlgorithmPolicy.judge($0.prf) },
            transform.group.flatMap { AlgorithmPolicy.judge(KeyExchangeGroup(rawValue: $0)) },
        ]
        var out = judged.compactMap { $0 }.map { "IKE SA: " + AlgorithmPolicy.reason($0, in: .ikev1PhaseOne) }
        if aggressive && transform.authenticationMethod == 1 {
            out.append(
                "IKE SA: Aggressive Mode with a pre-shared key sends a hash of the PSK"
                    + " that can be cracked offline")
        }
        out.append("IKE SA: IKEv1 is deprecated (RFC 9395)")
        return out
    }

    /// IANA "Transform Type Values": 1 ENCR, 2 PRF, 3 INTEG, 4 KE.
    static func judge(_ transform: IKEv2Transform) -> WeakAlgorithm? {
        switch transform.type {
        case 1: return encryption(id: transform.id).flatMap(AlgorithmPolicy.judge)
        case 2: return negotiatedPRF(id: transform.id).flatMap(AlgorithmPolicy.judge)
        case 3: return integrity(id: transform.id).flatMap(AlgorithmPolicy.judge)
        case 4: return AlgorithmPolicy.judge(KeyExchangeGroup(rawValue: transform.id))
        default: return nil
        }
    }

    /// The ciphers of IANA "Transform Type 1" the policy names: the three DES variants (1
    /// DES_IV64, 2 DES, 9 DES_IV32), 3 3DES and 11 NULL.
    static func encryption(id: UInt16) -> IKEEncryptionAlgorithm? {
        switch id {
        case 1, 2, 9: return .des
        case 3: return .tripleDES
        case 11: return .null
        default: return nil
        }
    }

    /// IANA "Transform Type 3" (integrity).
    static func integrity(id: UInt16) -> IKEIntegrityAlgorithm? {
        switch id {
        case 0: return IKEIntegrityAlgorithm.none
        case 1: return .hmacMD5_96
        case 2: return .hmacSHA1_96
        case 5: return .aesXCBC_96
        case 6: return .hmacMD5_128
        case 7: return .hmacSHA1_160
        case 8: return .aesCMAC_96
        case 12: return .hmacSHA256_128
        case 13: return .hmacSHA384_192
        case 14: return .hmacSHA512_256
        default: return nil
        }
    }
}
