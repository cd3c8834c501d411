import SpiglassCrypto
import Testing

/// What the suites of SpiglassCrypto's wrappers share: the error code a call threw, filler
/// bytes, and how many packets one reused context must handle.
protocol CryptoWrapperChecks {}

extension CryptoWrapperChecks {
    static var reuseCount: Int { 1000 }

    /// Runs `body` and returns the CryptoError code it threw (nil if it did not throw one).
    func code(_ body: () throws -> Void) -> CryptoError.Code? {
        do {
            try body()
            return nil
        } catch let error as CryptoError {
            return error.code
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }

    func bytes(_ n: Int, _ seed: Int = 0) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ seed) } }
}
