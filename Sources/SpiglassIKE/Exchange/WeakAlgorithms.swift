import SpiglassSAD

/// IKE's findings on negotiated algorithms: the numbers of a chosen proposal mapped to typed
/// algorithms and judged by the one policy (`AlgorithmPolicy`, SpiglassSAD) that ESP's findings use.
enum WeakAlgorithms {
    /// IKEv2: each transform of the chosen proposal, for the IKE SA (RFC 8247) or a CHILD_SA
    /// (`subject`; its ESP or AH algorithms by RFC 8221), then an ESP CHILD_SA that has neither an
    /// AEAD cipher nor an integrity transform.
    static func findings(_ proposal: IKEv2Proposal, subject: IKEFindingSubject) -> [IKEFinding] {
        let use: AlgorithmUse = proposal.protocolID == IKEv2ProtocolID.ike ? .ikeSAProposal : .childSAProposal
        var out = proposal.transforms.compactMap { transform in
            judge(transform).flatMap { weak in
                AlgorithmPolicy.isFlagged(weak, in: use)
                    ? IKEFinding.weakAlgorithm(weak, use: use, subject: subject, transform: transform) : nil
            }
        }
        if proposal.protocolID == IKEv2ProtocolID.esp && lacksIntegrity(proposal.transforms) {
            out.append(.weakAlgorithm(.encryptionWithoutIntegrity, use: use, subject: subject, transform: nil))
        }
        return out
    }

    /// IKEv1 phase 1: the responder's transform (RFC 2409 Appendix A attribute values), then
    /// Aggressive Mode with a pre-shared key, then IKEv1 itself (RFC 9395).
    static func findings(_ transform: IKEv1Transform, aggressive: Bool) -> [IKEFinding] {
        let judged = [
            transform.encryptionAlgorithm.flatMap(phaseOneCipher(attribute:)),
            transform.hashAlgorithm.flatMap(phaseOneHash(attribute:)),
            transform.group.flatMap { AlgorithmPolicy.judge(KeyExchangeGroup(rawValue: $0)) },
        ]
        var out = judged.compactMap { $0 }.filter { AlgorithmPolicy.isFlagged($0, in: .ikev1PhaseOne) }
            .map { IKEFinding.weakAlgorithm($0, use: .ikev1PhaseOne, subject: .ikeSA, transform: nil) }
        if aggressive && transform.authenticationMethod == 1 { out.append(.aggressiveModePSK) }
        out.append(.ikev1Deprecated)
        return out
    }

    /// IANA "Transform Type Values": 1 ENCR, 2 PRF, 3 INTEG, 4 KE.
    static func judge(_ transform: IKEv2Transform) -> WeakAlgorithm? {
        switch transform.type {
        case 1: return legacyCiphers[transform.id] ?? encryption(id: transform.id).flatMap(AlgorithmPolicy.judge)
        case 2: return transform.id == 3 ? .tigerPRF : negotiatedPRF(id: transform.id).flatMap(AlgorithmPolicy.judge)
        case 3: return legacyIntegrity[transform.id] ?? integrity(id: transform.id).flatMap(AlgorithmPolicy.judge)
        case 4: return AlgorithmPolicy.judge(KeyExchangeGroup(rawValue: transform.id))
        default: return nil
        }
    }

    /// The ciphers of IANA "Transform Type 1" that have a key-file type: the three DES variants
    /// (1 DES_IV64, 2 DES, 9 DES_IV32), 3 3DES and 11 NULL.
    static func encryption(id: UInt16) -> IKEEncryptionAlgorithm? {
        switch id {
        case 1, 2, 9: return .des
        case 3: return .tripleDES
        case 11: return .null
        default: return nil
        }
    }

    /// IKEv1-era ciphers of "Transform Type 1" no key file names: 4 RC5, 5 IDEA, 6 CAST,
    /// 7 BLOWFISH, 8 3IDEA.
    static let legacyCiphers: [UInt16: WeakAlgorithm] = [4: .rc5, 5: .idea, 6: .cast, 7: .blowfish, 8: .tripleIDEA]

    /// "Transform Type 3" MACs no key file names: 3 AUTH_DES_MAC, 4 AUTH_KPDK_MD5.
    static let legacyIntegrity: [UInt16: WeakAlgorithm] = [3: .desMAC, 4: .kpdkMD5]

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

    /// RFC 2409 Appendix A Encryption Algorithm values: 1 DES, 5 3DES (key-file types), and
    /// 2 IDEA, 3 Blowfish, 4 RC5-R16-B64, 6 CAST.
    static func phaseOneCipher(attribute value: UInt16) -> WeakAlgorithm? {
        let legacy: [UInt16: WeakAlgorithm] = [2: .idea, 3: .blowfish, 4: .rc5, 6: .cast]
        return legacy[value] ?? IKEv1KeyDerivation.encryptionAlgorithm(attribute: value).flatMap(AlgorithmPolicy.judge)
    }

    /// RFC 2409 Appendix A Hash Algorithm values; 3 is Tiger, which no key file names.
    static func phaseOneHash(attribute value: UInt16) -> WeakAlgorithm? {
        value == 3 ? .tigerPRF : IKEv1Hash(attribute: value).flatMap { AlgorithmPolicy.judge($0.prf) }
    }

    /// An ESP proposal with a cipher known not to be an AEAD (nor NULL) and no integrity
    /// transform, or only NONE: RFC 8221 6 forbids AUTH_NONE there.
    static func lacksIntegrity(_ transforms: [IKEv2Transform]) -> Bool {
        guard transforms.contains(where: { $0.type == 1 }), !transforms.contains(where: { $0.type == 3 && $0.id != 0 })
        else { return false }
        let encryption = NegotiatedChildAlgorithms(transforms: transforms.map { ($0.type, $0.id, $0.keyLength) })
            .encryption
        if case .unsupported = encryption { return false }
        return encryption != .null && !encryption.isAEAD
    }
}
