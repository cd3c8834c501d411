import Foundation
import SpiglassCrypto
import SpiglassESP
import SpiglassSAD
import Testing

/// `HMACContext`: any key length, ranges outside the buffers, one context reused for many packets.
@Suite struct HMACContextTests: CryptoWrapperChecks {
    @Test func hmacAcceptsAnyKeyLength() throws {
        // HMAC has no wrong key length (RFC 2104 hashes long keys, pads short ones); empty works.
        let empty = try HMACContext(.sha256, key: [])
        var out = [UInt8](repeating: 0, count: 32)
        try empty.compute(data: [], range: 0..<0, truncatedTo: 32, output: &out, outputOffset: 0)
        // HMAC-SHA256 with empty key and message (well-known value).
        #expect(hex(out) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
        for n in [1, 64, 65, 200] {
            #expect(code { _ = try HMACContext(.sha512, key: bytes(n)) } == nil)
        }
    }

    @Test func hmacRanges() throws {
        let mac = try HMACContext(.sha1, key: bytes(20))
        let data = bytes(50)
        var out = [UInt8](repeating: 0, count: 20)
        #expect(
            code { try mac.compute(data: data, range: 0..<50, truncatedTo: 21, output: &out, outputOffset: 0) }
                == .invalidLength)
        #expect(
            code { try mac.compute(data: data, range: 0..<51, truncatedTo: 12, output: &out, outputOffset: 0) }
                == .invalidLength)
        #expect(
            code { try mac.compute(data: data, range: -1..<10, truncatedTo: 12, output: &out, outputOffset: 0) }
                == .invalidLength)
        #expect(
            code {
                try mac.compute(
                    data: data, range: 0..<50, trailer: [1, 2, 3], trailerRange: 0..<4, truncatedTo: 12, output: &out,
                    outputOffset: 0)
            } == .invalidLength)
        #expect(
            code { try mac.compute(data: data, range: 0..<50, truncatedTo: 12, output: &out, outputOffset: 9) }
                == .invalidLength)
        #expect(
            code { try mac.compute(data: data, range: 0..<50, truncatedTo: 12, output: &out, outputOffset: 8) } == nil)
        #expect(
            code { try mac.compute(data: data, range: 0..<50, truncatedTo: 0, output: &out, outputOffset: 20) } == nil)
        var icv = [UInt8](repeating: 0, count: 12)
        try mac.compute(data: data, range: 0..<50, truncatedTo: 12, output: &icv, outputOffset: 0)
        #expect(
            code { _ = try mac.verify(data: data, range: 0..<50, expected: icv, expectedRange: 0..<13) }
                == .invalidLength)
        #expect(
            code { _ = try mac.verify(data: data, range: 40..<51, expected: icv, expectedRange: 0..<12) }
                == .invalidLength)
        #expect(
            code {
                _ = try mac.verify(
                    data: data, range: 0..<50, trailer: [], trailerRange: 0..<1, expected: icv, expectedRange: 0..<12)
            } == .invalidLength)
        // Longer than the digest can never match: false, not an error.
        let long = [UInt8](repeating: 0, count: 21)
        #expect(try mac.verify(data: data, range: 0..<50, expected: long, expectedRange: 0..<21) == false)
        #expect(try mac.verify(data: data, range: 0..<50, expected: icv, expectedRange: 0..<12))
        #expect(try mac.verify(data: data, range: 0..<50, expected: icv, expectedRange: 0..<4))
        // Sub-ranges: the MAC of data[10..<30] equals the MAC of a copy of those bytes.
        var a = [UInt8](repeating: 0, count: 20)
        var b = [UInt8](repeating: 0, count: 20)
        try mac.compute(data: data, range: 10..<30, truncatedTo: 20, output: &a, outputOffset: 0)
        try mac.compute(data: Array(data[10..<30]), range: 0..<20, truncatedTo: 20, output: &b, outputOffset: 0)
        #expect(a == b)
    }

    @Test(.seeded(0x3ac_5eed), arguments: [HashFunction.md5, .sha1, .sha256, .sha384, .sha512])
    func hmacContextReuse(_ hash: HashFunction) throws {
        var random = TestSeed.current.generator
        let key = random.bytes(32)
        let reused = try HMACContext(hash, key: key)
        var failures = 0
        for n in 0..<Self.reuseCount {
            let data = random.bytes(n % 200)
            let trailer = random.bytes(4)
            let trailerRange = n % 2 == 0 ? 0..<4 : 0..<0
            var reference = [UInt8](repeating: 0, count: hash.digestLength)
            try HMACContext(hash, key: key).compute(
                data: data, range: 0..<data.count, trailer: trailer, trailerRange: trailerRange,
                truncatedTo: hash.digestLength, output: &reference, outputOffset: 0)
            var mine = [UInt8](repeating: 0, count: hash.digestLength)
            try reused.compute(
                data: data, range: 0..<data.count, trailer: trailer, trailerRange: trailerRange,
                truncatedTo: hash.digestLength, output: &mine, outputOffset: 0)
            let good = try reused.verify(
                data: data, range: 0..<data.count, trailer: trailer, trailerRange: trailerRange,
                expected: reference, expectedRange: 0..<(hash.digestLength / 2))
            var wrong = reference
            wrong[n % (hash.digestLength / 2)] ^= 0x40
            let bad = try reused.verify(
                data: data, range: 0..<data.count, trailer: trailer, trailerRange: trailerRange,
                expected: wrong, expectedRange: 0..<(hash.digestLength / 2))
            if mine != reference || !good || bad { failures += 1 }
        }
        #expect(failures == 0, "\(hash): \(failures) of \(Self.reuseCount) wrong")
    }
}
