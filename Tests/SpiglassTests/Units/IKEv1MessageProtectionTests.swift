import Foundation
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

@Suite struct IKEv1MessageProtectionTests {
    @Test func initErrors() {
        var v2 = v1SA(initiator: 1)
        v2.version = .v2
        v2.ikev1EncryptionKey = SecretBytes([UInt8](repeating: 1, count: 16))
        #expect(v1Code { _ = try IKEv1MessageProtection(sa: v2, encryption: .aesCBC(keyBits: 128)) } == .notIKEv1SA)
        var sa = v1SA(initiator: 1)
        sa.ikev1EncryptionKey = SecretBytes([UInt8](repeating: 1, count: 16))
        #expect(v1Code { _ = try IKEv1MessageProtection(sa: sa) } == .unsupportedAlgorithm)
        for unsupported in [
            IKEEncryptionAlgorithm.aesGCM(keyBits: 128, icvLength: 16), .aesCTR(keyBits: 128), .null,
            .chaCha20Poly1305,
            .other("camellia"), .aesCBC(keyBits: 100),
        ] {
            #expect(
                v1Code { _ = try IKEv1MessageProtection(sa: sa, encryption: unsupported) } == .unsupportedAlgorithm)
        }
        #expect(v1Code { _ = try IKEv1MessageProtection(sa: sa, encryption: .tripleDES) } == .badKeyLength)
        #expect(
            v1Code { _ = try IKEv1MessageProtection(sa: sa, encryption: .aesCBC(keyBits: 256)) } == .badKeyLength)
        #expect(
            v1Code { _ = try IKEv1MessageProtection(sa: v1SA(initiator: 1), encryption: .aesCBC(keyBits: 128)) }
                == .missingKeys)
        var onlySKEYIDe = v1SA(initiator: 1)
        onlySKEYIDe.skeyidE = SecretBytes([UInt8](repeating: 3, count: 16))
        #expect(v1Code { _ = try IKEv1MessageProtection(sa: onlySKEYIDe, encryption: .tripleDES) } == .missingHash)
        // The SA's PRF names the hash when the caller does not.
        onlySKEYIDe.prf = .hmacMD5
        #expect((try? IKEv1MessageProtection(sa: onlySKEYIDe, encryption: .tripleDES))?.hash == .md5)
        onlySKEYIDe.prf = .aesCMAC
        #expect(v1Code { _ = try IKEv1MessageProtection(sa: onlySKEYIDe, encryption: .tripleDES) } == .missingHash)
        // The key file's algorithm wins over the negotiated one.
        var named = sa
        named.encryption = .aesCBC(keyBits: 128)
        #expect(
            (try? IKEv1MessageProtection(sa: named, encryption: .tripleDES))?.encryption == .aesCBC(keyBits: 128))
    }

    static let header = unhex(
        "0102030405060708" + "1112131415161718" + "08" + "10" + "20" + "00" + "deadbeef" + "00000000")

    @Test(.enabled(if: legacyCiphersAvailable(), "OpenSSL's legacy provider (DES) is not installed"))
    func roundTripDES() throws { try roundTrip(.des) }

    @Test(arguments: [
        IKEEncryptionAlgorithm.aesCBC(keyBits: 128), .aesCBC(keyBits: 192), .aesCBC(keyBits: 256), .tripleDES,
    ])
    func roundTrip(_ encryption: IKEEncryptionAlgorithm) throws {
        var sa = v1SA(initiator: 0x0102_0304_0506_0708, responder: 0x1112_1314_1516_1718)
        sa.skeyidE = SecretBytes([UInt8](repeating: 7, count: 20))
        sa.skeyidA = SecretBytes([UInt8](repeating: 9, count: 20))
        sa.encryption = encryption
        sa.prf = .hmacSHA1
        let p = try IKEv1MessageProtection(sa: sa)
        #expect(p.blockSize == (encryption == .tripleDES || encryption == .des ? 8 : 16))
        // An Informational: HASH(1) over M-ID | N.
        let notify = unhex("0000001000000001030400017fffffff")
        let hashValue = try p.quickModeHash(
            kind: .informational, messageID: 0xdead_beef, payloadsAfterHash: notify[...])
        let payloads = [11, 0, 0, UInt8(4 + hashValue.count)] + hashValue + notify
        let iv = [UInt8](repeating: 0x42, count: p.blockSize)
        for padding in [nil, p.blockSize * 2] as [Int?] {
            let message = try p.encrypt(
                header: Self.header, payloads: payloads, iv: iv,
                paddingLength: padding.map { $0 + (p.blockSize - payloads.count % p.blockSize) % p.blockSize })
            #expect(message[19] & 1 == 1)
            #expect(Int(IKEv1CryptoWire.be32(message, 24)) == message.count)
            let plaintext = try p.decrypt(message: message, messageRange: 0..<message.count, iv: iv).get()
            #expect(Array(plaintext.payloads) == payloads)
            #expect(plaintext.padding.allSatisfy { $0 == 0 })
            #expect(plaintext.messageID == 0xdead_beef)
            #expect(plaintext.firstPayloadType == 8)
            #expect(try p.verifyHash(kind: .informational, plaintext: plaintext) == .ok)
            #expect(plaintext.lastCiphertextBlock == Array(message.suffix(p.blockSize)))
            // Another IV changes the first block only (XOR with the IVs' difference): here
            // the HASH payload's length no longer fits.
            let other = [UInt8](repeating: 0x55, count: p.blockSize)
            #expect(
                p.decrypt(message: message, messageRange: 0..<message.count, iv: other).v1Code
                    == .malformedPlaintext)
        }
        #expect(v1Code { _ = try p.encrypt(header: [1, 2, 3], payloads: payloads, iv: iv) } == .messageTruncated)
        #expect(v1Code { _ = try p.encrypt(header: Self.header, payloads: payloads, iv: [1]) } == .badIVLength)
        #expect(
            v1Code { _ = try p.encrypt(header: Self.header, payloads: payloads, iv: iv, paddingLength: 1) }
                == .notBlockAligned)
        #expect(
            v1Code { _ = try p.encrypt(header: Self.header, payloads: payloads, iv: iv, paddingLength: -16) }
                == .notBlockAligned)
        #expect(
            v1Code { _ = try p.encrypt(header: Self.header, payloads: payloads, iv: iv, paddingLength: Int.max) }
                == .notBlockAligned)
    }

    /// A payload chain must fit: lengths below the header, past the end, too many payloads.
    @Test func malformedChains() throws {
        var sa = v1SA(initiator: 1)
        sa.ikev1EncryptionKey = SecretBytes([UInt8](repeating: 5, count: 16))
        let p = try IKEv1MessageProtection(sa: sa, encryption: .aesCBC(keyBits: 128))
        let iv = [UInt8](repeating: 0, count: 16)
        func code(_ payloads: [UInt8], first: UInt8 = 11) throws -> IKEv1ProtectionCode? {
            var header = IKEv1MessageProtectionTests.header
            header[16] = first
            let message = try p.encrypt(header: header, payloads: payloads, iv: iv)
            return p.decrypt(message: message, messageRange: 0..<message.count, iv: iv).v1Code
        }
        #expect(try code([0, 0, 0, 3]) == .malformedPlaintext)
        #expect(try code([0, 0, 0, 17]) == .malformedPlaintext)
        #expect(try code([0, 0, 0, 16] + [UInt8](repeating: 0, count: 12)) == nil)
        #expect(try code([11, 0, 0, 4] + [0, 0, 0, 4], first: 11) == nil)
        // A chain still going at the end of the plaintext.
        #expect(try code([11, 0, 0, 16] + [UInt8](repeating: 0, count: 12)) == .malformedPlaintext)
        // No payloads at all (Next Payload 0 in the header) is an empty, well-formed chain.
        #expect(try code([0, 0, 0, 0], first: 0) == nil)
        // More than maxPayloads payloads of 4 bytes.
        let many: [UInt8] = (0..<(IKEv1MessageProtection.maxPayloads + 1)).flatMap { _ in [UInt8(11), 0, 0, 4] }
        #expect(try code(many) == .malformedPlaintext)
        let enough: [UInt8] = (0..<IKEv1MessageProtection.maxPayloads).flatMap { i in
            [UInt8(i == IKEv1MessageProtection.maxPayloads - 1 ? 0 : 11), 0, 0, 4]
        }
        #expect(try code(enough) == nil)
    }
}
