import SpiglassCrypto
import SpiglassSAD
import SpiglassWire

/// Why an IKEv1 message could not be decrypted or checked, or an IKEv1 SA not be used.
public typealias IKEv1ProtectionError = IKEProtectionError<IKEv1ProtectionCode, IKEv1ProtectionDetail>

/// What `IKEv1ProtectionError` says went wrong.
public enum IKEv1ProtectionCode: String, Sendable {
    // The IKE SA (from `init`).
    /// The SA is an IKEv2 SA.
    case notIKEv1SA
    /// Neither the phase-1 encryption key nor SKEYID_e is given; or SKEYID (phase-1
    /// HASH) or SKEYID_a (Quick Mode and Informational HASH) is missing.
    case missingKeys
    /// The hash is needed (to derive the key from SKEYID_e, or for a HASH) but unknown.
    case missingHash
    /// No, or an unusable, encryption algorithm (IKEv1 encrypts with CBC ciphers only).
    case unsupportedAlgorithm
    /// A key whose length does not fit its algorithm.
    case badKeyLength

    // The message.
    /// `messageRange` is not inside the byte array.
    case badRange
    /// Shorter than the 28-byte ISAKMP header.
    case messageTruncated
    /// Major version is not 1.
    case badVersion
    /// The Encryption bit of the ISAKMP header's flags is clear.
    case notEncrypted
    /// The header's Length field is shorter than the header or longer than the message.
    case headerLengthMismatch
    /// Nothing after the header to decrypt.
    case noCiphertext
    /// Ciphertext that is not a whole number of cipher blocks.
    case notBlockAligned
    /// An IV (or a "last block") that is not one cipher block long.
    case badIVLength
    /// The decrypted payload chain does not fit the plaintext: a wrong key or IV (a
    /// wrong IV changes only the first block, which holds the first payload's header),
    /// or a damaged message. No plaintext is released.
    case malformedPlaintext

    // HASH payloads.
    /// The plaintext does not start with a HASH payload (RFC 2409 5.5 and 5.7 put it
    /// right after the ISAKMP header).
    case noHashPayload
    /// The HASH payload's data is not the value computed from the message.
    case hashMismatch

    // The IV state.
    /// A cipher block size the hash cannot give an IV for.
    case badBlockSize

    /// OpenSSL refused an operation, or a key derivation failed.
    case crypto
}

/// One decrypted IKEv1 message body.
public struct IKEv1Plaintext: Sendable, Equatable {
    /// The ISAKMP header's Next Payload: the type of the first decrypted payload.
    public var firstPayloadType: UInt8
    /// The ISAKMP header's Message ID.
    public var messageID: UInt32
    /// Every decrypted byte: the payload chain, then the padding.
    public var decrypted: [UInt8]
    /// Where the payload chain ends (its last payload has Next Payload 0); the rest of
    /// `decrypted` is padding. IKEv1 has no Pad Length field: RFC 2409 Appendix B asks for
    /// zero bytes and a count in the last one, but peers differ, so padding is not checked.
    public var payloadsLength: Int
    /// The last cipher block of the ciphertext: the IV of the next message of the same CBC
    /// chain (`IKEv1IVState`).
    public var lastCiphertextBlock: [UInt8]

    /// (Clamped to `decrypted`, so that a hand-made value cannot trap.)
    public var payloads: ArraySlice<UInt8> { decrypted[0..<chainEnd] }
    public var padding: ArraySlice<UInt8> { decrypted[chainEnd...] }

    private var chainEnd: Int { min(max(payloadsLength, 0), decrypted.count) }

    public init(
        firstPayloadType: UInt8, messageID: UInt32, decrypted: [UInt8], payloadsLength: Int,
        lastCiphertextBlock: [UInt8]
    ) {
        self.firstPayloadType = firstPayloadType
        self.messageID = messageID
        self.decrypted = decrypted
        self.payloadsLength = payloadsLength
        self.lastCiphertextBlock = lastCiphertextBlock
    }
}

