import SpiglassAnalysis
import SpiglassCapture
import Testing

/// Every frame of the fixtures, cut at every length, goes through the whole pipeline with the
/// right keys: nothing traps, and nothing is released from a frame cut short of its ESP.
@Suite struct AnalyzerRobustnessTests {
    static let captures = [
        ("strongswan/aes128cbc-sha256-v4/capture.pcap", "strongswan/aes128cbc-sha256-v4/sa.spiglass"),
        ("strongswan/chacha20poly1305-v4/capture.pcap", "strongswan/chacha20poly1305-v4/sa.spiglass"),
        ("strongswan/aes128gcm16-v6/capture.pcap", "strongswan/aes128gcm16-v6/sa.spiglass"),
        ("scapy/transport-v6-gcm.pcap", "scapy/transport-v6-gcm.spiglass"),
        ("scapy/udp-encap.pcap", "scapy/udp-encap.spiglass"),
        ("scapy/fragmented.pcap", "scapy/fragmented.spiglass"),
        ("scapy/esn-cbc-sha256.pcap", "scapy/esn-cbc-sha256.spiglass"),
        ("scapy/linktypes-qinq.pcap", "scapy/linktypes-qinq.spiglass"),
        ("scapy/linktypes-sll2.pcap", "scapy/linktypes-sll2.spiglass"),
        ("scapy/linktypes-null.pcap", "scapy/linktypes-null.spiglass"),
    ]

    @Test(arguments: captures.map(\.0), captures.map(\.1))
    func truncatedAtEveryOffset(capture: String, keys: String) throws {
        let reader = try CaptureReader(path: Paths.fixture(capture))
        var frames: [([UInt8], PacketHeader)] = []
        while case .packet(let header) = reader.next() {
            frames.append((Array(reader.buffer[0..<header.capturedLength]), header))
        }
        #expect(!frames.isEmpty)
        let sad = try Analyzer.loadKeys([Paths.fixture(keys)])
        var options = AnalysisOptions()
        options.quiet = true
        let analyzer = try Analyzer(sad: sad, options: options, output: StringSink())
        analyzer.setLinkType(dlt: reader.linkType, name: reader.linkTypeName)
        var lastInner: [UInt8] = []
        var lastVerdict = PacketVerdict.notIPsec
        analyzer.packetObserver = { record, inner in
            lastInner = Array(inner)
            lastVerdict = record.verdict
        }
        var processed = 0
        var releasedFromCuts = 0
        for (bytes, header) in frames where header.capturedLength > 0 {
            // The whole frame first: the reference for what may ever be released from it.
            analyzer.process(bytes, header: header)
            let reference = lastInner
            for cut in 0..<bytes.count {
                var h = header
                h.capturedLength = cut
                analyzer.process(Array(bytes[0..<cut]), header: h)
                processed += 1
                if !lastInner.isEmpty {
                    // Only a cut that removed nothing but link-layer padding can still verify,
                    // and then it must release exactly what the whole frame did.
                    releasedFromCuts += 1
                    #expect(lastInner == reference, "\(capture): cut at \(cut) released different bytes")
                    #expect(lastVerdict == .decrypted)
                }
            }
        }
        #expect(processed == frames.reduce(0) { $0 + $1.0.count })
        #expect(releasedFromCuts < processed / 10)
        analyzer.finish()
    }
}
