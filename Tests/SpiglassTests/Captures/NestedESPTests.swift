import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire
import Testing

@testable import SpiglassAnalysis

/// ESP inside a decrypted tunnel packet, carried directly or in UDP on the NAT-traversal port
/// (RFC 3948), is decrypted too, whether or not anything reports the inner packet: under -q
/// the inner IP header is parsed only when it may carry ESP, and that test must not miss one.
@Suite struct NestedESPTests {
    static let outerSA = sa(0x0a00_0001, key: 1)
    static let innerSA = sa(0x0b00_0002, key: 2)

    static func sa(_ spi: SPI, key: UInt8) -> SecurityAssociation {
        SecurityAssociation(
            spi: spi, encryption: .null, encryptionKey: [], integrity: .hmacSHA1_96,
            integrityKey: (0..<20).map { UInt8(truncatingIfNeeded: Int($0) &+ Int(key)) })
    }

    static func ipv4(_ proto: UInt8, _ payload: [UInt8], host: UInt8) -> [UInt8] {
        var id: UInt16 = 1
        return GeneratedCapture.ipv4([10, 0, 0, host], [10, 0, 0, host &+ 1], protocol: proto, payload, id: &id)
    }

    /// A UDP header (checksum 0: none, as IPv4 allows) and `payload`.
    static func udp(_ source: UInt16, _ destination: UInt16, _ payload: [UInt8]) -> [UInt8] {
        GeneratedCapture.udp(source, destination, payload)
    }

    /// The outer tunnel's frame, whose inner packet carries the inner SA's ESP as `wrap` puts it.
    static func frame(_ wrap: ([UInt8]) -> [UInt8]) throws -> [UInt8] {
        let innermost = ipv4(IPProtocol.udp, udp(1000, 2000, [1, 2, 3, 4]), host: 30)
        let innerESP = try ESPPacketBuilder(sa: innerSA).build(
            spi: innerSA.spi!, sequence: 1, payload: innermost, nextHeader: IPProtocol.ipv4)
        let outerESP = try ESPPacketBuilder(sa: outerSA).build(
            spi: outerSA.spi!, sequence: 1, payload: wrap(innerESP), nextHeader: IPProtocol.ipv4)
        return ipv4(IPProtocol.esp, outerESP, host: 10)
    }

    @Test(arguments: ["esp", "esp-in-udp"], [true, false])
    func theInnerLayerIsDecryptedWhateverIsReported(carrier: String, quiet: Bool) throws {
        let packet = try Self.frame { esp in
            carrier == "esp"
                ? Self.ipv4(IPProtocol.esp, esp, host: 20)
                : Self.ipv4(IPProtocol.udp, Self.udp(IPsecPorts.natTraversal, IPsecPorts.natTraversal, esp), host: 20)
        }
        var options = AnalysisOptions()
        options.quiet = quiet
        let analyzer = try Analyzer(
            sad: SADatabase([Self.outerSA, Self.innerSA]), options: options, output: StringSink())
        analyzer.setLinkType(dlt: 101, name: "raw")
        analyzer.process(
            packet,
            header: PacketHeader(
                timestamp: Timestamp(seconds: 1_700_000_000, microseconds: 0), capturedLength: packet.count,
                originalLength: packet.count))
        analyzer.finish()
        let inner = analyzer.flows.first { $0.key.spi == Self.innerSA.spi }
        #expect(inner?.count(.decrypted) == 1, "\(carrier), quiet \(quiet): \(analyzer.flows.map(\.key))")
        #expect(analyzer.flows.first { $0.key.spi == Self.outerSA.spi }?.count(.decrypted) == 1)
    }
}
