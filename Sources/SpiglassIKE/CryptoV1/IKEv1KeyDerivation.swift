import SpiglassCrypto
import SpiglassSAD

/// The hash algorithm of an IKEv1 (ISAKMP) SA: phase-1 attribute class 2. It is the hash of
/// the phase-1 IVs and, as HMAC, the SA's pseudo-random function.
///
/// RFC 2409 Appendix A, class 2 (Hash Algorithm): MD5 1, SHA 2, Tiger 3; the SHA-2 values
/// 4, 5 and 6 are IANA's (RFC 4868 and the IPSEC registry). RFC 2409 4: the PRF is the HMAC
/// of the negotiated hash unless a PRF attribute (class 13) names another; RFC 2409 Appendix
/// A defines no PRF values, so an SA that carries one cannot be handled here.
public enum IKEv1Hash: String, Sendable, Equatable, Hashable, CaseIterable {
    case md5 = "md5"
    case sha1 = "sha1"
    case sha256 = "sha2-256"
    case sha384 = "sha2-384"
    case sha512 = "sha2-512"

    public var name: String { rawValue }

    /// The Hash Algorithm attribute value; nil for values we do not know or support (Tiger).
    public init?(attribute value: UInt16) {
        switch value {
        case 1: self = .md5
        case 2: self = .sha1
        case 4: self = .sha256
        case 5: self = .sha384
        case 6: self = .sha512
        default: return nil
        }
    }

    /// The hash whose HMAC is `prf`; nil for the AES PRFs, which IKEv1 does not use.
    public init?(prf: IKEPRF) {
        switch prf {
        case .hmacMD5: self = .md5
        case .hmacSHA1: self = .sha1
        case .hmacSHA256: self = .sha256
        case .hmacSHA384: self = .sha384
        case .hmacSHA512: self = .sha512
        case .aesXCBC, .aesCMAC: return nil
        }
    }

    public var attributeValue: UInt16 {
        switch self {
        case .md5: return 1
        case .sha1: return 2
        case .sha256: return 4
        case .sha384: return 5
        case .sha512: return 6
        }
    }

    /// Bytes of one digest: also the length of one PRF output and of SKEYID and its family.
    public var digestLength: Int { function.digestLength }

    /// The hash's internal block length (what HMAC pads its key to).
    public var blockLength: Int {
        switch self {
        case .md5, .sha1, .sha256: return 64
        case .sha384, .sha512: return 128
        }
    }

    /// The HMAC of this hash as an IKE PRF.
    public var prf: IKEPRF {
        switch self {
        case .md5: return .hmacMD5
        case .sha1: return .hmacSHA1
        case .sha256: return .hmacSHA256
        case .sha384: return .hmacSHA384
        case .sha512: return .hmacSHA512
        }
    }

    var function: HashFunction {
        switch self {
        case .md5: return .md5
        case .sha1: return .sha1
        case .sha256: return .sha256
        case .sha384: return .sha384
        case .sha512: return .sha512
        }
    }

    /// hash(data), the plain digest (phase-1 IVs, the PKE SKEYID).
    public func digest(_ data: [UInt8]) throws(IKEKeyDerivationError) -> [UInt8] {
        do {
            return try Digest.hash(function, data)
        } catch {
            throw IKEKeyDerivationError.wrapping(error, .digest(self))
        }
    }
}

/// SKEYID_d, SKEYID_a and SKEYID_e (RFC 2409 5), wiped when freed.
public struct IKEv1SKEYIDKeys: Sendable, Equatable {
    public var d: SecretBytes
    public var a: SecretBytes
    public var e: SecretBytes

    public init(d: SecretBytes, a: SecretBytes, e: SecretBytes) {
        self.d = d
        self.a = a
        self.e = e
    }
}

/// The two keys of one IPsec SA that Quick Mode creates: RFC 2409 5.5 takes the encryption
/// key first, then the integrity key, from that SA's own KEYMAT. Wiped when freed.
public struct IKEv1SAKeys: Sendable, Equatable {
    public var encryption: SecretBytes
    public var integrity: SecretBytes

    public init(encryption: SecretBytes, integrity: SecretBytes) {
        self.encryption = encryption
        self.integrity = integrity
    }
}

