import SpiglassCrypto
import SpiglassSAD
import SpiglassWire

/// Whether the integrity of an opened IKEv2 message was checked.
public enum IKEIntegrityStatus: String, Sendable, Equatable {
    /// The ICV (or the AEAD tag) verified.
    case ok
    /// The SA has encryption keys but no integrity keys (or an integrity transform of
    /// "none" with a non-AEAD cipher): decrypted without a check, as Wireshark does.
    case unchecked
    /// The check failed and the message was decrypted anyway (`decryptDespiteIntegrityFailure`).
    case failed
}

/// The decrypted content of one SK (RFC 7296 3.14) or SKF (RFC 7383 2.5) payload.
public struct IKEv2Plaintext: Sendable, Equatable {
    /// The SK/SKF header's Next Payload field: the type of the first inner payload (0 in
    /// the SKF fragments after the first, RFC 7383 2.5).
    public var firstPayloadType: UInt8
    /// The inner payload chain (for SKF: this fragment's piece of it), padding and Pad
    /// Length removed.
    public var payloads: [UInt8]
    public var integrity: IKEIntegrityStatus
    /// SKF only: Fragment Number (1...totalFragments) and Total Fragments.
    public var fragmentNumber: UInt16?
    public var totalFragments: UInt16?
    /// The Pad Length field (padding bytes are not checked: RFC 7296 3.14 lets them hold
    /// any value).
    public var padLength: Int

    public var isFragment: Bool { fragmentNumber != nil }

    public init(
        firstPayloadType: UInt8, payloads: [UInt8], integrity: IKEIntegrityStatus,
        fragmentNumber: UInt16? = nil, totalFragments: UInt16? = nil, padLength: Int
    ) {
        self.firstPayloadType = firstPayloadType
        self.payloads = payloads
        self.integrity = integrity
        self.fragmentNumber = fragmentNumber
        self.totalFragments = totalFragments
        self.padLength = padLength
    }
}

/// Why an IKEv2 message could not be opened, or an IKE SA not be used to open any.
public typealias IKEv2ProtectionError = IKEProtectionError<IKEv2ProtectionCode, IKEv2ProtectionDetail>

/// What `IKEv2ProtectionError` says went wrong.
public enum IKEv2ProtectionCode: String, Sendable {
    // The IKE SA (from `init`).
    /// The SA is an IKEv1 SA.
    case notIKEv2SA
    /// SK_ei or SK_er is missing.
    case missingKeys
    /// No, or an unusable, encryption algorithm; or a non-AEAD cipher with an unknown
    /// integrity algorithm (whose ICV length is then unknown).
    case unsupportedAlgorithm
    /// A key whose length does not fit its algorithm.
    case badKeyLength

    // The message.
    /// `messageRange` is not inside the byte array.
    case badRange
    /// Shorter than the 28-byte IKE header.
    case messageTruncated
    /// Major version is not 2.
    case badVersion
    /// The IKE header's Length field is not the message's length.
    case headerLengthMismatch
    /// A payload before the encrypted one is shorter than its header or runs past the
    /// message, or there are too many of them.
    case malformedPayloadChain
    /// `encryptedPayloadOffset` is not where a payload of the chain starts.
    case badPayloadOffset
    /// The payload at `encryptedPayloadOffset` is neither SK (46) nor SKF (53).
    case notEncryptedPayload
    /// The chain has no SK or SKF payload.
    case noEncryptedPayload
    /// The SK/SKF Payload Length does not end the payload at the end of the message
    /// (RFC 7296 3.14: the Encrypted payload MUST be the last one).
    case payloadLengthMismatch
    /// The SK/SKF payload cannot hold its header, IV, one block of ciphertext and ICV.
    case payloadTooShort
    /// CBC ciphertext that is not a whole number of blocks.
    case notBlockAligned
    /// The Pad Length byte points before the start of the plaintext.
    case badPadLength
    /// SKF Fragment Number 0, Total Fragments 0, or Fragment Number > Total Fragments.
    case badFragmentNumber
    /// The ICV of a non-AEAD message did not verify (nothing was decrypted).
    case integrityFailed
    /// The AEAD tag did not verify (no plaintext is released).
    case authenticationFailed
    /// OpenSSL refused an operation.
    case crypto
}

