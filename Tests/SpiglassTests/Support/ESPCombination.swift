import SpiglassSAD
import SpiglassWire

/// One supported algorithm combination with key sizes, for parameterised tests.
struct ESPCombination: CustomStringConvertible, Sendable {
    var encryption: EncryptionAlgorithm
    /// Encryption key length including any salt/nonce.
    var keyLength: Int
    var integrity: IntegrityAlgorithm

    var description: String { "\(encryption.displayName(keyLength: keyLength))/\(integrity.name)" }

    var authenticated: Bool { encryption.isAEAD || integrity.verifies }

    static func integrityKeyLength(_ integrity: IntegrityAlgorithm) -> Int {
        switch integrity {
        case .hmacMD5_96: return 16
        case .hmacSHA1_96: return 20
        case .hmacSHA256_96, .hmacSHA256_128: return 32
        case .hmacSHA384_192: return 48
        case .hmacSHA512_256: return 64
        case .aesXCBC_96, .aesCMAC_96: return 16
        case .aesGMAC(let bits): return bits / 8 + 4
        case .null, .unchecked: return 0
        }
    }

    /// Deterministic, distinct keys per combination (a seeded byte pattern).
    func sa(spi: SPI = 0x1234_5678, esn: Bool = false) -> SecurityAssociation {
        let seed = UInt8(truncatingIfNeeded: description.utf8.reduce(0) { $0 &* 31 &+ Int($1) })
        let encKey = (0..<keyLength).map { UInt8(truncatingIfNeeded: Int(seed) &+ $0 &* 7 &+ 1) }
        let intKey = (0..<Self.integrityKeyLength(integrity)).map {
            UInt8(truncatingIfNeeded: Int(seed) &* 3 &+ $0 &* 13 &+ 5)
        }
        return SecurityAssociation(
            spi: spi, encryption: encryption, encryptionKey: encKey,
            integrity: integrity, integrityKey: intKey, extendedSequenceNumbers: esn)
    }

    static let ciphers: [(EncryptionAlgorithm, Int)] = [
        (.null, 0), (.aesCBC, 16), (.aesCBC, 24), (.aesCBC, 32), (.tripleDESCBC, 24),
        (.aesCTR, 20), (.aesCTR, 28), (.aesCTR, 36),
        // OpenSSL's legacy provider: DES, and Blowfish/CAST5 at their shortest, usual and longest keys.
        (.desCBC, 8), (.blowfishCBC, 5), (.blowfishCBC, 16), (.blowfishCBC, 56), (.cast5CBC, 5), (.cast5CBC, 16),
    ]
    static let aeads: [(EncryptionAlgorithm, Int)] = [
        (.aesGCM(icvLength: 8), 20), (.aesGCM(icvLength: 12), 20), (.aesGCM(icvLength: 16), 20),
        (.aesGCM(icvLength: 8), 36), (.aesGCM(icvLength: 12), 36), (.aesGCM(icvLength: 16), 36),
        (.chaCha20Poly1305, 36),
        // RFC 4309 AES-CCM (3-byte salt), RFC 4543 AES-GMAC, RFC 8750 implicit IV.
        (.aesCCM(icvLength: 8), 19), (.aesCCM(icvLength: 12), 19), (.aesCCM(icvLength: 16), 19),
        (.aesCCM(icvLength: 8), 27), (.aesCCM(icvLength: 16), 35),
        (.aesNullGMAC, 20), (.aesNullGMAC, 28), (.aesNullGMAC, 36),
        (.aesGCMImplicitIV(icvLength: 16), 20), (.aesGCMImplicitIV(icvLength: 16), 36),
        (.chaCha20Poly1305ImplicitIV, 36),
        (.aesCCMImplicitIV(icvLength: 8), 19), (.aesCCMImplicitIV(icvLength: 8), 35),
    ]
    static let integrities: [IntegrityAlgorithm] = [
        .null, .hmacMD5_96, .hmacSHA1_96, .hmacSHA256_96, .hmacSHA256_128, .hmacSHA384_192, .hmacSHA512_256,
        .aesXCBC_96, .aesCMAC_96,
    ]

    /// Every non-AEAD cipher with every integrity transform, and every AEAD on its own.
    static let all: [ESPCombination] =
        ciphers.flatMap { c in integrities.map { ESPCombination(encryption: c.0, keyLength: c.1, integrity: $0) } }
        + aeads.map { ESPCombination(encryption: $0.0, keyLength: $0.1, integrity: .null) }

    static let authenticatedOnes = all.filter(\.authenticated)
}
