import SpiglassWire
import Testing

@Suite struct IPsecLayersTests {
    @Test func udpEncapsulationRules() {
        func udp(_ payload: [UInt8], sport: UInt16 = 4500, dport: UInt16 = 4500) -> [UInt8] {
            var p: [UInt8] = [
                UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff), 0, 0, 0, 0,
            ]
            p.setBE16(4, UInt16(8 + payload.count))
            return p + payload
        }
        let keepalive = udp([0xff])
        #expect(
            IPsecLayers.classifyPayload(ByteReader(keepalive), protocolNumber: 17)
                == .natKeepalive(udpPorts: (4500, 4500)))
        var ike =
            [UInt8](repeating: 0, count: 4) + [UInt8](repeating: 1, count: 16) + [
                33, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 28,
            ]
        ike = udp(ike)
        guard case .ike(let header, _, true) = IPsecLayers.classifyPayload(ByteReader(ike), protocolNumber: 17) else {
            Issue.record("expected IKE with marker")
            return
        }
        #expect(header.exchangeName == "IKE_SA_INIT")
        #expect(header.isIKEv2)
        let esp = udp([0, 0, 0, 9, 0, 0, 0, 1, 5, 5])
        guard case .esp(let e, let ports) = IPsecLayers.classifyPayload(ByteReader(esp), protocolNumber: 17) else {
            Issue.record("expected ESP")
            return
        }
        #expect(e.spi == 9)
        #expect(ports?.destination == 4500)
        let short = udp([0, 0, 0])
        guard case .malformed = IPsecLayers.classifyPayload(ByteReader(short), protocolNumber: 17) else {
            Issue.record("expected malformed")
            return
        }
        let dns = udp([1, 2, 3], sport: 53, dport: 53)
        guard case .other(17, _) = IPsecLayers.classifyPayload(ByteReader(dns), protocolNumber: 17) else {
            Issue.record("expected other")
            return
        }
    }
}