/// Opens (verifies, then decrypts) the SK and SKF payloads of the IKEv2 messages of one IKE
/// SA. The cipher and MAC contexts of both directions are made once here and reused for every
/// message; an instance is for one thread at a time.
///
/// RFC 7296 3.14 (Encrypted payload), RFC 5282 (GCM and CCM in IKEv2), RFC 5930 (AES-CTR),
/// RFC 7634 (ChaCha20-Poly1305) and RFC 7383 2.5 (Encrypted Fragment payload):
///
///     IKE header (28) | [unencrypted payloads] | SK header (4) or SKF header (8) | IV |
///     ciphertext (inner payloads | padding | Pad Length) | ICV
///
/// - Messages from the original initiator of the IKE SA use SK_ei/SK_ai, those from the
///   responder SK_er/SK_ar.
/// - Non-AEAD: the ICV covers the message from the first byte of the IKE header up to the
///   ICV, and is checked (in constant time) before anything is decrypted. CBC: the IV is one
///   block; CTR: an 8-byte IV, counter block = nonce (last 4 bytes of SK_e) | IV | 1.
/// - AEAD: an 8-byte IV; nonce = salt (last 4 bytes of SK_e, 3 for CCM) | IV; AAD = the IKE
///   header through the end of the SK/SKF header (everything before the IV); ICV = tag.
public final class IKEv2MessageProtection {
    // Wire layout (RFC 7296 3.1, 3.2, 3.14; RFC 7383 2.5).
    public static let ikeHeaderLength = 28
    public static let genericPayloadHeaderLength = 4
    /// Generic header + Fragment Number (2) + Total Fragments (2).
    public static let fragmentPayloadHeaderLength = 8
    public static let encryptedPayloadType: UInt8 = 46
    public static let encryptedFragmentPayloadType: UInt8 = 53
    static let nextPayloadOffset = 16
    static let versionOffset = 17
    static let lengthOffset = 24
    /// The IV of the counter and combined modes (RFC 5930 2, RFC 5282 3.1, RFC 7634 3).
    static let shortIVLength = 8
    /// Unencrypted payloads walked before the SK/SKF payload. Real messages have none or a
    /// couple (RFC 7296 3.14: SK is normally the first and MUST be the last); the cap bounds
    /// the work a hostile chain of 4-byte payloads can cause.
    public static let maxPayloadsBeforeEncrypted = 32

    private enum Cipher {
        case cbc(CipherContext)
        case ctr(CipherContext, nonce: [UInt8])
        case aead(AEADContext, salt: [UInt8])
    }

    private struct Direction {
        let cipher: Cipher
        /// nil: no integrity key (or transform "none"), the ICV is not checked.
        let mac: (any TruncatedMAC)?
    }

    public let sa: IKESecurityAssociation
    private let encryption: IKEEncryptionAlgorithm
    private let initiator: Direction
    private let responder: Direction
    /// Bytes of IV on the wire.
    public let ivLength: Int
    /// The ciphertext must be a multiple of this (the CBC block; 1 otherwise).
    public let blockSize: Int
    /// ICV (non-AEAD) or tag (AEAD) length.
    public let icvLength: Int
    public let isAEAD: Bool
    /// Decrypt a message whose ICV or tag does not verify, with status `failed`, instead of
    /// refusing it (tshark's way; `--ike-no-integrity`). OpenSSL withholds AES-CCM plaintext on
    /// a tag mismatch, so CCM messages are still refused.
    public var decryptDespiteIntegrityFailure = false
    /// Scratch rewritten per message: the CTR counter block and the AEAD nonce.
    private var counterBlock = [UInt8](repeating: 0, count: 16)
    private var nonce: [UInt8]

