import SpiglassCrypto
import SpiglassSAD

/// Why a PRF, prf+ or key derivation could not run. Tests compare `code`; `detail` holds the
/// values the failed check compared (SpiglassAnalysis words them, `IKEProtectionErrorText`).
public struct IKEKeyDerivationError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A negative output or key length was asked for.
        case invalidLength
        /// prf+ asked for more than 255 blocks (RFC 7296 2.13).
        case prfPlusTooLong
        /// The key does not suit the algorithm (OpenSSL refused it).
        case invalidKey
        /// OpenSSL failed for another reason.
        case crypto
    }

    /// The step whose crypto call failed.
    public enum Step: Sendable, Hashable {
        case keying(IKEPRF)
        case prf(IKEPRF)
        case prfPlus(IKEPRF)
        /// IKEv1: keying HMAC with the SA's hash, and the plain digest.
        case keyingHMAC(IKEv1Hash)
        case digest(IKEv1Hash)
    }

    public enum Detail: Sendable, Hashable {
        /// A negative prf+ output length.
        case prfPlusOutput(Int)
        /// prf+ of `bytes` needs `iterations` blocks of `blockLength` of the PRF.
        case prfPlusIterations(bytes: Int, iterations: Int, IKEPRF, blockLength: Int)
        /// CHILD_SA key lengths below zero, or beyond what prf+ gives.
        case childKeyLengths(encryption: Int, integrity: Int)
        case childKeyLengthsTooLong(encryption: Int, integrity: Int)
        /// IKEv1 key material of a negative length, or beyond `limit`.
        case keyMaterial(Int)
        case keyMaterialTooLong(Int, limit: Int)
        case crypto(Step, IKECryptoFailure)
    }

    public let code: Code
    public let detail: Detail

    public init(_ code: Code, _ detail: Detail) {
        self.code = code
        self.detail = detail
    }

    /// The code (for test messages; reports word the detail).
    public var description: String { code.rawValue }

    static func wrapping(_ error: Error, _ step: Step) -> IKEKeyDerivationError {
        if let error = error as? IKEKeyDerivationError { return error }
        let failure = IKECryptoFailure(error)
        if case .crypto(let error) = failure, error.code == .invalidKeyLength {
            return IKEKeyDerivationError(.invalidKey, .crypto(step, failure))
        }
        return IKEKeyDerivationError(.crypto, .crypto(step, failure))
    }
}

/// An IKEv2 pseudo-random function (transform type 2) keyed once, with the prf+ of RFC 7296
/// 2.13 on top. The MAC contexts come from SpiglassCrypto and are reused for every call;
/// one instance is for one thread at a time.
///
/// The HMAC PRFs take keys of any length (RFC 2104 hashes long keys). The two AES PRFs have
/// a fixed 128-bit key and their own rule for other lengths:
/// - AES-XCBC-PRF-128 (RFC 4434 2): "If the key is exactly 128 bits long, use it as-is. If
///   the key has fewer than 128 bits, lengthen it to exactly 128 bits by padding it on the
///   right with zero bits. If the key is 129 bits or longer, shorten it to exactly 128 bits
///   by performing the steps in AES-XCBC-PRF-128 [...] the key is 128 zero bits; the message
///   is the too-long current key."
/// - AES-CMAC-PRF-128 (RFC 4615 3): a key of exactly 128 bits is used as-is; any other
///   length, shorter *or* longer, becomes K = AES-CMAC(0^128, key). (No zero padding here.)
public final class IKEPseudoRandomFunction {
    /// RFC 7296 2.13: "The prf+ function is not defined beyond 255 times the size of the prf
    /// function output."
    public static let maxPRFPlusIterations = 255
    /// Key length of the AES-based PRFs (RFC 4434, RFC 4615).
    public static let aesPRFKeyLength = 16

    public let algorithm: IKEPRF
    /// Bytes of one PRF output: the hash length for HMAC, 16 for the AES PRFs.
    public let outputLength: Int
    private let mac: any TruncatedMAC

    /// `key` (`SecretBytes` or bytes) is handed to OpenSSL in place; the 128-bit keys the AES
    /// PRFs make of other lengths are `SecretBytes` too.
    public init(_ algorithm: IKEPRF, key: some Collection<UInt8>) throws(IKEKeyDerivationError) {
        self.algorithm = algorithm
        do {
            switch algorithm {
            case .hmacMD5: mac = try HMACContext(.md5, key: key)
            case .hmacSHA1: mac = try HMACContext(.sha1, key: key)
            case .hmacSHA256: mac = try HMACContext(.sha256, key: key)
            case .hmacSHA384: mac = try HMACContext(.sha384, key: key)
            case .hmacSHA512: mac = try HMACContext(.sha512, key: key)
            case .aesXCBC: mac = try XCBCContext(key: Self.xcbcPRFKey(SecretBytes(key)))
            case .aesCMAC: mac = try CMACContext(key: Self.cmacPRFKey(SecretBytes(key)))
            }
        } catch {
            throw IKEKeyDerivationError.wrapping(error, .keying(algorithm))
        }
        outputLength = mac.fullLength
    }

