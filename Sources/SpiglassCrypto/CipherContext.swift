internal import CCrypto

/// Unauthenticated ciphers ESP and IKE use, without padding (ESP pads itself).
public enum CipherAlgorithm: Sendable, Equatable {
    case aesCBC(keyBytes: Int)
    case aesCTR(keyBytes: Int)
    case aesECB(keyBytes: Int)
    case tripleDESCBC
    /// DES-CBC (RFC 2405), 8-byte key. OpenSSL's legacy provider.
    case desCBC
    /// Blowfish-CBC (RFC 2451), keys of 5 to 56 bytes. OpenSSL's legacy provider.
    case blowfishCBC(keyBytes: Int)
    /// CAST5-CBC (RFC 2144, RFC 2451), keys of 5 to 16 bytes. OpenSSL's legacy provider.
    case cast5CBC(keyBytes: Int)

    public var blockSize: Int {
        switch self {
        case .aesCBC, .aesECB: return 16
        case .aesCTR: return 1
        case .tripleDESCBC, .desCBC, .blowfishCBC, .cast5CBC: return 8
        }
    }

    public var ivLength: Int {
        switch self {
        case .aesCBC, .aesCTR: return 16
        case .aesECB: return 0
        case .tripleDESCBC, .desCBC, .blowfishCBC, .cast5CBC: return 8
        }
    }

    public var keyLength: Int {
        switch self {
        case .aesCBC(let n), .aesCTR(let n), .aesECB(let n), .blowfishCBC(let n), .cast5CBC(let n): return n
        case .tripleDESCBC: return 24
        case .desCBC: return 8
        }
    }

    /// Key lengths OpenSSL accepts for the variable-key ciphers.
    public static let blowfishKeyLengths = 5...56
    public static let cast5KeyLengths = 5...16

    /// Ciphers that live in OpenSSL's legacy provider.
    public var isLegacy: Bool {
        switch self {
        case .desCBC, .blowfishCBC, .cast5CBC: return true
        default: return false
        }
    }

    /// OpenSSL's name of a legacy cipher, for messages.
    var legacyName: String {
        switch self {
        case .desCBC: return "DES-CBC"
        case .blowfishCBC: return "BF-CBC (Blowfish)"
        case .cast5CBC: return "CAST5-CBC"
        default: return "\(self)"
        }
    }

    var variableKeyLength: Bool {
        switch self {
        case .blowfishCBC, .cast5CBC: return true
        default: return false
        }
    }

    /// Checked before OpenSSL sees a variable key length.
    func checkKeyLength() throws {
        let range: ClosedRange<Int>
        switch self {
        case .blowfishCBC: range = Self.blowfishKeyLengths
        case .cast5CBC: range = Self.cast5KeyLengths
        default: return
        }
        guard range.contains(keyLength) else {
            throw CryptoError(
                .invalidKeyLength,
                "\(self) takes keys of \(range.lowerBound) to \(range.upperBound) bytes, got \(keyLength)")
        }
    }

    var evpCipher: OpaquePointer? {
        switch self {
        case .aesCBC(16): return EVP_aes_128_cbc()
        case .aesCBC(24): return EVP_aes_192_cbc()
        case .aesCBC(32): return EVP_aes_256_cbc()
        case .aesCTR(16): return EVP_aes_128_ctr()
        case .aesCTR(24): return EVP_aes_192_ctr()
        case .aesCTR(32): return EVP_aes_256_ctr()
        case .aesECB(16): return EVP_aes_128_ecb()
        case .aesECB(24): return EVP_aes_192_ecb()
        case .aesECB(32): return EVP_aes_256_ecb()
        case .tripleDESCBC: return EVP_des_ede3_cbc()
        case .desCBC: return EVP_des_cbc()
        case .blowfishCBC: return EVP_bf_cbc()
        case .cast5CBC: return EVP_cast5_cbc()
        default: return nil
        }
    }
}

/// One `EVP_CIPHER_CTX` with its key schedule set once; each call only sets a new IV.
/// Re-creating the context per packet costs more than decrypting a small packet.
public final class CipherContext {
    public let algorithm: CipherAlgorithm
    public let encrypting: Bool
    private let context: OpaquePointer

