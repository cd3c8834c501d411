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
    }

    let kind: Kind

    /// nil for algorithms that check nothing (`null`, `unchecked`).
    public init?(_ algorithm: IntegrityAlgorithm, key: [UInt8]) throws {
        self.algorithm = algorithm
        switch algorithm {
        case .hmacMD5_96: kind = .hmac(try HMACContext(.md5, key: key))
        case .hmacSHA1_96: kind = .hmac(try HMACContext(.sha1, key: key))
        case .hmacSHA256_96, .hmacSHA256_128: kind = .hmac(try HMACContext(.sha256, key: key))
        case .hmacSHA384_192: kind = .hmac(try HMACContext(.sha384, key: key))
        case .hmacSHA512_256: kind = .hmac(try HMACContext(.sha512, key: key))
        case .aesXCBC_96: kind = .xcbc(try XCBCContext(key: key))
        case .aesCMAC_96: kind = .cmac(try CMACContext(key: key))
        case .null, .unchecked: return nil
        }
    }

    /// Recomputes the ICV over `data[range]` followed by `trailer[trailerRange]` (the ESN high
    /// bits, RFC 4303 2.2.1) and compares it with `expected[expectedRange]` in constant time.
    public func verify(data: [UInt8], range: Range<Int>, trailer: [UInt8], trailerRange: Range<Int>,
                       expected: [UInt8], expectedRange: Range<Int>) throws -> Bool {
        switch kind {
        case .hmac(let context):
            return try context.verify(data: data, range: range, trailer: trailer, trailerRange: trailerRange,
                                      expected: expected, expectedRange: expectedRange)
        case .xcbc(let context):
            return try context.verify(data: data, range: range, trailer: trailer, trailerRange: trailerRange,
                                      expected: expected, expectedRange: expectedRange)
        case .cmac(let context):
            return try context.verify(data: data, range: range, trailer: trailer, trailerRange: trailerRange,
                                      expected: expected, expectedRange: expectedRange)
        }
    }

    /// Computes the ICV (truncated to the algorithm's length) into `output` at `outputOffset`.
    public func compute(data: [UInt8], range: Range<Int>, trailer: [UInt8], trailerRange: Range<Int>,
                        output: inout [UInt8], outputOffset: Int) throws {
        let length = algorithm.icvLength
        switch kind {
        case .hmac(let context):
            try context.compute(data: data, range: range, trailer: trailer, trailerRange: trailerRange,
                                truncatedTo: length, output: &output, outputOffset: outputOffset)
        case .xcbc(let context):
            try context.compute(data: data, range: range, trailer: trailer, trailerRange: trailerRange,
                                truncatedTo: length, output: &output, outputOffset: outputOffset)
        case .cmac(let context):
            try context.compute(data: data, range: range, trailer: trailer, trailerRange: trailerRange,
                                truncatedTo: length, output: &output, outputOffset: outputOffset)
        }
    }
}