    public init(sa: IKESecurityAssociation) throws(IKEv2ProtectionError) {
        guard sa.version == .v2 else {
            throw IKEv2ProtectionError(.notIKEv2SA, .sa(.ikev1SA))
        }
        guard let encryption = sa.encryption else {
            throw IKEv2ProtectionError(.unsupportedAlgorithm, .sa(.noEncryption))
        }
        // (IV, CBC block or 1, AEAD tag, salt at the end of SK_e)
        let layout: (iv: Int, block: Int, tag: Int, salt: Int)
        switch encryption {
        case .aesCBC: layout = (16, 16, 0, 0)
        case .tripleDES, .des: layout = (8, 8, 0, 0)
        case .aesCTR: layout = (Self.shortIVLength, 1, 0, 4)
        case .aesGCM(_, let icv): layout = (Self.shortIVLength, 1, icv, 4)
        case .aesCCM(_, let icv): layout = (Self.shortIVLength, 1, icv, 3)
        case .chaCha20Poly1305: layout = (Self.shortIVLength, 1, 16, 4)
        case .null, .other:
            throw IKEv2ProtectionError(.unsupportedAlgorithm, .sa(.encryptionNotSupported(encryption)))
        }
        guard !sa.skEi.isEmpty, !sa.skEr.isEmpty else {
            throw IKEv2ProtectionError(
                .missingKeys, .sa(.encryptionKeysMissing(initiator: sa.skEi.count, responder: sa.skEr.count)))
        }
        guard let keyLength = encryption.keyMaterialLength else {
            throw IKEv2ProtectionError(.unsupportedAlgorithm, .sa(.encryptionKeyLengthUnknown(encryption)))
        }
        for (name, key) in [(IKEv2ProtectionDetail.Key.skEi, sa.skEi), (.skEr, sa.skEr)] where key.count != keyLength {
            throw IKEv2ProtectionError(
                .badKeyLength,
                .sa(.encryptionKeyLength(name, bytes: key.count, encryption, takes: keyLength, salt: layout.salt)))
        }
        var integrity = IKEIntegrityAlgorithm.none
        if !encryption.isAEAD {
            guard let given = sa.integrity else {
                throw IKEv2ProtectionError(.unsupportedAlgorithm, .sa(.integrityUnknown(encryption)))
            }
            integrity = given
        }
        isAEAD = encryption.isAEAD
        ivLength = layout.iv
        blockSize = layout.block
        icvLength = isAEAD ? layout.tag : integrity.icvLength
        self.sa = sa
        self.encryption = encryption
        nonce = [UInt8](repeating: 0, count: layout.salt + Self.shortIVLength)
        initiator = Direction(
            cipher: try Self.makeCipher(encryption, key: sa.skEi, encrypt: false),
            mac: isAEAD ? nil : try Self.makeMAC(integrity, key: sa.skAi, name: .skAi))
        responder = Direction(
            cipher: try Self.makeCipher(encryption, key: sa.skEr, encrypt: false),
            mac: isAEAD ? nil : try Self.makeMAC(integrity, key: sa.skAr, name: .skAr))
        counterBlock[15] = 1
    }

    /// Maps crypto-module failures of context creation to this module's codes.
    private static func setupError(_ error: Error, _ what: IKEv2ProtectionDetail.Algorithm) -> IKEv2ProtectionError {
        let failure = IKECryptoFailure(error)
        guard case .crypto(let error) = failure else {
            return IKEv2ProtectionError(.crypto, .sa(.setup(what, failure)))
        }
        switch error.code {
        case .unsupportedAlgorithm: return IKEv2ProtectionError(.unsupportedAlgorithm, .sa(.setup(what, failure)))
        case .invalidKeyLength: return IKEv2ProtectionError(.badKeyLength, .sa(.setup(what, failure)))
        case .invalidLength, .openssl: return IKEv2ProtectionError(.crypto, .sa(.setup(what, failure)))
        }
    }

    /// The cipher context for one direction; `key` has been checked against the algorithm's
    /// key material length (salt included). The cipher key goes to OpenSSL in place; the salt
    /// (nonce material, not a cipher key) is copied.
    private static func makeCipher(_ encryption: IKEEncryptionAlgorithm, key: SecretBytes, encrypt: Bool)
        throws(IKEv2ProtectionError) -> Cipher
    {
        do {
            switch encryption {
            case .aesCBC:
                return .cbc(try CipherContext(.aesCBC(keyBytes: key.count), key: key, encrypt: encrypt))
            case .tripleDES:
                return .cbc(try CipherContext(.tripleDESCBC, key: key, encrypt: encrypt))
            case .des:
                return .cbc(try CipherContext(.desCBC, key: key, encrypt: encrypt))
            case .aesCTR:
                let split = key.count - 4
                return .ctr(
                    try CipherContext(.aesCTR(keyBytes: split), key: key[0..<split], encrypt: encrypt),
                    nonce: Array(key[split...]))
            case .aesGCM:
                let split = key.count - 4
                return .aead(
                    try AEADContext(.aesGCM(keyBytes: split), key: key[0..<split], encrypt: encrypt),
                    salt: Array(key[split...]))
            case .aesCCM(_, let icv):
                let split = key.count - 3
                return .aead(
                    try AEADContext(.aesCCM(keyBytes: split, tagLength: icv), key: key[0..<split], encrypt: encrypt),
                    salt: Array(key[split...]))
            case .chaCha20Poly1305:
                let split = key.count - 4
                return .aead(
                    try AEADContext(.chaCha20Poly1305, key: key[0..<split], encrypt: encrypt),
                    salt: Array(key[split...]))
            case .null, .other:
                throw IKEv2ProtectionError(.unsupportedAlgorithm, .sa(.encryptionNotSupported(encryption)))
            }
        } catch let error as IKEv2ProtectionError {
            throw error
        } catch {
            throw setupError(error, .encryption(encryption))
        }
    }

