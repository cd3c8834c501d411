/// The compute/verify pair every keyed MAC here offers (HMAC, CMAC, XCBC): ESP and AH ICVs
/// are the MAC over the data plus an optional trailer (the ESN high bits), truncated.
public protocol TruncatedMAC: AnyObject {
    /// Length of the untruncated MAC.
    var fullLength: Int { get }
    /// Computes the untruncated MAC of `data[range]` ‖ `trailer[trailerRange]` and returns the
    /// reused buffer that holds it (first `fullLength` bytes).
    func fullMAC(data: [UInt8], range: Range<Int>, trailer: [UInt8], trailerRange: Range<Int>) throws -> [UInt8]
}

extension TruncatedMAC {
    /// Writes the first `length` bytes of the MAC to `output` at `outputOffset`.
    public func compute(
        data: [UInt8], range: Range<Int>, trailer: [UInt8] = [], trailerRange: Range<Int> = 0..<0,
        truncatedTo length: Int, output: inout [UInt8], outputOffset: Int
    ) throws {
        guard (0...fullLength).contains(length) else {
            throw CryptoError(.invalidLength, "MAC length \(length) outside 0...\(fullLength)")
        }
        try checkRange(range, in: data.count, "data")
        try checkRange(trailerRange, in: trailer.count, "trailer")
        try checkRange(outputOffset..<(outputOffset + length), in: output.count, "output")
        let mac = try fullMAC(data: data, range: range, trailer: trailer, trailerRange: trailerRange)
        for i in 0..<length { output[outputOffset + i] = mac[i] }
    }

    /// Recomputes the MAC and compares its first `expectedRange.count` bytes with
    /// `expected[expectedRange]` in constant time.
    public func verify(
        data: [UInt8], range: Range<Int>, trailer: [UInt8] = [], trailerRange: Range<Int> = 0..<0,
        expected: [UInt8], expectedRange: Range<Int>
    ) throws -> Bool {
        // An empty expected value would "verify" anything.
        guard (1...fullLength).contains(expectedRange.count) else { return false }
        try checkRange(range, in: data.count, "data")
        try checkRange(trailerRange, in: trailer.count, "trailer")
        try checkRange(expectedRange, in: expected.count, "ICV")
        let mac = try fullMAC(data: data, range: range, trailer: trailer, trailerRange: trailerRange)
        return constantTimeEquals(mac, 0..<expectedRange.count, expected, expectedRange)
    }
}
