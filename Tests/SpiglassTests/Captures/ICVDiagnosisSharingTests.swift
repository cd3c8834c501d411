import Foundation
import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire
import Testing

@testable import SpiglassAnalysis

/// An ICV-failure diagnosis retries a packet under up to 256 other SAs' keys. It is made once
/// per SA, not per flow: a capture of many flows on one SA (one SPI from many addresses, as a
/// crafted capture can make) costs one diagnosis, and every flow still gets its answer.
@Suite struct ICVDiagnosisSharingTests {
    @Test func flowsOfOneSAShareOneDiagnosis() throws {
        let rightKeys = (
            encryption: [UInt8](repeating: 0x11, count: 16), integrity: [UInt8](repeating: 0x22, count: 32)
        )
        let sender = SecurityAssociation(
            spi: 0x1000, encryption: .aesCBC, encryptionKey: rightKeys.encryption,
            integrity: .hmacSHA256_128, integrityKey: rightKeys.integrity)
        // The SA for 0x1000 has the wrong keys; another SA holds the right ones.
        var wrong = sender
        wrong.encryptionKey = SecretBytes([UInt8](repeating: 0x33, count: 16))
        wrong.integrityKey = SecretBytes([UInt8](repeating: 0x44, count: 32))
        wrong.origin = SAOrigin(file: "test", line: 1)
        var other = sender
        other.spi = 0x2000
        other.origin = SAOrigin(file: "test", line: 2)
        var options = AnalysisOptions()
        options.quiet = true
        let analyzer = try Analyzer(sad: SADatabase([wrong, other]), options: options, output: StringSink())
        analyzer.setLinkType(dlt: 12, name: "raw")
        let builder = try ESPPacketBuilder(sa: sender)
        let flowCount = 40
        for flow in 0..<flowCount {
            let esp = try builder.build(
                spi: 0x1000, sequence: 1, payload: [UInt8](repeating: 0x45, count: 40), nextHeader: 4)
            var packet = [UInt8](repeating: 0, count: 20)
            packet[0] = 0x45
            packet.setBE16(2, UInt16(20 + esp.count))
            packet[8] = 64
            packet[9] = 50
            packet[12] = 10
            packet[14] = UInt8(flow >> 8)
            packet[15] = UInt8(flow & 0xff)
            packet[16] = 10
            packet[17] = 255
            packet[19] = 1
            packet.setBE16(10, internetChecksum(packet, 0..<20))
            packet += esp
            analyzer.process(
                packet,
                header: PacketHeader(
                    timestamp: Timestamp(seconds: 1_700_000_000, microseconds: Int32(flow)),
                    capturedLength: packet.count, originalLength: packet.count))
        }
        analyzer.finish()
        #expect(analyzer.summary.count(.icvFailed) == flowCount)
        #expect(analyzer.flows.count == flowCount)
        #expect(analyzer.icvDiagnoses.count == 1, "one diagnosis for the one SA, not one per flow")
        let causes = analyzer.summary.findings.filter { $0.kind == .icvFailures }.map(\.message)
        #expect(causes.count == flowCount)
        #expect(
            causes.allSatisfy {
                $0.contains("keys of the SA at test:2") && $0.contains("keys swapped between directions")
            })
    }
}
