import SpiglassSAD

/// The ESP or AH algorithms a negotiated CHILD_SA proposal names, in the SAD's terms, with the
/// KEYMAT lengths RFC 7296 2.17 takes for them.
public struct NegotiatedChildAlgorithms: Sendable, Equatable {
    public var encryption: EncryptionAlgorithm
    /// Bytes of KEYMAT per direction for encryption, salt included (RFC 4106, 4309, 5930, 7634).
    public var encryptionKeyLength: Int
    public var integrity: IntegrityAlgorithm
    public var integrityKeyLength: Int
    public var extendedSequenceNumbers: Bool
    /// What could not be mapped (so no keys can be derived); empty when all is known.
    public var unsupported: [UnsupportedChildAlgorithm]

    /// Maps the transforms of one chosen proposal (IANA "IKEv2 Transform Type" values: 1 ENCR,
    /// 3 INTEG, 5 ESN). `keyLengths` gives attribute 14 (Key Length, bits) per transform.
    public init(transforms: [(type: UInt8, id: UInt16, keyBits: UInt16?)]) {
        encryption = .null
        encryptionKeyLength = 0
        integrity = .null
        integrityKeyLength = 0
        extendedSequenceNumbers = false
        unsupported = []
        var sawEncryption = false
        for transform in transforms {
            switch transform.type {
            case 1:
                sawEncryption = true
                mapEncryption(id: transform.id, keyBits: transform.keyBits)
            case 3:
                mapIntegrity(id: transform.id)
            case 5:
                extendedSequenceNumbers = transform.id == 1
            default:
                continue
            }
        }
        // AH proposals have no encryption transform: ENCR_NULL in SAD terms.
        if !sawEncryption { encryption = .null }
    }

    private mutating func mapEncryption(id: UInt16, keyBits: UInt16?) {
        let aesBytes = Int(keyBits ?? 128) / 8
        switch id {
        case 2:
            encryption = .desCBC
            encryptionKeyLength = 8
        case 3:
            encryption = .tripleDESCBC
            encryptionKeyLength = 24
        case 6:
            encryption = .cast5CBC
            encryptionKeyLength = Int(keyBits ?? 128) / 8
        case 7:
            encryption = .blowfishCBC
            encryptionKeyLength = Int(keyBits ?? 128) / 8
        case 11:
            encryption = .null
            encryptionKeyLength = 0
        case 12:
            encryption = .aesCBC
            encryptionKeyLength = aesBytes
        case 13:
            encryption = .aesCTR
            encryptionKeyLength = aesBytes + 4
        case 14, 15, 16:
            encryption = .aesCCM(icvLength: [14: 8, 15: 12, 16: 16][Int(id)] ?? 16)
            encryptionKeyLength = aesBytes + 3
        case 18, 19, 20:
            encryption = .aesGCM(icvLength: [18: 8, 19: 12, 20: 16][Int(id)] ?? 16)
            encryptionKeyLength = aesBytes + 4
        case 21:
            encryption = .aesNullGMAC
            encryptionKeyLength = aesBytes + 4
        case 28:
            encryption = .chaCha20Poly1305
            encryptionKeyLength = 36
        case 29:
            encryption = .aesCCMImplicitIV(icvLength: 8)
            encryptionKeyLength = aesBytes + 3
        case 30:
            encryption = .aesGCMImplicitIV(icvLength: 16)
            encryptionKeyLength = aesBytes + 4
        case 31:
            encryption = .chaCha20Poly1305ImplicitIV
            encryptionKeyLength = 36
        default:
            encryption = .unsupported("ENCR \(id)")
            unsupported.append(.encryptionTransform(id))
        }
        if [12, 13, 14, 15, 16, 18, 19, 20, 21, 30].contains(id), let bits = keyBits, ![128, 192, 256].contains(bits) {
            unsupported.append(.aesKeyLength(bits: bits))
        }
    }

    private mutating func mapIntegrity(id: UInt16) {
        switch id {
        case 0: setIntegrity(.null)
        case 1: setIntegrity(.hmacMD5_96)
        case 2: setIntegrity(.hmacSHA1_96)
        case 5: setIntegrity(.aesXCBC_96)
        case 8: setIntegrity(.aesCMAC_96)
        case 9: setIntegrity(.aesGMAC(keyBits: 128))
        case 10: setIntegrity(.aesGMAC(keyBits: 192))
        case 11: setIntegrity(.aesGMAC(keyBits: 256))
        case 12: setIntegrity(.hmacSHA256_128)
        case 13: setIntegrity(.hmacSHA384_192)
        case 14: setIntegrity(.hmacSHA512_256)
        default: unsupported.append(.integrityTransform(id))
        }
    }

