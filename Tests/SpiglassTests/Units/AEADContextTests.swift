import Foundation
import SpiglassCrypto
import SpiglassESP
import SpiglassSAD
import Testing

/// `AEADContext` (GCM, CCM, ChaCha20-Poly1305): key lengths, ranges outside the buffers, one
/// context reused for many packets.
@Suite struct AEADContextTests: CryptoWrapperChecks {
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

    /// GCM decryption gives OpenSSL the nonce's salt once, as the IV's fixed field, and each
    /// packet's 8-byte IV as the invocation field: packets under one salt, a salt that comes
    /// back, and a packet offered under another packet's IV must all open (or fail) exactly as
    /// on a fresh context.
    @Test(.seeded(0x6c_5a17)) func gcmSaltAndIVPerPacket() throws {
        var random = TestSeed.current.generator
        let key = random.bytes(16)
        let opener = try AEADContext(.aesGCM(keyBytes: 16), key: key)
        let salts = [random.bytes(4), random.bytes(4)]
        let aad = random.bytes(8)
        var previousNonce: [UInt8]? = nil
        var wrong = 0
        for n in 0..<30 {
            let nonce = salts[[0, 0, 1, 0, 1, 1][n % 6]] + random.bytes(8)
            let plain = random.bytes(20 + n)
            var sealed = [UInt8](repeating: 0, count: plain.count + 16)
            _ = try AEADContext(.aesGCM(keyBytes: 16), key: key, encrypt: true).seal(
                nonce: nonce, aad: aad, aadRange: 0..<8, input: plain, plaintext: 0..<plain.count, tagLength: 16,
                output: &sealed, outputOffset: 0)
            var output = [UInt8](repeating: 0, count: plain.count)
            func open(_ nonce: [UInt8]) throws -> Bool {
                try opener.open(
                    nonce: nonce, aad: aad, aadRange: 0..<8, input: sealed, ciphertext: 0..<plain.count,
                    tag: plain.count..<sealed.count, output: &output, outputOffset: 0)
            }
            // The previous packet's nonce (same salt or not) must not open this one.
            if let previousNonce, try open(previousNonce) { wrong += 1 }
            if try !open(nonce) || output != plain { wrong += 1 }
            previousNonce = nonce
        }
        #expect(wrong == 0)
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
}
