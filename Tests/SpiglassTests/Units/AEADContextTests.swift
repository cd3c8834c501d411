import Foundation
import SpiglassCrypto
import SpiglassESP
import SpiglassSAD
import Testing

/// Error paths of the OpenSSL wrappers and reuse of one context for many packets.
@Suite struct AEADContextTests {
    /// Runs `body` and returns the CryptoError code it threw (nil if it did not throw one).
    func code(_ body: () throws -> Void) -> CryptoError.Code? {
        do {
            try body()
            return nil
        } catch let error as CryptoError {
            return error.code
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }

    func bytes(_ n: Int, _ seed: Int = 0) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ seed) } }

    // MARK: key lengths

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

    @Test func aeadKeyLengths() {
        for n in [16, 24, 32] {
            for wrong in [0, n - 1, n + 1, n + 4] {
                #expect(
                    code { _ = try AEADContext(.aesGCM(keyBytes: n), key: bytes(wrong)) } == .invalidKeyLength,
                    "gcm-\(n * 8) with \(wrong)")
            }
            #expect(code { _ = try AEADContext(.aesGCM(keyBytes: n), key: bytes(n)) } == nil)
        }
        // ChaCha20-Poly1305 takes exactly 32 bytes; the ESP salt is not part of it.
        for wrong in [0, 16, 31, 33, 36] {
            #expect(
                code { _ = try AEADContext(.chaCha20Poly1305, key: bytes(wrong), encrypt: true) } == .invalidKeyLength,
                "chacha with \(wrong)")
        }
        #expect(code { _ = try AEADContext(.chaCha20Poly1305, key: bytes(32)) } == nil)
        for code in [
            code { _ = try AEADContext(.aesGCM(keyBytes: 20), key: bytes(20)) },
            code { _ = try AEADContext(.aesGCM(keyBytes: 0), key: []) },
        ] {
            #expect(code == .unsupportedAlgorithm || code == .invalidKeyLength)
        }
    }

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

    @Test func hmacAcceptsAnyKeyLength() throws {
        // HMAC has no wrong key length (RFC 2104 hashes long keys, pads short ones); empty works.
        let empty = try HMACContext(.sha256, key: [])
        var out = [UInt8](repeating: 0, count: 32)
        try empty.compute(data: [], range: 0..<0, truncatedTo: 32, output: &out, outputOffset: 0)
        // HMAC-SHA256 with empty key and message (well-known value).
        #expect(hex(out) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
        for n in [1, 64, 65, 200] {
            #expect(code { _ = try HMACContext(.sha512, key: bytes(n)) } == nil)
        }
    }

    // MARK: ranges

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

    @Test func aeadRanges() throws {
        let key = bytes(16)
        let sealer = try AEADContext(.aesGCM(keyBytes: 16), key: key, encrypt: true)
        let opener = try AEADContext(.aesGCM(keyBytes: 16), key: key)
        let nonce = bytes(12, 7)
        let aad = bytes(8, 3)
        let plain = bytes(40, 1)
        var sealed = [UInt8](repeating: 0, count: 56)
        #expect(
            try sealer.seal(
                nonce: nonce, aad: aad, aadRange: 0..<8, input: plain, plaintext: 0..<40, tagLength: 16,
                output: &sealed, outputOffset: 0) == 56)
        var out = [UInt8](repeating: 0, count: 40)
        func open(
            nonce n: [UInt8] = nonce, aadRange: Range<Int> = 0..<8, ciphertext: Range<Int> = 0..<40,
            tag: Range<Int> = 40..<56,
            outputCount: Int = 40, offset: Int = 0
        ) -> (CryptoError.Code?, Bool) {
            var o = [UInt8](repeating: 0, count: outputCount)
            var ok = false
            let c = code {
                ok = try opener.open(
                    nonce: n, aad: aad, aadRange: aadRange, input: sealed, ciphertext: ciphertext, tag: tag, output: &o,
                    outputOffset: offset)
            }
            return (c, ok)
        }
        #expect(open().0 == nil && open().1)
        #expect(open(nonce: bytes(8)).0 == .invalidLength)
        #expect(open(nonce: bytes(16)).0 == .invalidLength)
        #expect(open(aadRange: 0..<9).0 == .invalidLength)
        #expect(open(aadRange: -1..<8).0 == .invalidLength)
        #expect(open(ciphertext: 0..<57).0 == .invalidLength)
        #expect(open(tag: 48..<64).0 == .invalidLength)
        #expect(open(tag: 40..<40).0 == .invalidLength)  // empty tag
        #expect(open(tag: 39..<56).0 == .invalidLength)  // 17-byte tag
        #expect(open(outputCount: 39).0 == .invalidLength)
        #expect(open(outputCount: 40, offset: 1).0 == .invalidLength)
        // A wrong AAD length or a tag that is not the real one is a tag failure, not an error.
        #expect(open(aadRange: 0..<7) == (nil, false))
        #expect(open(tag: 44..<56) == (nil, false))
        // GCM's shorter tags are prefixes of the full tag (how ESP's 8/12-byte ICVs work).
        #expect(open(tag: 40..<48) == (nil, true))
        #expect(open(tag: 40..<52) == (nil, true))
        // The context still opens correctly after every refusal and failure.
        #expect(
            try opener.open(
                nonce: nonce, aad: aad, aadRange: 0..<8, input: sealed, ciphertext: 0..<40, tag: 40..<56, output: &out,
                outputOffset: 0))
        #expect(out == plain)

        // Direction misuse.
        #expect(
            code {
                _ = try opener.seal(
                    nonce: nonce, aad: aad, aadRange: 0..<8, input: plain, plaintext: 0..<40, tagLength: 16,
                    output: &sealed, outputOffset: 0)
            } == .invalidLength)
        #expect(
            code {
                _ = try sealer.open(
                    nonce: nonce, aad: aad, aadRange: 0..<8, input: sealed, ciphertext: 0..<40, tag: 40..<56,
                    output: &out, outputOffset: 0)
            } == .invalidLength)
        // Seal: tag lengths 1...16 only; output must hold ciphertext and tag.
        #expect(
            code {
                _ = try sealer.seal(
                    nonce: nonce, aad: aad, aadRange: 0..<8, input: plain, plaintext: 0..<40, tagLength: 0,
                    output: &sealed, outputOffset: 0)
            } == .invalidLength)
        #expect(
            code {
                _ = try sealer.seal(
                    nonce: nonce, aad: aad, aadRange: 0..<8, input: plain, plaintext: 0..<40, tagLength: 17,
                    output: &sealed, outputOffset: 0)
            } == .invalidLength)
        #expect(
            code {
                _ = try sealer.seal(
                    nonce: nonce, aad: aad, aadRange: 0..<8, input: plain, plaintext: 0..<40, tagLength: 16,
                    output: &sealed, outputOffset: 1)
            } == .invalidLength)
        #expect(
            code {
                _ = try sealer.seal(
                    nonce: nonce, aad: aad, aadRange: 0..<8, input: plain, plaintext: 30..<41, tagLength: 16,
                    output: &sealed, outputOffset: 0)
            } == .invalidLength)
        #expect(
            code {
                _ = try sealer.seal(
                    nonce: bytes(11), aad: aad, aadRange: 0..<8, input: plain, plaintext: 0..<40, tagLength: 16,
                    output: &sealed, outputOffset: 0)
            } == .invalidLength)
    }

    @Test func hmacRanges() throws {
        let mac = try HMACContext(.sha1, key: bytes(20))
        let data = bytes(50)
        var out = [UInt8](repeating: 0, count: 20)
        #expect(
            code { try mac.compute(data: data, range: 0..<50, truncatedTo: 21, output: &out, outputOffset: 0) }
                == .invalidLength)
        #expect(
            code { try mac.compute(data: data, range: 0..<51, truncatedTo: 12, output: &out, outputOffset: 0) }
                == .invalidLength)
        #expect(
            code { try mac.compute(data: data, range: -1..<10, truncatedTo: 12, output: &out, outputOffset: 0) }
                == .invalidLength)
        #expect(
            code {
                try mac.compute(
                    data: data, range: 0..<50, trailer: [1, 2, 3], trailerRange: 0..<4, truncatedTo: 12, output: &out,
                    outputOffset: 0)
            } == .invalidLength)
        #expect(
            code { try mac.compute(data: data, range: 0..<50, truncatedTo: 12, output: &out, outputOffset: 9) }
                == .invalidLength)
        #expect(
            code { try mac.compute(data: data, range: 0..<50, truncatedTo: 12, output: &out, outputOffset: 8) } == nil)
        #expect(
            code { try mac.compute(data: data, range: 0..<50, truncatedTo: 0, output: &out, outputOffset: 20) } == nil)
        var icv = [UInt8](repeating: 0, count: 12)
        try mac.compute(data: data, range: 0..<50, truncatedTo: 12, output: &icv, outputOffset: 0)
        #expect(
            code { _ = try mac.verify(data: data, range: 0..<50, expected: icv, expectedRange: 0..<13) }
                == .invalidLength)
        #expect(
            code { _ = try mac.verify(data: data, range: 40..<51, expected: icv, expectedRange: 0..<12) }
                == .invalidLength)
        #expect(
            code {
                _ = try mac.verify(
                    data: data, range: 0..<50, trailer: [], trailerRange: 0..<1, expected: icv, expectedRange: 0..<12)
            } == .invalidLength)
        // Longer than the digest can never match: false, not an error.
        let long = [UInt8](repeating: 0, count: 21)
        #expect(try mac.verify(data: data, range: 0..<50, expected: long, expectedRange: 0..<21) == false)
        #expect(try mac.verify(data: data, range: 0..<50, expected: icv, expectedRange: 0..<12))
        #expect(try mac.verify(data: data, range: 0..<50, expected: icv, expectedRange: 0..<4))
        // Sub-ranges: the MAC of data[10..<30] equals the MAC of a copy of those bytes.
        var a = [UInt8](repeating: 0, count: 20)
        var b = [UInt8](repeating: 0, count: 20)
        try mac.compute(data: data, range: 10..<30, truncatedTo: 20, output: &a, outputOffset: 0)
        try mac.compute(data: Array(data[10..<30]), range: 0..<20, truncatedTo: 20, output: &b, outputOffset: 0)
        #expect(a == b)
    }

    // MARK: constantTimeEquals

    @Test func constantTimeEqualsSemantics() {
        let a: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let b: [UInt8] = [0, 0, 1, 2, 3, 4, 5, 6, 7, 8]
        #expect(constantTimeEquals(a, 0..<8, a, 0..<8))
        #expect(constantTimeEquals(a, 0..<8, b, 2..<10))
        #expect(constantTimeEquals(a, 2..<5, b, 4..<7))
        #expect(!constantTimeEquals(a, 0..<8, b, 0..<8))
        // Different lengths never match, even as a prefix.
        #expect(!constantTimeEquals(a, 0..<7, a, 0..<8))
        #expect(!constantTimeEquals(a, 0..<8, b, 2..<9))
        // Empty ranges are equal, wherever they are (within bounds).
        #expect(constantTimeEquals(a, 0..<0, b, 10..<10))
        #expect(constantTimeEquals([], 0..<0, [], 0..<0))
        // Out-of-bounds ranges are false, not a crash.
        #expect(!constantTimeEquals(a, 0..<9, b, 0..<9))
        #expect(!constantTimeEquals(a, 1..<9, a, 0..<8))
        #expect(!constantTimeEquals(a, -1..<7, a, 0..<8))
        #expect(!constantTimeEquals(a, 0..<8, b, 3..<11))
        #expect(!constantTimeEquals(a, 9..<9, a, 0..<0))
        // Any single differing bit in any position is detected.
        for i in 0..<a.count {
            for bit in 0..<8 {
                var c = a
                c[i] ^= UInt8(1 << bit)
                #expect(!constantTimeEquals(a, 0..<8, c, 0..<8), "byte \(i) bit \(bit)")
            }
        }
    }

    // MARK: context reuse

    static let reuseCount = 1000

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

    @Test(
        .seeded(0xae_ad5eed),
        arguments: [
            AEADAlgorithm.aesGCM(keyBytes: 16), .aesGCM(keyBytes: 24), .aesGCM(keyBytes: 32), .chaCha20Poly1305,
        ])
    func aeadContextReuse(_ algorithm: AEADAlgorithm) throws {
        var random = TestSeed.current.generator
        let key = random.bytes(algorithm.keyLength)
        let opener = try AEADContext(algorithm, key: key)
        let sealer = try AEADContext(algorithm, key: key, encrypt: true)
        var failures = 0
        for n in 0..<Self.reuseCount {
            let nonce = random.bytes(12)
            let aad = random.bytes(n % 3 == 0 ? 12 : 8)
            let length = n % 300
            let plain = random.bytes(length)
            let tagLength = [8, 12, 16][n % 3]
            let fresh = try AEADContext(algorithm, key: key, encrypt: true)
            var reference = [UInt8](repeating: 0, count: length + tagLength)
            _ = try fresh.seal(
                nonce: nonce, aad: aad, aadRange: 0..<aad.count, input: plain, plaintext: 0..<length,
                tagLength: tagLength, output: &reference, outputOffset: 0)
            var again = [UInt8](repeating: 0, count: length + tagLength)
            _ = try sealer.seal(
                nonce: nonce, aad: aad, aadRange: 0..<aad.count, input: plain, plaintext: 0..<length,
                tagLength: tagLength, output: &again, outputOffset: 0)
            var output = [UInt8](repeating: 0, count: length)
            // Every fifth packet is first offered with a corrupted tag: the failure must not
            // poison the context for the correct packet that follows.
            if n % 5 == 0 {
                var corrupt = reference
                corrupt[length] ^= 0x01
                if try opener.open(
                    nonce: nonce, aad: aad, aadRange: 0..<aad.count, input: corrupt, ciphertext: 0..<length,
                    tag: length..<(length + tagLength), output: &output, outputOffset: 0)
                {
                    failures += 1
                }
            }
            let ok = try opener.open(
                nonce: nonce, aad: aad, aadRange: 0..<aad.count, input: reference, ciphertext: 0..<length,
                tag: length..<(length + tagLength), output: &output, outputOffset: 0)
            if !ok || output != plain || again != reference { failures += 1 }
        }
        #expect(failures == 0, "\(algorithm): \(failures) of \(Self.reuseCount) packets wrong")
    }

    @Test(.seeded(0x3ac_5eed), arguments: [HashFunction.md5, .sha1, .sha256, .sha384, .sha512])
    func hmacContextReuse(_ hash: HashFunction) throws {
        var random = TestSeed.current.generator
        let key = random.bytes(32)
        let reused = try HMACContext(hash, key: key)
        var failures = 0
        for n in 0..<Self.reuseCount {
            let data = random.bytes(n % 200)
            let trailer = random.bytes(4)
            let trailerRange = n % 2 == 0 ? 0..<4 : 0..<0
            var reference = [UInt8](repeating: 0, count: hash.digestLength)
            try HMACContext(hash, key: key).compute(
                data: data, range: 0..<data.count, trailer: trailer, trailerRange: trailerRange,
                truncatedTo: hash.digestLength, output: &reference, outputOffset: 0)
            var mine = [UInt8](repeating: 0, count: hash.digestLength)
            try reused.compute(
                data: data, range: 0..<data.count, trailer: trailer, trailerRange: trailerRange,
                truncatedTo: hash.digestLength, output: &mine, outputOffset: 0)
            let good = try reused.verify(
                data: data, range: 0..<data.count, trailer: trailer, trailerRange: trailerRange,
                expected: reference, expectedRange: 0..<(hash.digestLength / 2))
            var wrong = reference
            wrong[n % (hash.digestLength / 2)] ^= 0x40
            let bad = try reused.verify(
                data: data, range: 0..<data.count, trailer: trailer, trailerRange: trailerRange,
                expected: wrong, expectedRange: 0..<(hash.digestLength / 2))
            if mine != reference || !good || bad { failures += 1 }
        }
        #expect(failures == 0, "\(hash): \(failures) of \(Self.reuseCount) wrong")
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

    @Test func randomBytesLooksRandom() {
        #expect(randomBytes(0).isEmpty)
        let a = randomBytes(32)
        let b = randomBytes(32)
        #expect(a.count == 32 && a != b && a != [UInt8](repeating: 0, count: 32))
    }

    // MARK: transforms added later: XCBC, CMAC, CCM, legacy ciphers

    @Test func macKeyLengthsAndRanges() throws {
        for n in [0, 15, 17, 32] {
            #expect(throws: CryptoError.self) { try XCBCContext(key: [UInt8](repeating: 1, count: n)) }
            #expect(throws: CryptoError.self) { try CMACContext(key: [UInt8](repeating: 1, count: n)) }
        }
        let xcbc = try XCBCContext(key: [UInt8](repeating: 1, count: 16))
        let cmac = try CMACContext(key: [UInt8](repeating: 1, count: 16))
        let data = [UInt8](repeating: 7, count: 40)
        var out = [UInt8](repeating: 0, count: 12)
        // Ranges outside the buffers throw instead of reading past them.
        #expect(throws: CryptoError.self) {
            try xcbc.compute(data: data, range: 30..<41, truncatedTo: 12, output: &out, outputOffset: 0)
        }
        #expect(throws: CryptoError.self) {
            try cmac.compute(data: data, range: -1..<4, truncatedTo: 12, output: &out, outputOffset: 0)
        }
        #expect(throws: CryptoError.self) {
            try xcbc.compute(data: data, range: 0..<4, truncatedTo: 12, output: &out, outputOffset: 1)
        }
        #expect(throws: CryptoError.self) {
            try cmac.compute(data: data, range: 0..<4, truncatedTo: 17, output: &out, outputOffset: 0)
        }
        #expect(throws: CryptoError.self) {
            try xcbc.verify(
                data: data, range: 0..<4, trailer: data, trailerRange: 39..<41, expected: out, expectedRange: 0..<12)
        }
        #expect(throws: CryptoError.self) {
            try cmac.verify(data: data, range: 0..<4, expected: out, expectedRange: 4..<16)
        }
        // An empty expected ICV never verifies.
        #expect(try !xcbc.verify(data: data, range: 0..<4, expected: out, expectedRange: 0..<0))
        #expect(try !cmac.verify(data: data, range: 0..<4, expected: out, expectedRange: 0..<0))
    }

    @Test func ccmContexts() throws {
        let key = [UInt8](repeating: 9, count: 16)
        // CCM allows even tag lengths 4...16 only; the context is made for one of them.
        for bad in [0, 3, 5, 17] {
            #expect(throws: CryptoError.self) {
                try AEADContext(.aesCCM(keyBytes: 16, tagLength: bad), key: key, encrypt: true)
            }
        }
        #expect(throws: CryptoError.self) {
            try AEADContext(.aesCCM(keyBytes: 20, tagLength: 16), key: [UInt8](repeating: 9, count: 20))
        }
        let sealer = try AEADContext(.aesCCM(keyBytes: 16, tagLength: 8), key: key, encrypt: true)
        let opener = try AEADContext(.aesCCM(keyBytes: 16, tagLength: 8), key: key)
        let nonce = [UInt8](repeating: 3, count: 11)
        let aad = [UInt8](repeating: 4, count: 8)
        let plain = [UInt8](repeating: 5, count: 30)
        var sealed = [UInt8](repeating: 0, count: 38)
        // A tag length other than the context's, a 12-byte nonce, or AAD in two pieces: errors.
        #expect(throws: CryptoError.self) {
            try sealer.seal(
                nonce: nonce, aad: aad, aadRange: 0..<8, input: plain, plaintext: 0..<30, tagLength: 16,
                output: &sealed, outputOffset: 0)
        }
        #expect(throws: CryptoError.self) {
            try sealer.seal(
                nonce: nonce + [0], aad: aad, aadRange: 0..<8, input: plain, plaintext: 0..<30, tagLength: 8,
                output: &sealed, outputOffset: 0)
        }
        #expect(throws: CryptoError.self) {
            try sealer.seal(
                nonce: nonce, aad: aad, aadRange: 0..<4, extraAAD: aad, extraAADRange: 4..<8, input: plain,
                plaintext: 0..<30,
                tagLength: 8, output: &sealed, outputOffset: 0)
        }
        #expect(
            try sealer.seal(
                nonce: nonce, aad: aad, aadRange: 0..<8, input: plain, plaintext: 0..<30, tagLength: 8,
                output: &sealed, outputOffset: 0) == 38)
        var out = [UInt8](repeating: 0, count: 30)
        // Failures, then success, on the same context: nothing is left half-set.
        for _ in 0..<3 {
            var forged = sealed
            forged[37] ^= 1
            #expect(
                try !opener.open(
                    nonce: nonce, aad: aad, aadRange: 0..<8, input: forged, ciphertext: 0..<30, tag: 30..<38,
                    output: &out, outputOffset: 0))
            #expect(
                try opener.open(
                    nonce: nonce, aad: aad, aadRange: 0..<8, input: sealed, ciphertext: 0..<30, tag: 30..<38,
                    output: &out, outputOffset: 0))
            #expect(out == plain)
        }
        #expect(throws: CryptoError.self) {
            try opener.open(
                nonce: nonce, aad: aad, aadRange: 0..<8, input: sealed, ciphertext: 0..<30, tag: 30..<39, output: &out,
                outputOffset: 0)
        }
        #expect(throws: CryptoError.self) {
            try opener.open(
                nonce: nonce, aad: aad, aadRange: 0..<8, input: sealed, ciphertext: 30..<30, tag: 30..<38, output: &out,
                outputOffset: 0)
        }
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