    /// The integrity algorithm with its KEYMAT length: an HMAC's key is as long as its hash's
    /// output (RFC 2104, 4868), AES-XCBC's and AES-CMAC's 16 bytes (RFC 3566, 4494), AES-GMAC's
    /// its AES key and a 4-byte salt (RFC 4543 3.2).
    private mutating func setIntegrity(_ algorithm: IntegrityAlgorithm) {
        integrity = algorithm
        switch algorithm {
        case .null, .unchecked: integrityKeyLength = 0
        case .hmacMD5_96, .aesXCBC_96, .aesCMAC_96: integrityKeyLength = 16
        case .hmacSHA1_96: integrityKeyLength = 20
        case .hmacSHA256_96, .hmacSHA256_128: integrityKeyLength = 32
        case .hmacSHA384_192: integrityKeyLength = 48
        case .hmacSHA512_256: integrityKeyLength = 64
        case .aesGMAC(let keyBits): integrityKeyLength = keyBits / 8 + 4
        }
    }
}

/// A negotiated transform the CHILD_SA key derivation cannot map, with its number as negotiated
/// (the reports word it: `IKEExchangeWords.unsupported`).
public enum UnsupportedChildAlgorithm: Sendable, Equatable {
    /// IKEv2 transform type 1 (ENCR) with this ID.
    case encryptionTransform(UInt16)
    /// IKEv2 transform type 3 (INTEG) with this ID.
    case integrityTransform(UInt16)
    /// An AES Key Length attribute (bits) other than 128, 192 or 256.
    case aesKeyLength(bits: UInt16)
    /// An IKEv1 ESP transform ID (RFC 2407 4.4.4).
    case espTransform(UInt8)
    /// An IKEv1 Authentication Algorithm attribute value (RFC 2407 4.5).
    case authenticationAlgorithm(UInt16)
    /// An IKEv1 AH transform without an Authentication Algorithm attribute.
    case ahWithoutAuthentication
}

/// The PRF a chosen IKE proposal names (transform type 2), for key sources that give none
/// (Wireshark's IKEv2 table).
public func negotiatedPRF(id: UInt16) -> IKEPRF? {
    switch id {
    case 1: return .hmacMD5
    case 2: return .hmacSHA1
    case 4: return .aesXCBC
    case 5: return .hmacSHA256
    case 6: return .hmacSHA384
    case 7: return .hmacSHA512
    case 8: return .aesCMAC
    default: return nil
    }
}

extension NegotiatedChildAlgorithms {
    /// Maps an IKEv1 Quick Mode transform (RFC 2407 4.4.4 ESP transform IDs, 4.5 attributes:
    /// Authentication Algorithm, Key Length, ESN) to the SAD's algorithms and KEYMAT lengths.
    public init(ikev1 transform: IKEv1Transform) {
        self.init(transforms: [])
        if transform.protocolID == IKEv1Names.protoESP {
            // RFC 2407 4.4.4 numbers the ESP transforms as IKEv2 numbers its ENCR transforms, up to
            // AES-GCM (20); AES-GMAC is 23 here (RFC 4543), 21 there.
            let id = UInt16(transform.transformID)
            switch id {
            case 2, 3, 6, 7, 11, 12, 13, 14, 15, 16, 18, 19, 20: mapEncryption(id: id, keyBits: transform.keyLength)
            case 23: mapEncryption(id: 21, keyBits: transform.keyLength)
            default:
                encryption = .unsupported("ESP transform \(transform.transformID)")
                unsupported.append(.espTransform(transform.transformID))
            }
        }
        // The Authentication Algorithm attribute names the integrity transform (AH too).
        switch transform.authenticationAlgorithm {
        case nil: break
        case 1: setIntegrity(.hmacMD5_96)
        case 2: setIntegrity(.hmacSHA1_96)
        case 5: setIntegrity(.hmacSHA256_128)
        case 6: setIntegrity(.hmacSHA384_192)
        case 7: setIntegrity(.hmacSHA512_256)
        case 9: setIntegrity(.aesXCBC_96)
        case let other?: unsupported.append(.authenticationAlgorithm(other))
        }
        if transform.protocolID == IKEv1Names.protoAH && transform.authenticationAlgorithm == nil {
            unsupported.append(.ahWithoutAuthentication)
        }
        extendedSequenceNumbers = transform.extendedSequenceNumbers
    }
}
