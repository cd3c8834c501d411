import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire
import Testing

/// RFC 8229 streams built from the spec: "IKETCP", length-prefixed IKE (after the non-ESP
/// marker) and ESP messages, cut across TCP segments, retransmitted and reordered.
@Suite struct TCPEncapsulationTests {
    static let sa = SecurityAssociation(
        spi: 0x7001, encryption: .aesGCM(icvLength: 16),
        encryptionKey: (0..<20).map { UInt8($0) })

    static func ipv4TCP(sequence: UInt32, flags: UInt8, payload: [UInt8]) -> [UInt8] {
        var ip: [UInt8] = [0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]
        var tcp: [UInt8] = [0xc3, 0x50, 0x11, 0x94, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]
        tcp.setBE32(4, sequence)
        ip.setBE16(2, UInt16(20 + 20 + payload.count))
        ip.setBE16(10, internetChecksum(ip, 0..<20))
        return ip + tcp + payload
    }

    static func innerUDP(_ n: Int) -> [UInt8] {
        var p: [UInt8] = [0x45, 0, 0, 0, 0, UInt8(n), 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        let udp: [UInt8] = [0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0, UInt8(n), 1, 2, 3]
        p.setBE16(2, UInt16(20 + udp.count))
        p.setBE16(10, internetChecksum(p, 0..<20))
        return p + udp
    }

    static func framed(_ body: [UInt8]) -> [UInt8] {
        var length: [UInt8] = [0, 0]
        length.setBE16(0, UInt16(body.count + 2))
        return length + body
    }

    @Test func messagesAcrossSegmentsRetransmissionsAndReordering() throws {
        let builder = try ESPPacketBuilder(sa: Self.sa)
        var esp: [[UInt8]] = []
        for n in 1...5 {
            esp.append(try builder.build(spi: 0x7001, sequence: UInt64(n), payload: Self.innerUDP(n), nextHeader: 4))
        }
        // An IKEv2 INFORMATIONAL header (28 bytes) with no payloads.
        var ike = [UInt8](repeating: 0, count: 28)
        ike[0] = 0x11
        ike[8] = 0x22
        ike[16] = 0
        ike[17] = 0x20
        ike[18] = 37
        ike[19] = 0x08
        ike.setBE32(24, 28)
        let ikeMessage = Self.framed([0, 0, 0, 0] + ike)
        let m = esp.map(Self.framed)
        let isn: UInt32 = 1000
        var stream = Array("IKETCP".utf8) + ikeMessage
        let firstCut = stream.count + m[0].count / 2
        stream += m[0] + m[1] + m[2]
        let segment2 = Array(stream[0..<firstCut])
        let segment3 = Array(stream[firstCut...])
        let offset4 = UInt32(stream.count)
        let segment5 = m[4]
        let segment6 = m[3]
        let frames: [[UInt8]] = [
            Self.ipv4TCP(sequence: isn, flags: 0x02, payload: []),  // SYN
            Self.ipv4TCP(sequence: isn + 1, flags: 0x18, payload: segment2),  // prefix, IKE, half ESP 1
            Self.ipv4TCP(sequence: isn + 1 + UInt32(firstCut), flags: 0x18, payload: segment3),  // rest of 1, 2, 3
            Self.ipv4TCP(sequence: isn + 1 + UInt32(firstCut), flags: 0x18, payload: segment3),  // retransmission
            // 5, early
            Self.ipv4TCP(sequence: isn + 1 + offset4 + UInt32(segment6.count), flags: 0x18, payload: segment5),
            Self.ipv4TCP(sequence: isn + 1 + offset4, flags: 0x18, payload: segment6),  // 4, fills the gap
        ]
        let path = NSTemporaryDirectory() + "spiglass-tcp-\(getpid()).pcap"
        let keys = NSTemporaryDirectory() + "spiglass-tcp-\(getpid()).keys"
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: keys)
        }
        do {
            let writer = try PcapWriter(path: path)
            for (i, frame) in frames.enumerated() {
                writer.write(
                    frame, range: 0..<frame.count, timestamp: Timestamp(seconds: 1_700_000_000, microseconds: Int32(i)))
            }
        }
        try (KeyFileWriter.nativeLine(Self.sa) + "\n").write(toFile: keys, atomically: true, encoding: .utf8)
        let result = try analyze(path, keys: [keys])
        let summary = result.frames.map { r -> String in
            "\(r.record.frame):\(r.record.tcpMessage ?? 0):\(r.record.verdict.rawValue)"
        }
        #expect(
            summary == [
                "1:0:tcp-segment", "2:1:ike", "3:1:decrypted", "3:2:decrypted", "3:3:decrypted",
                "4:0:tcp-segment", "5:0:tcp-segment", "6:1:decrypted", "6:2:decrypted",
            ])
        let decrypted = result.frames.filter { $0.record.verdict == .decrypted }
        #expect(decrypted.map { $0.record.esp.first?.sequence } == [1, 2, 3, 4, 5])
        #expect(decrypted.map(\.inner) == (1...5).map(Self.innerUDP))
        #expect(result.frames[1].record.ike?.exchangeName == "INFORMATIONAL")
        #expect(result.summary.frames == 6)
    }

    @Test(.seeded(7)) func streamOutOfStepResynchronisesWithoutTrapping() {
        let streams = TCPEncapsulation()
        let key = TCPEncapsulation.ConnectionKey(
            source: IPAddress("192.0.2.1")!, sourcePort: 1, destination: IPAddress("192.0.2.2")!, destinationPort: 4500)
        var generator = TestSeed.current.generator
        var sequence: UInt32 = 1
        for _ in 0..<2000 {
            let count = Int(generator.next() % 300)
            let payload = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let frame = Self.ipv4TCP(sequence: sequence, flags: 0x18, payload: payload)
            var reader = ByteReader(frame, range: 20..<frame.count)
            guard case .success(let segment) = TCPEncapsulation.segment(&reader) else { continue }
            _ = streams.add(frame, segment: segment, key: key)
            sequence &+= UInt32(count)
            if generator.next() % 10 == 0 { sequence &+= UInt32(generator.next() % 5000) }
        }
        #expect(!streams.takeProblems().isEmpty)
    }
}

