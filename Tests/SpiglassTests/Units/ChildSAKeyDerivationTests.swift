import Foundation
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

/// KEYMAT of the CHILD_SA that IKE_AUTH created, derived from charon's SK_d and the
/// IKE_SA_INIT nonces of the capture, against the ESP keys charon logged.
@Suite struct ChildSAKeyDerivationTests {
    @Test(arguments: IKECryptoFixture.cases)
    func keymatGivesTheLoggedESPKeys(_ name: String) throws {
        let ike = try IKECryptoFixture.logSA(name)
        let prf = try #require(ike.prf, "\(name): no PRF in the selected IKE proposal")
        #expect(!ike.skD.isEmpty)
        let messages = try IKECryptoFixture.messages(name)
        let initRequest = try #require(messages.first { $0.exchangeType == 34 && !$0.isResponse })
        let initResponse = try #require(messages.first { $0.exchangeType == 34 && $0.isResponse })
        #expect(initRequest.frame == 1 && initResponse.frame == 2)
        let ni = try #require(IKECryptoFixture.nonce(initRequest))
        let nr = try #require(IKECryptoFixture.nonce(initResponse))
        #expect((16...256).contains(ni.count) && (16...256).contains(nr.count))

        // sa.spiglass: A -> B first (the initiator's keys), then B -> A.
        let esp = try KeyFileLoader.load(path: Paths.fixture("strongswan/\(name)/sa.spiglass"))
        try #require(esp.count == 2)
        let (outbound, inbound) = (esp[0], esp[1])
        let integrityLength = try #require(ChildSAKeyDerivation.integrityKeyLength(for: outbound.integrity))
        #expect(integrityLength == outbound.integrityKey.count)
        let keyBits = (outbound.encryptionKey.count - outbound.encryption.saltLength) * 8
        #expect(
            ChildSAKeyDerivation.encryptionKeyLength(for: outbound.encryption, keyBits: keyBits)
                == outbound.encryptionKey.count)

