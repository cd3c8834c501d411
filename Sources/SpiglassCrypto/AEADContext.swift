internal import CCrypto

/// Combined-mode ciphers: ESP's RFC 4106 AES-GCM (and RFC 4543 AES-GMAC, which is GCM with
/// everything in the AAD), RFC 7634 ChaCha20-Poly1305 and RFC 4309 AES-CCM.
public enum AEADAlgorithm: Sendable, Equatable {
    case aesGCM(keyBytes: Int)
    case chaCha20Poly1305
    /// CCM with an 11-byte nonce (3-byte salt + 8-byte IV, so L = 4), as RFC 4309 uses it.
    /// OpenSSL fixes CCM's tag length with the key, so it is part of the algorithm here.
    case aesCCM(keyBytes: Int, tagLength: Int)

    public var keyLength: Int {
        switch self {
        case .aesGCM(let n), .aesCCM(let n, _): return n
        case .chaCha20Poly1305: return 32
        }
    }

    /// GCM and ChaCha20-Poly1305 take a 96-bit nonce in ESP (4-byte salt + 8-byte IV); CCM an
    /// 88-bit one (3-byte salt + 8-byte IV).
    public var nonceLength: Int {
        switch self {
        case .aesCCM: return 11
        default: return 12
        }
    }

    /// Tag lengths the context accepts.
    public var validTagLengths: ClosedRange<Int> {
        switch self {
        case .aesCCM(_, let tag): return tag...tag
        default: return 1...16
        }
    }

    var isCCM: Bool {
        if case .aesCCM = self { return true }
        return false
    }

    var evpCipher: OpaquePointer? {
        switch self {
        case .aesGCM(16): return EVP_aes_128_gcm()
        case .aesGCM(24): return EVP_aes_192_gcm()
        case .aesGCM(32): return EVP_aes_256_gcm()
        case .aesCCM(16, _): return EVP_aes_128_ccm()
        case .aesCCM(24, _): return EVP_aes_192_ccm()
        case .aesCCM(32, _): return EVP_aes_256_ccm()
        case .chaCha20Poly1305: return EVP_chacha20_poly1305()
        default: return nil
        }
    }
}

/// One AEAD `EVP_CIPHER_CTX` per SA and direction, keyed once; per packet only the nonce,
/// the AAD and the tag change.
///
/// CCM needs OpenSSL's CCM call order. The nonce length (11, so L = 4) and the tag length M
/// are set once, before the key, because OpenSSL builds them into the CCM state when the key
/// is set. Per packet: tag (or tag length when sealing), nonce, total length, AAD in one
/// piece, then the data; the tag is checked by that last update.
public final class AEADContext {
    public let algorithm: AEADAlgorithm
    public let encrypting: Bool
    private let context: OpaquePointer

