import SpiglassCrypto
import SpiglassSAD
import SpiglassWire

/// The OpenSSL contexts and scratch buffers of one SA, made once and reused for every packet
/// on it: per packet only IVs, nonces and AADs are rewritten in place.
public final class ESPCryptoState {
    public let sa: SecurityAssociation
    enum Engine {
        case null
        case cbc(CipherContext)
        case ctr(CipherContext, nonce: [UInt8])
        /// GCM, ChaCha20-Poly1305 and CCM, with an explicit or an implicit (RFC 8750) IV.
        case aead(AEADContext, salt: [UInt8])
        /// RFC 4543 AES-GMAC: GCM over an AAD that is the whole packet, payload in clear.
        case gmac(AEADContext, salt: [UInt8])
        /// Why this SA's packets cannot be processed (shown with each packet).
        case unsupported(String)
    }

    /// What the per-packet path needs to know about the SA, read once: copying `sa` (strings
    /// and key arrays) or switching over its algorithm enums per packet costs reference
    /// counting on every packet.
    public struct Layout: Sendable {
        public let ivLength: Int
        public let icvLength: Int
        /// The ciphertext length must be a multiple of this (1 when any length goes).
        public let ciphertextMultiple: Int
        public let isAEAD: Bool
        public let implicitIV: Bool
        public let extendedSequenceNumbers: Bool
    }

    let engine: Engine
    /// The AEAD and GMAC salt (also in `engine`): read from here per packet, where a `let`
    /// is borrowed, while binding it out of the enum retains and releases it.
    let salt: [UInt8]
    let integrity: IntegrityEngine?
    public let layout: Layout
    /// Reused per packet: CTR counter block, AEAD nonce, AEAD AAD, ESN trailer.
    // Scratch rewritten per packet by one thread; see the note in Analyzer on exclusivity.
    @exclusivity(unchecked) var counterBlock = [UInt8](repeating: 0, count: 16)
    /// salt ‖ IV: 12 bytes, 11 for CCM.
    @exclusivity(unchecked) var nonce: [UInt8]
    @exclusivity(unchecked) var aad = [UInt8](repeating: 0, count: 12)
    @exclusivity(unchecked) var sequenceHighTrailer = [UInt8](repeating: 0, count: 4)

    public init(sa: SecurityAssociation, encrypt: Bool = false) throws {
        self.sa = sa
        let key = sa.encryptionKey
        let salt = sa.encryption.saltLength
        let valid = sa.encryption.validKeyLengths
        if case .unsupported = sa.encryption {
        } else if !valid.contains(key.count) {
            throw CryptoError(
                .invalidKeyLength,
                "\(sa.encryption.name) takes keys of \(sa.encryption.keyLengthDescription) bytes, got \(key.count)")
        }
        // A slice of the SA's key: the contexts read it in place, so no unwiped copy is made.
        let cipherKey = key[0..<(key.count - salt)]
        let saltBytes = Array(key[(key.count - salt)...])
        self.salt = saltBytes
        // The salt is the nonce's fixed part, written here once; packets write only the IV.
        nonce = saltBytes + [UInt8](repeating: 0, count: 8)
        switch sa.encryption {
        case .null:
            engine = .null
        case .aesCBC:
            engine = .cbc(try CipherContext(.aesCBC(keyBytes: key.count), key: key, encrypt: encrypt))
        case .tripleDESCBC:
            engine = .cbc(try CipherContext(.tripleDESCBC, key: key, encrypt: encrypt))
        case .desCBC, .blowfishCBC, .cast5CBC:
            let algorithm: CipherAlgorithm =
                switch sa.encryption {
                case .desCBC: .desCBC
                case .blowfishCBC: .blowfishCBC(keyBytes: key.count)
                default: .cast5CBC(keyBytes: key.count)
                }
            do {
                engine = .cbc(try CipherContext(algorithm, key: key, encrypt: encrypt))
            } catch let error as CryptoError where error.code == .unsupportedAlgorithm {
                // OpenSSL's legacy provider is missing: the SA stays, its packets say why.
                engine = .unsupported(error.reason)
            }
        case .aesCTR:
            engine = .ctr(
                try CipherContext(.aesCTR(keyBytes: cipherKey.count), key: cipherKey, encrypt: encrypt),
                nonce: saltBytes)
        case .aesGCM, .aesGCMImplicitIV:
            engine = .aead(
                try AEADContext(.aesGCM(keyBytes: cipherKey.count), key: cipherKey, encrypt: encrypt), salt: saltBytes)
        case .chaCha20Poly1305, .chaCha20Poly1305ImplicitIV:
            engine = .aead(try AEADContext(.chaCha20Poly1305, key: cipherKey, encrypt: encrypt), salt: saltBytes)
        case .aesCCM, .aesCCMImplicitIV:
            engine = .aead(
                try AEADContext(
                    .aesCCM(keyBytes: cipherKey.count, tagLength: sa.encryption.aeadICVLength), key: cipherKey,
                    encrypt: encrypt), salt: saltBytes)
        case .aesNullGMAC:
            engine = .gmac(
                try AEADContext(.aesGCM(keyBytes: cipherKey.count), key: cipherKey, encrypt: encrypt), salt: saltBytes)
        case .unsupported(let name):
            engine = .unsupported("\(name) is not implemented in this build")
        }
        integrity = try IntegrityEngine(sa.integrity, key: sa.integrityKey)
        let encryption = sa.encryption
        layout = Layout(
            ivLength: encryption.ivLength, icvLength: sa.icvLength,
            ciphertextMultiple: !encryption.leavesPayloadInClear && encryption.blockSize > 4 ? encryption.blockSize : 1,
            isAEAD: encryption.isAEAD, implicitIV: encryption.implicitIV,
            extendedSequenceNumbers: sa.extendedSequenceNumbers)
        counterBlock[15] = 1
    }

