import Foundation
import SpiglassCrypto
import SpiglassESP
import SpiglassSAD
import Testing

/// `ESPCryptoState`: wrong and short keys throw; one state decrypts many packets in a row.
@Suite struct ESPCryptoStateTests: CryptoWrapperChecks {
    @Test func espStateRejectsWrongKeys() {
        // The SA layer hands key lengths straight to the wrappers: a bad SA key fails there.
        // 3DES and ChaCha20 have one fixed key size, so the wrapper's length check fires.
        let fixedSize: [SecurityAssociation] = [
            SecurityAssociation(spi: 1, encryption: .tripleDESCBC, encryptionKey: bytes(16)),
            SecurityAssociation(spi: 1, encryption: .chaCha20Poly1305, encryptionKey: bytes(32)),
            SecurityAssociation(spi: 1, encryption: .chaCha20Poly1305, encryptionKey: bytes(4)),
        ]
        for sa in fixedSize {
            #expect(
                code { _ = try ESPCryptoState(sa: sa) } == .invalidKeyLength,
                "\(sa.encryption.name) with \(sa.encryptionKey.count) bytes")
        }
        // AES transforms pick the AES variant from the key's length, so a key of no AES size
        // must at least throw a CryptoError ...
        let aesSized: [SecurityAssociation] = [
            SecurityAssociation(spi: 1, encryption: .aesCBC, encryptionKey: bytes(17)),
            SecurityAssociation(spi: 1, encryption: .aesCBC, encryptionKey: bytes(0)),
            SecurityAssociation(spi: 1, encryption: .aesGCM(icvLength: 16), encryptionKey: bytes(16)),
            SecurityAssociation(spi: 1, encryption: .aesGCM(icvLength: 8), encryptionKey: bytes(4)),
            SecurityAssociation(spi: 1, encryption: .aesCTR, encryptionKey: bytes(4)),
            SecurityAssociation(spi: 1, encryption: .aesCTR, encryptionKey: bytes(32)),
        ]
        for sa in aesSized {
            #expect(
                code { _ = try ESPCryptoState(sa: sa) } != nil,
                "\(sa.encryption.name) with \(sa.encryptionKey.count) bytes")
        }
        // ... and it says the key length is wrong (the AES size is not read from the key).
        for sa in aesSized {
            #expect(
                code { _ = try ESPCryptoState(sa: sa) } == .invalidKeyLength,
                "\(sa.encryption.name) with \(sa.encryptionKey.count) bytes")
        }
    }

    /// A salted transform (aes-ctr, aes-gcm, chacha20-poly1305) with a key shorter than its
    /// 4-byte salt throws rather than traps: SecurityAssociation and ESPCryptoState are public
    /// API, and only key files are validated before them.
    @Test func espStateShortSaltedKeyThrows() {
        for sa in [
            SecurityAssociation(spi: 1, encryption: .aesGCM(icvLength: 16), encryptionKey: [1, 2, 3]),
            SecurityAssociation(spi: 1, encryption: .aesCTR, encryptionKey: []),
            SecurityAssociation(spi: 1, encryption: .chaCha20Poly1305, encryptionKey: [9]),
        ] {
            #expect(code { _ = try ESPCryptoState(sa: sa) } == .invalidKeyLength)
        }
    }

    /// One ESPCryptoState decrypting 1000 ESP packets in a row, bad ones interleaved.
    @Test(
        .seeded(0xe5b_5eed),
        arguments: [
            ESPCombination(encryption: .aesCBC, keyLength: 16, integrity: .hmacSHA256_128),
            ESPCombination(encryption: .tripleDESCBC, keyLength: 24, integrity: .hmacSHA1_96),
            ESPCombination(encryption: .aesCTR, keyLength: 36, integrity: .hmacSHA512_256),
            ESPCombination(encryption: .aesGCM(icvLength: 16), keyLength: 20, integrity: .null),
            ESPCombination(encryption: .aesGCM(icvLength: 8), keyLength: 36, integrity: .null),
            ESPCombination(encryption: .chaCha20Poly1305, keyLength: 36, integrity: .null),
        ])
    func espStateReuse(_ c: ESPCombination) throws {
        var random = TestSeed.current.generator
        for esn in [false, true] {
            let sa = c.sa(esn: esn)
            let builder = try ESPPacketBuilder(sa: sa)
            let state = try ESPCryptoState(sa: sa)
            var output = [UInt8](repeating: 0, count: 2048)
            var failures = 0
            for n in 0..<Self.reuseCount {
                let sequence = UInt64(n % 3) << 32 | UInt64(n + 1)
                let high = esn ? UInt32(n % 3) : 0
                let payload = random.bytes(n % 500)
                let packet = try builder.build(spi: 0x100, sequence: sequence, payload: payload, nextHeader: 4)
                if n % 7 == 0 {
                    var bad = packet
                    bad[8 + n % (packet.count - 8)] ^= 0x10
                    if ESPDecryptor.decrypt(bad, esp: 0..<bad.count, state: state, sequenceHigh: high, output: &output)
                        .verdict != .icvFailed
                    {
                        failures += 1
                    }
                }
                let result = ESPDecryptor.decrypt(
                    packet, esp: 0..<packet.count, state: state, sequenceHigh: high, output: &output)
                if result.verdict != .decrypted || result.payloadLength != payload.count
                    || Array(output[0..<payload.count]) != payload
                {
                    failures += 1
                }
            }
            #expect(failures == 0, "\(c) esn=\(esn): \(failures) of \(Self.reuseCount) wrong")
        }
    }
}
