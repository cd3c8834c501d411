import SpiglassSAD

/// The values behind an `IKEv1ProtectionError`: which check failed and what it compared, by
/// the part that failed it. SpiglassAnalysis words them (`IKEProtectionErrorText`).
public enum IKEv1ProtectionDetail: Sendable, Hashable {
    /// The IKE SA's algorithms and keys (`IKEv1MessageProtection.init`).
    case sa(SAProblem)
    /// The message, its ciphertext and the decrypted payload chain.
    case message(MessageProblem)
    /// HASH payloads: Quick Mode and Informational, then phase 1 (HASH_I `sentByInitiator`,
    /// else HASH_R).
    case hash(HashProblem)
    /// The CBC IV chain (`IKEv1IVState`).
    case ivChain(IVChainProblem)
    case crypto(IKECryptoFailure)
    /// Encrypting (tests and benchmarks).
    case seal(SealProblem)

    public enum SAProblem: Sendable, Hashable {
        case ikev2SA
        case noEncryption
        case encryptionNotSupported(IKEEncryptionAlgorithm)
        case encryptionKeyLength(bytes: Int, IKEEncryptionAlgorithm, takes: Int)
        /// Deriving the key from SKEYID_e needs the hash, or failed.
        case derivationNeedsHash
        case derivation(IKEKeyDerivationError)
        case noEncryptionKey
        case setup(IKEEncryptionAlgorithm, IKECryptoFailure)
    }

    public enum MessageProblem: Sendable, Hashable {
        case range(Range<Int>, bufferSize: Int)
        case shorterThanHeader(Int)
        case majorVersion(UInt8)
        case encryptionFlagClear
        case headerLength(declared: Int, message: Int)
        case noCiphertext
        case notBlockAligned(ciphertext: Int, block: Int)
        case ivLength(Int, IKEEncryptionAlgorithm, needed: Int)
        // The decrypted payload chain (offsets in the plaintext).
        case tooManyPayloads(limit: Int)
        case payloadHeaderCut(type: UInt8, at: Int, plaintext: Int)
        case payloadLength(type: UInt8, at: Int, declared: Int, remaining: Int)
    }

    public enum HashProblem: Sendable, Hashable {
        case hashNeedsSKEYIDa(IKEv1HashKind)
        case hashNeedsHash(IKEv1HashKind)
        case hash(IKEv1HashKind, IKEKeyDerivationError)
        case noHashPayload(firstType: UInt8)
        case hashPayloadLength(Int, chain: Int)
        case hashMismatch(IKEv1HashKind)
        case phase1HashNeedsSKEYID(sentByInitiator: Bool)
        case phase1HashNeedsHash(sentByInitiator: Bool)
        case phase1HashNeedsCookie(sentByInitiator: Bool)
        case phase1Hash(sentByInitiator: Bool, IKEKeyDerivationError)
    }

    public enum IVChainProblem: Sendable, Hashable {
        case lastBlockLength(Int, block: Int)
        case blockSize(Int, digest: Int, IKEv1Hash)
        case ivHash(IKEKeyDerivationError)
    }

    public enum SealProblem: Sendable, Hashable {
        case sealHeader(Int)
        case sealNotBlockAligned(payloads: Int, padding: Int, block: Int)
        case sealLength(Int)
    }
}
