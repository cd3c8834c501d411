import SpiglassCapture
import SpiglassCrypto
import SpiglassSAD
import Testing

@testable import SpiglassAnalysis
@testable import SpiglassIKE

/// The words of the typed IKE protection, derivation and decryption errors, and of the
/// reconstruction's warnings: the text the reports and `decryption_error` showed when SpiglassIKE
/// still composed them, character for character.
@Suite struct IKEProtectionErrorTextTests {
    typealias Text = IKEProtectionErrorText

    static func sa(encryption: IKEEncryptionAlgorithm, skEi: Int, skEr: Int) -> IKESecurityAssociation {
        var sa = IKESecurityAssociation(
            version: .v2, initiatorSPI: 0x0102_0304_0506_0708, responderSPI: 9, origin: SAOrigin(file: "k", line: 3))
        sa.encryption = encryption
        sa.integrity = .hmacSHA256_128
        sa.skEi = SecretBytes([UInt8](repeating: 1, count: skEi))
        sa.skEr = SecretBytes([UInt8](repeating: 2, count: skEr))
        return sa
    }

    static func v2Error(_ sa: IKESecurityAssociation) -> IKEv2ProtectionError? {
        do throws(IKEv2ProtectionError) {
            _ = try IKEv2MessageProtection(sa: sa)
            return nil
        } catch {
            return error
        }
    }

