import Foundation
import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire
import Testing

@testable import SpiglassAnalysis

/// The ICV-failure diagnosis is bounded per run, not per thread: the first
/// `Analyzer.maxICVDiagnoses` SAs to fail (in frame order) are diagnosed, whatever the thread
/// count, and the others are reported as not diagnosed (never as "no variant verifies").
@Suite struct ICVDiagnosisBoundTests {
    static let extra = 40

    /// `maxICVDiagnoses + extra` SAs, NULL encryption with HMAC-SHA1-96, each with one packet
    /// signed with other keys than the file's, so every one fails its ICV.
    static let generated: (capture: String, keys: String) = {
        let capture = CLITests.temporary("icv-bound.pcap")
        let keys = CLITests.temporary("icv-bound.keys")
        let count = Analyzer.maxICVDiagnoses + extra
        var lines: [String] = []
        let writer = try! PcapWriter(path: capture)
        for n in 0..<count {
            let spi = SPI(UInt32(0x0100_0000 + n))
            let fileSA = SecurityAssociation(
                spi: spi, encryption: .null, encryptionKey: [], integrity: .hmacSHA1_96,
                integrityKey: (0..<20).map { UInt8(truncatingIfNeeded: $0 &+ n) })
            lines.append(KeyFileWriter.nativeLine(fileSA))
            var sender = fileSA
            sender.integrityKey = SecretBytes((0..<20).map { UInt8(truncatingIfNeeded: $0 &* 3 &+ n &+ 1) })
            let esp = try! ESPPacketBuilder(sa: sender).build(
                spi: spi, sequence: 1, payload: [UInt8](repeating: 0x45, count: 20), nextHeader: 4)
            var packet = [UInt8](repeating: 0, count: 20)
            packet[0] = 0x45
            packet.setBE16(2, UInt16(20 + esp.count))
            packet[8] = 64
            packet[9] = 50
            packet[12] = 10
            packet[13] = 9
            packet[14] = UInt8(n >> 8)
            packet[15] = UInt8(n & 0xff)
            packet[16] = 10
            packet[17] = 10
            packet[19] = 1
            packet.setBE16(10, internetChecksum(packet, 0..<20))
            packet += esp
            writer.write(
                packet, range: 0..<packet.count, timestamp: Timestamp(seconds: 1_700_000_000, microseconds: Int32(n)))
        }
        try! writer.close()
        try! (lines.joined(separator: "\n") + "\n").write(toFile: keys, atomically: true, encoding: .utf8)
        return (capture, keys)
    }()

    @Test func theBoundIsPerRunAndThePastAreNotDiagnosed() throws {
        let (capture, keys) = Self.generated
        let keySet = try Analyzer.loadKeySet([keys])
        var options = AnalysisOptions()
        options.quiet = true
        let single = StringSink()
        let analyzer = try Analyzer(sad: Analyzer.espDatabase(keySet), options: options, output: single)
        let expected = analyzer.run(try CaptureReader(path: capture))
        let failures = expected.findings.filter { $0.kind == .icvFailures }.map(\.message)
        #expect(failures.count == Analyzer.maxICVDiagnoses + Self.extra)
        #expect(failures.filter { $0.contains("no variant verifies") }.count == Analyzer.maxICVDiagnoses)
        #expect(failures.filter { $0.contains("not diagnosed") }.count == Self.extra)
        #expect(
            failures.suffix(Self.extra).allSatisfy { $0.contains("not diagnosed") },
            "the last SAs to fail are the ones left out")
        #expect(expected.diagnostics.filter { $0.contains("ICV failures on more than") }.count == 1)
        for threads in [2, 3] {
            let merged = StringSink()
            let parallel = try ParallelAnalysis(
                path: capture, sad: Analyzer.espDatabase(keySet), options: options, threads: threads,
                output: merged)
            let summary = try parallel.run()
            #expect(summary.findings == expected.findings, "threads \(threads)")
            #expect(summary.diagnostics == expected.diagnostics, "threads \(threads)")
            #expect(merged.text == single.text, "threads \(threads)")
        }
    }
}