/// The connection table evicts the least recently used connection from the head of a queue of
/// uses (no scan of the table), and stays small however many segments go by; a segment's
/// problems are typed.
extension TCPEncapsulationTests {
    static func segment(port: UInt16, payload: [UInt8]) -> [UInt8] {
        var tcp = [UInt8](repeating: 0, count: 20)
        tcp.setBE16(0, port)
        tcp.setBE16(2, 4500)
        tcp[12] = 0x50
        return tcp + payload
    }

    @Test func leastRecentlyUsedGoesFirst() throws {
        var limits = TCPEncapsulation.Limits()
        limits.maxConnections = 2
        let streams = TCPEncapsulation(limits: limits)
        func feed(_ port: UInt16) {
            let bytes = Self.segment(port: port, payload: [0, 0, 0, 1])
            var reader = ByteReader(bytes)
            guard case .success(let segment) = TCPEncapsulation.segment(&reader) else {
                Issue.record("a 20-byte TCP header should parse")
                return
            }
            let key = TCPEncapsulation.ConnectionKey(
                source: .v4(1), sourcePort: port, destination: .v4(2), destinationPort: 4500)
            _ = streams.add(bytes, segment: segment, key: key)
        }
        feed(1)
        feed(2)
        feed(1)  // 2 is now the least recently used
        for _ in 0..<10_000 { feed(1) }
        feed(3)  // evicts 2, not 1
        _ = streams.takeProblems()
        feed(1)
        #expect(streams.takeProblems().isEmpty, "connection 1 is still there")
        feed(2)
        #expect(
            streams.takeProblems().contains { $0.contains("dropped the least recently used") },
            "2 had gone and evicts 3")
    }

    @Test func tcpSegmentProblemsAreTyped() {
        var header: [UInt8] =
            [0x11, 0x94, 0x11, 0x94, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0, 0, 0, 0, 0, 0] + [1, 2, 3]
        for end in 0..<20 {
            var reader = ByteReader(header, range: 0..<end)
            guard case .failure(let error) = TCPEncapsulation.segment(&reader) else {
                Issue.record("\(end) bytes should not parse")
                continue
            }
            #expect(error.code == .truncated)
        }
        var reader = ByteReader(header)
        let segment = try? TCPEncapsulation.segment(&reader).get()
        #expect(segment?.payload == 20..<23 && segment?.syn == true && segment?.sourcePort == 4500)
        header[12] = 0x40
        reader = ByteReader(header)
        guard case .failure(let error) = TCPEncapsulation.segment(&reader) else {
            Issue.record("a 16-byte data offset should not parse")
            return
        }
        #expect(error.code == .badHeaderLength)
    }
}
