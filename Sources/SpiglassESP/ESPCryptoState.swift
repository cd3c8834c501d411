import SpiglassCrypto
import SpiglassSAD

/// The OpenSSL contexts and scratch buffers of one SA, made once and reused for every packet
/// on it: per packet only IVs, nonces and AADs are rewritten in place.
public final class ESPCryptoState {
    public let sa: SecurityAssociation
    enum Engine {
        case null
        case cbc(CipherContext)
        case ctr(CipherContext, nonce: [UInt8])
        case aead(AEADContext, salt: [UInt8])
        case unsupported(String)
    }

    let engine: Engine
    let integrity: IntegrityEngine?
    /// Reused per packet: CTR counter block, AEAD nonce, AEAD AAD, ESN trailer.
    // Scratch rewritten per packet by one thread; see the note in Analyzer on exclusivity.
    @exclusivity(unchecked) var counterBlock = [UInt8](repeating: 0, count: 16)
    @exclusivity(unchecked) var nonce = [UInt8](repeating: 0, count: 12)
    @exclusivity(unchecked) var aad = [UInt8](repeating: 0, count: 12)
    @exclusivity(unchecked) var sequenceHighTrailer = [UInt8](repeating: 0, count: 4)

    public init(sa: SecurityAssociation, encrypt: Bool = false) throws {
        self.sa = sa
        let key = sa.encryptionKey
        let salt = sa.encryption.saltLength
        let valid = sa.encryption.validKeyLengths
        if case .unsupported = sa.encryption {} else if !valid.contains(key.count) {
            throw CryptoError(.invalidKeyLength, "\(sa.encryption.name) takes keys of \(valid.map(String.init).joined(separator: "/")) bytes, got \(key.count)")
        }
        switch sa.encryption {
        case .null:
            engine = .null
        case .aesCBC:
            engine = .cbc(try CipherContext(.aesCBC(keyBytes: key.count), key: key, encrypt: encrypt))
        case .tripleDESCBC:
            engine = .cbc(try CipherContext(.tripleDESCBC, key: key, encrypt: encrypt))
        case .aesCTR:
            let cipherKey = Array(key[0..<(key.count - salt)])
            engine = .ctr(try CipherContext(.aesCTR(keyBytes: cipherKey.count), key: cipherKey, encrypt: encrypt),
                          nonce: Array(key[(key.count - salt)...]))
        case .aesGCM:
            let cipherKey = Array(key[0..<(key.count - salt)])
            engine = .aead(try AEADContext(.aesGCM(keyBytes: cipherKey.count), key: cipherKey, encrypt: encrypt),
                           salt: Array(key[(key.count - salt)...]))
        case .chaCha20Poly1305:
            let cipherKey = Array(key[0..<(key.count - salt)])
            engine = .aead(try AEADContext(.chaCha20Poly1305, key: cipherKey, encrypt: encrypt),
                           salt: Array(key[(key.count - salt)...]))
        case .unsupported(let name):
            engine = .unsupported(name)
        }
        integrity = try IntegrityEngine(sa.integrity, key: sa.integrityKey)
        counterBlock[15] = 1
    }

    func setSequenceHigh(_ high: UInt32) {
        sequenceHighTrailer[0] = UInt8(high >> 24)
        sequenceHighTrailer[1] = UInt8((high >> 16) & 0xff)
        sequenceHighTrailer[2] = UInt8((high >> 8) & 0xff)
        sequenceHighTrailer[3] = UInt8(high & 0xff)
    }
}
