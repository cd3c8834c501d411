import SpiglassCrypto
import SpiglassSAD

/// One SA's integrity transform, keyed once and reused for every packet: the ICV of ESP
/// (non-combined ciphers) and of AH.
public final class IntegrityEngine {
    public let algorithm: IntegrityAlgorithm

    enum Kind {
        case hmac(HMACContext)
        /// RFC 3566 AES-XCBC-MAC-96 (Spiglass' own construction on AES-ECB).
        case xcbc(XCBCContext)
        /// RFC 4494 AES-CMAC-96 (OpenSSL's CMAC).
        case cmac(CMACContext)
        /// RFC 4543 AUTH_AES_GMAC (AH): AES-GCM with an empty plaintext, nonce salt ‖ IV.
        case gmac(AEADContext, salt: [UInt8])
    }

    let kind: Kind

    /// nil for algorithms that check nothing (`null`, `unchecked`).
    /// `key` (`SecretBytes` from an SA, or bytes) is handed to OpenSSL in place.
    public init?(_ algorithm: IntegrityAlgorithm, key: some Collection<UInt8>) throws {
        self.algorithm = algorithm
        switch algorithm {
        case .hmacMD5_96: kind = .hmac(try HMACContext(.md5, key: key))
        case .hmacSHA1_96: kind = .hmac(try HMACContext(.sha1, key: key))
        case .hmacSHA256_96, .hmacSHA256_128: kind = .hmac(try HMACContext(.sha256, key: key))
        case .hmacSHA384_192: kind = .hmac(try HMACContext(.sha384, key: key))
        case .hmacSHA512_256: kind = .hmac(try HMACContext(.sha512, key: key))
        case .aesXCBC_96: kind = .xcbc(try XCBCContext(key: key))
        case .aesCMAC_96: kind = .cmac(try CMACContext(key: key))
        case .aesGMAC:
            guard let required = algorithm.requiredKeyLength, key.count == required else {
                throw CryptoError(
                    .invalidLength,
                    "\(algorithm.name) needs a key of \(algorithm.requiredKeyLength ?? 0) bytes (AES key + 4-byte salt), got \(key.count)"
                )
            }
            let split = key.index(key.startIndex, offsetBy: key.count - 4)
            kind = .gmac(
                try AEADContext(.aesGCM(keyBytes: key.count - 4), key: key[..<split]), salt: Array(key[split...]))
        case .null, .unchecked: return nil
        }
    }

    /// Recomputes the ICV over `data[range]` followed by `trailer[trailerRange]` (the ESN high
    /// bits, RFC 4303 2.2.1) and compares it with `expected[expectedRange]` in constant time.
    public func verify(
        data: [UInt8], range: Range<Int>, trailer: [UInt8], trailerRange: Range<Int>,
        expected: [UInt8], expectedRange: Range<Int>
    ) throws -> Bool {
        switch kind {
        case .hmac(let context):
            return try context.verify(
                data: data, range: range, trailer: trailer, trailerRange: trailerRange,
                expected: expected, expectedRange: expectedRange)
        case .xcbc(let context):
            return try context.verify(
                data: data, range: range, trailer: trailer, trailerRange: trailerRange,
                expected: expected, expectedRange: expectedRange)
        case .cmac(let context):
            return try context.verify(
                data: data, range: range, trailer: trailer, trailerRange: trailerRange,
                expected: expected, expectedRange: expectedRange)
        case .gmac:
            // The IV is in the packet: only `verifyAH` can check GMAC.
            throw CryptoError(.invalidLength, "\(algorithm.name) needs the AH ICV field (IV and tag): use verifyAH")
        }
    }

    /// AH entry point (RFC 4302 3.3.3): checks the ICV field `packet[icvField]` against the
    /// canonical packet `data[range]` (its ICV zeroed) followed by `trailer[trailerRange]`
    /// (the ESN high bits). For RFC 4543 AUTH_AES_GMAC the ICV field is IV (8) ‖ tag (16)
    /// [‖ padding]; the nonce is salt ‖ IV, the AAD is data ‖ trailer and the plaintext is
    /// empty. For the other transforms the ICV is the first `icvLength` bytes of the field.
    public func verifyAH(
        data: [UInt8], range: Range<Int>, trailer: [UInt8], trailerRange: Range<Int>,
        packet: [UInt8], icvField: Range<Int>
    ) throws -> Bool {
        guard icvField.count >= algorithm.icvLength, icvField.lowerBound >= 0, icvField.upperBound <= packet.count
        else {
            throw CryptoError(
                .invalidLength,
                "AH ICV field of \(icvField.count) bytes, \(algorithm.name) needs \(algorithm.icvLength)")
        }
        let start = icvField.lowerBound
        switch kind {
        case .gmac(let context, let salt):
            let ivLength = algorithm.explicitIVLength
            let nonce = salt + packet[start..<(start + ivLength)]
            let tag = (start + ivLength)..<(start + algorithm.icvLength)
            var unused = [UInt8](repeating: 0, count: 1)
            return try context.open(
                nonce: nonce, aad: data, aadRange: range, extraAAD: trailer, extraAADRange: trailerRange,
                input: packet, ciphertext: tag.lowerBound..<tag.lowerBound, tag: tag,
                output: &unused, outputOffset: 0)
        default:
            return try verify(
                data: data, range: range, trailer: trailer, trailerRange: trailerRange,
                expected: packet, expectedRange: start..<(start + algorithm.icvLength))
        }
    }

    /// Computes the ICV (truncated to the algorithm's length) into `output` at `outputOffset`.
    public func compute(
        data: [UInt8], range: Range<Int>, trailer: [UInt8], trailerRange: Range<Int>,
        output: inout [UInt8], outputOffset: Int
    ) throws {
        let length = algorithm.icvLength
        switch kind {
        case .hmac(let context):
            try context.compute(
                data: data, range: range, trailer: trailer, trailerRange: trailerRange,
                truncatedTo: length, output: &output, outputOffset: outputOffset)
        case .xcbc(let context):
            try context.compute(
                data: data, range: range, trailer: trailer, trailerRange: trailerRange,
                truncatedTo: length, output: &output, outputOffset: outputOffset)
        case .cmac(let context):
            try context.compute(
                data: data, range: range, trailer: trailer, trailerRange: trailerRange,
                truncatedTo: length, output: &output, outputOffset: outputOffset)
        case .gmac:
            throw CryptoError(.invalidLength, "\(algorithm.name) is verified only (AH), not computed here")
        }
    }
}
