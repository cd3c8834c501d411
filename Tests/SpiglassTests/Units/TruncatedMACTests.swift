import Foundation
import SpiglassCrypto
import SpiglassESP
import SpiglassSAD
import Testing

/// The AES MACs behind `TruncatedMAC` (`XCBCContext`, `CMACContext`): key lengths and ranges.
@Suite struct TruncatedMACTests {
    @Test func macKeyLengthsAndRanges() throws {
        for n in [0, 15, 17, 32] {
            #expect(throws: CryptoError.self) { try XCBCContext(key: [UInt8](repeating: 1, count: n)) }
            #expect(throws: CryptoError.self) { try CMACContext(key: [UInt8](repeating: 1, count: n)) }
        }
        let xcbc = try XCBCContext(key: [UInt8](repeating: 1, count: 16))
        let cmac = try CMACContext(key: [UInt8](repeating: 1, count: 16))
        let data = [UInt8](repeating: 7, count: 40)
        var out = [UInt8](repeating: 0, count: 12)
        // Ranges outside the buffers throw instead of reading past them.
        #expect(throws: CryptoError.self) {
            try xcbc.compute(data: data, range: 30..<41, truncatedTo: 12, output: &out, outputOffset: 0)
        }
        #expect(throws: CryptoError.self) {
            try cmac.compute(data: data, range: -1..<4, truncatedTo: 12, output: &out, outputOffset: 0)
        }
        #expect(throws: CryptoError.self) {
            try xcbc.compute(data: data, range: 0..<4, truncatedTo: 12, output: &out, outputOffset: 1)
        }
        #expect(throws: CryptoError.self) {
            try cmac.compute(data: data, range: 0..<4, truncatedTo: 17, output: &out, outputOffset: 0)
        }
        #expect(throws: CryptoError.self) {
            try xcbc.verify(
                data: data, range: 0..<4, trailer: data, trailerRange: 39..<41, expected: out, expectedRange: 0..<12)
        }
        #expect(throws: CryptoError.self) {
            try cmac.verify(data: data, range: 0..<4, expected: out, expectedRange: 4..<16)
        }
        // An empty expected ICV never verifies.
        #expect(try !xcbc.verify(data: data, range: 0..<4, expected: out, expectedRange: 0..<0))
        #expect(try !cmac.verify(data: data, range: 0..<4, expected: out, expectedRange: 0..<0))
    }
}