/// IKEv1 key derivation, RFC 2409 5, 5.5 and Appendix B. Every prf here is HMAC with the
/// SA's hash (`IKEv1Hash.prf`), computed through SpiglassCrypto by `IKEPseudoRandomFunction`.
public enum IKEv1KeyDerivation {
    /// The most key material any one call derives. RFC 2409 sets no limit on its expansions;
    /// the largest real need is an AES-256 key plus an HMAC-SHA-512 key (96 bytes), so this
    /// only bounds the work a hostile length can cause.
    public static let maxKeyMaterialLength = 1024

    /// The phase-1 authentication method, which decides how SKEYID is made (RFC 2409 5).
    public enum Authentication: Sendable, Equatable {
        /// Signatures (DSS, RSA, ECDSA): SKEYID = prf(Ni_b | Nr_b, g^xy).
        case signature
        /// Public key encryption, original or revised: SKEYID = prf(hash(Ni_b | Nr_b), CKY-I | CKY-R).
        case publicKeyEncryption
        /// Pre-shared key: SKEYID = prf(pre-shared-key, Ni_b | Nr_b).
        case preSharedKey(SecretBytes)
    }

    /// RFC 2409 5:
    ///
    ///     For signatures:            SKEYID = prf(Ni_b | Nr_b, g^xy)
    ///     For public key encryption: SKEYID = prf(hash(Ni_b | Nr_b), CKY-I | CKY-R)
    ///     For pre-shared keys:       SKEYID = prf(pre-shared-key, Ni_b | Nr_b)
    ///
    /// Ni_b and Nr_b are the bodies of the nonce payloads (without the generic header);
    /// g^xy is the Diffie-Hellman shared secret (for ECP groups, the x coordinate).
    public static func skeyid(
        hash: IKEv1Hash, authentication: Authentication, nonceInitiator: [UInt8], nonceResponder: [UInt8],
        sharedSecret: [UInt8], initiatorCookie: UInt64, responderCookie: UInt64
    ) throws(IKEKeyDerivationError) -> SecretBytes {
        var skeyid: [UInt8]
        switch authentication {
        case .signature:
            skeyid = try prf(hash, key: nonceInitiator + nonceResponder, sharedSecret)
        case .publicKeyEncryption:
            var key = try hash.digest(nonceInitiator + nonceResponder)
            defer { SecretBytes.wipe(&key) }
            skeyid = try prf(hash, key: key, bigEndian(initiatorCookie) + bigEndian(responderCookie))
        case .preSharedKey(let psk):
            skeyid = try prf(hash, key: psk, nonceInitiator + nonceResponder)
        }
        return SecretBytes(wiping: &skeyid)
    }

    /// RFC 2409 5:
    ///
    ///     SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
    ///     SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
    ///     SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
    ///
    /// (0, 1 and 2 are single octets.)
    public static func skeyidKeys(
        hash: IKEv1Hash, skeyid: some Collection<UInt8>, sharedSecret: [UInt8],
        initiatorCookie: UInt64, responderCookie: UInt64
    ) throws(IKEKeyDerivationError) -> IKEv1SKEYIDKeys {
        let function = try keyed(hash, skeyid)
        // Every buffer here holds g^xy or a key: all are wiped.
        var tail = sharedSecret + bigEndian(initiatorCookie) + bigEndian(responderCookie)
        var input = tail + [0]
        var d = try compute(function, input)
        SecretBytes.wipe(&input)
        input = d + tail + [1]
        var a = try compute(function, input)
        SecretBytes.wipe(&input)
        input = a + tail + [2]
        var e = try compute(function, input)
        SecretBytes.wipe(&input)
        SecretBytes.wipe(&tail)
        return IKEv1SKEYIDKeys(d: SecretBytes(wiping: &d), a: SecretBytes(wiping: &a), e: SecretBytes(wiping: &e))
    }

