internal import CCrypto

/// Cryptographically random bytes, for IVs of packets we build (tests and benchmarks).
public func randomBytes(_ count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    if count > 0 {
        _ = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
    }
    return bytes
}