    /// RFC 4434 2: the 128-bit key AES-XCBC-PRF-128 uses for a key of any length.
    static func xcbcPRFKey(_ key: SecretBytes) throws -> SecretBytes {
        if key.count == aesPRFKeyLength { return key }
        if key.count < aesPRFKeyLength {
            // Zero padding on the right: the new storage starts zeroed.
            return SecretBytes(count: aesPRFKeyLength) { out in key.withUnsafeBytes { out.copyMemory(from: $0) } }
        }
        return try zeroKeyedMAC(of: key, XCBCContext(key: [UInt8](repeating: 0, count: aesPRFKeyLength)))
    }

    /// RFC 4615 3: the 128-bit key AES-CMAC-PRF-128 uses for a key of any length.
    static func cmacPRFKey(_ key: SecretBytes) throws -> SecretBytes {
        if key.count == aesPRFKeyLength { return key }
        return try zeroKeyedMAC(of: key, CMACContext(key: [UInt8](repeating: 0, count: aesPRFKeyLength)))
    }

    /// The key the AES PRFs use for a key of another length: its MAC under `zeroKeyed`, the
    /// MAC keyed with 128 zero bits.
    private static func zeroKeyedMAC(of key: SecretBytes, _ zeroKeyed: some TruncatedMAC) throws -> SecretBytes {
        var message = Array(key)
        defer { SecretBytes.wipe(&message) }
        return SecretBytes(
            try zeroKeyed.fullMAC(data: message, range: 0..<message.count, trailer: [], trailerRange: 0..<0).prefix(
                aesPRFKeyLength))
    }

    /// prf(K, data): the full, untruncated output.
    public func compute(_ data: [UInt8]) throws(IKEKeyDerivationError) -> [UInt8] {
        do {
            let full = try mac.fullMAC(data: data, range: 0..<data.count, trailer: [], trailerRange: 0..<0)
            return Array(full.prefix(outputLength))
        } catch {
            throw IKEKeyDerivationError.wrapping(error, .prf(algorithm))
        }
    }

    /// RFC 7296 2.13: prf+(K, S) = T1 | T2 | T3 | …, where T1 = prf(K, S | 0x01) and
    /// Tn = prf(K, Tn-1 | S | n), cut to `length` bytes. At most 255 iterations, so at most
    /// 255 × `outputLength` bytes; more throws `.prfPlusTooLong`. The output is key material:
    /// `ChildSAKeyDerivation.keyMaterial` moves it into `SecretBytes` and wipes the array.
    public func prfPlus(seed: [UInt8], length: Int) throws(IKEKeyDerivationError) -> [UInt8] {
        guard length >= 0 else {
            throw IKEKeyDerivationError(.invalidLength, .prfPlusOutput(length))
        }
        if length == 0 { return [] }
        let blockLength = outputLength
        // (Written so that no length, however large, overflows.)
        let iterations = length / blockLength + (length % blockLength == 0 ? 0 : 1)
        guard iterations <= Self.maxPRFPlusIterations else {
            throw IKEKeyDerivationError(
                .prfPlusTooLong,
                .prfPlusIterations(bytes: length, iterations: iterations, algorithm, blockLength: blockLength))
        }
        // One reused input buffer: Tn-1 | S | n. T1 has no predecessor, so its input starts
        // after the Tn-1 slot.
        var input = [UInt8](repeating: 0, count: blockLength + seed.count + 1)
        // It holds each T(n-1), a block of the output.
        defer { SecretBytes.wipe(&input) }
        for i in 0..<seed.count { input[blockLength + i] = seed[i] }
        var output = [UInt8]()
        output.reserveCapacity(iterations * blockLength)
        var start = blockLength
        do {
            for n in 1...iterations {
                input[input.count - 1] = UInt8(n)
                let t = try mac.fullMAC(data: input, range: start..<input.count, trailer: [], trailerRange: 0..<0)
                for i in 0..<blockLength { input[i] = t[i] }
                output.append(contentsOf: t[0..<blockLength])
                start = 0
            }
        } catch {
            throw IKEKeyDerivationError.wrapping(error, .prfPlus(algorithm))
        }
        // The cut tail is zeroed first: whoever wipes the result wipes only its count.
        for i in length..<output.count { output[i] = 0 }
        output.removeLast(output.count - length)
        return output
    }
}
