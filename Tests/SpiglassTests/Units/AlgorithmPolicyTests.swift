import SpiglassSAD
import Testing

@testable import SpiglassIKE

/// The one RFC 8221 / RFC 8247 table behind every weak-algorithm finding: the same algorithm is
/// judged alike whichever type carries it (ESP key files, IKEv2 transform numbers, IKEv1
/// attributes), and each finding keeps the words reports have always printed.
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

    @Test func espAndAHSAs() {
        #expect(
            WeakAlgorithmCheck.findings(for: Self.esp(.desCBC, .hmacMD5_96)) == [
                "DES-CBC is broken (RFC 8221: MUST NOT)", "HMAC-MD5-96 (RFC 8221: MUST NOT)",
            ])
        #expect(
            WeakAlgorithmCheck.findings(for: Self.esp(.tripleDESCBC, .null)) == [
                "3DES-CBC is legacy (RFC 8221: SHOULD NOT); its 64-bit blocks allow Sweet32-style attacks",
                "encryption without integrity (RFC 8221: MUST NOT for ESP): packets can be altered undetected",
            ])
        #expect(
            WeakAlgorithmCheck.findings(for: Self.esp(.blowfishCBC, .hmacSHA256_128))
                == ["blowfish-cbc has 64-bit blocks and is not in RFC 8221"])
        #expect(
            WeakAlgorithmCheck.findings(for: Self.esp(.cast5CBC, .hmacSHA256_128))
                == ["cast5-cbc has 64-bit blocks and is not in RFC 8221"])
        #expect(
            WeakAlgorithmCheck.findings(for: Self.esp(.null, .hmacSHA256_128))
                == ["NULL encryption: no confidentiality"])
        // AH has no cipher: its NULL encryption is no finding; its MD5 is.
        #expect(
            WeakAlgorithmCheck.findings(for: Self.esp(.null, .hmacMD5_96, .ah))
                == ["HMAC-MD5-96 (RFC 8221: MUST NOT)"])
        // SHA-1 integrity is MUST- in RFC 8221: not flagged on ESP; AEADs need no integrity transform.
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
        #expect(AlgorithmPolicy.judge(IntegrityAlgorithm.hmacMD5_96) == .md5Integrity)
        #expect(AlgorithmPolicy.judge(IKEIntegrityAlgorithm.hmacMD5_96) == .md5Integrity)
        #expect(AlgorithmPolicy.judge(IntegrityAlgorithm.hmacSHA1_96) == .sha1Integrity)
        #expect(AlgorithmPolicy.judge(IKEIntegrityAlgorithm.hmacSHA1_96) == .sha1Integrity)
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
        for group: UInt16 in [5, 14, 15, 16, 19, 20, 21, 31] {
            #expect(AlgorithmPolicy.judge(KeyExchangeGroup(rawValue: group)) == nil, "group \(group)")
        }
    }

    @Test func ikev2Proposals() {
        let transforms = [
            IKEv2Transform(type: 1, id: 3), IKEv2Transform(type: 1, id: 1), IKEv2Transform(type: 1, id: 11),
            IKEv2Transform(type: 1, id: 12, keyLength: 128),
            IKEv2Transform(type: 2, id: 1), IKEv2Transform(type: 2, id: 2),
            IKEv2Transform(type: 2, id: 5), IKEv2Transform(type: 3, id: 6), IKEv2Transform(type: 3, id: 2),
            IKEv2Transform(type: 3, id: 12), IKEv2Transform(type: 4, id: 1), IKEv2Transform(type: 4, id: 2),
            IKEv2Transform(type: 4, id: 24), IKEv2Transform(type: 4, id: 14), IKEv2Transform(type: 5, id: 0),
        ]
        #expect(
            WeakAlgorithms.findings(transforms, what: "CHILD_SA") == [
                "CHILD_SA: ENCR_3DES: 3DES is deprecated (RFC 8221/8247: SHOULD NOT)",
                "CHILD_SA: ENCR_DES_IV64: DES is broken (RFC 8221: MUST NOT)",
                "CHILD_SA: ENCR_NULL: NULL encryption: traffic in the clear",
                "CHILD_SA: PRF_HMAC_MD5: PRF HMAC-MD5 is deprecated (RFC 8247: MUST NOT)",
                "CHILD_SA: PRF_HMAC_SHA1: PRF HMAC-SHA1 is deprecated (RFC 8247)",
                "CHILD_SA: AUTH_HMAC_MD5_128: HMAC-MD5 integrity is deprecated (RFC 8221/8247: MUST NOT)",
                "CHILD_SA: AUTH_HMAC_SHA1_96: HMAC-SHA1 integrity is deprecated (RFC 8247: MUST- for IKE)",
                "CHILD_SA: MODP_768: MODP-768 is broken (RFC 8247: MUST NOT)",
                "CHILD_SA: MODP_1024: MODP-1024 is too weak (RFC 8247: SHOULD NOT)",
                "CHILD_SA: MODP_2048_256: MODP with small subgroup (RFC 8247: SHOULD NOT)",
            ])
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
            WeakAlgorithms.findings(weak, aggressive: true) == [
                "IKE SA: DES is broken (RFC 8247: MUST NOT)",
                "IKE SA: MD5 hash is deprecated (RFC 8247: MUST NOT)",
                "IKE SA: MODP-768 is broken (RFC 8247: MUST NOT)",
                "IKE SA: Aggressive Mode with a pre-shared key sends a hash of the PSK that can be cracked offline",
                "IKE SA: IKEv1 is deprecated (RFC 9395)",
            ])
        let legacy = Self.phaseOne(encryption: 5, hash: 2, method: 3, group: 2)
        #expect(
            WeakAlgorithms.findings(legacy, aggressive: false) == [
                "IKE SA: 3DES is deprecated (RFC 8247: SHOULD NOT)",
                "IKE SA: SHA-1 hash is deprecated (RFC 8247)",
                "IKE SA: MODP-1024 is too weak (RFC 8247: SHOULD NOT)",
                "IKE SA: IKEv1 is deprecated (RFC 9395)",
            ])
        // The small-subgroup MODP groups are judged as in IKEv2 (the IKEv1 table used to lack them).
        let smallSubgroup = Self.phaseOne(encryption: 7, hash: 4, method: 3, group: 24)
        #expect(
            WeakAlgorithms.findings(smallSubgroup, aggressive: false) == [
                "IKE SA: MODP with small subgroup (RFC 8247: SHOULD NOT)", "IKE SA: IKEv1 is deprecated (RFC 9395)",
            ])
        // AES-CBC (7) with SHA2-256 (4) and group 14: only IKEv1 itself.
        let modern = Self.phaseOne(encryption: 7, hash: 4, method: 1, group: 14)
        #expect(WeakAlgorithms.findings(modern, aggressive: false) == ["IKE SA: IKEv1 is deprecated (RFC 9395)"])
    }
}
