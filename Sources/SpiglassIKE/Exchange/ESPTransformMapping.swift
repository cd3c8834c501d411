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
    /// Names of what could not be mapped (so no keys can be derived); empty when all is known.
    public var unsupported: [String]

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
            unsupported.append("encryption transform \(id)")
        }
        if [12, 13, 14, 15, 16, 18, 19, 20, 21, 30].contains(id), let bits = keyBits, ![128, 192, 256].contains(bits) {
            unsupported.append("AES key length \(bits)")
        }
    }

    private mutating func mapIntegrity(id: UInt16) {
        switch id {
        case 0:
            integrity = .null
            integrityKeyLength = 0
        case 1:
            integrity = .hmacMD5_96
            integrityKeyLength = 16
        case 2:
            integrity = .hmacSHA1_96
            integrityKeyLength = 20
        case 5:
            integrity = .aesXCBC_96
            integrityKeyLength = 16
        case 8:
            integrity = .aesCMAC_96
            integrityKeyLength = 16
        case 9:
            integrity = .aesGMAC(keyBits: 128)
            integrityKeyLength = 20
        case 10:
            integrity = .aesGMAC(keyBits: 192)
            integrityKeyLength = 28
        case 11:
            integrity = .aesGMAC(keyBits: 256)
            integrityKeyLength = 36
        case 12:
            integrity = .hmacSHA256_128
            integrityKeyLength = 32
        case 13:
            integrity = .hmacSHA384_192
            integrityKeyLength = 48
        case 14:
            integrity = .hmacSHA512_256
            integrityKeyLength = 64
        default:
            unsupported.append("integrity transform \(id)")
        }
    }
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
                unsupported.append("ESP transform \(transform.transformID)")
            }
        }
        // The Authentication Algorithm attribute names the integrity transform (AH too).
        switch transform.authenticationAlgorithm {
        case nil: break
        case 1:
            integrity = .hmacMD5_96
            integrityKeyLength = 16
        case 2:
            integrity = .hmacSHA1_96
            integrityKeyLength = 20
        case 5:
            integrity = .hmacSHA256_128
            integrityKeyLength = 32
        case 6:
            integrity = .hmacSHA384_192
            integrityKeyLength = 48
        case 7:
            integrity = .hmacSHA512_256
            integrityKeyLength = 64
        case 9:
            integrity = .aesXCBC_96
            integrityKeyLength = 16
        case let other?: unsupported.append("authentication algorithm \(other)")
        }
        if transform.protocolID == IKEv1Names.protoAH && transform.authenticationAlgorithm == nil {
            unsupported.append("AH transform without an authentication algorithm")
        }
        extendedSequenceNumbers = transform.extendedSequenceNumbers
    }
}