/// Which HASH payload of RFC 2409 5.5 (Quick Mode) or 5.7 (Informational) is checked.
public enum IKEv1HashKind: String, Sendable, Equatable {
    /// Quick Mode message 1: HASH(1) = prf(SKEYID_a, M-ID | Message after HASH).
    case quickMode1
    /// Quick Mode message 2: HASH(2) = prf(SKEYID_a, M-ID | Ni_b | Message after HASH).
    case quickMode2
    /// Quick Mode message 3: HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b).
    case quickMode3
    /// Informational: HASH(1) = prf(SKEYID_a, M-ID | N/D). Also the Transaction exchange of
    /// Mode Config and XAUTH (draft-ietf-ipsec-isakmp-mode-cfg-05 3.2: HASH = prf(SKEYID_a,
    /// M-ID | ATTR)).
    case informational
}

/// Decrypts the messages of one IKEv1 SA and checks their HASH payloads. The cipher context is
/// keyed once here and reused for every message; an instance is for one thread at a time.
///
/// RFC 2408 3.1 and RFC 2409 Appendix B: an encrypted ISAKMP message is the 28-byte header
/// (Encryption bit set) followed by the payload chain and padding, all CBC-encrypted as one
/// run starting right after the header. There is no IV on the wire and no ICV:
/// the IV comes from `IKEv1IVState`, and integrity is only what the HASH payloads give
/// (Quick Mode, Informational, pre-shared-key Main Mode), checked by the caller through
/// `verifyHash` / `phase1Hash`, since a plaintext can only be vouched for once its exchange
/// is known.
///
/// Both directions use the same key (RFC 2409 Appendix B: one Ka from SKEYID_e).
public final class IKEv1MessageProtection {
    // Wire layout (RFC 2408 3.1, 3.2).
    public static let headerLength = 28
    public static let genericPayloadHeaderLength = 4
    static let versionOffset = 17
    static let flagsOffset = 19
    static let lengthOffset = 24
    /// RFC 2408 3.1: the Encryption bit, the low bit of Flags.
    public static let encryptionFlag: UInt8 = 0x01
    /// RFC 2408 3.1 (Next Payload values) and 3.11: the Hash payload type.
    public static let hashPayloadType: UInt8 = 8
    /// Payloads walked in one decrypted chain. Real messages carry under a dozen (a Main
    /// Mode message with a certificate chain, a Quick Mode with several proposals); the cap
    /// bounds the work a hostile chain of 4-byte payloads can cause.
    public static let maxPayloads = 64
    /// The most padding `encrypt` adds (RFC 2409 sets no limit; this keeps sizes sane).
    public static let maxEncryptPadding = 255

    public let sa: IKESecurityAssociation
    public let encryption: IKEEncryptionAlgorithm
    /// The SA's hash (PRF = HMAC with it); nil when neither the caller nor the SA gave it,
    /// in which case HASH payloads cannot be computed.
    public let hash: IKEv1Hash?
    /// Cipher block size: also the IV length.
    public let blockSize: Int
    private let context: CipherContext
    private let cipher: CipherAlgorithm
    private let key: SecretBytes

