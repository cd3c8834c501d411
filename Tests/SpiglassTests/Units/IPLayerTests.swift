import SpiglassWire
import Testing

@Suite struct IPLayerTests {
    static func parseIP(_ packet: [UInt8], length: Int) -> Result<IPLayer, WireError> {
        var reader = ByteReader(packet, range: 0..<length)
        return IPLayer.parse(&reader)
    }

    /// An IPv6 packet with hop-by-hop and destination options before ESP.
    static func ipv6WithExtensions() -> [UInt8] {
        var p: [UInt8] = [0x60, 0, 0, 0, 0, 0, 0, 64]
        p += IPAddress("2001:db8::1")!.bytes + IPAddress("2001:db8::2")!.bytes
        p += [60, 0, 1, 4, 0, 0, 0, 0]  // hop-by-hop → dest opts, PadN
        p += [50, 1, 1, 12] + [UInt8](repeating: 0, count: 12)  // dest opts (16 bytes) → ESP
        p += [0, 0, 0x10, 0x01, 0, 0, 0, 1] + [UInt8](repeating: 0xaa, count: 24)
        p.setBE16(4, UInt16(p.count - 40))
        return p
    }

    @Test func ipv6ExtensionHeaderChain() throws {
        let p = Self.ipv6WithExtensions()
        let ip = try Self.parseIP(p, length: p.count).get()
        #expect(ip.protocolNumber == IPProtocol.esp)
        #expect(ip.headerEnd == 40 + 8 + 16)
        #expect(ip.protocolFieldOffset == 48)
        let layers = IPsecLayers.classify(ByteReader(p, range: ip.payloadRange), protocolNumber: ip.protocolNumber)
        guard case .esp(let esp, nil) = layers.payload else {
            Issue.record("expected ESP, got \(layers.payload)")
            return
        }
        #expect(esp.spi == 0x1001)
        #expect(esp.sequence == 1)
    }

    /// Every prefix of a valid packet parses or fails with an error; none traps.
    @Test func truncationAtEveryOffsetNeverTraps() {
        let p = Self.ipv6WithExtensions()
        for length in 0..<p.count {
            switch Self.parseIP(p, length: length) {
            case .success(let ip):
                #expect(ip.end <= length)
                _ = IPsecLayers.classify(ByteReader(p, range: ip.payloadRange), protocolNumber: ip.protocolNumber)
            case .failure(let error):
                #expect(error.code == .truncated, "length \(length): \(error)")
            }
        }
    }
}
