import Foundation
import SpiglassCrypto
import SpiglassESP
import SpiglassSAD
import Testing

/// `randomBytes`: OpenSSL's generator.
@Suite struct RandomBytesTests {
    @Test func randomBytesLooksRandom() {
        #expect(randomBytes(0).isEmpty)
        let a = randomBytes(32)
        let b = randomBytes(32)
        #expect(a.count == 32 && a != b && a != [UInt8](repeating: 0, count: 32))
    }
}
