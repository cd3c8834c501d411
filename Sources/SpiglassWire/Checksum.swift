/// The Internet checksum (RFC 1071) of what a decrypted packet carries, summed eight bytes at a
/// time: the release check of every transport-mode packet and IPv6 tunnel packet runs it over
/// the whole payload, on the per-packet path.
public enum InternetChecksum {
    /// The one's-complement sum of `bytes[range]` as big-endian 16-bit words (an odd last
    /// byte padded with zero), added to `initial`, folded to 16 bits. A packet whose checksum
    /// field is included verifies when the result is 0xffff.
    public static func sum(_ bytes: [UInt8], _ range: Range<Int>, initial: UInt32 = 0) -> UInt16 {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count, !range.isEmpty else {
            return fold(UInt64(initial))
        }
        var total: UInt64 = 0
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + range.lowerBound
            let count = range.count
            var offset = 0
            // Native-order 64-bit words: a one's-complement sum commutes with byte swapping,
            // so the words are summed as they lie and the result swapped once at the end.
            var wide: UInt64 = 0
            while offset + 8 <= count {
                let word = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                let (added, carry) = wide.addingReportingOverflow(word)
                wide = added &+ (carry ? 1 : 0)
                offset += 8
            }
            // Fold the native sum to 16 bits; read as big-endian words it is the same sum with
            // its bytes swapped (RFC 1071 2(B)).
            var folded = (wide & 0xffff_ffff) &+ (wide >> 32)
            while folded > 0xffff { folded = (folded & 0xffff) &+ (folded >> 16) }
            total = UInt64(UInt16(bigEndian: UInt16(truncatingIfNeeded: folded)))
            while offset + 1 < count {
                total &+=
                    UInt64(base.load(fromByteOffset: offset, as: UInt8.self)) << 8
                    | UInt64(base.load(fromByteOffset: offset + 1, as: UInt8.self))
                offset += 2
            }
            if offset < count { total &+= UInt64(base.load(fromByteOffset: offset, as: UInt8.self)) << 8 }
        }
        return fold(total &+ UInt64(initial))
    }

    /// The pseudo-header sum (RFC 768, RFC 793; RFC 8200 8.1 for IPv6) of a TCP, UDP or ICMPv6
    /// segment of `length` bytes between two addresses.
    public static func pseudoHeader(source: IPAddress, destination: IPAddress, protocolNumber: UInt8, length: Int)
        -> UInt32
    {
        // From the values, not `bytes`: no array per packet.
        func words(_ address: IPAddress) -> UInt32 {
            switch address {
            case .v4(let a): return (a >> 16) &+ (a & 0xffff)
            case .v6(let hi, let lo): return quarters(hi) &+ quarters(lo)
            }
        }
        func quarters(_ value: UInt64) -> UInt32 {
            UInt32(truncatingIfNeeded: value >> 48) &+ UInt32(truncatingIfNeeded: (value >> 32) & 0xffff)
                &+ UInt32(truncatingIfNeeded: (value >> 16) & 0xffff) &+ UInt32(truncatingIfNeeded: value & 0xffff)
        }
        var sum = words(source) &+ words(destination)
        sum &+= UInt32(protocolNumber)
        sum &+= UInt32(truncatingIfNeeded: length >> 16) &+ UInt32(truncatingIfNeeded: length & 0xffff)
        return sum
    }

    private static func fold(_ value: UInt64) -> UInt16 {
        var sum = value
        while sum > 0xffff { sum = (sum & 0xffff) &+ (sum >> 16) }
        return UInt16(sum)
    }
}
