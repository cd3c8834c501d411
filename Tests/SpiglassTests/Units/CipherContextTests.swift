import Foundation
import SpiglassCrypto
import SpiglassESP
import SpiglassSAD
import Testing

/// `CipherContext` (OpenSSL's CBC and CTR ciphers): key lengths, ranges outside the buffers,
/// one context reused for many packets, and the legacy ciphers.
@Suite struct CipherContextTests: CryptoWrapperChecks {
    @Test func cipherKeyLengths() {
        for n in [16, 24, 32] {
            for wrong in [0, 1, n - 1, n + 1, 64] {
                #expect(
                    code { _ = try CipherContext(.aesCBC(keyBytes: n), key: bytes(wrong)) } == .invalidKeyLength,
                    "aes-cbc-\(n * 8) with \(wrong)")
                #expect(
                    code { _ = try CipherContext(.aesCTR(keyBytes: n), key: bytes(wrong)) } == .invalidKeyLength,
                    "aes-ctr-\(n * 8) with \(wrong)")
                #expect(
                    code { _ = try CipherContext(.aesECB(keyBytes: n), key: bytes(wrong), encrypt: true) }
                        == .invalidKeyLength)
            }
            #expect(code { _ = try CipherContext(.aesCBC(keyBytes: n), key: bytes(n)) } == nil)
        }
        for wrong in [0, 8, 16, 23, 25, 32] {
            #expect(
                code { _ = try CipherContext(.tripleDESCBC, key: bytes(wrong)) } == .invalidKeyLength,
                "3des with \(wrong)")
        }
        #expect(code { _ = try CipherContext(.tripleDESCBC, key: bytes(24)) } == nil)
        // Key sizes AES does not have are not OpenSSL ciphers: refused with a CryptoError
        // (.unsupportedAlgorithm originally, .invalidKeyLength once the wrappers check the
        // length first; either is acceptable, a crash is not).
        for code in [
            code { _ = try CipherContext(.aesCBC(keyBytes: 20), key: bytes(20)) },
            code { _ = try CipherContext(.aesCTR(keyBytes: 8), key: bytes(8)) },
            code { _ = try CipherContext(.aesECB(keyBytes: 0), key: []) },
        ] {
            #expect(code == .unsupportedAlgorithm || code == .invalidKeyLength)
        }
    }

    @Test func cipherRanges() throws {
        let cbc = try CipherContext(.aesCBC(keyBytes: 16), key: bytes(16))
        let iv = bytes(16)
        let input = bytes(64)
        var output = [UInt8](repeating: 0, count: 64)
        func run(
            iv ivBytes: [UInt8] = iv, _ ivRange: Range<Int> = 0..<16, input inputBytes: [UInt8] = input,
            _ inputRange: Range<Int> = 0..<64,
            outputCount: Int = 64, offset: Int = 0
        ) -> CryptoError.Code? {
            var out = [UInt8](repeating: 0, count: outputCount)
            return code {
                _ = try cbc.run(
                    iv: ivBytes, ivRange: ivRange, input: inputBytes, inputRange: inputRange, output: &out,
                    outputOffset: offset)
            }
        }
        #expect(run() == nil)
        #expect(run(0..<16, 48..<64) == nil)
        // Input outside the buffer.
        #expect(run(0..<16, 16..<80) == .invalidLength)
        #expect(run(0..<16, -16..<16) == .invalidLength)
        // IV range outside its buffer (right length, wrong place) and IV of the wrong length.
        #expect(run(8..<24) == .invalidLength)
        #expect(run(iv: bytes(8), 0..<16) == .invalidLength)
        #expect(run(0..<8) == .invalidLength)
        #expect(run(0..<17) == .invalidLength)
        #expect(run(-1..<15) == .invalidLength)
        // Output too small or offset too far.
        #expect(run(outputCount: 63) == .invalidLength)
        #expect(run(outputCount: 64, offset: 1) == .invalidLength)
        #expect(run(outputCount: 64, offset: -1) == .invalidLength)
        #expect(run(outputCount: 80, offset: 16) == nil)
        // Not a whole number of blocks.
        #expect(run(0..<16, 0..<15) == .invalidLength)
        // Empty input is fine.
        #expect(run(0..<16, 0..<0) == nil)
        // The context still works after all those refusals.
        #expect(
            try cbc.run(iv: iv, ivRange: 0..<16, input: input, inputRange: 0..<64, output: &output, outputOffset: 0)
                == 64)

        let ctr = try CipherContext(.aesCTR(keyBytes: 16), key: bytes(16))
        var small = [UInt8](repeating: 0, count: 5)
        #expect(
            try ctr.run(iv: iv, ivRange: 0..<16, input: input, inputRange: 3..<8, output: &small, outputOffset: 0) == 5)
        #expect(
            code {
                _ = try ctr.run(
                    iv: iv, ivRange: 0..<16, input: input, inputRange: 60..<66, output: &output, outputOffset: 0)
            } == .invalidLength)
    }

    /// Reference ciphertexts from a fresh context per packet, decrypted by one reused context.
    @Test(
        .seeded(0xc1_5eed),
        arguments: [
            CipherAlgorithm.aesCBC(keyBytes: 16), .aesCBC(keyBytes: 24), .aesCBC(keyBytes: 32), .tripleDESCBC,
            .aesCTR(keyBytes: 16), .aesCTR(keyBytes: 24), .aesCTR(keyBytes: 32),
        ])
    func cipherContextReuse(_ algorithm: CipherAlgorithm) throws {
        var random = TestSeed.current.generator
        let key = random.bytes(algorithm.keyLength)
        let decryptor = try CipherContext(algorithm, key: key)
        let encryptor = try CipherContext(algorithm, key: key, encrypt: true)
        var failures = 0
        for n in 0..<Self.reuseCount {
            let iv = random.bytes(algorithm.ivLength)
            let length = algorithm.blockSize * (1 + n % 37) + (algorithm.blockSize == 1 ? n % 5 : 0)
            let plain = random.bytes(length)
            // Fresh context: nothing left over from earlier packets.
            let fresh = try CipherContext(algorithm, key: key, encrypt: true)
            var reference = [UInt8](repeating: 0, count: length)
            _ = try fresh.run(
                iv: iv, ivRange: 0..<iv.count, input: plain, inputRange: 0..<length, output: &reference, outputOffset: 0
            )
            // The reused encryptor gives the same bytes.
            var again = [UInt8](repeating: 0, count: length)
            _ = try encryptor.run(
                iv: iv, ivRange: 0..<iv.count, input: plain, inputRange: 0..<length, output: &again, outputOffset: 0)
            // The reused decryptor, writing at an offset into a larger buffer.
            var output = [UInt8](repeating: 0xCC, count: length + 8)
            let written = try decryptor.run(
                iv: iv, ivRange: 0..<iv.count, input: reference, inputRange: 0..<length, output: &output,
                outputOffset: 4)
            if again != reference || written != length || Array(output[4..<(4 + length)]) != plain
                || output[0..<4].contains(where: { $0 != 0xCC })
                || output[(4 + length)...].contains(where: { $0 != 0xCC })
            {
                failures += 1
            }
        }
        #expect(failures == 0, "\(algorithm): \(failures) of \(Self.reuseCount) packets wrong")
    }

    /// A decrypting CBC context takes each IV by decrypting it as one more block instead of
    /// being re-initialised: nothing of an earlier call may reach the next one. NIST SP 800-38A
    /// F.2.2 (CBC-AES128.Decrypt) by one context: whole, its last two blocks alone (the IV is
    /// then the second ciphertext block), after a refused call, and whole again.
    @Test func cbcDecryptionKeepsNothingBetweenCalls() throws {
        let key = unhex("2b7e151628aed2a6abf7158809cf4f3c")
        let iv = unhex("000102030405060708090a0b0c0d0e0f")
        let ciphertext = unhex(
            "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
                + "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7")
        let plaintext = unhex(
            "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                + "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
        let context = try CipherContext(.aesCBC(keyBytes: 16), key: key)
        func decrypt(iv: [UInt8], _ ivRange: Range<Int>, _ range: Range<Int>) throws -> [UInt8] {
            var output = [UInt8](repeating: 0, count: range.count)
            #expect(
                try context.run(
                    iv: iv, ivRange: ivRange, input: ciphertext, inputRange: range, output: &output, outputOffset: 0)
                    == range.count)
            return output
        }
        #expect(try decrypt(iv: iv, 0..<16, 0..<64) == plaintext)
        #expect(try decrypt(iv: ciphertext, 16..<32, 32..<64) == Array(plaintext[32..<64]))
        var output = [UInt8](repeating: 0, count: 64)
        #expect(
            code {
                _ = try context.run(
                    iv: iv, ivRange: 0..<16, input: ciphertext, inputRange: 0..<24, output: &output, outputOffset: 0)
            } == .invalidLength)
        #expect(try decrypt(iv: iv, 0..<16, 0..<0) == [])
        #expect(try decrypt(iv: iv, 0..<16, 0..<64) == plaintext)
        // A wrong IV spoils the first block only, and only of that call.
        var wrong = iv
        wrong[0] ^= 1
        let spoiled = try decrypt(iv: wrong, 0..<16, 0..<64)
        #expect(spoiled[0] == plaintext[0] ^ 1 && Array(spoiled[1...]) == Array(plaintext[1...]))
        #expect(try decrypt(iv: iv, 0..<16, 0..<64) == plaintext)
    }

    @Test func legacyCiphers() throws {
        try #require(legacyCiphersAvailable(), "OpenSSL's legacy provider is not installed")
        #expect(throws: CryptoError.self) { try CipherContext(.desCBC, key: [UInt8](repeating: 1, count: 7)) }
        for n in [0, 4, 57] {
            #expect(throws: CryptoError.self) {
                try CipherContext(.blowfishCBC(keyBytes: n), key: [UInt8](repeating: 1, count: n))
            }
        }
        for n in [4, 17] {
            #expect(throws: CryptoError.self) {
                try CipherContext(.cast5CBC(keyBytes: n), key: [UInt8](repeating: 1, count: n))
            }
        }
        // A key of the wrong length for the declared one.
        #expect(throws: CryptoError.self) {
            try CipherContext(.blowfishCBC(keyBytes: 16), key: [UInt8](repeating: 1, count: 8))
        }
        for algorithm in [
            CipherAlgorithm.desCBC, .blowfishCBC(keyBytes: 5), .blowfishCBC(keyBytes: 56), .cast5CBC(keyBytes: 5),
            .cast5CBC(keyBytes: 16),
        ] {
            let key = (0..<algorithm.keyLength).map { UInt8($0 * 3 + 1) }
            let enc = try CipherContext(algorithm, key: key, encrypt: true)
            let dec = try CipherContext(algorithm, key: key)
            let iv = [UInt8](repeating: 0x5a, count: 8)
            let plain = (0..<48).map { UInt8($0) }
            var sealed = [UInt8](repeating: 0, count: 48)
            var opened = [UInt8](repeating: 0, count: 48)
            #expect(
                try enc.run(iv: iv, ivRange: 0..<8, input: plain, inputRange: 0..<48, output: &sealed, outputOffset: 0)
                    == 48)
            #expect(sealed != plain)
            #expect(
                try dec.run(iv: iv, ivRange: 0..<8, input: sealed, inputRange: 0..<48, output: &opened, outputOffset: 0)
                    == 48)
            #expect(opened == plain, "\(algorithm)")
            // Half a block is refused, not padded.
            #expect(throws: CryptoError.self) {
                try dec.run(iv: iv, ivRange: 0..<8, input: sealed, inputRange: 0..<4, output: &opened, outputOffset: 0)
            }
            // The same context decrypts the next packet whole.
            opened = [UInt8](repeating: 0, count: 48)
            #expect(
                try dec.run(iv: iv, ivRange: 0..<8, input: sealed, inputRange: 0..<48, output: &opened, outputOffset: 0)
                    == 48)
            #expect(opened == plain, "\(algorithm), second packet")
        }
        // Blowfish keys of different lengths are different keys (OpenSSL honours the length).
        let short = try CipherContext(.blowfishCBC(keyBytes: 8), key: [UInt8](repeating: 1, count: 8), encrypt: true)
        let long = try CipherContext(
            .blowfishCBC(keyBytes: 16), key: [UInt8](repeating: 1, count: 8) + [UInt8](repeating: 2, count: 8),
            encrypt: true)
        var a = [UInt8](repeating: 0, count: 8)
        var b = [UInt8](repeating: 0, count: 8)
        _ = try short.run(
            iv: [UInt8](repeating: 0, count: 8), ivRange: 0..<8, input: [UInt8](repeating: 0, count: 8),
            inputRange: 0..<8, output: &a, outputOffset: 0)
        _ = try long.run(
            iv: [UInt8](repeating: 0, count: 8), ivRange: 0..<8, input: [UInt8](repeating: 0, count: 8),
            inputRange: 0..<8, output: &b, outputOffset: 0)
        #expect(a != b)
    }
}
