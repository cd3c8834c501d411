internal import CCrypto

/// Combined-mode ciphers: ESP's RFC 4106 AES-GCM and RFC 7634 ChaCha20-Poly1305.
public enum AEADAlgorithm: Sendable, Equatable {
    case aesGCM(keyBytes: Int)
    case chaCha20Poly1305

    public var keyLength: Int {
        switch self {
        case .aesGCM(let n): return n
        case .chaCha20Poly1305: return 32
        }
    }

    /// Both take a 96-bit nonce in ESP (4-byte salt + 8-byte explicit IV).
    public var nonceLength: Int { 12 }

    var evpCipher: OpaquePointer? {
        switch self {
        case .aesGCM(16): return EVP_aes_128_gcm()
        case .aesGCM(24): return EVP_aes_192_gcm()
        case .aesGCM(32): return EVP_aes_256_gcm()
        case .chaCha20Poly1305: return EVP_chacha20_poly1305()
        default: return nil
        }
    }
}

/// One AEAD `EVP_CIPHER_CTX` per SA and direction, keyed once; per packet only the nonce,
/// the AAD and the tag change.
public final class AEADContext {
    public let algorithm: AEADAlgorithm
    public let encrypting: Bool
    private let context: OpaquePointer

    public init(_ algorithm: AEADAlgorithm, key: [UInt8], encrypt: Bool = false) throws {
        let context = try makeKeyedContext(algorithm.evpCipher, key: key, keyLength: algorithm.keyLength,
                                           encrypt: encrypt, name: "\(algorithm)")
        self.context = context
        self.algorithm = algorithm
        self.encrypting = encrypt
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    private func start(nonce: [UInt8], aad: [UInt8], aadRange: Range<Int>) throws {
        guard nonce.count == algorithm.nonceLength else {
            throw CryptoError(.invalidLength, "nonce of \(nonce.count) bytes, need \(algorithm.nonceLength)")
        }
        try checkRange(aadRange, in: aad.count, "AAD")
        let context = self.context
        try nonce.withUnsafeBufferPointer { noncePointer in
            guard EVP_CipherInit_ex2(context, nil, nil, noncePointer.baseAddress, -1, nil) == 1 else {
                throw CryptoError.openssl("EVP_CipherInit_ex2 (nonce)")
            }
        }
        if !aadRange.isEmpty {
            try aad.withUnsafeBufferPointer { aadPointer in
                var length: Int32 = 0
                guard EVP_CipherUpdate(context, nil, &length, aadPointer.baseAddress! + aadRange.lowerBound, Int32(aadRange.count)) == 1 else {
                    throw CryptoError.openssl("EVP_CipherUpdate (AAD)")
                }
            }
        }
    }

    private func update(input: [UInt8], inputRange: Range<Int>, output: inout [UInt8], outputOffset: Int) throws -> Int {
        try checkRange(inputRange, in: input.count, "input")
        try checkRange(outputOffset..<(outputOffset + inputRange.count), in: output.count, "output")
        if inputRange.isEmpty { return 0 }
        let context = self.context
        return try input.withUnsafeBufferPointer { inPointer in
            try output.withUnsafeMutableBufferPointer { outPointer in
                var length: Int32 = 0
                guard EVP_CipherUpdate(
                    context, outPointer.baseAddress! + outputOffset, &length,
                    inPointer.baseAddress! + inputRange.lowerBound, Int32(inputRange.count)) == 1
                else { throw CryptoError.openssl("EVP_CipherUpdate") }
                return Int(length)
            }
        }
    }

    /// Decrypts `input[ciphertext]` into `output` at `outputOffset` and checks the tag
    /// `input[tag]`. Returns false when the tag does not verify: the caller must then treat
    /// the bytes written to `output` as garbage and release none of them.
    public func open(
        nonce: [UInt8], aad: [UInt8], aadRange: Range<Int>,
        input: [UInt8], ciphertext: Range<Int>, tag: Range<Int>,
        output: inout [UInt8], outputOffset: Int
    ) throws -> Bool {
        guard !encrypting else { throw CryptoError(.invalidLength, "open() on an encrypting context") }
        guard (1...16).contains(tag.count) else { throw CryptoError(.invalidLength, "tag of \(tag.count) bytes") }
        try checkRange(tag, in: input.count, "tag")
        try start(nonce: nonce, aad: aad, aadRange: aadRange)
        let produced = try update(input: input, inputRange: ciphertext, output: &output, outputOffset: outputOffset)
        let context = self.context
        let tagSet = input.withUnsafeBufferPointer { inPointer in
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(tag.count),
                                UnsafeMutableRawPointer(mutating: inPointer.baseAddress! + tag.lowerBound))
        }
        guard tagSet == 1 else { throw CryptoError.openssl("EVP_CTRL_AEAD_SET_TAG") }
        // Final writes nothing for these stream-like modes but must have room in principle.
        var scratch = (UInt64(0), UInt64(0))
        let verified = withUnsafeMutableBytes(of: &scratch) { scratchPointer -> Bool in
            var length: Int32 = 0
            return EVP_CipherFinal_ex(context, scratchPointer.baseAddress!.assumingMemoryBound(to: UInt8.self), &length) == 1
        }
        _ = produced
        if !verified { ERR_clear_error() }
        return verified
    }

    /// Encrypts `input[plaintext]` into `output` at `outputOffset` and appends a tag of
    /// `tagLength` bytes right after the ciphertext. Returns bytes written (ciphertext + tag).
    public func seal(
        nonce: [UInt8], aad: [UInt8], aadRange: Range<Int>,
        input: [UInt8], plaintext: Range<Int>, tagLength: Int,
        output: inout [UInt8], outputOffset: Int
    ) throws -> Int {
        guard encrypting else { throw CryptoError(.invalidLength, "seal() on a decrypting context") }
        guard (1...16).contains(tagLength) else { throw CryptoError(.invalidLength, "tag of \(tagLength) bytes") }
        try checkRange(outputOffset..<(outputOffset + plaintext.count + tagLength), in: output.count, "output")
        try start(nonce: nonce, aad: aad, aadRange: aadRange)
        let produced = try update(input: input, inputRange: plaintext, output: &output, outputOffset: outputOffset)
        let context = self.context
        var scratch = (UInt64(0), UInt64(0))
        let finished = withUnsafeMutableBytes(of: &scratch) { scratchPointer -> Bool in
            var length: Int32 = 0
            return EVP_CipherFinal_ex(context, scratchPointer.baseAddress!.assumingMemoryBound(to: UInt8.self), &length) == 1
        }
        guard finished else { throw CryptoError.openssl("EVP_CipherFinal_ex") }
        let tagOffset = outputOffset + produced
        let ok = output.withUnsafeMutableBufferPointer { outPointer in
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, Int32(tagLength), outPointer.baseAddress! + tagOffset)
        }
        guard ok == 1 else { throw CryptoError.openssl("EVP_CTRL_AEAD_GET_TAG") }
        return produced + tagLength
    }
}