        let keys = try ChildSAKeyDerivation.derive(
            prf: prf, skD: ike.skD, nonceInitiator: ni, nonceResponder: nr,
            encryptionKeyLength: outbound.encryptionKey.count,
            integrityKeyLength: integrityLength)
        #expect(hex(keys.initiatorEncryption) == hex(outbound.encryptionKey), "\(name)")
        #expect(hex(keys.initiatorIntegrity) == hex(outbound.integrityKey), "\(name)")
        #expect(hex(keys.responderEncryption) == hex(inbound.encryptionKey), "\(name)")
        #expect(hex(keys.responderIntegrity) == hex(inbound.integrityKey), "\(name)")
        // Swapped nonces give other keys.
        let swapped = try ChildSAKeyDerivation.derive(
            prf: prf, skD: ike.skD, nonceInitiator: nr, nonceResponder: ni,
            encryptionKeyLength: outbound.encryptionKey.count,
            integrityKeyLength: integrityLength)
        #expect(swapped.initiatorEncryption != keys.initiatorEncryption)
    }

    /// RFC 7296 2.17 with PFS: the seed is g^ir (new) | Ni | Nr, keys in the order
    /// encryption i->r, integrity i->r, encryption r->i, integrity r->i.
    @Test func pfsSeedAndKeyOrder() throws {
        let skD = [UInt8](repeating: 0x5a, count: 32)
        let ni = [UInt8](repeating: 1, count: 16)
        let nr = [UInt8](repeating: 2, count: 16)
        let gir = [UInt8](repeating: 3, count: 32)
        let keys = try ChildSAKeyDerivation.derive(
            prf: .hmacSHA256, skD: skD, nonceInitiator: ni, nonceResponder: nr,
            sharedSecret: gir, encryptionKeyLength: 20, integrityKeyLength: 32)
        let keymat = try IKEPseudoRandomFunction(.hmacSHA256, key: skD).prfPlus(seed: gir + ni + nr, length: 104)
        #expect(keys.initiatorEncryption == Array(keymat[0..<20]))
        #expect(keys.initiatorIntegrity == Array(keymat[20..<52]))
        #expect(keys.responderEncryption == Array(keymat[52..<72]))
        #expect(keys.responderIntegrity == Array(keymat[72..<104]))
        let noPFS = try ChildSAKeyDerivation.derive(
            prf: .hmacSHA256, skD: skD, nonceInitiator: ni, nonceResponder: nr,
            encryptionKeyLength: 20, integrityKeyLength: 32)
        #expect(noPFS != keys)
        // AH: no encryption key.
        let ah = try ChildSAKeyDerivation.derive(
            prf: .aesXCBC, skD: [UInt8](repeating: 9, count: 16), nonceInitiator: ni,
            nonceResponder: nr, encryptionKeyLength: 0, integrityKeyLength: 16)
        #expect(
            ah.initiatorEncryption.isEmpty && ah.initiatorIntegrity.count == 16 && ah.responderIntegrity.count == 16)
        do throws(IKEKeyDerivationError) {
            _ = try ChildSAKeyDerivation.derive(
                prf: .hmacSHA256, skD: skD, nonceInitiator: ni, nonceResponder: nr,
                encryptionKeyLength: -1, integrityKeyLength: 0)
            Issue.record("negative key length accepted")
        } catch {
            #expect(error.code == .invalidLength)
        }
        do throws(IKEKeyDerivationError) {
            _ = try ChildSAKeyDerivation.derive(
                prf: .hmacSHA512, skD: skD, nonceInitiator: ni, nonceResponder: nr,
                encryptionKeyLength: Int.max, integrityKeyLength: Int.max)
            Issue.record("absurd key lengths accepted")
        } catch {
            #expect(error.code == .prfPlusTooLong)
        }
        // 255 blocks of HMAC-MD5 are 4080 bytes: 2 × (2000 + 64) is too much.
        do throws(IKEKeyDerivationError) {
            _ = try ChildSAKeyDerivation.derive(
                prf: .hmacMD5, skD: skD, nonceInitiator: ni, nonceResponder: nr,
                encryptionKeyLength: 2000, integrityKeyLength: 64)
            Issue.record("KEYMAT beyond prf+'s 255 blocks accepted")
        } catch {
            #expect(error.code == .prfPlusTooLong)
        }
    }

    @Test func espKeyLengths() {
        typealias D = ChildSAKeyDerivation
        #expect(D.encryptionKeyLength(for: .aesCBC, keyBits: 128) == 16)
        #expect(D.encryptionKeyLength(for: .aesCBC, keyBits: 256) == 32)
        #expect(D.encryptionKeyLength(for: .aesCBC) == nil)
        #expect(D.encryptionKeyLength(for: .aesCBC, keyBits: 100) == nil)
        #expect(D.encryptionKeyLength(for: .aesCTR, keyBits: 128) == 20)
        #expect(D.encryptionKeyLength(for: .aesGCM(icvLength: 16), keyBits: 256) == 36)
        #expect(D.encryptionKeyLength(for: .aesCCM(icvLength: 8), keyBits: 128) == 19)
        #expect(D.encryptionKeyLength(for: .aesNullGMAC, keyBits: 192) == 28)
        #expect(D.encryptionKeyLength(for: .chaCha20Poly1305) == 36)
        #expect(D.encryptionKeyLength(for: .tripleDESCBC) == 24)
        #expect(D.encryptionKeyLength(for: .desCBC) == 8)
        #expect(D.encryptionKeyLength(for: .null) == 0)
        #expect(D.encryptionKeyLength(for: .blowfishCBC, keyBits: 128) == 16)
        #expect(D.encryptionKeyLength(for: .cast5CBC, keyBits: 256) == nil)
        #expect(D.encryptionKeyLength(for: .unsupported("twofish")) == nil)
        #expect(D.integrityKeyLength(for: .hmacMD5_96) == 16)
        #expect(D.integrityKeyLength(for: .hmacSHA1_96) == 20)
        #expect(D.integrityKeyLength(for: .hmacSHA256_128) == 32)
        #expect(D.integrityKeyLength(for: .hmacSHA256_96) == 32)
        #expect(D.integrityKeyLength(for: .hmacSHA384_192) == 48)
        #expect(D.integrityKeyLength(for: .hmacSHA512_256) == 64)
        #expect(D.integrityKeyLength(for: .aesXCBC_96) == 16)
        #expect(D.integrityKeyLength(for: .aesCMAC_96) == 16)
        #expect(D.integrityKeyLength(for: .aesGMAC(keyBits: 128)) == 20)
        #expect(D.integrityKeyLength(for: .null) == 0)
        #expect(D.integrityKeyLength(for: .unchecked(icvLength: 12)) == nil)
    }
}
