import Testing

@testable import SpiglassCapture

/// The timestamp resolution read from a capture file's head: pcap magics in both byte orders,
/// pcapng if_tsresol (decimal and binary, both byte orders, absent, after other blocks), and
/// heads that end early or lie.
@Suite struct CaptureFileResolutionTests {
    static func resolution(_ bytes: [UInt8]) -> TimestampResolution {
        var at = 0
        return CaptureFileResolution.resolution(
            read: { count in
                guard at + count <= bytes.count else { return nil }
                defer { at += count }
                return Array(bytes[at..<at + count])
            },
            skip: { count in
                at += count
                return at <= bytes.count
            })
    }

    static func word(_ value: UInt32, bigEndian: Bool) -> [UInt8] {
        let bytes = [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        return bigEndian ? bytes : bytes.reversed()
    }

    static func half(_ value: UInt16, bigEndian: Bool) -> [UInt8] {
        let bytes = [UInt8(value >> 8), UInt8(value & 0xFF)]
        return bigEndian ? bytes : bytes.reversed()
    }

    static func block(_ type: UInt32, _ body: [UInt8], bigEndian: Bool) -> [UInt8] {
        let length = UInt32(12 + body.count)
        return word(type, bigEndian: bigEndian) + word(length, bigEndian: bigEndian) + body
            + word(length, bigEndian: bigEndian)
    }

    /// A Section Header, the blocks `before`, an Interface Description with `tsresol` (none
    /// when nil) after an if_name, then a packet.
    static func pcapng(tsresol: UInt8?, bigEndian: Bool, before: [[UInt8]] = []) -> [UInt8] {
        let section =
            word(0x1A2B_3C4D, bigEndian: bigEndian) + half(1, bigEndian: bigEndian) + half(0, bigEndian: bigEndian)
            + [UInt8](repeating: 0xFF, count: 8)
        var options = half(2, bigEndian: bigEndian) + half(3, bigEndian: bigEndian) + [0x65, 0x74, 0x30, 0]
        if let tsresol {
            options += half(9, bigEndian: bigEndian) + half(1, bigEndian: bigEndian) + [tsresol, 0, 0, 0]
        }
        options += [0, 0, 0, 0]
        let interface =
            half(1, bigEndian: bigEndian) + half(0, bigEndian: bigEndian) + word(65535, bigEndian: bigEndian)
        return block(0x0A0D_0D0A, section, bigEndian: bigEndian) + before.joined()
            + block(1, interface + options, bigEndian: bigEndian)
            + block(6, [UInt8](repeating: 0, count: 20), bigEndian: bigEndian)
    }

    @Test func pcapMagics() {
        #expect(Self.resolution([0xD4, 0xC3, 0xB2, 0xA1] + [UInt8](repeating: 0, count: 20)) == .microseconds)
        #expect(Self.resolution([0xA1, 0xB2, 0xC3, 0xD4]) == .microseconds)
        #expect(Self.resolution([0x4D, 0x3C, 0xB2, 0xA1] + [UInt8](repeating: 0, count: 20)) == .nanoseconds)
        #expect(Self.resolution([0xA1, 0xB2, 0x3C, 0x4D]) == .nanoseconds)
        #expect(Self.resolution([0x4D, 0x3C]) == .microseconds)
        #expect(Self.resolution([]) == .microseconds)
    }

    @Test(arguments: [false, true])
    func pcapngInterfaceResolutions(_ bigEndian: Bool) {
        #expect(Self.resolution(Self.pcapng(tsresol: 9, bigEndian: bigEndian)) == .nanoseconds)
        #expect(Self.resolution(Self.pcapng(tsresol: 6, bigEndian: bigEndian)) == .microseconds)
        #expect(Self.resolution(Self.pcapng(tsresol: nil, bigEndian: bigEndian)) == .microseconds)
        #expect(Self.resolution(Self.pcapng(tsresol: 0, bigEndian: bigEndian)) == .microseconds)
        #expect(Self.resolution(Self.pcapng(tsresol: 7, bigEndian: bigEndian)) == .nanoseconds)
        // Binary: 2^-20 s is finer than a microsecond, 2^-19 s is not.
        #expect(Self.resolution(Self.pcapng(tsresol: 0x94, bigEndian: bigEndian)) == .nanoseconds)
        #expect(Self.resolution(Self.pcapng(tsresol: 0x93, bigEndian: bigEndian)) == .microseconds)
        // Another block (a Name Resolution Block) before the interface is passed over.
        let names = Self.block(4, [0, 0, 0, 0], bigEndian: bigEndian)
        #expect(Self.resolution(Self.pcapng(tsresol: 9, bigEndian: bigEndian, before: [names])) == .nanoseconds)
        // A packet before the interface ends the head: libpcap reads no such file anyway.
        let packet = Self.block(6, [UInt8](repeating: 0, count: 20), bigEndian: bigEndian)
        #expect(Self.resolution(Self.pcapng(tsresol: 9, bigEndian: bigEndian, before: [packet])) == .microseconds)
    }

    /// Cut anywhere, or with lengths that lie, a head reads as microseconds or as what it
    /// declared before the damage, and never traps.
    @Test func damagedHeads() {
        let whole = Self.pcapng(tsresol: 9, bigEndian: false)
        // The Section Header is 28 bytes, the Interface Description 40: read whole at 68.
        for cut in 0..<whole.count {
            #expect(
                Self.resolution(Array(whole[0..<cut])) == (cut >= 68 ? .nanoseconds : .microseconds), "cut at \(cut)")
        }
        var lying = whole
        lying[4] = 0xFF
        lying[5] = 0xFF
        lying[6] = 0xFF
        lying[7] = 0x7F
        #expect(Self.resolution(lying) == .microseconds)
        var odd = whole
        odd[4] = 13
        #expect(Self.resolution(odd) == .microseconds)
    }
}
