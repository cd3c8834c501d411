import SpiglassIKE
import SpiglassWire

/// The words for why an IKE message did not open or an IKE key set could not be used: the
/// reasons of `IKEv2ProtectionError`, `IKEv1ProtectionError` and `IKEKeyDerivationError`, as
/// the text and JSON reports (`decryption_error`) and the run's warnings show them.
enum IKEProtectionErrorText {
    /// "code: reason", or "code at offset N: reason" when one place is to blame.
    static func description<Code, Detail>(_ error: IKEProtectionError<Code, Detail>, reason: String) -> String {
        if let offset = error.offset { return "\(error.code.rawValue) at offset \(offset): \(reason)" }
        return "\(error.code.rawValue): \(reason)"
    }

    static func description(_ error: IKEv2ProtectionError) -> String { description(error, reason: reason(error)) }
    static func description(_ error: IKEv1ProtectionError) -> String { description(error, reason: reason(error)) }
    static func description(_ error: IKEKeyDerivationError) -> String { "\(error.code.rawValue): \(reason(error))" }

    /// Why a message whose IKE SA has keys did not open.
    static func decryption(_ failure: IKEDecryptionFailure) -> String {
        switch failure {
        case .v2(let error): return reason(error)
        case .v1(let error): return reason(error)
        case .keysUnusable(let why?): return keysUnusable(why)
        case .keysUnusable(nil): return "keys unusable"
        case .fragment(let why): return "fragment: \(why.map(decryption) ?? "not opened")"
        case .ivNeedsKEPayloads(let cut):
            return "the IV needs both KE payloads of phase 1, which the capture \(cut ? "cut" : "lacks")"
        }
    }

    /// Which key set cannot be used and why; IKEv2 gives the error's code too.
    static func keysUnusable(_ why: IKEKeysUnusable) -> String {
        let key = "\(keySet(why)) (\(why.origin))"
        switch why.error {
        case .v2(let error): return "\(key): keys unusable: \(description(error))"
        case .v1(let error): return "\(key): \(reason(error))"
        }
    }

    /// The key set by its initiator SPI: "IKE SA 500d1235fe70942d".
    static func keySet(_ why: IKEKeysUnusable) -> String { "IKE SA \(why.initiatorSPI.ikeSPIHex)" }

    static func reason(_ error: IKEKeyDerivationError) -> String {
        switch error.detail {
        case .prfPlusOutput(let length): return "prf+ output of \(length) bytes"
        case .prfPlusIterations(let length, let iterations, let prf, let block):
            let most = IKEPseudoRandomFunction.maxPRFPlusIterations
            return
                "prf+ of \(length) bytes needs \(iterations) iterations of \(prf.name); RFC 7296 2.13 allows \(most) (\(most * block) bytes)"
        case .childKeyLengths(let encryption, let integrity): return "key lengths \(encryption) and \(integrity)"
        case .childKeyLengthsTooLong(let encryption, let integrity):
            return "key lengths \(encryption) and \(integrity) exceed what prf+ can give"
        case .keyMaterial(let length): return "key material of \(length) bytes"
        case .keyMaterialTooLong(let length, let limit):
            return "\(length) bytes of key material exceeds the \(limit)-byte limit"
        case .crypto(let step, let failure): return "\(words(step)): \(failure.reason)"
        }
    }

    private static func words(_ step: IKEKeyDerivationError.Step) -> String {
        switch step {
        case .keying(let prf): return "keying \(prf.name)"
        case .prf(let prf): return prf.name
        case .prfPlus(let prf): return "prf+ with \(prf.name)"
        case .keyingHMAC(let hash): return "keying HMAC-\(hash.name)"
        case .digest(let hash): return "\(hash.name) digest"
        }
    }

    // MARK: - Words both versions use

    static func range(_ range: Range<Int>, bufferSize: Int) -> String {
        "message range \(range) outside a buffer of \(bufferSize) bytes"
    }

    static func notBlockAligned(_ count: Int, block: Int) -> String {
        "\(count) bytes of ciphertext is not a multiple of the \(block)-byte block"
    }
}