    /// IKEv2 integrity keys are as long as the transform's key (RFC 7296 2.14 takes them from
    /// prf+ with that length): the hash length for HMAC (RFC 2104/4868), 16 for the AES MACs.
    public static func integrityKeyLength(_ integrity: IKEIntegrityAlgorithm) -> Int {
        switch integrity {
        case .none: return 0
        case .hmacMD5_96, .hmacMD5_128: return 16
        case .hmacSHA1_96, .hmacSHA1_160: return 20
        case .aesXCBC_96, .aesCMAC_96: return 16
        case .hmacSHA256_128: return 32
        case .hmacSHA384_192: return 48
        case .hmacSHA512_256: return 64
        }
    }

    /// The MAC of one direction; nil without a key (the ICV is then not checked).
    private static func makeMAC(
        _ integrity: IKEIntegrityAlgorithm, key: SecretBytes, name: IKEv2ProtectionDetail.Key
    ) throws(IKEv2ProtectionError) -> (
        any TruncatedMAC
    )? {
        if integrity == .none || key.isEmpty { return nil }
        let expected = integrityKeyLength(integrity)
        guard key.count == expected else {
            throw IKEv2ProtectionError(
                .badKeyLength, .sa(.integrityKeyLength(name, bytes: key.count, integrity, takes: expected)))
        }
        do {
            switch integrity {
            case .hmacMD5_96, .hmacMD5_128: return try HMACContext(.md5, key: key)
            case .hmacSHA1_96, .hmacSHA1_160: return try HMACContext(.sha1, key: key)
            case .hmacSHA256_128: return try HMACContext(.sha256, key: key)
            case .hmacSHA384_192: return try HMACContext(.sha384, key: key)
            case .hmacSHA512_256: return try HMACContext(.sha512, key: key)
            case .aesXCBC_96: return try XCBCContext(key: key)
            case .aesCMAC_96: return try CMACContext(key: key)
            case .none: return nil
            }
        } catch {
            throw setupError(error, .integrity(integrity))
        }
    }

    // MARK: - Opening

    /// Verifies and decrypts the SK or SKF payload at `encryptedPayloadOffset` of the IKE
    /// message `bytes[messageRange]` (which starts at its 28-byte IKE header).
    ///
    /// Whether the payload is SK or SKF is read from the chain: the payload types are followed
    /// from the IKE header's Next Payload through any unencrypted payloads to
    /// `encryptedPayloadOffset`, which must be where one of them starts and must hold an SK
    /// (46) or SKF (53) payload. `sentByInitiator` (the IKE header's I flag) selects the keys.
    /// No plaintext is returned unless the ICV or tag verified (or the SA has no integrity
    /// keys, `.unchecked`).
    public func open(
        message bytes: [UInt8], messageRange: Range<Int>, encryptedPayloadOffset: Int,
        sentByInitiator: Bool
    ) -> Result<IKEv2Plaintext, IKEv2ProtectionError> {
        open(bytes, messageRange, target: encryptedPayloadOffset, sentByInitiator: sentByInitiator)
    }

    /// As `open(message:messageRange:encryptedPayloadOffset:sentByInitiator:)`, with the SK
    /// or SKF payload found by walking the chain from the IKE header.
    public func open(message bytes: [UInt8], messageRange: Range<Int>, sentByInitiator: Bool) -> Result<
        IKEv2Plaintext, IKEv2ProtectionError
    > {
        open(bytes, messageRange, target: nil, sentByInitiator: sentByInitiator)
    }

    /// Opens the SK or SKF payload at offset `target`, or the one found on the chain when nil.
    private func open(_ bytes: [UInt8], _ messageRange: Range<Int>, target: Int?, sentByInitiator: Bool) -> Result<
        IKEv2Plaintext, IKEv2ProtectionError
    > {
        do throws(IKEv2ProtectionError) {
            try checkHeader(bytes, messageRange)
            let (offset, type) = try locate(bytes, messageRange, target: target)
            return .success(
                try openPayload(bytes, messageRange, offset: offset, type: type, sentByInitiator: sentByInitiator))
        } catch {
            return .failure(error)
        }
    }