    /// `key` is read in place when contiguous (`[UInt8]`, `SecretBytes`, their slices).
    public init(_ algorithm: AEADAlgorithm, key: some Collection<UInt8>, encrypt: Bool = false) throws {
        var configure: ((OpaquePointer) -> Bool)? = nil
        if case .aesCCM(_, let tagLength) = algorithm {
            guard [4, 6, 8, 10, 12, 14, 16].contains(tagLength) else {
                throw CryptoError(.invalidLength, "CCM tag of \(tagLength) bytes")
            }
            let nonceLength = Int32(algorithm.nonceLength)
            configure = { context in
                EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_IVLEN, nonceLength, nil) == 1
                    && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(tagLength), nil) == 1
            }
        }
        let context = try makeKeyedContext(
            algorithm.evpCipher, key: key, keyLength: algorithm.keyLength,
            encrypt: encrypt, name: "\(algorithm)", configure: configure)
        self.context = context
        self.algorithm = algorithm
        self.encrypting = encrypt
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// GCM decryption: the salt (the nonce's first 4 bytes) last given to OpenSSL as the fixed
    /// field of the IV, nil before the first packet. See `setGCMNonceAndTag`.
    // Rewritten per packet by the one thread using this context; see the note in Analyzer.
    @exclusivity(unchecked) private var fixedSalt: UInt32? = nil

    /// Whether `open` sets the nonce as GCM's fixed and invocation fields (`setGCMNonceAndTag`).
    private var setsGCMInvocationField: Bool {
        if case .aesGCM = algorithm { return true }
        return false
    }

    /// GCM decryption: sets the nonce and the expected tag `input[tag]` in one parameter call.
    /// An ESP (or IKE) GCM nonce is a salt that is part of the key (4 bytes) and a per-packet
    /// IV (8 bytes), which is how OpenSSL's GCM splits a TLS nonce into a fixed and an
    /// invocation field: the salt is set as the fixed field when it changes (once per SA), and
    /// each packet sets only its IV. Setting the whole nonce with `EVP_CipherInit_ex2` and the
    /// tag with `EVP_CIPHER_CTX_ctrl` cost about 1,300 instructions a packet in OpenSSL 3 (the
    /// init asks the provider for the IV length again, and each call looks its parameters up by
    /// name); this costs about 770, most of it OpenSSL setting up the IV.
    private func setGCMNonceAndTag(_ nonce: [UInt8], input: [UInt8], tag: Range<Int>) throws {
        guard nonce.count == 12 else {
            throw CryptoError(.invalidLength, "nonce of \(nonce.count) bytes, need 12")
        }
        let context = self.context
        let salt = nonce.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        if salt != fixedSalt {
            let ok = nonce.withUnsafeBufferPointer { noncePointer in
                var params = (
                    OSSL_PARAM_construct_octet_string(
                        GCMParameter.fixedField, UnsafeMutableRawPointer(mutating: noncePointer.baseAddress!), 4),
                    OSSL_PARAM_construct_end()
                )
                return withUnsafeMutableBytes(of: &params) {
                    EVP_CIPHER_CTX_set_params(context, $0.baseAddress!.assumingMemoryBound(to: OSSL_PARAM.self))
                }
            }
            guard ok == 1 else { throw CryptoError.openssl("EVP_CIPHER_CTX_set_params (GCM fixed IV field)") }
            fixedSalt = salt
        }
        let ok = nonce.withUnsafeBufferPointer { noncePointer in
            input.withUnsafeBufferPointer { inPointer in
                var params = (
                    GCMParameter.octetString(
                        GCMParameter.tag, UnsafeMutableRawPointer(mutating: inPointer.baseAddress! + tag.lowerBound),
                        tag.count),
                    GCMParameter.octetString(
                        GCMParameter.invocationField, UnsafeMutableRawPointer(mutating: noncePointer.baseAddress! + 4),
                        8),
                    OSSL_PARAM()
                )
                return withUnsafeMutableBytes(of: &params) {
                    EVP_CIPHER_CTX_set_params(context, $0.baseAddress!.assumingMemoryBound(to: OSSL_PARAM.self))
                }
            }
        }
        guard ok == 1 else { throw CryptoError.openssl("EVP_CIPHER_CTX_set_params (GCM IV and tag)") }
    }

    private func setNonce(_ nonce: [UInt8]) throws {
        guard nonce.count == algorithm.nonceLength else {
            throw CryptoError(.invalidLength, "nonce of \(nonce.count) bytes, need \(algorithm.nonceLength)")
        }
        let context = self.context
        try nonce.withUnsafeBufferPointer { noncePointer in
            guard EVP_CipherInit_ex2(context, nil, nil, noncePointer.baseAddress, -1, nil) == 1 else {
                throw CryptoError.openssl("EVP_CipherInit_ex2 (nonce)")
            }
        }
    }

    private func addAAD(_ aad: [UInt8], _ range: Range<Int>) throws {
        guard !range.isEmpty else { return }
        let context = self.context
        try aad.withUnsafeBufferPointer { aadPointer in
            var length: Int32 = 0
            guard
                EVP_CipherUpdate(context, nil, &length, aadPointer.baseAddress! + range.lowerBound, Int32(range.count))
                    == 1
            else {
                throw CryptoError.openssl("EVP_CipherUpdate (AAD)")
            }
        }
    }

    /// CCM only: the total data length, which must come after the nonce and before the AAD.
    private func setTotalLength(_ count: Int) throws {
        var length: Int32 = 0
        guard EVP_CipherUpdate(context, nil, &length, nil, Int32(count)) == 1 else {
            throw CryptoError.openssl("EVP_CipherUpdate (CCM length)")
        }
    }

    /// Runs the cipher over `input[inputRange]` into `output` at `outputOffset`. Returns false
    /// when OpenSSL refuses: for CCM decryption, a tag that does not verify.
    private func update(input: [UInt8], inputRange: Range<Int>, output: inout [UInt8], outputOffset: Int) throws -> (
        Bool, Int
    ) {
        try checkRange(inputRange, in: input.count, "input")
        try checkRange(outputOffset..<(outputOffset + inputRange.count), in: output.count, "output")
        if inputRange.isEmpty { return (true, 0) }
        let context = self.context
        return input.withUnsafeBufferPointer { inPointer in
            output.withUnsafeMutableBufferPointer { outPointer in
                var length: Int32 = 0
                let ok =
                    EVP_CipherUpdate(
                        context, outPointer.baseAddress! + outputOffset, &length,
                        inPointer.baseAddress! + inputRange.lowerBound, Int32(inputRange.count)) == 1
                return (ok, Int(length))
            }
        }
    }

    private func checkAAD(_ aad: [UInt8], _ aadRange: Range<Int>, _ extra: [UInt8], _ extraRange: Range<Int>) throws {
        try checkRange(aadRange, in: aad.count, "AAD")
        try checkRange(extraRange, in: extra.count, "extra AAD")
        // OpenSSL's CCM takes the AAD in a single update.
        if algorithm.isCCM && !extraRange.isEmpty {
            throw CryptoError(.invalidLength, "CCM takes its AAD in one piece")
        }
    }

    /// Decrypts `input[ciphertext]` into `output` at `outputOffset` and checks the tag
    /// `input[tag]`. The AAD is `aad[aadRange]` followed by `extraAAD[extraAADRange]` (RFC 4543
    /// GMAC authenticates the whole packet that way, with an empty ciphertext). Returns false
    /// when the tag does not verify: the caller must then treat the bytes written to `output`
    /// as garbage and release none of them.
    public func open(
        nonce: [UInt8], aad: [UInt8], aadRange: Range<Int>,
        extraAAD: [UInt8] = [], extraAADRange: Range<Int> = 0..<0,
        input: [UInt8], ciphertext: Range<Int>, tag: Range<Int>,
        output: inout [UInt8], outputOffset: Int
    ) throws -> Bool {
        guard !encrypting else { throw CryptoError(.invalidLength, "open() on an encrypting context") }
        guard algorithm.validTagLengths.contains(tag.count) else {
            throw CryptoError(.invalidLength, "tag of \(tag.count) bytes")
        }
        try checkRange(tag, in: input.count, "tag")
        try checkRange(ciphertext, in: input.count, "input")
        try checkRange(outputOffset..<(outputOffset + ciphertext.count), in: output.count, "output")
        try checkAAD(aad, aadRange, extraAAD, extraAADRange)
        let context = self.context
        func setTag() -> Bool {
            input.withUnsafeBufferPointer { inPointer in
                EVP_CIPHER_CTX_ctrl(
                    context, EVP_CTRL_AEAD_SET_TAG, Int32(tag.count),
                    UnsafeMutableRawPointer(mutating: inPointer.baseAddress! + tag.lowerBound)) == 1
            }
        }
        if algorithm.isCCM {
            // ESP never has an empty CCM payload (the trailer alone is 2 bytes), and OpenSSL
            // only checks the tag inside a data update.
            guard !ciphertext.isEmpty else { throw CryptoError(.invalidLength, "empty CCM ciphertext") }
            guard setTag() else { throw CryptoError.openssl("EVP_CTRL_AEAD_SET_TAG") }
            try setNonce(nonce)
            try setTotalLength(ciphertext.count)
            try addAAD(aad, aadRange)
            let (verified, _) = try update(
                input: input, inputRange: ciphertext, output: &output, outputOffset: outputOffset)
            if !verified { ERR_clear_error() }
            return verified
        }
        let gcm = setsGCMInvocationField
        if gcm {
            try setGCMNonceAndTag(nonce, input: input, tag: tag)
        } else {
            try setNonce(nonce)
        }
        try addAAD(aad, aadRange)
        try addAAD(extraAAD, extraAADRange)
        let (ok, _) = try update(input: input, inputRange: ciphertext, output: &output, outputOffset: outputOffset)
        guard ok else { throw CryptoError.openssl("EVP_CipherUpdate") }
        guard gcm || setTag() else { throw CryptoError.openssl("EVP_CTRL_AEAD_SET_TAG") }
        // Final writes nothing for these stream-like modes but must have room in principle.
        var scratch = (UInt64(0), UInt64(0))
        let verified = withUnsafeMutableBytes(of: &scratch) { scratchPointer -> Bool in
            var length: Int32 = 0
            return EVP_CipherFinal_ex(context, scratchPointer.baseAddress!.assumingMemoryBound(to: UInt8.self), &length)
                == 1
        }
        if !verified { ERR_clear_error() }
        return verified
    }

    /// Encrypts `input[plaintext]` into `output` at `outputOffset` and appends a tag of
    /// `tagLength` bytes right after the ciphertext. The AAD is `aad[aadRange]` followed by
    /// `extraAAD[extraAADRange]`. Returns bytes written (ciphertext + tag).
    public func seal(
        nonce: [UInt8], aad: [UInt8], aadRange: Range<Int>,
        extraAAD: [UInt8] = [], extraAADRange: Range<Int> = 0..<0,
        input: [UInt8], plaintext: Range<Int>, tagLength: Int,
        output: inout [UInt8], outputOffset: Int
    ) throws -> Int {
        guard encrypting else { throw CryptoError(.invalidLength, "seal() on a decrypting context") }
        guard algorithm.validTagLengths.contains(tagLength) else {
            throw CryptoError(.invalidLength, "tag of \(tagLength) bytes")
        }
        try checkRange(plaintext, in: input.count, "input")
        try checkRange(outputOffset..<(outputOffset + plaintext.count + tagLength), in: output.count, "output")
        try checkAAD(aad, aadRange, extraAAD, extraAADRange)
        let context = self.context
        if algorithm.isCCM {
            guard !plaintext.isEmpty else { throw CryptoError(.invalidLength, "empty CCM plaintext") }
            guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(tagLength), nil) == 1 else {
                throw CryptoError.openssl("EVP_CTRL_AEAD_SET_TAG (length)")
            }
            try setNonce(nonce)
            try setTotalLength(plaintext.count)
        } else {
            try setNonce(nonce)
        }
        try addAAD(aad, aadRange)
        try addAAD(extraAAD, extraAADRange)
        let (ok, produced) = try update(
            input: input, inputRange: plaintext, output: &output, outputOffset: outputOffset)
        guard ok else { throw CryptoError.openssl("EVP_CipherUpdate") }
        var scratch = (UInt64(0), UInt64(0))
        let finished = withUnsafeMutableBytes(of: &scratch) { scratchPointer -> Bool in
            var length: Int32 = 0
            return EVP_CipherFinal_ex(context, scratchPointer.baseAddress!.assumingMemoryBound(to: UInt8.self), &length)
                == 1
        }
        guard finished else { throw CryptoError.openssl("EVP_CipherFinal_ex") }
        let tagOffset = outputOffset + produced
        let got = output.withUnsafeMutableBufferPointer { outPointer in
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, Int32(tagLength), outPointer.baseAddress! + tagOffset)
        }
        guard got == 1 else { throw CryptoError.openssl("EVP_CTRL_AEAD_GET_TAG") }
        return produced + tagLength
    }
}

