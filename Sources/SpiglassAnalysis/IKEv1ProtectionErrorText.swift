import SpiglassIKE

extension IKEProtectionErrorText {
    /// The reason of an IKEv1 error: the values the failed check compared, in words.
    static func reason(_ error: IKEv1ProtectionError) -> String {
        switch error.detail {
        case .sa(let problem): return reason(problem)
        case .message(let problem): return reason(problem)
        case .hash(let problem): return reason(problem)
        case .ivChain(let problem): return reason(problem)
        case .crypto(let failure): return failure.description
        case .seal(let problem): return reason(problem)
        }
    }

    private static func reason(_ problem: IKEv1ProtectionDetail.SAProblem) -> String {
        switch problem {
        case .ikev2SA: return "IKEv2 SAs protect messages with SK payloads (IKEv2MessageProtection)"
        case .noEncryption: return "neither the SA nor the negotiated attributes name an encryption algorithm"
        case .encryptionNotSupported(let encryption):
            return "IKEv1 encryption \(encryption.name) is not supported (DES, 3DES and AES-CBC are)"
        case .encryptionKeyLength(let bytes, let encryption, let takes):
            return "the encryption key has \(bytes) bytes; \(encryption.name) takes \(takes)"
        case .derivationNeedsHash: return "deriving the encryption key from SKEYID_e needs the SA's hash"
        case .derivation(let error): return "deriving the encryption key from SKEYID_e: \(reason(error))"
        case .noEncryptionKey: return "the SA has neither a phase-1 encryption key nor SKEYID_e"
        case .setup(let encryption, let failure): return "\(encryption.name): \(failure.reason)"
        }
    }

    private static func reason(_ problem: IKEv1ProtectionDetail.MessageProblem) -> String {
        switch problem {
        case .range(let range, let size): return Self.range(range, bufferSize: size)
        case .shorterThanHeader(let count): return "\(count) bytes is shorter than the 28-byte ISAKMP header"
        case .majorVersion(let major): return "major version \(major), not 1"
        case .encryptionFlagClear: return "the Encryption flag is clear"
        case .headerLength(let declared, let message):
            return "ISAKMP header Length is \(declared); the message has \(message) bytes and the header 28"
        case .noCiphertext: return "an encrypted message with nothing after its header"
        case .notBlockAligned(let count, let block): return notBlockAligned(count, block: block)
        case .ivLength(let count, let encryption, let needed):
            return "IV of \(count) bytes; \(encryption.name) needs \(needed)"
        case .tooManyPayloads(let limit): return "more than \(limit) payloads in the decrypted chain"
        case .payloadHeaderCut(let type, let offset, let count):
            return
                "payload of type \(type) at plaintext offset \(offset) has no room for its 4-byte header in \(count) bytes"
        case .payloadLength(let type, let offset, let length, let remaining):
            return
                "payload of type \(type) at plaintext offset \(offset) declares \(length) bytes; \(remaining) remain (wrong key or IV?)"
        }
    }

    private static func reason(_ problem: IKEv1ProtectionDetail.HashProblem) -> String {
        func phase1(_ initiator: Bool) -> String { initiator ? "HASH_I" : "HASH_R" }
        switch problem {
        case .hashNeedsSKEYIDa(let kind): return "HASH(\(kind.rawValue)) needs SKEYID_a, which the SA does not give"
        case .hashNeedsHash(let kind): return "HASH(\(kind.rawValue)) needs the SA's hash"
        case .hash(let kind, let error): return "HASH(\(kind.rawValue)): \(reason(error))"
        case .noHashPayload(let type): return "the first payload has type \(type), not HASH (8)"
        case .hashPayloadLength(let length, let chain):
            return "HASH payload of \(length) bytes in a \(chain)-byte chain"
        case .hashMismatch(let kind):
            return
                "HASH(\(kind.rawValue)) does not match: wrong SKEYID_a, nonces or message ID, or a damaged message"
        case .phase1HashNeedsSKEYID(let initiator):
            return "\(phase1(initiator)) needs SKEYID, which the SA does not give"
        case .phase1HashNeedsHash(let initiator): return "\(phase1(initiator)) needs the SA's hash"
        case .phase1HashNeedsCookie(let initiator): return "\(phase1(initiator)) needs the responder cookie"
        case .phase1Hash(let initiator, let error): return "\(phase1(initiator)): \(reason(error))"
        }
    }

    private static func reason(_ problem: IKEv1ProtectionDetail.IVChainProblem) -> String {
        switch problem {
        case .lastBlockLength(let count, let block):
            return "a last ciphertext block of \(count) bytes; the cipher block is \(block)"
        case .blockSize(let block, let digest, let hash):
            return "a \(block)-byte cipher block cannot take its IV from a \(digest)-byte \(hash.name) digest"
        case .ivHash(let error): return "IV hash: \(reason(error))"
        }
    }

    private static func reason(_ problem: IKEv1ProtectionDetail.SealProblem) -> String {
        switch problem {
        case .sealHeader(let count): return "an ISAKMP header has 28 bytes, not \(count)"
        case .sealNotBlockAligned(let payloads, let padding, let block):
            return
                "\(payloads) bytes of payloads and \(padding) of padding is not a multiple of the \(block)-byte block"
        case .sealLength(let total): return "a message of \(total) bytes does not fit the Length field"
        }
    }
}
