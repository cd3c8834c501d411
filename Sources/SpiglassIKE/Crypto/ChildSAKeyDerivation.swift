import SpiglassSAD

/// The four keys of one CHILD_SA (one ESP or AH SA per direction), as RFC 7296 2.17 takes
/// them from KEYMAT. "Initiator" is the initiator of the exchange that created the CHILD_SA:
/// its keys protect traffic it sends (the SA whose SPI the responder chose). Encryption keys
/// of counter and combined modes end with their salt. Each is `SecretBytes`, wiped when freed.
public struct ChildSAKeys: Sendable, Equatable {
    public var initiatorEncryption: SecretBytes
    public var initiatorIntegrity: SecretBytes
    public var responderEncryption: SecretBytes
    public var responderIntegrity: SecretBytes

    public init(
        initiatorEncryption: SecretBytes, initiatorIntegrity: SecretBytes, responderEncryption: SecretBytes,
        responderIntegrity: SecretBytes
    ) {
        self.initiatorEncryption = initiatorEncryption
        self.initiatorIntegrity = initiatorIntegrity
        self.responderEncryption = responderEncryption
        self.responderIntegrity = responderIntegrity
    }
}

/// RFC 7296 2.17, "Generating Keying Material for Child SAs":
///
///     KEYMAT = prf+(SK_d, Ni | Nr)
///     KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr)     (CREATE_CHILD_SA with a KE payload)
///
/// "All keys for SAs carrying data from the initiator to the responder are taken before SAs
/// going from the responder to the initiator. [...] For each cryptographic protocol, the
/// encryption key is taken first, then the integrity key."
///
/// Counter and combined modes take their salt from KEYMAT with the key (RFC 4106 8.1 and
/// RFC 4309 7.1: 4 and 3 bytes; RFC 5930 / RFC 3686 5.1: 4-byte nonce; RFC 7634 2: 4-byte
/// salt; RFC 4543 for GMAC), so `encryptionKeyLength` includes it.
public enum ChildSAKeyDerivation {
    /// The most prf+ can produce with any IKEv2 PRF: 255 blocks of 64 bytes (HMAC-SHA-512).
    public static let maxKeyLength = IKEPseudoRandomFunction.maxPRFPlusIterations * 64

    /// Derives the CHILD_SA keys. `sharedSecret` is the new g^ir of a CREATE_CHILD_SA with
    /// PFS (for ECP groups, the x coordinate alone, RFC 5903 7); nil without PFS. AH has no
    /// encryption key: pass 0.
    public static func derive(
        prf: IKEPRF, skD: some Collection<UInt8>, nonceInitiator: [UInt8], nonceResponder: [UInt8],
        sharedSecret: [UInt8]? = nil, encryptionKeyLength: Int, integrityKeyLength: Int
    ) throws(IKEKeyDerivationError) -> ChildSAKeys {
        guard encryptionKeyLength >= 0, integrityKeyLength >= 0 else {
            throw IKEKeyDerivationError(
                .invalidLength, .childKeyLengths(encryption: encryptionKeyLength, integrity: integrityKeyLength))
        }
        // prf+ yields at most 255 blocks of at most 64 bytes; anything longer is refused
        // before the sums below could overflow.
        guard encryptionKeyLength <= maxKeyLength, integrityKeyLength <= maxKeyLength else {
            throw IKEKeyDerivationError(
                .prfPlusTooLong,
                .childKeyLengthsTooLong(encryption: encryptionKeyLength, integrity: integrityKeyLength))
        }
        let perDirection = encryptionKeyLength + integrityKeyLength
        let keymat = try keyMaterial(
            prf: prf, skD: skD, nonceInitiator: nonceInitiator, nonceResponder: nonceResponder,
            sharedSecret: sharedSecret, length: 2 * perDirection)
        var offset = 0
        func take(_ count: Int) -> SecretBytes {
            defer { offset += count }
            return SecretBytes(keymat[offset..<(offset + count)])
        }
        return ChildSAKeys(
            initiatorEncryption: take(encryptionKeyLength), initiatorIntegrity: take(integrityKeyLength),
            responderEncryption: take(encryptionKeyLength), responderIntegrity: take(integrityKeyLength))
    }

    /// KEYMAT itself: prf+(SK_d, [g^ir (new) |] Ni | Nr), `length` bytes.
    public static func keyMaterial(
        prf: IKEPRF, skD: some Collection<UInt8>, nonceInitiator: [UInt8], nonceResponder: [UInt8],
        sharedSecret: [UInt8]? = nil, length: Int
    ) throws(IKEKeyDerivationError) -> SecretBytes {
        let function = try IKEPseudoRandomFunction(prf, key: skD)
        // The seed holds g^ir, a secret.
        var seed = (sharedSecret ?? []) + nonceInitiator + nonceResponder
        defer { SecretBytes.wipe(&seed) }
        var keymat = try function.prfPlus(seed: seed, length: length)
        return SecretBytes(wiping: &keymat)
    }

    /// KEYMAT bytes of an ESP encryption transform, salt included; nil when the transform
    /// needs a key size that `keyBits` does not give (AES, Blowfish, CAST5: the IKEv2 Key
    /// Length attribute, in bits of cipher key without salt) or that it does not accept.
    public static func encryptionKeyLength(for encryption: EncryptionAlgorithm, keyBits: Int? = nil) -> Int? {
        let cipherBytes: Int?
        switch encryption {
        case .null: cipherBytes = 0
        case .tripleDESCBC: cipherBytes = 24
        case .desCBC: cipherBytes = 8
        case .chaCha20Poly1305, .chaCha20Poly1305ImplicitIV: cipherBytes = 32
        case .aesCBC, .aesCTR, .aesGCM, .aesCCM, .aesNullGMAC, .aesGCMImplicitIV, .aesCCMImplicitIV, .blowfishCBC,
            .cast5CBC:
            if let keyBits, keyBits > 0, keyBits % 8 == 0 { cipherBytes = keyBits / 8 } else { cipherBytes = nil }
        case .unsupported: cipherBytes = nil
        }
        guard let cipherBytes else { return nil }
        let total = cipherBytes + encryption.saltLength
        return encryption.validKeyLengths.contains(total) ? total : nil
    }

    /// KEYMAT bytes of an ESP/AH integrity transform (RFC 2403/2404/4868: the HMAC key is as
    /// long as the hash output; RFC 3566/4494: 16; RFC 4543 AUTH_AES_GMAC: AES key + 4-byte
    /// salt). nil for `unchecked`, whose algorithm, and so key length, is unknown.
    public static func integrityKeyLength(for integrity: IntegrityAlgorithm) -> Int? {
        switch integrity {
        case .null: return 0
        case .hmacMD5_96: return 16
        case .hmacSHA1_96: return 20
        case .hmacSHA256_96, .hmacSHA256_128: return 32
        case .hmacSHA384_192: return 48
        case .hmacSHA512_256: return 64
        case .aesXCBC_96, .aesCMAC_96: return 16
        case .aesGMAC(let bits): return bits / 8 + 4
        case .unchecked: return nil
        }
    }
}
