import SpiglassAnalysis
import SpiglassSAD
import Testing

@testable import SpiglassIKE

/// The one RFC 8221 / RFC 8247 table behind every weak-algorithm finding: the same algorithm is
/// judged alike whichever type carries it (ESP key files, IKEv2 transform numbers, IKEv1
/// attributes); each level is pinned to its table's line, and each finding cites that line.
@Suite struct AlgorithmPolicyTests {
    static func esp(
        _ encryption: EncryptionAlgorithm, _ integrity: IntegrityAlgorithm,
        _ ipsecProtocol: IPsecProtocol = .esp
    ) -> SecurityAssociation {
        var sa = SecurityAssociation(
            spi: 1, encryption: encryption, encryptionKey: [],
            integrity: integrity, integrityKey: [])
        sa.ipsecProtocol = ipsecProtocol
        return sa
    }

    /// RFC 8221 5 (ESP encryption) and 6 (ESP and AH authentication), line by line, as ESP and
    /// AH SAs and CHILD_SAs see them.
    @Test(arguments: [AlgorithmUse.ipsecSA, .childSAProposal])
    func rfc8221Lines(_ use: AlgorithmUse) {
        let lines: [(WeakAlgorithm, String)] = [
            (.des, "RFC 8221 5: ENCR_DES MUST NOT"),
            (.tripleDES, "RFC 8221 5: ENCR_3DES SHOULD NOT"),
            (.blowfish, "RFC 8221 5: ENCR_BLOWFISH MUST NOT"),
            (.tripleIDEA, "RFC 8221 5: ENCR_3IDEA MUST NOT"),
            (.nullEncryption, "RFC 8221 5: ENCR_NULL MUST"),
            (.encryptionWithoutIntegrity, "RFC 8221 6: AUTH_NONE MUST NOT"),
            (.md5Integrity, "RFC 8221 6: AUTH_HMAC_MD5_96 MUST NOT"),
            (.desMAC, "RFC 8221 6: AUTH_DES_MAC MUST NOT"),
            (.kpdkMD5, "RFC 8221 6: AUTH_KPDK_MD5 MUST NOT"),
            (.sha1Integrity, "RFC 8221 6: AUTH_HMAC_SHA1_96 MUST-"),
            // Not in RFC 8221's tables: deprecated with IKEv1's other ciphers.
            (.cast, "RFC 9395: ENCR_CAST deprecated"),
            (.idea, "RFC 9395: ENCR_IDEA deprecated"),
            (.rc5, "RFC 9395: ENCR_RC5 deprecated"),
            // Diffie-Hellman groups of a CHILD_SA (PFS) are IKE's: RFC 8247 2.4.
            (.modp1536, "RFC 8247 2.4: group 5 SHOULD NOT"),
        ]
        for (weak, line) in lines {
            #expect(AlgorithmRequirement.covering(weak, in: use)?.description == line, "\(weak)")
        }
    }

    /// RFC 8247 2.1 to 2.4, line by line, as the IKE SA sees them (IKEv2, and IKEv1 read against
    /// the same tables).
    @Test(arguments: [AlgorithmUse.ikeSAProposal, .ikev1PhaseOne])
    func rfc8247Lines(_ use: AlgorithmUse) {
        let lines: [(WeakAlgorithm, String)] = [
            (.des, "RFC 8247 2.1: ENCR_DES MUST NOT"),
            (.tripleDES, "RFC 8247 2.1: ENCR_3DES MAY"),
            (.md5PRF, "RFC 8247 2.2: PRF_HMAC_MD5 MUST NOT"),
            (.sha1PRF, "RFC 8247 2.2: PRF_HMAC_SHA1 MUST-"),
            (.md5Integrity, "RFC 8247 2.3: AUTH_HMAC_MD5_96 MUST NOT"),
            (.desMAC, "RFC 8247 2.3: AUTH_DES_MAC MUST NOT"),
            (.kpdkMD5, "RFC 8247 2.3: AUTH_KPDK_MD5 MUST NOT"),
            (.sha1Integrity, "RFC 8247 2.3: AUTH_HMAC_SHA1_96 MUST-"),
            (.modp768, "RFC 8247 2.4: group 1 MUST NOT"),
            (.modp1024, "RFC 8247 2.4: group 2 SHOULD NOT"),
            (.modp1536, "RFC 8247 2.4: group 5 SHOULD NOT"),
            (.modp1024s160, "RFC 8247 2.4: group 22 SHOULD NOT"),
            (.modp2048s224, "RFC 8247 2.4: group 23 SHOULD NOT"),
            (.modp2048s256, "RFC 8247 2.4: group 24 SHOULD NOT"),
            // IKEv1-era algorithms RFC 8247 does not list.
            (.blowfish, "RFC 9395: ENCR_BLOWFISH deprecated"),
            (.tripleIDEA, "RFC 9395: ENCR_3IDEA deprecated"),
            (.cast, "RFC 9395: ENCR_CAST deprecated"),
            (.tigerPRF, "RFC 9395: PRF_HMAC_TIGER deprecated"),
        ]
        for (weak, line) in lines {
            #expect(AlgorithmRequirement.covering(weak, in: use)?.description == line, "\(weak)")
        }
        #expect(AlgorithmRequirement.covering(.nullEncryption, in: use) == nil)
    }

