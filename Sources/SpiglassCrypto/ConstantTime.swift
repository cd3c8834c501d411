internal import CCrypto

/// Compares `a[aRange]` with `b[bRange]` in time that depends only on the length, as an ICV
/// comparison must (RFC 4303 section 3.4.4.1 leaves timing to the implementation; a
/// data-dependent compare leaks how many tag bytes matched).
public func constantTimeEquals(_ a: [UInt8], _ aRange: Range<Int>, _ b: [UInt8], _ bRange: Range<Int>) -> Bool {
    guard aRange.count == bRange.count,
        aRange.lowerBound >= 0, aRange.upperBound <= a.count,
        bRange.lowerBound >= 0, bRange.upperBound <= b.count
    else { return false }
    if aRange.isEmpty { return true }
    return a.withUnsafeBytes { ap in
        b.withUnsafeBytes { bp in
            CRYPTO_memcmp(ap.baseAddress! + aRange.lowerBound, bp.baseAddress! + bRange.lowerBound, aRange.count) == 0
        }
    }
}
