import SpiglassWire
import Testing

/// `--keep-outer`'s header fix: the protocol names the payload, the lengths count it, a
/// reassembled datagram's fragment fields go (DF stays), the IPv4 checksum is right again,
/// and IPv6 names the payload in its last extension header.
@Suite struct OuterFrameTests {
    static let inner: [UInt8] = [0x45, 0, 0, 20, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]

    static func parse(_ bytes: [UInt8], at offset: Int = 0) throws -> IPLayer {
        var reader = ByteReader(bytes, range: offset..<bytes.count)
        return try IPLayer.parse(&reader).get()
    }

    @Test func ipv4WithOptionsAndFragmentFields() throws {
        // 24-byte header (one NOP option word), DF and MF set, ESP (50), then 12 bytes of ESP.
        var outer: [UInt8] = [
            0x46, 0, 0, 36, 0x12, 0x34, 0x60, 0x00, 64, 50, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, 1, 1, 1, 1,
        ]
        outer += Array(repeating: 0xee, count: 12)
        outer.setBE16(10, internetChecksum(outer, 0..<24))
        let ip = try Self.parse(outer)
        let link: [UInt8] = Array(repeating: 0xaa, count: 14)
        var out: [UInt8] = [0xff]
        let done = OuterFrame.append(
            link: link, header: outer, ip: ip, protocolNumber: 4, payload: Self.inner, payloadRange: 0..<20, to: &out)
        #expect(done)
        #expect(out.count == 1 + 14 + 24 + 20)
        #expect(Array(out[1..<15]) == link)
        let header = Array(out[15..<39])
        #expect(header[9] == 4 && header.be16(2) == 44)
        #expect(header[6] == 0x40 && header[7] == 0)
        #expect(internetChecksum(header, 0..<24) == 0)
        #expect(Array(out[39...]) == Self.inner)
        #expect(Array(header[20..<24]) == [1, 1, 1, 1])
    }

    @Test func ipv6NamesThePayloadInItsLastExtensionHeader() throws {
        // IPv6, a destination-options header (8 bytes) naming ESP, then 8 bytes of ESP.
        var outer: [UInt8] = [0x60, 0, 0, 0, 0, 16, 60, 64] + Array(repeating: 0x20, count: 32)
        outer += [50, 0, 1, 4, 0, 0, 0, 0] + Array(repeating: 0xee, count: 8)
        let ip = try Self.parse(outer)
        var out: [UInt8] = []
        #expect(
            OuterFrame.append(
                link: [], header: outer, ip: ip, protocolNumber: 4, payload: Self.inner, payloadRange: 0..<20, to: &out)
        )
        #expect(out.count == 48 + 20)
        #expect(out.be16(4) == 28 && out[6] == 60 && out[40] == 4)
        #expect(OuterFrame.tunnelProtocol(Self.inner, range: 0..<20) == 4)
        #expect(OuterFrame.tunnelProtocol([0x60], range: 0..<1) == 41)
        #expect(OuterFrame.tunnelProtocol([0x50], range: 0..<1) == nil)
    }

    @Test func tooLongForTheLengthFieldsIsRefused() throws {
        var outer: [UInt8] = [0x45, 0, 0, 28, 0, 0, 0, 0, 64, 50, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
        outer += Array(repeating: 0, count: 8)
        let ip = try Self.parse(outer)
        let payload = Array(repeating: UInt8(0x45), count: 65_520)
        var out: [UInt8] = [1, 2]
        #expect(
            !OuterFrame.append(
                link: [], header: outer, ip: ip, protocolNumber: 4, payload: payload, payloadRange: 0..<payload.count,
                to: &out))
        #expect(out == [1, 2])
    }
}