    /// MUST NOT, SHOULD NOT and deprecated are findings everywhere; MUST- only in IKE proposals
    /// (a key file's finding fails `--fail-on weak-algorithm`); MAY never (3DES for the IKE SA);
    /// NULL encryption always, for what it means.
    @Test func whatIsFlagged() {
        for use in [AlgorithmUse.ipsecSA, .childSAProposal, .ikeSAProposal, .ikev1PhaseOne] {
            #expect(AlgorithmPolicy.isFlagged(.des, in: use))
            #expect(AlgorithmPolicy.isFlagged(.modp1536, in: use))
            #expect(AlgorithmPolicy.isFlagged(.cast, in: use))
            #expect(AlgorithmPolicy.isFlagged(.nullEncryption, in: use))
            #expect(AlgorithmPolicy.isFlagged(.sha1Integrity, in: use) == (use != .ipsecSA))
            #expect(AlgorithmPolicy.isFlagged(.tripleDES, in: use) == use.isIPsec)
        }
    }

    @Test func espAndAHSAs() {
        #expect(
            WeakAlgorithmCheck.findings(for: Self.esp(.desCBC, .hmacMD5_96)) == [
                "DES is broken (RFC 8221 5: ENCR_DES MUST NOT)",
                "HMAC-MD5 integrity (RFC 8221 6: AUTH_HMAC_MD5_96 MUST NOT)",
            ])
        #expect(
            WeakAlgorithmCheck.findings(for: Self.esp(.tripleDESCBC, .null)) == [
                "3DES has 64-bit blocks (Sweet32) (RFC 8221 5: ENCR_3DES SHOULD NOT)",
                "encryption without integrity: packets can be altered undetected (no AEAD cipher)"
                    + " (RFC 8221 6: AUTH_NONE MUST NOT)",
            ])
        #expect(
            WeakAlgorithmCheck.findings(for: Self.esp(.blowfishCBC, .hmacSHA256_128))
                == ["Blowfish has 64-bit blocks (RFC 8221 5: ENCR_BLOWFISH MUST NOT)"])
        #expect(
            WeakAlgorithmCheck.findings(for: Self.esp(.cast5CBC, .hmacSHA256_128))
                == ["CAST-128 has 64-bit blocks (RFC 9395: ENCR_CAST deprecated)"])
        #expect(
            WeakAlgorithmCheck.findings(for: Self.esp(.null, .hmacSHA256_128))
                == ["NULL encryption: no confidentiality (integrity only; RFC 8221 5: ENCR_NULL MUST)"])
        // AH has no cipher: its NULL encryption is no finding; its MD5 is.
        #expect(
            WeakAlgorithmCheck.findings(for: Self.esp(.null, .hmacMD5_96, .ah))
                == ["HMAC-MD5 integrity (RFC 8221 6: AUTH_HMAC_MD5_96 MUST NOT)"])
        // SHA-1 integrity is MUST- in RFC 8221 6: not flagged on a key file's SA; AEADs need no
        // integrity transform.
        #expect(WeakAlgorithmCheck.findings(for: Self.esp(.aesCBC, .hmacSHA1_96)).isEmpty)
        #expect(WeakAlgorithmCheck.findings(for: Self.esp(.aesGCM(icvLength: 16), .null)).isEmpty)
        #expect(WeakAlgorithmCheck.findings(for: Self.esp(.chaCha20Poly1305, .null)).isEmpty)
    }

    /// One algorithm, one judgement, through each type that can name it.
    @Test func theSameAlgorithmIsJudgedAlikeInEveryType() {
        #expect(AlgorithmPolicy.judge(EncryptionAlgorithm.desCBC) == .des)
        #expect(AlgorithmPolicy.judge(IKEEncryptionAlgorithm.des) == .des)
        #expect(AlgorithmPolicy.judge(EncryptionAlgorithm.tripleDESCBC) == .tripleDES)
        #expect(AlgorithmPolicy.judge(IKEEncryptionAlgorithm.tripleDES) == .tripleDES)
        #expect(AlgorithmPolicy.judge(EncryptionAlgorithm.null) == .nullEncryption)
        #expect(AlgorithmPolicy.judge(IKEEncryptionAlgorithm.null) == .nullEncryption)
        #expect(AlgorithmPolicy.judge(EncryptionAlgorithm.blowfishCBC) == WeakAlgorithms.legacyCiphers[7])
        #expect(AlgorithmPolicy.judge(EncryptionAlgorithm.cast5CBC) == WeakAlgorithms.legacyCiphers[6])
        #expect(AlgorithmPolicy.judge(IntegrityAlgorithm.hmacMD5_96) == .md5Integrity)
        #expect(AlgorithmPolicy.judge(IKEIntegrityAlgorithm.hmacMD5_96) == .md5Integrity)
        #expect(AlgorithmPolicy.judge(IntegrityAlgorithm.hmacSHA1_96) == .sha1Integrity)
        #expect(AlgorithmPolicy.judge(IKEIntegrityAlgorithm.hmacSHA1_96) == .sha1Integrity)
        #expect(WeakAlgorithms.phaseOneCipher(attribute: 3) == .blowfish)
        #expect(WeakAlgorithms.phaseOneHash(attribute: 3) == .tigerPRF)
        let strongCiphers = [
            EncryptionAlgorithm.aesCBC, .aesCTR, .aesGCM(icvLength: 16), .chaCha20Poly1305,
            .aesCCM(icvLength: 8),
        ]
        for strong in strongCiphers {
            #expect(AlgorithmPolicy.judge(strong) == nil, "\(strong.name)")
        }
        for strong in [IntegrityAlgorithm.hmacSHA256_128, .hmacSHA384_192, .hmacSHA512_256, .aesXCBC_96, .aesCMAC_96] {
            #expect(AlgorithmPolicy.judge(strong) == nil, "\(strong.name)")
        }
        for strong in [IKEPRF.hmacSHA256, .hmacSHA384, .hmacSHA512, .aesXCBC, .aesCMAC] {
            #expect(AlgorithmPolicy.judge(strong) == nil, "\(strong.name)")
        }
        for group: UInt16 in [14, 15, 16, 19, 20, 21, 31] {
            #expect(AlgorithmPolicy.judge(KeyExchangeGroup(rawValue: group)) == nil, "group \(group)")
        }
    }

    static let weakTransforms = [
        IKEv2Transform(type: 1, id: 3), IKEv2Transform(type: 1, id: 1), IKEv2Transform(type: 1, id: 11),
        IKEv2Transform(type: 1, id: 7), IKEv2Transform(type: 1, id: 12, keyLength: 128),
        IKEv2Transform(type: 2, id: 1), IKEv2Transform(type: 2, id: 2),
        IKEv2Transform(type: 2, id: 5), IKEv2Transform(type: 3, id: 6), IKEv2Transform(type: 3, id: 2),
        IKEv2Transform(type: 3, id: 12), IKEv2Transform(type: 4, id: 1), IKEv2Transform(type: 4, id: 2),
        IKEv2Transform(type: 4, id: 5), IKEv2Transform(type: 4, id: 24), IKEv2Transform(type: 4, id: 14),
        IKEv2Transform(type: 5, id: 0),
    ]

    /// The IKE SA by RFC 8247: 3DES is a MAY there, no finding.
    @Test func ikev2IKESAProposal() {
        let proposal = IKEv2Proposal(number: 1, protocolID: 1, spi: [], transforms: Self.weakTransforms)
        #expect(
            WeakAlgorithms.findings(proposal, subject: .ikeSA).map(\.text) == [
                "IKE SA: ENCR_DES_IV64: DES is broken (RFC 8247 2.1: ENCR_DES MUST NOT)",
                "IKE SA: ENCR_NULL: NULL encryption: no confidentiality (not in RFC 8247 2.1)",
                "IKE SA: ENCR_BLOWFISH: Blowfish has 64-bit blocks (RFC 9395: ENCR_BLOWFISH deprecated)",
                "IKE SA: PRF_HMAC_MD5: PRF HMAC-MD5 (RFC 8247 2.2: PRF_HMAC_MD5 MUST NOT)",
                "IKE SA: PRF_HMAC_SHA1: PRF HMAC-SHA1 is likely to be demoted (RFC 8247 2.2: PRF_HMAC_SHA1 MUST-)",
                "IKE SA: AUTH_HMAC_MD5_128: HMAC-MD5 integrity (RFC 8247 2.3: AUTH_HMAC_MD5_96 MUST NOT)",
                "IKE SA: AUTH_HMAC_SHA1_96: HMAC-SHA1 integrity is likely to be demoted"
                    + " (RFC 8247 2.3: AUTH_HMAC_SHA1_96 MUST-)",
                "IKE SA: MODP_768: MODP-768 is broken (RFC 8247 2.4: group 1 MUST NOT)",
                "IKE SA: MODP_1024: MODP-1024 is too weak (RFC 8247 2.4: group 2 SHOULD NOT)",
                "IKE SA: MODP_1536: MODP-1536 has too narrow a security margin (RFC 8247 2.4: group 5 SHOULD NOT)",
                "IKE SA: MODP_2048_256: MODP-2048 with a 256-bit prime-order subgroup"
                    + " (RFC 8247 2.4: group 24 SHOULD NOT)",
            ])
    }

    /// A CHILD_SA by RFC 8221 (its group by RFC 8247 2.4): 3DES is a SHOULD NOT there.
    @Test func ikev2ChildSAProposal() {
        let esp = Self.weakTransforms.filter { $0.type != 2 }
        let proposal = IKEv2Proposal(number: 1, protocolID: 3, spi: [1, 2, 3, 4], transforms: esp)
        #expect(
            WeakAlgorithms.findings(proposal, subject: .childSA).map(\.text) == [
                "CHILD_SA: ENCR_3DES: 3DES has 64-bit blocks (Sweet32) (RFC 8221 5: ENCR_3DES SHOULD NOT)",
                "CHILD_SA: ENCR_DES_IV64: DES is broken (RFC 8221 5: ENCR_DES MUST NOT)",
                "CHILD_SA: ENCR_NULL: NULL encryption: no confidentiality (integrity only; RFC 8221 5: ENCR_NULL MUST)",
                "CHILD_SA: ENCR_BLOWFISH: Blowfish has 64-bit blocks (RFC 8221 5: ENCR_BLOWFISH MUST NOT)",
                "CHILD_SA: AUTH_HMAC_MD5_128: HMAC-MD5 integrity (RFC 8221 6: AUTH_HMAC_MD5_96 MUST NOT)",
                "CHILD_SA: AUTH_HMAC_SHA1_96: HMAC-SHA1 integrity is likely to be demoted"
                    + " (RFC 8221 6: AUTH_HMAC_SHA1_96 MUST-)",
                "CHILD_SA: MODP_768: MODP-768 is broken (RFC 8247 2.4: group 1 MUST NOT)",
                "CHILD_SA: MODP_1024: MODP-1024 is too weak (RFC 8247 2.4: group 2 SHOULD NOT)",
                "CHILD_SA: MODP_1536: MODP-1536 has too narrow a security margin (RFC 8247 2.4: group 5 SHOULD NOT)",
                "CHILD_SA: MODP_2048_256: MODP-2048 with a 256-bit prime-order subgroup"
                    + " (RFC 8247 2.4: group 24 SHOULD NOT)",
            ])
        // ESP with AES-CBC and no integrity transform (or only NONE); an AEAD or AH needs none.
        let cbcAlone = [IKEv2Transform(type: 1, id: 12, keyLength: 128), IKEv2Transform(type: 3, id: 0)]
        #expect(
            WeakAlgorithms.findings(
                IKEv2Proposal(number: 1, protocolID: 3, spi: [], transforms: cbcAlone), subject: .childSA
            ).map(\.text)
                == [
                    "CHILD_SA: encryption without integrity: packets can be altered undetected (no AEAD cipher)"
                        + " (RFC 8221 6: AUTH_NONE MUST NOT)"
                ])
        let gcm = [IKEv2Transform(type: 1, id: 20, keyLength: 256)]
        #expect(
            WeakAlgorithms.findings(
                IKEv2Proposal(number: 1, protocolID: 3, spi: [], transforms: gcm), subject: .childSA
            ).map(\.text)
                .isEmpty)
        let ah = [IKEv2Transform(type: 3, id: 12)]
        #expect(
            WeakAlgorithms.findings(IKEv2Proposal(number: 1, protocolID: 2, spi: [], transforms: ah), subject: .childSA)
                .map(\.text)
                .isEmpty)
    }

    static func phaseOne(encryption: UInt16, hash: UInt16, method: UInt16, group: UInt16) -> IKEv1Transform {
        let attributes = [(1, encryption), (2, hash), (3, method), (4, group)].map { type, value in
            IKEv1Attribute(type: UInt16(type), value: [UInt8(value >> 8), UInt8(value & 0xff)], isBasic: true)
        }
        return IKEv1Transform(number: 1, transformID: 1, attributes: attributes, protocolID: 1)
    }

    @Test func ikev1PhaseOne() {
        let weak = Self.phaseOne(encryption: 1, hash: 1, method: 1, group: 1)
        #expect(
            WeakAlgorithms.findings(weak, aggressive: true).map(\.text) == [
                "IKE SA: DES is broken (RFC 8247 2.1: ENCR_DES MUST NOT)",
                "IKE SA: MD5 hash (RFC 8247 2.2: PRF_HMAC_MD5 MUST NOT)",
                "IKE SA: MODP-768 is broken (RFC 8247 2.4: group 1 MUST NOT)",
                "IKE SA: Aggressive Mode with a pre-shared key sends a hash of the PSK that can be cracked offline",
                "IKE SA: IKEv1 is deprecated (RFC 9395)",
            ])
        // 3DES is a MAY in RFC 8247 2.1: no finding; SHA-1 is MUST-; MODP-1536 SHOULD NOT.
        let legacy = Self.phaseOne(encryption: 5, hash: 2, method: 3, group: 5)
        #expect(
            WeakAlgorithms.findings(legacy, aggressive: false).map(\.text) == [
                "IKE SA: SHA-1 hash is likely to be demoted (RFC 8247 2.2: PRF_HMAC_SHA1 MUST-)",
                "IKE SA: MODP-1536 has too narrow a security margin (RFC 8247 2.4: group 5 SHOULD NOT)",
                "IKE SA: IKEv1 is deprecated (RFC 9395)",
            ])
        // Blowfish (3) and Tiger (3), which IKEv2 never specified.
        let ikev1Only = Self.phaseOne(encryption: 3, hash: 3, method: 3, group: 2)
        #expect(
            WeakAlgorithms.findings(ikev1Only, aggressive: false).map(\.text) == [
                "IKE SA: Blowfish has 64-bit blocks (RFC 9395: ENCR_BLOWFISH deprecated)",
                "IKE SA: Tiger hash (RFC 9395: PRF_HMAC_TIGER deprecated)",
                "IKE SA: MODP-1024 is too weak (RFC 8247 2.4: group 2 SHOULD NOT)",
                "IKE SA: IKEv1 is deprecated (RFC 9395)",
            ])
        // The small-subgroup MODP groups are judged as in IKEv2.
        let smallSubgroup = Self.phaseOne(encryption: 7, hash: 4, method: 3, group: 24)
        #expect(
            WeakAlgorithms.findings(smallSubgroup, aggressive: false).map(\.text) == [
                "IKE SA: MODP-2048 with a 256-bit prime-order subgroup (RFC 8247 2.4: group 24 SHOULD NOT)",
                "IKE SA: IKEv1 is deprecated (RFC 9395)",
            ])
        // AES-CBC (7) with SHA2-256 (4) and group 14: only IKEv1 itself.
        let modern = Self.phaseOne(encryption: 7, hash: 4, method: 1, group: 14)
        #expect(
            WeakAlgorithms.findings(modern, aggressive: false).map(\.text) == ["IKE SA: IKEv1 is deprecated (RFC 9395)"]
        )
    }
}
