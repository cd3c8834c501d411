/// Bounds checks shared by the context wrappers: every range handed to OpenSSL is checked
/// here first, so the pointer arithmetic inside the wrappers cannot leave its array.
@inline(__always)
func checkRange(_ range: Range<Int>, in count: Int, _ what: String) throws {
    guard range.lowerBound >= 0, range.upperBound <= count else {
        throw CryptoError(.invalidLength, "\(what) range \(range) outside buffer of \(count) bytes")
    }
}