    func setSequenceHigh(_ high: UInt32) {
        sequenceHighTrailer.setBE32(0, high)
    }

    /// Fills `nonce` (salt ‖ IV) and `aad` (SPI ‖ [ESN high ‖] sequence, RFC 4106 5, RFC 4309 5,
    /// RFC 4543 5, RFC 7634 2.1) for the ESP header at `packet[espStart...]`, whose explicit IV
    /// (if the transform has one) starts at `espStart + 8`. Call `setSequenceHigh` first.
    /// Returns the AAD length.
    func prepareNonceAndAAD(packet: [UInt8], espStart: Int, iv: [UInt8]? = nil) -> Int {
        prepareNonce(packet: packet, espStart: espStart, iv: iv)
        let sequence = (espStart + 4)..<(espStart + 8)
        copyBytes(packet, espStart..<(espStart + 4), into: &aad, at: 0)
        if layout.extendedSequenceNumbers {
            copyBytes(sequenceHighTrailer, 0..<4, into: &aad, at: 4)
            copyBytes(packet, sequence, into: &aad, at: 8)
            return 12
        }
        copyBytes(packet, sequence, into: &aad, at: 4)
        return 8
    }

    /// Fills the IV part of `nonce` (salt ‖ IV) for the ESP header at `packet[espStart...]`, whose explicit IV
    /// (if the transform has one) starts at `espStart + 8`, or is `iv`. With an implicit IV
    /// (RFC 8750 3) the IV is the 64-bit sequence number: ESN high ‖ low, or 0 ‖ low without
    /// ESN. Call `setSequenceHigh` first.
    func prepareNonce(packet: [UInt8], espStart: Int, iv: [UInt8]? = nil) {
        let saltLength = salt.count
        // Whole runs copied at once: byte by byte, every store into these arrays of a class
        // checked their uniqueness again, which cost more than the copies. The salt is in
        // place since `init`.
        if layout.implicitIV {
            if layout.extendedSequenceNumbers {
                copyBytes(sequenceHighTrailer, 0..<4, into: &nonce, at: saltLength)
            } else {
                nonce.setBE32(saltLength, 0)
            }
            copyBytes(packet, (espStart + 4)..<(espStart + 8), into: &nonce, at: saltLength + 4)
        } else if let iv {
            copyBytes(iv, 0..<8, into: &nonce, at: saltLength)
        } else {
            copyBytes(packet, (espStart + 8)..<(espStart + 16), into: &nonce, at: saltLength)
        }
    }
}