    private func checkHeader(_ bytes: [UInt8], _ range: Range<Int>) throws(IKEv2ProtectionError) {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
            throw IKEv2ProtectionError(.badRange, .chain(.range(range, bufferSize: bytes.count)))
        }
        guard range.count >= Self.ikeHeaderLength else {
            throw IKEv2ProtectionError(
                .messageTruncated, offset: range.lowerBound, .chain(.shorterThanHeader(range.count)))
        }
        let start = range.lowerBound
        let header = IKEHeader.parse(bytes, range: range)
        let major = header?.majorVersion ?? 0
        guard major == 2 else {
            throw IKEv2ProtectionError(.badVersion, offset: start + Self.versionOffset, .chain(.majorVersion(major)))
        }
        let declared = Int(header?.length ?? 0)
        guard declared == range.count else {
            throw IKEv2ProtectionError(
                .headerLengthMismatch, offset: start + Self.lengthOffset,
                .chain(.headerLength(declared: declared, message: range.count)))
        }
    }

    /// Follows the payload chain from the IKE header to `target` (an offset in `bytes`), or
    /// to the first SK/SKF payload when `target` is nil. Returns the payload's offset and type.
    private func locate(_ bytes: [UInt8], _ range: Range<Int>, target: Int?) throws(IKEv2ProtectionError) -> (
        Int, UInt8
    ) {
        let end = range.upperBound
        var type = IKEHeader.parse(bytes, range: range)?.nextPayload ?? 0
        var chain = ByteReader(bytes, range: (range.lowerBound + Self.ikeHeaderLength)..<end)
        var walked = 0
        while true {
            let offset = chain.offset
            let encrypted = type == Self.encryptedPayloadType || type == Self.encryptedFragmentPayloadType
            if let target {
                if offset == target { break }
                // The encrypted payload is the last one (RFC 7296 3.14): its Next Payload
                // names the first inner payload, not a payload after it.
                guard offset < target, !encrypted else {
                    throw IKEv2ProtectionError(
                        .badPayloadOffset, offset: target,
                        .chain(.noPayloadAt(target: target, next: offset, nextIsEncrypted: encrypted)))
                }
            } else if encrypted {
                break
            }
            guard type != 0 else {
                if let target {
                    throw IKEv2ProtectionError(
                        .badPayloadOffset, offset: target, .chain(.chainEndsBefore(end: offset, target: target)))
                }
                throw IKEv2ProtectionError(
                    .noEncryptedPayload, offset: offset, .chain(.noEncryptedPayload))
            }
            guard walked < Self.maxPayloadsBeforeEncrypted else {
                throw IKEv2ProtectionError(
                    .malformedPayloadChain, offset: offset,
                    .chain(.tooManyPayloads(limit: Self.maxPayloadsBeforeEncrypted)))
            }
            var payload = chain
            guard let next = payload.readUInt8(), payload.skip(1), let lengthField = payload.readUInt16() else {
                throw IKEv2ProtectionError(
                    .malformedPayloadChain, offset: offset,
                    .chain(.payloadHeaderCut(type: type, at: offset, messageEnd: end)))
            }
            let length = Int(lengthField)
            guard length >= Self.genericPayloadHeaderLength, chain.skip(length) else {
                throw IKEv2ProtectionError(
                    .malformedPayloadChain, offset: offset + 2,
                    .chain(.payloadLength(type: type, at: offset, declared: length, remaining: end - offset)))
            }
            type = next
            walked += 1
        }
        let offset = chain.offset
        guard type != 0 else {
            throw IKEv2ProtectionError(.badPayloadOffset, offset: offset, .chain(.chainEnds(at: offset)))
        }
        guard type == Self.encryptedPayloadType || type == Self.encryptedFragmentPayloadType else {
            throw IKEv2ProtectionError(
                .notEncryptedPayload, offset: offset, .chain(.notEncryptedPayload(at: offset, type: type)))
        }
        return (offset, type)
    }

    /// Where the parts of an SK or SKF payload lie (RFC 7296 3.14, RFC 7383 2.5), checked
    /// against the message before anything is decrypted.
    private struct EncryptedLayout {
        var firstPayload: UInt8
        var iv: Range<Int>
        var ciphertext: Range<Int>
        var icv: Range<Int>
        var fragmentNumber: UInt16?
        var totalFragments: UInt16?
    }

    private func openPayload(
        _ bytes: [UInt8], _ range: Range<Int>, offset p: Int, type: UInt8,
        sentByInitiator: Bool
    ) throws(IKEv2ProtectionError) -> IKEv2Plaintext {
        let layout = try encryptedLayout(bytes, range, offset: p, type: type)
        var (plaintext, status) = try decrypt(
            bytes, range.lowerBound, layout, payloadOffset: p,
            sentByInitiator: sentByInitiator)
        // RFC 7296 3.14: the last byte of the plaintext is the Pad Length; the padding
        // before it may hold any value.
        let padLength = Int(plaintext[plaintext.count - 1])
        guard padLength + 1 <= plaintext.count else {
            throw IKEv2ProtectionError(
                .badPadLength, offset: layout.icv.lowerBound - 1,
                .encrypted(.padLength(padLength, before: plaintext.count - 1)))
        }
        plaintext.removeLast(padLength + 1)
        return IKEv2Plaintext(
            firstPayloadType: layout.firstPayload, payloads: plaintext, integrity: status,
            fragmentNumber: layout.fragmentNumber, totalFragments: layout.totalFragments, padLength: padLength)
    }

    /// The SK/SKF payload at `p`, which must end the message: its header, IV, ciphertext (at
    /// least a block, whole blocks) and ICV.
    private func encryptedLayout(
        _ bytes: [UInt8], _ range: Range<Int>, offset p: Int,
        type: UInt8
    ) throws(IKEv2ProtectionError) -> EncryptedLayout {
        let end = range.upperBound
        let isFragment = type == Self.encryptedFragmentPayloadType
        var reader = ByteReader(bytes, range: p..<end)
        guard reader.remaining >= Self.genericPayloadHeaderLength, let first = reader.readUInt8(), reader.skip(1),
            let declaredField = reader.readUInt16()
        else {
            throw IKEv2ProtectionError(
                .payloadTooShort, offset: p,
                .encrypted(.encryptedHeaderCut(fragment: isFragment, at: p, messageEnd: end)))
        }
        let declared = Int(declaredField)
        guard declared == reader.bounds.count else {
            throw IKEv2ProtectionError(
                .payloadLengthMismatch, offset: p + 2,
                .encrypted(.encryptedLength(fragment: isFragment, declared: declared, remaining: end - p)))
        }
        let headerLength = isFragment ? Self.fragmentPayloadHeaderLength : Self.genericPayloadHeaderLength
        guard declared >= headerLength else {
            throw IKEv2ProtectionError(
                .payloadTooShort, offset: p,
                .encrypted(.encryptedBelowHeader(fragment: isFragment, declared: declared, header: headerLength)))
        }
        var layout = EncryptedLayout(firstPayload: first, iv: 0..<0, ciphertext: 0..<0, icv: 0..<0)
        if isFragment, let number = reader.readUInt16(), let total = reader.readUInt16() {
            // RFC 7383 2.5: Fragment Number starts at 1 and is at most Total Fragments;
            // neither may be zero.
            guard number >= 1, total >= 1, number <= total else {
                throw IKEv2ProtectionError(
                    .badFragmentNumber, offset: p + 4, .encrypted(.fragmentNumber(number, of: total)))
            }
            layout.fragmentNumber = number
            layout.totalFragments = total
        }
        let ivStart = p + headerLength
        let cipherStart = ivStart + ivLength
        let icvStart = end - icvLength
        // At least the Pad Length byte; for CBC a whole block.
        let minimumCiphertext = max(1, blockSize)
        guard icvStart - cipherStart >= minimumCiphertext else {
            throw IKEv2ProtectionError(
                .payloadTooShort, offset: p,
                .encrypted(
                    .encryptedTooShort(
                        fragment: isFragment, declared: declared, header: headerLength, iv: ivLength,
                        ciphertext: minimumCiphertext, icv: icvLength)))
        }
        guard (icvStart - cipherStart) % blockSize == 0 else {
            throw IKEv2ProtectionError(
                .notBlockAligned, offset: cipherStart,
                .encrypted(.notBlockAligned(ciphertext: icvStart - cipherStart, block: blockSize)))
        }
        layout.iv = ivStart..<cipherStart
        layout.ciphertext = cipherStart..<icvStart
        layout.icv = icvStart..<end
        return layout
    }

    /// The ciphertext decrypted with the sender's keys, and what its integrity check said.
    private func decrypt(
        _ bytes: [UInt8], _ start: Int, _ layout: EncryptedLayout, payloadOffset p: Int,
        sentByInitiator: Bool
    ) throws(IKEv2ProtectionError) -> ([UInt8], IKEIntegrityStatus) {
        let direction = sentByInitiator ? initiator : responder
        let ivStart = layout.iv.lowerBound
        var plaintext = [UInt8](repeating: 0, count: layout.ciphertext.count)
        var status = IKEIntegrityStatus.ok
        do {
            switch direction.cipher {
            case .cbc(let context):
                status = try checkedICV(
                    direction.mac, bytes, start..<layout.icv.lowerBound, icv: layout.icv,
                    sentByInitiator: sentByInitiator)
                _ = try context.run(
                    iv: bytes, ivRange: layout.iv, input: bytes, inputRange: layout.ciphertext,
                    output: &plaintext, outputOffset: 0)
            case .ctr(let context, let counterNonce):
                status = try checkedICV(
                    direction.mac, bytes, start..<layout.icv.lowerBound, icv: layout.icv,
                    sentByInitiator: sentByInitiator)
                // RFC 5930 2 / RFC 3686 4: nonce | IV | block counter 1.
                for i in 0..<4 { counterBlock[i] = counterNonce[i] }
                for i in 0..<Self.shortIVLength { counterBlock[4 + i] = bytes[ivStart + i] }
                _ = try context.run(
                    iv: counterBlock, ivRange: 0..<16, input: bytes, inputRange: layout.ciphertext,
                    output: &plaintext, outputOffset: 0)
            case .aead(let context, let salt):
                // RFC 5282 4 and 5.1: nonce = salt | IV; AAD = IKE header through the SK
                // (or SKF, RFC 7383 2.5) header, i.e. everything before the IV.
                for i in 0..<salt.count { nonce[i] = salt[i] }
                for i in 0..<Self.shortIVLength { nonce[salt.count + i] = bytes[ivStart + i] }
                let verified = try context.open(
                    nonce: nonce, aad: bytes, aadRange: start..<ivStart, input: bytes,
                    ciphertext: layout.ciphertext, tag: layout.icv, output: &plaintext, outputOffset: 0)
                if !verified {
                    let ccm: Bool
                    if case .aesCCM = encryption { ccm = true } else { ccm = false }
                    guard decryptDespiteIntegrityFailure && !ccm else {
                        throw IKEv2ProtectionError(
                            .authenticationFailed, offset: layout.icv.lowerBound,
                            .encrypted(.tagMismatch(encryption, sentByInitiator: sentByInitiator)))
                    }
                    status = .failed
                }
            }
        } catch let error as IKEv2ProtectionError {
            throw error
        } catch {
            throw IKEv2ProtectionError(.crypto, offset: p, .crypto(IKECryptoFailure(error)))
        }
        return (plaintext, status)
    }

    /// `verifyICV`, or `.failed` instead of the error when failed messages are decrypted anyway.
    private func checkedICV(
        _ mac: (any TruncatedMAC)?, _ bytes: [UInt8], _ covered: Range<Int>, icv: Range<Int>,
        sentByInitiator: Bool
    ) throws -> IKEIntegrityStatus {
        do {
            return try verifyICV(mac, bytes, covered, icv: icv, sentByInitiator: sentByInitiator)
        } catch let error as IKEv2ProtectionError where error.code == .integrityFailed && decryptDespiteIntegrityFailure
        {
            return .failed
        }
    }

    /// Non-AEAD ICV check, before decryption. Throws `.integrityFailed` on a mismatch.
    private func verifyICV(
        _ mac: (any TruncatedMAC)?, _ bytes: [UInt8], _ covered: Range<Int>, icv: Range<Int>,
        sentByInitiator: Bool
    ) throws -> IKEIntegrityStatus {
        guard let mac else { return .unchecked }
        guard try mac.verify(data: bytes, range: covered, expected: bytes, expectedRange: icv) else {
            throw IKEv2ProtectionError(
                .integrityFailed, offset: icv.lowerBound, .encrypted(.icvMismatch(sentByInitiator: sentByInitiator)))
        }
        return .ok
    }

    // MARK: - Sealing (tests and benchmarks)

    /// Builds a protected message: the 28-byte IKE `header` (its Next Payload and Length
    /// fields are rewritten) followed by an SK payload, or an SKF payload when `fragment` is
    /// given (written as is, even if invalid, so tests can make bad ones), that carries
    /// `payloads`. Padding is `padLength` zero bytes, by default the fewest the cipher needs;
    /// the IV is `iv` or random. Without an integrity key the ICV is left zero. Makes its
    /// encrypting contexts per call: it is not meant for bulk use.
    public func seal(
        header: [UInt8], firstPayloadType: UInt8, payloads: [UInt8], sentByInitiator: Bool,
        fragment: (number: UInt16, total: UInt16)? = nil, padLength: Int? = nil, iv: [UInt8]? = nil
    ) throws -> [UInt8] {
        guard header.count == Self.ikeHeaderLength else {
            throw IKEv2ProtectionError(
                .messageTruncated, .seal(.sealHeader(header.count)))
        }
        let pad = padLength ?? (blockSize - (payloads.count + 1) % blockSize) % blockSize
        guard (0...255).contains(pad) else {
            throw IKEv2ProtectionError(.badPadLength, .seal(.sealPadLength(pad)))
        }
        let plaintext = payloads + [UInt8](repeating: 0, count: pad) + [UInt8(pad)]
        guard plaintext.count % blockSize == 0 else {
            throw IKEv2ProtectionError(
                .notBlockAligned, .seal(.sealNotBlockAligned(plaintext: plaintext.count, block: blockSize)))
        }
        let ivBytes = iv ?? randomBytes(ivLength)
        guard ivBytes.count == ivLength else {
            throw IKEv2ProtectionError(.payloadTooShort, .seal(.sealIV(ivBytes.count, needed: ivLength)))
        }
        let payloadHeaderLength = fragment == nil ? Self.genericPayloadHeaderLength : Self.fragmentPayloadHeaderLength
        let total = Self.ikeHeaderLength + payloadHeaderLength + ivLength + plaintext.count + icvLength
        let payloadLength = total - Self.ikeHeaderLength
        guard payloadLength <= Int(UInt16.max) else {
            throw IKEv2ProtectionError(
                .payloadLengthMismatch, .seal(.sealPayloadLength(payloadLength)))
        }
        var message = header
        message[Self.nextPayloadOffset] =
            fragment == nil ? Self.encryptedPayloadType : Self.encryptedFragmentPayloadType
        message.setBE32(Self.lengthOffset, UInt32(total))
        message += [firstPayloadType, 0, UInt8(payloadLength >> 8), UInt8(payloadLength & 0xff)]
        if let fragment {
            message += [
                UInt8(fragment.number >> 8), UInt8(fragment.number & 0xff), UInt8(fragment.total >> 8),
                UInt8(fragment.total & 0xff),
            ]
        }
        let ivStart = message.count
        message += ivBytes
        let cipherStart = message.count
        let icvStart = cipherStart + plaintext.count
        message += [UInt8](repeating: 0, count: plaintext.count + icvLength)
        let key = sentByInitiator ? sa.skEi : sa.skEr
        do {
            switch try Self.makeCipher(encryption, key: key, encrypt: true) {
            case .cbc(let context):
                _ = try context.run(
                    iv: ivBytes, ivRange: 0..<ivLength, input: plaintext, inputRange: 0..<plaintext.count,
                    output: &message, outputOffset: cipherStart)
            case .ctr(let context, let counterNonce):
                let block = counterNonce + ivBytes + [0, 0, 0, 1]
                _ = try context.run(
                    iv: block, ivRange: 0..<16, input: plaintext, inputRange: 0..<plaintext.count,
                    output: &message, outputOffset: cipherStart)
            case .aead(let context, let salt):
                let aad = Array(message[0..<ivStart])
                _ = try context.seal(
                    nonce: salt + ivBytes, aad: aad, aadRange: 0..<aad.count, input: plaintext,
                    plaintext: 0..<plaintext.count, tagLength: icvLength, output: &message, outputOffset: cipherStart)
            }
            if !isAEAD, let mac = (sentByInitiator ? initiator : responder).mac {
                var icv = [UInt8](repeating: 0, count: icvLength)
                try mac.compute(
                    data: message, range: 0..<icvStart, truncatedTo: icvLength, output: &icv, outputOffset: 0)
                for i in 0..<icvLength { message[icvStart + i] = icv[i] }
            }
        } catch let error as IKEv2ProtectionError {
            throw error
        } catch {
            throw IKEv2ProtectionError(.crypto, .crypto(IKECryptoFailure(error)))
        }
        return message
    }
}