/// OpenSSL's names of the GCM parameters `AEADContext` sets per packet, as C strings that live
/// as long as the program (a Swift String passed to `OSSL_PARAM_construct_*` is a temporary).
private enum GCMParameter {
    /// OSSL_CIPHER_PARAM_AEAD_TAG
    static var tag: UnsafePointer<CChar> { cString("tag") }
    /// OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED
    static var fixedField: UnsafePointer<CChar> { cString("tlsivfixed") }
    /// OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV
    static var invocationField: UnsafePointer<CChar> { cString("tlsivinv") }

    /// What `OSSL_PARAM_construct_octet_string` returns (`OSSL_PARAM_octet_string` in C), built
    /// here rather than by a call into libcrypto per parameter and packet. OpenSSL 3.0's GCM
    /// looks up each of the five names it knows in the array whatever it holds (five
    /// `OSSL_PARAM_locate` and nine `strcmp` a packet for these two), which only fewer calls
    /// would cut: both parameters therefore go in one.
    @inline(__always)
    static func octetString(_ key: UnsafePointer<CChar>, _ data: UnsafeMutableRawPointer, _ size: Int) -> OSSL_PARAM {
        // return_size: OSSL_PARAM_UNMODIFIED, ((size_t)-1), which Swift does not import.
        OSSL_PARAM(
            key: key, data_type: UInt32(OSSL_PARAM_OCTET_STRING), data: data, data_size: size, return_size: .max)
    }

    private static func cString(_ literal: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(literal.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}