    /// The phase-1 encryption key from SKEYID_e, `length` bytes. RFC 2409 Appendix B: the
    /// ISAKMP SA's key comes from SKEYID_e; when SKEYID_e is shorter than the cipher needs, the
    /// PRF is fed its own output and the results concatenated, taking the first bytes:
    ///
    ///     Ka = K1 | K2 | K3 | ...
    ///     K1 = prf(SKEYID_e, 0)        (0: one zero octet)
    ///     K2 = prf(SKEYID_e, K1)
    ///     K3 = prf(SKEYID_e, K2)
    ///
    /// A long enough SKEYID_e is used as is, cut to `length`.
    public static func encryptionKey(hash: IKEv1Hash, skeyidE: some Collection<UInt8>, length: Int)
        throws(IKEKeyDerivationError) -> SecretBytes
    {
        try checkLength(length)
        if skeyidE.count >= length { return SecretBytes(skeyidE.prefix(length)) }
        let function = try keyed(hash, skeyidE)
        var output: [UInt8] = []
        output.reserveCapacity(length + hash.digestLength)
        var previous: [UInt8] = [0]
        while output.count < length {
            let next = try compute(function, previous)
            SecretBytes.wipe(&previous)
            previous = next
            output += previous
        }
        SecretBytes.wipe(&previous)
        defer { SecretBytes.wipe(&output) }
        return SecretBytes(output.prefix(length))
    }

    /// Quick Mode KEYMAT for one IPsec SA, `length` bytes. RFC 2409 5.5:
    ///
    ///     KEYMAT = prf(SKEYID_d, protocol | SPI | Ni_b | Nr_b)
    ///     KEYMAT = prf(SKEYID_d, g(qm)^xy | protocol | SPI | Ni_b | Nr_b)    (with PFS)
    ///
    /// expanded, when more bytes are needed than one prf gives, by feeding each output back in:
    ///
    ///     KEYMAT = K1 | K2 | K3 | ...
    ///     K1 = prf(SKEYID_d, [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b)
    ///     K2 = prf(SKEYID_d, K1 | [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b)
    ///
    /// `protocolID` is the proposal's Protocol-Id (2 AH, 3 ESP, 4 IPCOMP) and `spi` the SPI
    /// bytes as the proposal carries them. One negotiation makes two SAs, one per direction,
    /// and their different SPIs give them different keys: the KEYMAT of the SA a peer
    /// receives on is made with the SPI that peer chose. `sharedSecret` is g(qm)^xy, nil
    /// without PFS. Ni_b and Nr_b are the Quick Mode nonce bodies.
    public static func quickModeKeyMaterial(
        hash: IKEv1Hash, skeyidD: some Collection<UInt8>, protocolID: UInt8, spi: [UInt8],
        nonceInitiator: [UInt8], nonceResponder: [UInt8], sharedSecret: [UInt8]? = nil,
        length: Int
    ) throws(IKEKeyDerivationError) -> SecretBytes {
        try checkLength(length)
        if length == 0 { return SecretBytes() }
        let function = try keyed(hash, skeyidD)
        let block = hash.digestLength
        // One reused input buffer: Kn-1 | seed. K1 has no predecessor, so its input starts
        // after the Kn-1 slot. It holds g(qm)^xy and each Kn-1, as the output holds KEYMAT:
        // both are wiped.
        var input = [UInt8](repeating: 0, count: block)
        input.reserveCapacity(
            block + (sharedSecret?.count ?? 0) + 1 + spi.count + nonceInitiator.count + nonceResponder.count)
        input += sharedSecret ?? []
        input.append(protocolID)
        input += spi
        input += nonceInitiator
        input += nonceResponder
        defer { SecretBytes.wipe(&input) }
        var output: [UInt8] = []
        output.reserveCapacity(length + block)
        defer { SecretBytes.wipe(&output) }
        var start = block
        while output.count < length {
            var piece = Array(input[start...])
            var k = try compute(function, piece)
            SecretBytes.wipe(&piece)
            for i in 0..<block { input[i] = k[i] }
            output += k
            SecretBytes.wipe(&k)
            start = 0
        }
        return SecretBytes(output.prefix(length))
    }

