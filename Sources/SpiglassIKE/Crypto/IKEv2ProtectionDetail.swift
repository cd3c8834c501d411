import SpiglassSAD

/// The values behind an `IKEv2ProtectionError`: which check failed and what it compared, by
/// the part that failed it. SpiglassAnalysis words them (`IKEProtectionErrorText`).
public enum IKEv2ProtectionDetail: Sendable, Hashable {
    /// The IKE SA's algorithms and keys (`IKEv2MessageProtection.init`).
    case sa(SAProblem)
    /// The message and its payload chain up to the SK or SKF payload.
    case chain(ChainProblem)
    /// The SK (`fragment` false) or SKF payload and what it holds.
    case encrypted(EncryptedProblem)
    case crypto(IKECryptoFailure)
    /// Sealing (tests and benchmarks).
    case seal(SealProblem)

    /// One of the IKE SA's four SK keys (RFC 7296 2.14).
    public enum Key: Sendable, Hashable {
        case skEi, skEr, skAi, skAr
    }

    /// The algorithm whose context could not be made.
    public enum Algorithm: Sendable, Hashable {
        case encryption(IKEEncryptionAlgorithm)
        case integrity(IKEIntegrityAlgorithm)
    }

    public enum SAProblem: Sendable, Hashable {
        case ikev1SA
        case noEncryption
        case encryptionNotSupported(IKEEncryptionAlgorithm)
        /// SK_ei and SK_er lengths given, one of them zero.
        case encryptionKeysMissing(initiator: Int, responder: Int)
        case encryptionKeyLengthUnknown(IKEEncryptionAlgorithm)
        /// A key of `bytes` where the algorithm `takes` (of which `salt` bytes are salt).
        case encryptionKeyLength(Key, bytes: Int, IKEEncryptionAlgorithm, takes: Int, salt: Int)
        case integrityKeyLength(Key, bytes: Int, IKEIntegrityAlgorithm, takes: Int)
        /// A non-AEAD cipher without an integrity algorithm.
        case integrityUnknown(IKEEncryptionAlgorithm)
        /// OpenSSL refused the context of `Algorithm`.
        case setup(Algorithm, IKECryptoFailure)
    }

    public enum ChainProblem: Sendable, Hashable {
        case range(Range<Int>, bufferSize: Int)
        case shorterThanHeader(Int)
        case majorVersion(UInt8)
        case headerLength(declared: Int, message: Int)
        /// No payload starts at `target`; the one after starts at `next`.
        case noPayloadAt(target: Int, next: Int, nextIsEncrypted: Bool)
        case chainEndsBefore(end: Int, target: Int)
        case chainEnds(at: Int)
        case noEncryptedPayload
        case tooManyPayloads(limit: Int)
        case payloadHeaderCut(type: UInt8, at: Int, messageEnd: Int)
        case payloadLength(type: UInt8, at: Int, declared: Int, remaining: Int)
        case notEncryptedPayload(at: Int, type: UInt8)
    }

    public enum EncryptedProblem: Sendable, Hashable {
        case encryptedHeaderCut(fragment: Bool, at: Int, messageEnd: Int)
        case encryptedLength(fragment: Bool, declared: Int, remaining: Int)
        case encryptedBelowHeader(fragment: Bool, declared: Int, header: Int)
        case fragmentNumber(UInt16, of: UInt16)
        case encryptedTooShort(fragment: Bool, declared: Int, header: Int, iv: Int, ciphertext: Int, icv: Int)
        case notBlockAligned(ciphertext: Int, block: Int)
        case padLength(Int, before: Int)
        /// The ICV, or the AEAD tag, with the keys of the initiator (`sentByInitiator`) or the
        /// responder.
        case icvMismatch(sentByInitiator: Bool)
        case tagMismatch(IKEEncryptionAlgorithm, sentByInitiator: Bool)
    }

    public enum SealProblem: Sendable, Hashable {
        case sealHeader(Int)
        case sealPadLength(Int)
        case sealNotBlockAligned(plaintext: Int, block: Int)
        case sealIV(Int, needed: Int)
        case sealPayloadLength(Int)
    }
}
