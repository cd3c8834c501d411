import Foundation
import SpiglassCapture
import SpiglassWire
import Testing

@testable import SpiglassAnalysis

/// `PlainESPFrame` routes a parallel run's frames by an SPI read at fixed offsets: wherever it
/// gives an SPI, the full dissection must find that same SPI as the frame's outermost, with no
/// AH, no fragment and no IKE, on every fixture frame and on every cut of them.
@Suite struct PlainESPFrameTests {
    static let ethernet = PlainESPFrame.layout(.ethernet)!

    /// The outermost ESP SPI as the full dissection finds it (the way `FrameRouter.route` does),
    /// or nil when the frame is anything else.
    static func dissectedSPI(_ frame: [UInt8], length: Int, link type: LinkType = .ethernet) -> SPI? {
        var reader = ByteReader(frame, range: 0..<length)
        guard case .success(let link) = LinkDecoder.decode(&reader, as: type),
            case .success(let ip) = IPLayer.parse(&reader, announcedVersion: link.announcedVersion),
            ip.fragment == nil
        else { return nil }
        let layers = IPsecLayers.classify(ByteReader(frame, range: ip.payloadRange), protocolNumber: ip.protocolNumber)
        guard layers.ah.isEmpty, case .esp(let esp, _) = layers.payload else { return nil }
        return esp.spi
    }

    static func expectAgrees(
        _ frame: [UInt8], length: Int, link: LinkType = .ethernet, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let layout = PlainESPFrame.layout(link), let plain = PlainESPFrame(frame, length: length, layout: layout)
        else { return }
        #expect(
            dissectedSPI(frame, length: length, link: link) == plain.spi, "\(link): \(length) of \(frame.count) bytes",
            sourceLocation: sourceLocation)
    }

    @Test func everyFixtureFrameAndEveryCutOfItAgrees() throws {
        var fast: [LinkType: Int] = [:]
        var checked = 0
        for (capture, _) in AnalyzerRobustnessTests.captures + ParallelAnalysisTests.fixtures {
            let reader = try CaptureReader(path: Paths.fixture(capture))
            guard let link = LinkType(dlt: reader.linkType), let layout = PlainESPFrame.layout(link) else { continue }
            while case .packet(let header) = reader.next() {
                let frame = Array(reader.buffer.prefix(header.capturedLength))
                checked += 1
                if PlainESPFrame(frame, length: frame.count, layout: layout) != nil { fast[link, default: 0] += 1 }
                for length in 0...frame.count { Self.expectAgrees(frame, length: length, link: link) }
            }
        }
        // The fixtures do take the short way (ESP and ESP in UDP), and not every frame does.
        let total = fast.values.reduce(0, +)
        #expect(total > 100 && total < checked, "\(total) of \(checked) frames")
        #expect((fast[.ethernet] ?? 0) > 100, "\(fast)")
    }

    /// The same frame behind each link header with a fixed length.
    @Test func everyFixedLinkHeaderIsFound() {
        let esp: [UInt8] = [0xc0, 0x01, 0x02, 0x03, 0, 0, 0, 1] + [UInt8](repeating: 7, count: 40)
        let ip = Array(Self.frame(proto: 50, payload: esp).dropFirst(14))
        var sll = [UInt8](repeating: 0, count: 16)
        sll[14] = 0x08
        var sll2 = [UInt8](repeating: 0, count: 20)
        sll2[0] = 0x08
        for (link, frame) in [(LinkType.raw, ip), (.rawIPv4, ip), (.linuxSLL, sll + ip), (.linuxSLL2, sll2 + ip)] {
            let layout = PlainESPFrame.layout(link)!
            #expect(PlainESPFrame(frame, length: frame.count, layout: layout)?.spi == SPI(0xc001_0203), "\(link)")
            for length in 0...frame.count { Self.expectAgrees(frame, length: length, link: link) }
        }
        #expect(PlainESPFrame.layout(.rawIPv6) == nil && PlainESPFrame.layout(.null) == nil)
    }

    /// An Ethernet + IPv4 frame carrying `payload` as protocol `proto`.
    static func frame(proto: UInt8, payload: [UInt8], flags: UInt8 = 0, firstByte: UInt8 = 0x45) -> [UInt8] {
        let total = 20 + payload.count
        var bytes = [UInt8](repeating: 0, count: 12) + [0x08, 0x00]
        bytes += [firstByte, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, flags, 0, 64, proto, 0, 0]
        bytes += [10, 0, 0, 1, 10, 0, 0, 2]
        return bytes + payload
    }

    /// A UDP datagram from port 1234 to `port`.
    static func udp(_ port: UInt16, _ payload: [UInt8]) -> [UInt8] {
        let length = 8 + payload.count
        return [0x04, 0xd2, UInt8(port >> 8), UInt8(port & 0xff), UInt8(length >> 8), UInt8(length & 0xff), 0, 0]
            + payload
    }

    @Test func espAndESPInUDPGiveTheirSPI() {
        let esp: [UInt8] = [0xc0, 0x01, 0x02, 0x03, 0, 0, 0, 1] + [UInt8](repeating: 7, count: 40)
        let direct = Self.frame(proto: 50, payload: esp)
        #expect(PlainESPFrame(direct, length: direct.count, layout: Self.ethernet)?.spi == SPI(0xc001_0203))
        let inUDP = Self.frame(proto: 17, payload: Self.udp(4500, esp))
        #expect(PlainESPFrame(inUDP, length: inUDP.count, layout: Self.ethernet)?.spi == SPI(0xc001_0203))
        for frame in [direct, inUDP] { Self.expectAgrees(frame, length: frame.count) }
    }

    @Test func anythingElseTakesTheLongWay() {
        let esp: [UInt8] = [0xc0, 0x01, 0x02, 0x03, 0, 0, 0, 1] + [UInt8](repeating: 7, count: 40)
        let ike = [0, 0, 0, 0] + [UInt8](repeating: 1, count: 40)
        let cases: [(String, [UInt8])] = [
            ("non-ESP marker (IKE on 4500)", Self.frame(proto: 17, payload: Self.udp(4500, ike))),
            ("NAT keepalive", Self.frame(proto: 17, payload: Self.udp(4500, [0xff]))),
            ("UDP on another port", Self.frame(proto: 17, payload: Self.udp(4501, esp))),
            ("more fragments", Self.frame(proto: 50, payload: esp, flags: 0x20)),
            ("fragment offset", Self.frame(proto: 50, payload: esp, flags: 0x01)),
            ("IPv4 options", Self.frame(proto: 50, payload: [1, 1, 1, 0] + esp, firstByte: 0x46)),
            ("AH", Self.frame(proto: 51, payload: esp)),
            ("ESP cut short", Self.frame(proto: 50, payload: Array(esp.prefix(7)))),
        ]
        for (name, frame) in cases {
            #expect(PlainESPFrame(frame, length: frame.count, layout: Self.ethernet) == nil, "\(name)")
        }
        // A VLAN tag: EtherType 0x8100.
        var tagged = Self.frame(proto: 50, payload: esp)
        tagged[12] = 0x81
        #expect(PlainESPFrame(tagged, length: tagged.count, layout: Self.ethernet) == nil)
    }
}
