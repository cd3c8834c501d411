import SpiglassIKE

extension IKEProtectionErrorText {
    /// The reason of an IKEv2 error: the values the failed check compared, in words.
    static func reason(_ error: IKEv2ProtectionError) -> String {
        switch error.detail {
        case .sa(let problem): return reason(problem)
        case .chain(let problem): return reason(problem)
        case .encrypted(let problem): return reason(problem)
        case .crypto(let failure): return failure.description
        case .seal(let problem): return reason(problem)
        }
    }

    private static func reason(_ problem: IKEv2ProtectionDetail.SAProblem) -> String {
        switch problem {
        case .ikev1SA: return "IKEv1 SAs have no SK payloads"
        case .noEncryption: return "the SA names no encryption algorithm"
        case .encryptionNotSupported(let encryption): return "IKE encryption \(encryption.name) is not supported"
        case .encryptionKeysMissing(let initiator, let responder):
            return "SK_ei and SK_er are both needed (\(initiator) and \(responder) bytes given)"
        case .encryptionKeyLengthUnknown(let encryption):
            return "IKE encryption \(encryption.name) has no known key length"
        case .encryptionKeyLength(let key, let bytes, let encryption, let takes, let salt):
            let salted = salt > 0 ? " (key + \(salt)-byte salt)" : ""
            return "\(name(key)) has \(bytes) bytes; \(encryption.name) takes \(takes)\(salted)"
        case .integrityKeyLength(let key, let bytes, let integrity, let takes):
            return "\(name(key)) has \(bytes) bytes; \(integrity.name) takes \(takes)"
        case .integrityUnknown(let encryption):
            return "no integrity algorithm for \(encryption.name), so the ICV length is unknown"
        case .setup(.encryption(let encryption), let failure): return "\(encryption.name): \(failure.reason)"
        case .setup(.integrity(let integrity), let failure): return "\(integrity.name): \(failure.reason)"
        }
    }

    private static func reason(_ problem: IKEv2ProtectionDetail.ChainProblem) -> String {
        switch problem {
        case .range(let range, let size): return Self.range(range, bufferSize: size)
        case .shorterThanHeader(let count): return "\(count) bytes is shorter than the 28-byte IKE header"
        case .majorVersion(let major): return "major version \(major), not 2"
        case .headerLength(let declared, let message):
            return "IKE header Length is \(declared) but the message has \(message) bytes"
        case .noPayloadAt(let target, let next, let encrypted):
            return
                "no payload of the chain starts at \(target) (the \(encrypted ? "encrypted payload" : "next payload") starts at \(next))"
        case .chainEndsBefore(let end, let target): return "the payload chain ends at \(end), before \(target)"
        case .chainEnds(let offset): return "the payload chain ends at \(offset)"
        case .noEncryptedPayload: return "the payload chain ends without an SK or SKF payload"
        case .tooManyPayloads(let limit): return "more than \(limit) payloads before the encrypted one"
        case .payloadHeaderCut(let type, let offset, let end):
            return
                "payload of type \(type) at \(offset) has no room for its 4-byte header before the message ends at \(end)"
        case .payloadLength(let type, let offset, let length, let remaining):
            return "payload of type \(type) at \(offset) declares \(length) bytes; \(remaining) remain in the message"
        case .notEncryptedPayload(let offset, let type):
            return "payload at \(offset) has type \(type), not SK (46) or SKF (53)"
        }
    }

    private static func reason(_ problem: IKEv2ProtectionDetail.EncryptedProblem) -> String {
        func sk(_ fragment: Bool) -> String { fragment ? "SKF" : "SK" }
        switch problem {
        case .encryptedHeaderCut(let fragment, let offset, let end):
            return "\(sk(fragment)) payload at \(offset) has no room for its header: the message ends at \(end)"
        case .encryptedLength(let fragment, let declared, let remaining):
            return
                "\(sk(fragment)) Payload Length is \(declared) but \(remaining) bytes remain; the encrypted payload must end the message"
        case .encryptedBelowHeader(let fragment, let declared, let header):
            return "\(sk(fragment)) payload of \(declared) bytes is shorter than its \(header)-byte header"
        case .fragmentNumber(let number, let total): return "fragment \(number) of \(total)"
        case .encryptedTooShort(let fragment, let declared, let header, let iv, let ciphertext, let icv):
            return
                "\(sk(fragment)) payload of \(declared) bytes cannot hold its \(header)-byte header, \(iv)-byte IV, \(ciphertext) byte(s) of ciphertext and \(icv)-byte ICV"
        case .notBlockAligned(let count, let block): return notBlockAligned(count, block: block)
        case .padLength(let pad, let before): return "Pad Length \(pad) exceeds the \(before) bytes before it"
        case .icvMismatch(let initiator):
            return "ICV mismatch with \(keys(initiator)) (wrong keys, wrong direction, or a damaged message)"
        case .tagMismatch(let encryption, let initiator):
            return
                "\(encryption.name) tag mismatch with \(keys(initiator)) (wrong keys, wrong direction, or a damaged message)"
        }
    }

    private static func reason(_ problem: IKEv2ProtectionDetail.SealProblem) -> String {
        switch problem {
        case .sealHeader(let count): return "an IKE header has 28 bytes, not \(count)"
        case .sealPadLength(let pad): return "Pad Length \(pad) does not fit a byte"
        case .sealNotBlockAligned(let count, let block):
            return "\(count) bytes of plaintext is not a multiple of the \(block)-byte block"
        case .sealIV(let count, let needed): return "IV of \(count) bytes, need \(needed)"
        case .sealPayloadLength(let length):
            return "an encrypted payload of \(length) bytes does not fit its length field"
        }
    }

    private static func keys(_ initiator: Bool) -> String { initiator ? "SK_ei/SK_ai" : "SK_er/SK_ar" }

    private static func name(_ key: IKEv2ProtectionDetail.Key) -> String {
        switch key {
        case .skEi: return "SK_ei"
        case .skEr: return "SK_er"
        case .skAi: return "SK_ai"
        case .skAr: return "SK_ar"
        }
    }
}