    /// `encryption` and `hash` are used when the SA (the key file) does not name them,
    /// typically from the negotiated phase-1 attributes. The key is the SA's phase-1
    /// encryption key, or else derived from its SKEYID_e (RFC 2409 Appendix B).
    public init(sa: IKESecurityAssociation, encryption: IKEEncryptionAlgorithm? = nil, hash: IKEv1Hash? = nil)
        throws(IKEv1ProtectionError)
    {
        guard sa.version == .v1 else {
            throw IKEv1ProtectionError(.notIKEv1SA, .sa(.ikev2SA))
        }
        guard let encryption = sa.encryption ?? encryption else {
            throw IKEv1ProtectionError(.unsupportedAlgorithm, .sa(.noEncryption))
        }
        let cipher: CipherAlgorithm
        switch encryption {
        case .des: cipher = .desCBC
        case .tripleDES: cipher = .tripleDESCBC
        case .aesCBC(let bits) where [128, 192, 256].contains(bits): cipher = .aesCBC(keyBytes: bits / 8)
        default:
            throw IKEv1ProtectionError(.unsupportedAlgorithm, .sa(.encryptionNotSupported(encryption)))
        }
        let hash = hash ?? sa.prf.flatMap { IKEv1Hash(prf: $0) }
        let key: SecretBytes
        if !sa.ikev1EncryptionKey.isEmpty {
            guard sa.ikev1EncryptionKey.count == cipher.keyLength else {
                throw IKEv1ProtectionError(
                    .badKeyLength,
                    .sa(.encryptionKeyLength(bytes: sa.ikev1EncryptionKey.count, encryption, takes: cipher.keyLength)))
            }
            key = sa.ikev1EncryptionKey
        } else if !sa.skeyidE.isEmpty {
            guard let hash else {
                throw IKEv1ProtectionError(.missingHash, .sa(.derivationNeedsHash))
            }
            do throws(IKEKeyDerivationError) {
                key = try IKEv1KeyDerivation.encryptionKey(hash: hash, skeyidE: sa.skeyidE, length: cipher.keyLength)
            } catch {
                throw IKEv1ProtectionError(.crypto, .sa(.derivation(error)))
            }
        } else {
            throw IKEv1ProtectionError(.missingKeys, .sa(.noEncryptionKey))
        }
        do {
            context = try CipherContext(cipher, key: key, encrypt: false)
        } catch let error as CryptoError {
            let code: IKEv1ProtectionCode
            switch error.code {
            case .invalidKeyLength: code = .badKeyLength
            case .unsupportedAlgorithm: code = .unsupportedAlgorithm  // DES without the legacy provider
            case .invalidLength, .openssl: code = .crypto
            }
            throw IKEv1ProtectionError(code, .sa(.setup(encryption, .crypto(error))))
        } catch {
            throw IKEv1ProtectionError(.crypto, .sa(.setup(encryption, IKECryptoFailure(error))))
        }
        self.sa = sa
        self.encryption = encryption
        self.hash = hash
        self.cipher = cipher
        self.key = key
        blockSize = cipher.blockSize
    }

    // MARK: - Decryption

    /// Decrypts the message `bytes[messageRange]` (which starts at its ISAKMP header) with
    /// `iv`, and checks that the decrypted payload chain fits: starting with the header's
    /// Next Payload, each payload is at least its 4-byte header and ends inside the
    /// plaintext, and the chain ends (Next Payload 0) before the plaintext does.
    ///
    /// The ciphertext is everything from the end of the header up to the header's Length
    /// (bytes past it are ignored); it must be a non-empty whole number of blocks.
    public func decrypt(message bytes: [UInt8], messageRange: Range<Int>, iv: [UInt8]) -> Result<
        IKEv1Plaintext, IKEv1ProtectionError
    > {
        do throws(IKEv1ProtectionError) {
            let cipherRange = try ciphertextRange(bytes, messageRange)
            guard iv.count == blockSize else {
                throw IKEv1ProtectionError(.badIVLength, .message(.ivLength(iv.count, encryption, needed: blockSize)))
            }
            var plaintext = [UInt8](repeating: 0, count: cipherRange.count)
            do {
                _ = try context.run(
                    iv: iv, ivRange: 0..<blockSize, input: bytes, inputRange: cipherRange,
                    output: &plaintext, outputOffset: 0)
            } catch {
                throw IKEv1ProtectionError(.crypto, offset: cipherRange.lowerBound, .crypto(IKECryptoFailure(error)))
            }
            // ciphertextRange read the header: it is there.
            let header = IKEHeader.parse(bytes, range: messageRange)
            let first = header?.nextPayload ?? 0
            let end = try Self.payloadChainEnd(plaintext, firstType: first, plaintextOffset: cipherRange.lowerBound)
            let messageID = header?.messageID ?? 0
            return .success(
                IKEv1Plaintext(
                    firstPayloadType: first, messageID: messageID, decrypted: plaintext, payloadsLength: end,
                    lastCiphertextBlock: Array(bytes[(cipherRange.upperBound - blockSize)..<cipherRange.upperBound])))
        } catch {
            return .failure(error)
        }
    }