    /// `key` is read in place when contiguous (`[UInt8]`, `SecretBytes`, their slices); OpenSSL
    /// keeps its own key schedule, which `EVP_CIPHER_CTX_free` cleanses.
    public init(_ algorithm: CipherAlgorithm, key: some Collection<UInt8>, encrypt: Bool = false) throws {
        try algorithm.checkKeyLength()
        if algorithm.isLegacy { try LegacyProvider.require(for: algorithm.legacyName) }
        let context = try makeKeyedContext(
            algorithm.evpCipher, key: key, keyLength: algorithm.keyLength,
            encrypt: encrypt, name: "\(algorithm)",
            variableKeyLength: algorithm.variableKeyLength)
        self.context = context
        self.algorithm = algorithm
        self.encrypting = encrypt
        EVP_CIPHER_CTX_set_padding(context, 0)
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// Whether this context decrypts CBC, whose IV `run` loads by decrypting it as one more
    /// block (`loadChainingBlock`) instead of re-initialising the context.
    private var decryptsCBC: Bool {
        guard !encrypting else { return false }
        switch algorithm {
        case .aesCBC, .tripleDESCBC, .desCBC, .blowfishCBC, .cast5CBC: return true
        case .aesCTR, .aesECB: return false
        }
    }

    /// Runs the cipher over `input[inputRange]` with the IV `iv[ivRange]` and writes the result
    /// to `output` from `outputOffset`. Returns the number of bytes written.
    public func run(
        iv: [UInt8], ivRange: Range<Int>,
        input: [UInt8], inputRange: Range<Int>,
        output: inout [UInt8], outputOffset: Int
    ) throws -> Int {
        guard ivRange.count == algorithm.ivLength else {
            throw CryptoError(.invalidLength, "IV of \(ivRange.count) bytes, need \(algorithm.ivLength)")
        }
        guard inputRange.count % algorithm.blockSize == 0 else {
            throw CryptoError(
                .invalidLength, "\(inputRange.count) bytes is not a multiple of the \(algorithm.blockSize)-byte block")
        }
        try checkRange(ivRange, in: iv.count, "IV")
        try checkRange(inputRange, in: input.count, "input")
        try checkRange(outputOffset..<(outputOffset + inputRange.count), in: output.count, "output")
        let context = self.context
        let chained = decryptsCBC
        let written: Int32 = try iv.withUnsafeBufferPointer { ivPointer in
            let ivBase: UnsafePointer<UInt8>? = ivRange.isEmpty ? nil : ivPointer.baseAddress! + ivRange.lowerBound
            if chained, let ivBase {
                try loadChainingBlock(ivBase)
            } else {
                guard EVP_CipherInit_ex2(context, nil, nil, ivBase, -1, nil) == 1 else {
                    throw CryptoError.openssl("EVP_CipherInit_ex2 (IV)")
                }
            }
            return try input.withUnsafeBufferPointer { inPointer in
                try output.withUnsafeMutableBufferPointer { outPointer in
                    var length: Int32 = 0
                    var total: Int32 = 0
                    if !inputRange.isEmpty {
                        guard
                            EVP_CipherUpdate(
                                context, outPointer.baseAddress! + outputOffset, &length,
                                inPointer.baseAddress! + inputRange.lowerBound, Int32(inputRange.count)) == 1
                        else { throw CryptoError.openssl("EVP_CipherUpdate") }
                        total = length
                    }
                    // Without padding and with whole blocks, the final call writes nothing and
                    // holds nothing back; a chained CBC context skips it, as it skips the init.
                    if chained { return total }
                    guard EVP_CipherFinal_ex(context, outPointer.baseAddress! + outputOffset + Int(total), &length) == 1
                    else {
                        throw CryptoError.openssl("EVP_CipherFinal_ex")
                    }
                    return total + length
                }
            }
        }
        return Int(written)
    }

    /// CBC decryption: P(i) = D(K, C(i)) XOR C(i-1), with C(0) the IV. OpenSSL keeps C(i-1) as
    /// the context's IV and, once a block is decrypted, replaces it with that block. Decrypting
    /// the packet's IV as one block (its plaintext thrown away) therefore leaves the IV in place
    /// for the first real block, whatever the context decrypted before. Re-initialising the
    /// context with the IV (`EVP_CipherInit_ex2`) cost about 1,190 instructions a packet in
    /// OpenSSL 3.0 (the init asks the provider for the IV length again, by name); this block
    /// costs about 150. Input is whole blocks without padding, so OpenSSL never holds a partial
    /// block back from one call to the next.
    private func loadChainingBlock(_ iv: UnsafePointer<UInt8>) throws {
        var discarded = (UInt64(0), UInt64(0))
        let blockSize = Int32(algorithm.blockSize)
        let ok = withUnsafeMutableBytes(of: &discarded) { scratch -> Bool in
            var length: Int32 = 0
            return EVP_CipherUpdate(
                context, scratch.baseAddress!.assumingMemoryBound(to: UInt8.self), &length, iv, blockSize) == 1
                && length == blockSize
        }
        guard ok else { throw CryptoError.openssl("EVP_CipherUpdate (IV block)") }
    }

    /// One more block of an ECB context, without re-initialising it: `output[outputOffset..<+16]`
    /// = E(K, `input[inputOffset..<+16]`). What CBC-MAC constructions (XCBC) are built from.
    func encryptBlock(_ input: [UInt8], at inputOffset: Int, into output: inout [UInt8], at outputOffset: Int) throws {
        guard case .aesECB = algorithm, encrypting else {
            throw CryptoError(.invalidLength, "encryptBlock needs an encrypting ECB context")
        }
        try checkRange(inputOffset..<(inputOffset + 16), in: input.count, "input")
        try checkRange(outputOffset..<(outputOffset + 16), in: output.count, "output")
        let context = self.context
        let ok = input.withUnsafeBufferPointer { inPointer in
            output.withUnsafeMutableBufferPointer { outPointer -> Bool in
                var length: Int32 = 0
                return EVP_CipherUpdate(
                    context, outPointer.baseAddress! + outputOffset, &length,
                    inPointer.baseAddress! + inputOffset, 16) == 1 && length == 16
            }
        }
        guard ok else { throw CryptoError.openssl("EVP_CipherUpdate (ECB block)") }
    }
}
