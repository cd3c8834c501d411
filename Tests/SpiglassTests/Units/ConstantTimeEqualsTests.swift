import Foundation
import SpiglassCrypto
import SpiglassESP
import SpiglassSAD
import Testing

/// `constantTimeEquals`: the comparison every ICV check uses.
@Suite struct ConstantTimeEqualsTests {
    @Test func constantTimeEqualsSemantics() {
        let a: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let b: [UInt8] = [0, 0, 1, 2, 3, 4, 5, 6, 7, 8]
        #expect(constantTimeEquals(a, 0..<8, a, 0..<8))
        #expect(constantTimeEquals(a, 0..<8, b, 2..<10))
        #expect(constantTimeEquals(a, 2..<5, b, 4..<7))
        #expect(!constantTimeEquals(a, 0..<8, b, 0..<8))
        // Different lengths never match, even as a prefix.
        #expect(!constantTimeEquals(a, 0..<7, a, 0..<8))
        #expect(!constantTimeEquals(a, 0..<8, b, 2..<9))
        // Empty ranges are equal, wherever they are (within bounds).
        #expect(constantTimeEquals(a, 0..<0, b, 10..<10))
        #expect(constantTimeEquals([], 0..<0, [], 0..<0))
        // Out-of-bounds ranges are false, not a crash.
        #expect(!constantTimeEquals(a, 0..<9, b, 0..<9))
        #expect(!constantTimeEquals(a, 1..<9, a, 0..<8))
        #expect(!constantTimeEquals(a, -1..<7, a, 0..<8))
        #expect(!constantTimeEquals(a, 0..<8, b, 3..<11))
        #expect(!constantTimeEquals(a, 9..<9, a, 0..<0))
        // Any single differing bit in any position is detected.
        for i in 0..<a.count {
            for bit in 0..<8 {
                var c = a
                c[i] ^= UInt8(1 << bit)
                #expect(!constantTimeEquals(a, 0..<8, c, 0..<8), "byte \(i) bit \(bit)")
            }
        }
    }
}