    @Test func ikev2SetupErrorsAndTheUnusableKeysWarning() throws {
        let key = Self.sa(encryption: .aesCBC(keyBits: 128), skEi: 0, skEr: 0)
        let missing = try #require(Self.v2Error(key))
        #expect(Text.reason(missing) == "SK_ei and SK_er are both needed (0 and 0 bytes given)")
        let unusable = IKEKeysUnusable(key, .v2(missing))
        #expect(
            IKEDiagnosticText.text(.keysUnusable(unusable))
                == "IKE SA 0102030405060708 (k:3): keys unusable: missingKeys: SK_ei and SK_er are both needed (0 and 0 bytes given)"
        )
        #expect(Text.decryption(.keysUnusable(unusable)) == IKEDiagnosticText.text(.keysUnusable(unusable)))
        #expect(Text.decryption(.keysUnusable(nil)) == "keys unusable")
        let short = try #require(
            Self.v2Error(Self.sa(encryption: .aesGCM(keyBits: 128, icvLength: 16), skEi: 20, skEr: 16)))
        #expect(Text.reason(short) == "SK_er has 16 bytes; aes-gcm-128-16 takes 20 (key + 4-byte salt)")
    }

    @Test func ikev2MessageErrors() {
        let pad = IKEv2ProtectionError(.badPadLength, offset: 71, .encrypted(.padLength(9, before: 7)))
        #expect(Text.description(pad) == "badPadLength at offset 71: Pad Length 9 exceeds the 7 bytes before it")
        #expect(
            Text.reason(
                IKEv2ProtectionError(.integrityFailed, offset: 90, .encrypted(.icvMismatch(sentByInitiator: false))))
                == "ICV mismatch with SK_er/SK_ar (wrong keys, wrong direction, or a damaged message)")
        #expect(
            Text.reason(
                IKEv2ProtectionError(
                    .payloadTooShort, offset: 28,
                    .encrypted(
                        .encryptedTooShort(fragment: true, declared: 20, header: 8, iv: 16, ciphertext: 16, icv: 12))))
                == "SKF payload of 20 bytes cannot hold its 8-byte header, 16-byte IV, 16 byte(s) of ciphertext and 12-byte ICV"
        )
        #expect(
            Text.reason(
                IKEv2ProtectionError(
                    .badPayloadOffset, offset: 40, .chain(.noPayloadAt(target: 40, next: 32, nextIsEncrypted: true))))
                == "no payload of the chain starts at 40 (the encrypted payload starts at 32)")
        #expect(
            Text.reason(IKEv2ProtectionError(.badRange, .chain(.range(3..<90, bufferSize: 80))))
                == "message range 3..<90 outside a buffer of 80 bytes")
    }

    @Test func ikev1Errors() {
        let hash = IKEv1ProtectionError(.missingHash, .hash(.hashNeedsHash(.quickMode1)))
        #expect(Text.description(hash) == "missingHash: HASH(quickMode1) needs the SA's hash")
        #expect(
            Text.reason(
                IKEv1ProtectionError(
                    .malformedPlaintext, offset: 30,
                    .message(.payloadLength(type: 1, at: 0, declared: 300, remaining: 48))))
                == "payload of type 1 at plaintext offset 0 declares 300 bytes; 48 remain (wrong key or IV?)")
        #expect(
            Text.reason(IKEv1ProtectionError(.missingKeys, .hash(.phase1HashNeedsCookie(sentByInitiator: false))))
                == "HASH_R needs the responder cookie")
        #expect(
            Text.reason(
                IKEv1ProtectionError(
                    .headerLengthMismatch, offset: 24, .message(.headerLength(declared: 20, message: 100))))
                == "ISAKMP header Length is 20; the message has 100 bytes and the header 28")
        let inner = IKEKeyDerivationError(.crypto, .crypto(.prf(.hmacSHA1), .other("boom")))
        #expect(
            Text.reason(IKEv1ProtectionError(.crypto, .hash(.hash(.quickMode2, inner))))
                == "HASH(quickMode2): hmac-sha1: boom"
        )
        #expect(
            Text.decryption(.v1(IKEv1ProtectionError(.badBlockSize, .ivChain(.blockSize(32, digest: 20, .sha1)))))
                == "a 32-byte cipher block cannot take its IV from a 20-byte sha1 digest")
    }

    @Test func derivationErrors() throws {
        let prf = try IKEPseudoRandomFunction(.hmacMD5, key: [1, 2, 3])
        do throws(IKEKeyDerivationError) {
            _ = try prf.prfPlus(seed: [], length: 5000)
            Issue.record("prf+ beyond 255 blocks did not throw")
        } catch {
            #expect(
                Text.reason(error)
                    == "prf+ of 5000 bytes needs 313 iterations of hmac-md5; RFC 7296 2.13 allows 255 (4080 bytes)")
        }
        do throws(IKEKeyDerivationError) {
            _ = try ChildSAKeyDerivation.derive(
                prf: .hmacSHA256, skD: [1], nonceInitiator: [2], nonceResponder: [3], encryptionKeyLength: -1,
                integrityKeyLength: 0)
            Issue.record("negative key length accepted")
        } catch {
            // What a CHILD_SA's "derivation failed: …" shows.
            #expect(Text.description(error) == "invalidLength: key lengths -1 and 0")
        }
    }

    @Test func decryptionFailuresAndWarnings() {
        let icv = IKEv2ProtectionError(.integrityFailed, offset: 90, .encrypted(.icvMismatch(sentByInitiator: true)))
        #expect(Text.decryption(.fragment(nil)) == "fragment: not opened")
        #expect(
            Text.decryption(.fragment(.v2(icv)))
                == "fragment: ICV mismatch with SK_ei/SK_ai (wrong keys, wrong direction, or a damaged message)")
        #expect(
            Text.decryption(.ivNeedsKEPayloads(cut: true))
                == "the IV needs both KE payloads of phase 1, which the capture cut")
        #expect(
            IKEDiagnosticText.text(.tooManyExchangesOnIKESA(IKESPIPair(initiator: 1, responder: 2), limit: 4096))
                == "IKE SA 0000000000000001_i 0000000000000002_r: more than 4096 exchanges; later ones are not kept")
        #expect(
            IKEDiagnosticText.text(.fragmentDropped(.overBudget(bytes: 5000, limit: 4_194_304)))
                == "IKE fragment dropped: fragment of 5000 bytes exceeds the 4194304-byte reassembly budget")
        #expect(
            IKEDiagnosticText.text(.v1ReassemblyNotISAKMP(frames: [3, 4]))
                == "reassembled ISAKMP fragments (frames [3, 4]) do not form an ISAKMP message")
        #expect(
            IKEDiagnosticText.text(.tooManyMessagesKept(count: 100_000, mebibytes: 32))
                == "more than 100000 IKE messages or 32 MiB of them: later ones are reported but not kept for the summary"
        )
    }

    @Test func vendorIDsAreNamedOrShownInHex() {
        let unknown = IKEVendorID([UInt8](0..<20))
        #expect(IKEText.vendor(unknown) == "000102030405060708090a0b0c0d0e0f")
        let strongSwan: [UInt8] = [
            0x88, 0x2f, 0xe5, 0x6d, 0x6f, 0xd2, 0x0d, 0xbc, 0x22, 0x51, 0x61, 0x3b, 0x2e, 0xbe, 0x5b, 0xeb,
        ]
        #expect(IKEVendorID(strongSwan) == .known(name: "strongSwan"))
        #expect(IKEText.vendor(IKEVendorID(strongSwan)) == "strongSwan")
        // Two payloads that list alike are listed once, and at most 32 are.
        var sa = IKESARecord(
            version: .v2, spis: IKESPIPair(initiator: 1, responder: 2), initiator: .v4(1), responder: .v4(2),
            initiatorPort: 500, responderPort: 500, firstTime: Timestamp(seconds: 0, microseconds: 0),
            lastTime: Timestamp(seconds: 0, microseconds: 0))
        sa.noteVendorID([UInt8](0..<16) + [1])
        sa.noteVendorID([UInt8](0..<16) + [2])
        for n in 0..<40 { sa.noteVendorID([UInt8(n)]) }
        #expect(sa.vendorIDs.count == 32 && sa.vendorIDs.first == unknown)
    }
}