    /// The last ciphertext block of an encrypted message, after the same header checks as
    /// `decrypt`: the IV of the next message of its CBC chain, known without decrypting.
    /// Whether to advance a chain over a message that cannot be decrypted is the caller's
    /// choice: a peer that could not decrypt it does not (strongSwan answers a Main Mode 5
    /// made with another pre-shared key with Informationals whose IV comes from the chain
    /// as it was before that message).
    public func lastCiphertextBlock(message bytes: [UInt8], messageRange: Range<Int>) -> Result<
        [UInt8], IKEv1ProtectionError
    > {
        do throws(IKEv1ProtectionError) {
            let range = try ciphertextRange(bytes, messageRange)
            return .success(Array(bytes[(range.upperBound - blockSize)..<range.upperBound]))
        } catch {
            return .failure(error)
        }
    }

    /// Checks the ISAKMP header of an encrypted message and returns its ciphertext range.
    private func ciphertextRange(_ bytes: [UInt8], _ range: Range<Int>) throws(IKEv1ProtectionError) -> Range<Int> {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
            throw IKEv1ProtectionError(.badRange, .message(.range(range, bufferSize: bytes.count)))
        }
        guard range.count >= Self.headerLength else {
            throw IKEv1ProtectionError(
                .messageTruncated, offset: range.lowerBound, .message(.shorterThanHeader(range.count)))
        }
        let start = range.lowerBound
        let header = IKEHeader.parse(bytes, range: range)
        let major = header?.majorVersion ?? 0
        guard major == 1 else {
            throw IKEv1ProtectionError(.badVersion, offset: start + Self.versionOffset, .message(.majorVersion(major)))
        }
        guard (header?.flags ?? 0) & Self.encryptionFlag != 0 else {
            throw IKEv1ProtectionError(.notEncrypted, offset: start + Self.flagsOffset, .message(.encryptionFlagClear))
        }
        let declared = Int(header?.length ?? 0)
        guard declared >= Self.headerLength, declared <= range.count else {
            throw IKEv1ProtectionError(
                .headerLengthMismatch, offset: start + Self.lengthOffset,
                .message(.headerLength(declared: declared, message: range.count)))
        }
        let cipherRange = (start + Self.headerLength)..<(start + declared)
        guard !cipherRange.isEmpty else {
            throw IKEv1ProtectionError(
                .noCiphertext, offset: cipherRange.lowerBound, .message(.noCiphertext))
        }
        guard cipherRange.count % blockSize == 0 else {
            throw IKEv1ProtectionError(
                .notBlockAligned, offset: cipherRange.lowerBound,
                .message(.notBlockAligned(ciphertext: cipherRange.count, block: blockSize)))
        }
        return cipherRange
    }

    /// Walks the generic payload headers (RFC 2408 3.2) of a decrypted chain whose first
    /// payload has type `firstType`; returns where the chain ends. `plaintextOffset` places
    /// error offsets in the caller's message.
    static func payloadChainEnd(_ plaintext: [UInt8], firstType: UInt8, plaintextOffset: Int)
        throws(IKEv1ProtectionError) -> Int
    {
        var type = firstType
        var chain = ByteReader(plaintext)
        var walked = 0
        while type != 0 {
            let offset = chain.offset
            guard walked < maxPayloads else {
                throw IKEv1ProtectionError(
                    .malformedPlaintext, offset: plaintextOffset + offset,
                    .message(.tooManyPayloads(limit: maxPayloads)))
            }
            var payload = chain
            guard let next = payload.readUInt8(), payload.skip(1), let lengthField = payload.readUInt16() else {
                throw IKEv1ProtectionError(
                    .malformedPlaintext, offset: plaintextOffset + offset,
                    .message(.payloadHeaderCut(type: type, at: offset, plaintext: plaintext.count)))
            }
            let length = Int(lengthField)
            guard length >= genericPayloadHeaderLength, chain.skip(length) else {
                throw IKEv1ProtectionError(
                    .malformedPlaintext, offset: plaintextOffset + offset + 2,
                    .message(
                        .payloadLength(type: type, at: offset, declared: length, remaining: plaintext.count - offset)))
            }
            type = next
            walked += 1
        }
        return chain.offset
    }

    // MARK: - HASH payloads

    /// The HASH payload value of RFC 2409 5.5 (Quick Mode) or 5.7 (Informational):
    ///
    ///     HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ])
    ///     HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [ | KE ] [ | IDci | IDcr ])
    ///     HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
    ///     HASH(1) = prf(SKEYID_a, M-ID | N/D)                   (Informational)
    ///
    /// M-ID is the Message ID of the ISAKMP header; the payloads are the whole payloads
    /// (generic headers included) that follow the HASH payload, without padding:
    /// `payloadsAfterHash`. Ni_b and Nr_b are the Quick Mode nonce bodies; HASH(1) and the
    /// Informational hash take neither.
    public func quickModeHash(
        kind: IKEv1HashKind, messageID: UInt32, payloadsAfterHash: ArraySlice<UInt8>,
        nonceInitiator: [UInt8] = [], nonceResponder: [UInt8] = []
    ) throws(IKEv1ProtectionError) -> [UInt8] {
        guard !sa.skeyidA.isEmpty else {
            throw IKEv1ProtectionError(.missingKeys, .hash(.hashNeedsSKEYIDa(kind)))
        }
        guard let hash else {
            throw IKEv1ProtectionError(.missingHash, .hash(.hashNeedsHash(kind)))
        }
        let mid = IKEv1KeyDerivation.bigEndian(messageID)
        let data: [UInt8]
        switch kind {
        case .quickMode1, .informational: data = mid + payloadsAfterHash
        case .quickMode2: data = mid + nonceInitiator + payloadsAfterHash
        case .quickMode3: data = [0] + mid + nonceInitiator + nonceResponder
        }
        do throws(IKEKeyDerivationError) {
            return try IKEv1KeyDerivation.prf(hash, key: sa.skeyidA, data)
        } catch {
            throw IKEv1ProtectionError(.crypto, .hash(.hash(kind, error)))
        }
    }

    /// Checks the HASH payload that starts `plaintext` against `quickModeHash` over the
    /// payloads after it. Returns `.unchecked` when the SA has no SKEYID_a (or no hash) to
    /// check with; throws `.noHashPayload` or `.hashMismatch` otherwise.
    public func verifyHash(
        kind: IKEv1HashKind, plaintext: IKEv1Plaintext,
        nonceInitiator: [UInt8] = [], nonceResponder: [UInt8] = []
    ) throws(IKEv1ProtectionError) -> IKEIntegrityStatus {
        guard plaintext.firstPayloadType == Self.hashPayloadType,
            plaintext.payloadsLength >= Self.genericPayloadHeaderLength,
            plaintext.payloadsLength <= plaintext.decrypted.count
        else {
            throw IKEv1ProtectionError(.noHashPayload, .hash(.noHashPayload(firstType: plaintext.firstPayloadType)))
        }
        let payloads = plaintext.decrypted
        var hashHeader = ByteReader(payloads)
        hashHeader.skip(2)
        let hashLength = Int(hashHeader.readUInt16() ?? 0)
        // payloadChainEnd checked this when decrypting; a hand-made value is checked again.
        guard hashLength >= Self.genericPayloadHeaderLength, hashLength <= plaintext.payloadsLength else {
            throw IKEv1ProtectionError(
                .noHashPayload, .hash(.hashPayloadLength(hashLength, chain: plaintext.payloadsLength)))
        }
        if sa.skeyidA.isEmpty || hash == nil { return .unchecked }
        let received = payloads[Self.genericPayloadHeaderLength..<hashLength]
        let after = payloads[hashLength..<plaintext.payloadsLength]
        let computed = try quickModeHash(
            kind: kind, messageID: plaintext.messageID, payloadsAfterHash: after,
            nonceInitiator: nonceInitiator, nonceResponder: nonceResponder)
        guard Self.hashesMatch(computed, received) else {
            throw IKEv1ProtectionError(.hashMismatch, .hash(.hashMismatch(kind)))
        }
        return .ok
    }

    /// HASH_I (`sentByInitiator`) or HASH_R of RFC 2409 5 with the SA's SKEYID; see
    /// `IKEv1KeyDerivation.phase1Hash`. The cookies default to the SA's.
    public func phase1Hash(
        sentByInitiator: Bool, keInitiator: [UInt8], keResponder: [UInt8],
        initiatorCookie: UInt64? = nil, responderCookie: UInt64? = nil,
        saInitiatorBody: [UInt8], identityBody: [UInt8]
    ) throws(IKEv1ProtectionError) -> [UInt8] {
        guard !sa.skeyid.isEmpty else {
            throw IKEv1ProtectionError(.missingKeys, .hash(.phase1HashNeedsSKEYID(sentByInitiator: sentByInitiator)))
        }
        guard let hash else {
            throw IKEv1ProtectionError(.missingHash, .hash(.phase1HashNeedsHash(sentByInitiator: sentByInitiator)))
        }
        guard let responder = responderCookie ?? sa.responderSPI else {
            throw IKEv1ProtectionError(.missingKeys, .hash(.phase1HashNeedsCookie(sentByInitiator: sentByInitiator)))
        }
        do throws(IKEKeyDerivationError) {
            return try IKEv1KeyDerivation.phase1Hash(
                hash: hash, skeyid: sa.skeyid, sentByInitiator: sentByInitiator,
                keInitiator: keInitiator, keResponder: keResponder,
                initiatorCookie: initiatorCookie ?? sa.initiatorSPI, responderCookie: responder,
                saInitiatorBody: saInitiatorBody, identityBody: identityBody)
        } catch {
            throw IKEv1ProtectionError(.crypto, .hash(.phase1Hash(sentByInitiator: sentByInitiator, error)))
        }
    }

    /// Compares a computed hash with a received one in time that depends only on the length.
    public static func hashesMatch(_ computed: [UInt8], _ received: ArraySlice<UInt8>) -> Bool {
        let received = Array(received)
        return constantTimeEquals(computed, 0..<computed.count, received, 0..<received.count)
    }

    // MARK: - Encryption (tests and benchmarks)

    /// Builds an encrypted message: the 28-byte ISAKMP `header` (its Flags get the
    /// Encryption bit, its Length is rewritten; Next Payload and Message ID are kept)
    /// followed by `payloads` padded with `paddingLength` zero bytes (default: the fewest
    /// that fill the last block), encrypted with `iv`. Makes its encrypting context per call.
    public func encrypt(header: [UInt8], payloads: [UInt8], iv: [UInt8], paddingLength: Int? = nil)
        throws(IKEv1ProtectionError) -> [UInt8]
    {
        guard header.count == Self.headerLength else {
            throw IKEv1ProtectionError(.messageTruncated, .seal(.sealHeader(header.count)))
        }
        guard iv.count == blockSize else {
            throw IKEv1ProtectionError(.badIVLength, .message(.ivLength(iv.count, encryption, needed: blockSize)))
        }
        let pad = paddingLength ?? (blockSize - payloads.count % blockSize) % blockSize
        guard (0...Self.maxEncryptPadding).contains(pad), (payloads.count + pad) % blockSize == 0 else {
            throw IKEv1ProtectionError(
                .notBlockAligned, .seal(.sealNotBlockAligned(payloads: payloads.count, padding: pad, block: blockSize)))
        }
        let plaintext = payloads + [UInt8](repeating: 0, count: pad)
        let total = Self.headerLength + plaintext.count
        guard total <= Int(UInt32.max) else {
            throw IKEv1ProtectionError(.headerLengthMismatch, .seal(.sealLength(total)))
        }
        var message = header
        message[Self.flagsOffset] |= Self.encryptionFlag
        message.setBE32(Self.lengthOffset, UInt32(total))
        message += [UInt8](repeating: 0, count: plaintext.count)
        do {
            let context = try CipherContext(cipher, key: key, encrypt: true)
            _ = try context.run(
                iv: iv, ivRange: 0..<blockSize, input: plaintext, inputRange: 0..<plaintext.count,
                output: &message, outputOffset: Self.headerLength)
        } catch {
            throw IKEv1ProtectionError(.crypto, .crypto(IKECryptoFailure(error)))
        }
        return message
    }
}
