/// AES-XCBC-MAC (RFC 3566), the one construction OpenSSL 3 lacks, written here on top of an
/// AES-128-ECB `CipherContext`.
///
/// Keys K1, K2 and K3 are derived once per SA (K1 = E(K, 0x01…), K2 = E(K, 0x02…),
/// K3 = E(K, 0x03…)); K1 keys one ECB context that is reused for every packet. Per message:
/// CBC-MAC under K1 over every block but the last; the last block is XORed with K2 when it is
/// complete, or padded with 0x80 00… and XORed with K3 when it is not (an empty message is one
/// incomplete block). AES-XCBC-MAC-96 (ESP/AH, RFC 3566 section 3) keeps the first 12 bytes.
public final class XCBCContext: TruncatedMAC {
    public static let keyLength = 16
    public static let macLength = 16

    private let cipher: CipherContext
    // Derived keys and MAC state: wiped in deinit (each array is owned by this object alone).
    private var k2: [UInt8]
    private var k3: [UInt8]
    /// Chaining value E[i], then the full MAC.
    private var state = [UInt8](repeating: 0, count: 16)
    /// E[i-1] XOR M[i], the next block to encrypt.
    private var block = [UInt8](repeating: 0, count: 16)

    /// `key` is read in place when contiguous (`[UInt8]`, `SecretBytes`, their slices).
    public init(key: some Collection<UInt8>) throws {
        guard key.count == Self.keyLength else {
            throw CryptoError(.invalidKeyLength, "AES-XCBC-MAC needs a 16-byte key, got \(key.count)")
        }
        let derive = try CipherContext(.aesECB(keyBytes: 16), key: key, encrypt: true)
        var constants = [UInt8](repeating: 0x01, count: 16) + [UInt8](repeating: 0x02, count: 16)
        constants += [UInt8](repeating: 0x03, count: 16)
        var derived = [UInt8](repeating: 0, count: 48)
        defer { cleanse(&derived) }
        _ = try derive.run(
            iv: [], ivRange: 0..<0, input: constants, inputRange: 0..<48, output: &derived, outputOffset: 0)
        cipher = try CipherContext(.aesECB(keyBytes: 16), key: derived[0..<16], encrypt: true)
        k2 = Array(derived[16..<32])
        k3 = Array(derived[32..<48])
    }

    deinit {
        cleanse(&k2)
        cleanse(&k3)
        cleanse(&state)
        cleanse(&block)
    }

    /// The MAC of `data[range]` followed by `trailer[trailerRange]` (ESN high bits) into `state`.
    private func mac(data: [UInt8], range: Range<Int>, trailer: [UInt8], trailerRange: Range<Int>) throws {
        try checkRange(range, in: data.count, "data")
        try checkRange(trailerRange, in: trailer.count, "trailer")
        let first = range.count
        let total = first + trailerRange.count
        // Byte i of the message, which spans the two segments.
        @inline(__always) func byte(_ i: Int) -> UInt8 {
            i < first ? data[range.lowerBound + i] : trailer[trailerRange.lowerBound + i - first]
        }
        for i in 0..<16 { state[i] = 0 }
        // Every block before the last one (the last holds 1...16 bytes; none if empty).
        let leading = total == 0 ? 0 : (total - 1) / 16 * 16
        var offset = 0
        while offset < leading {
            if offset + 16 <= first {
                let base = range.lowerBound + offset
                for i in 0..<16 { block[i] = state[i] ^ data[base + i] }
            } else {
                for i in 0..<16 { block[i] = state[i] ^ byte(offset + i) }
            }
            try cipher.encryptBlock(block, at: 0, into: &state, at: 0)
            offset += 16
        }
        let last = total - leading
        if last == 16 {
            for i in 0..<16 { block[i] = state[i] ^ byte(leading + i) ^ k2[i] }
        } else {
            for i in 0..<16 {
                let m: UInt8 = i < last ? byte(leading + i) : (i == last ? 0x80 : 0)
                block[i] = state[i] ^ m ^ k3[i]
            }
        }
        try cipher.encryptBlock(block, at: 0, into: &state, at: 0)
    }

    public var fullLength: Int { Self.macLength }

    public func fullMAC(data: [UInt8], range: Range<Int>, trailer: [UInt8], trailerRange: Range<Int>) throws -> [UInt8]
    {
        try checkRange(range, in: data.count, "data")
        try checkRange(trailerRange, in: trailer.count, "trailer")
        try mac(data: data, range: range, trailer: trailer, trailerRange: trailerRange)
        return state
    }
}