    /// The keys of one IPsec SA: its KEYMAT (see `quickModeKeyMaterial`) split into the
    /// encryption key (salt included for counter and combined modes, RFC 4106 8.1) and then
    /// the integrity key. AH has no encryption key: pass 0.
    public static func quickModeKeys(
        hash: IKEv1Hash, skeyidD: some Collection<UInt8>, protocolID: UInt8, spi: [UInt8],
        nonceInitiator: [UInt8], nonceResponder: [UInt8], sharedSecret: [UInt8]? = nil,
        encryptionKeyLength: Int, integrityKeyLength: Int
    ) throws(IKEKeyDerivationError) -> IKEv1SAKeys {
        try checkLength(encryptionKeyLength)
        try checkLength(integrityKeyLength)
        let keymat = try quickModeKeyMaterial(
            hash: hash, skeyidD: skeyidD, protocolID: protocolID, spi: spi,
            nonceInitiator: nonceInitiator, nonceResponder: nonceResponder,
            sharedSecret: sharedSecret, length: encryptionKeyLength + integrityKeyLength)
        return IKEv1SAKeys(
            encryption: SecretBytes(keymat[0..<encryptionKeyLength]),
            integrity: SecretBytes(keymat[encryptionKeyLength...]))
    }

    /// RFC 2409 5 (Main Mode and Aggressive Mode authentication):
    ///
    ///     HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b )
    ///     HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b )
    ///
    /// `saInitiatorBody` is the body of the initiator's SA payload (DOI onwards, without the
    /// generic header), `identityBody` that of the sender's ID payload; the KE arguments are
    /// the KE payload bodies. With pre-shared keys the HASH payload carries this value; with
    /// signatures the SIG payload signs it.
    public static func phase1Hash(
        hash: IKEv1Hash, skeyid: some Collection<UInt8>, sentByInitiator: Bool, keInitiator: [UInt8],
        keResponder: [UInt8],
        initiatorCookie: UInt64, responderCookie: UInt64,
        saInitiatorBody: [UInt8], identityBody: [UInt8]
    ) throws(IKEKeyDerivationError) -> [UInt8] {
        let ckyI = bigEndian(initiatorCookie)
        let ckyR = bigEndian(responderCookie)
        let data =
            sentByInitiator
            ? keInitiator + keResponder + ckyI + ckyR + saInitiatorBody + identityBody
            : keResponder + keInitiator + ckyR + ckyI + saInitiatorBody + identityBody
        return try prf(hash, key: skeyid, data)
    }

    /// The cipher behind an IKEv1 Encryption Algorithm attribute (class 1; RFC 2409 Appendix
    /// A: 1 DES-CBC, 5 3DES-CBC; RFC 3602 5.3: 7 AES-CBC, whose Key Length attribute, class
    /// 14, in bits, MUST be present). nil for ciphers IKEv1 decryption does not support
    /// (IDEA, Blowfish, RC5, CAST, Camellia) and for AES without a valid key length.
    public static func encryptionAlgorithm(attribute value: UInt16, keyLengthBits: UInt16? = nil)
        -> IKEEncryptionAlgorithm?
    {
        switch value {
        case 1: return .des
        case 5: return .tripleDES
        case 7:
            guard let bits = keyLengthBits, [128, 192, 256].contains(bits) else { return nil }
            return .aesCBC(keyBits: Int(bits))
        default: return nil
        }
    }

    // MARK: - Helpers

    static func checkLength(_ length: Int) throws(IKEKeyDerivationError) {
        guard length >= 0 else {
            throw IKEKeyDerivationError(.invalidLength, .keyMaterial(length))
        }
        guard length <= maxKeyMaterialLength else {
            throw IKEKeyDerivationError(
                .invalidLength, .keyMaterialTooLong(length, limit: maxKeyMaterialLength))
        }
    }

    static func keyed(_ hash: IKEv1Hash, _ key: some Collection<UInt8>) throws(IKEKeyDerivationError)
        -> IKEPseudoRandomFunction
    {
        do {
            return try IKEPseudoRandomFunction(hash.prf, key: key)
        } catch {
            throw IKEKeyDerivationError.wrapping(error, .keyingHMAC(hash))
        }
    }

    static func compute(_ function: IKEPseudoRandomFunction, _ data: [UInt8]) throws(IKEKeyDerivationError) -> [UInt8] {
        do {
            return try function.compute(data)
        } catch {
            throw IKEKeyDerivationError.wrapping(error, .prf(function.algorithm))
        }
    }

    /// prf(key, data), one shot.
    static func prf(_ hash: IKEv1Hash, key: some Collection<UInt8>, _ data: [UInt8]) throws(IKEKeyDerivationError)
        -> [UInt8]
    {
        try compute(try keyed(hash, key), data)
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32($0))) }
    }
}
