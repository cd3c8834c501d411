import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire
import Testing

@testable import SpiglassAnalysis

/// `InboundProcessor` (RFC 4303/4302 inbound processing), the ESN search it shares with AH, the
/// generic SA cache and the flow table the Analyzer coordinates.
@Suite struct InboundProcessorTests {
    static let spi: SPI = 0x0102_0304

    static func esnSA() -> SecurityAssociation {
        SecurityAssociation(
            spi: spi, encryption: .aesCBC, encryptionKey: (0..<16).map { UInt8($0 + 1) },
            integrity: .hmacSHA256_128, integrityKey: (0..<32).map { UInt8($0 + 50) },
            extendedSequenceNumbers: true)
    }

    /// An IPv4 header (checksum right) and 8 bytes: what a tunnel carries.
    static func innerPacket() -> [UInt8] {
        var p: [UInt8] = [0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        p.setBE16(10, internetChecksum(p, 0..<20))
        return p + [0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0]
    }

    /// An outer IPv4 packet carrying `esp`, parsed as the pipeline parses it.
    static func outer(_ esp: [UInt8]) throws -> (bytes: [UInt8], ip: IPLayer, header: ESPHeader) {
        var p: [UInt8] = [0x45, 0, 0, 0, 0, 2, 0, 0, 64, 50, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]
        p.setBE16(2, UInt16(20 + esp.count))
        p += esp
        var reader = ByteReader(p)
        let ip = try IPLayer.parse(&reader).get()
        guard case .esp(let header, nil) = IPsecLayers.classify(reader, protocolNumber: ip.protocolNumber).payload
        else {
            throw WireError(.notIP, layer: "test", offset: 0, "not ESP")
        }
        return (p, ip, header)
    }

    @Test func esnSearchTriesTheGuessThenItsNeighboursOnce() {
        var tracker = SequenceNumberTracker(initialHigh: 5)
        tracker.accept(UInt64(5) << 32 | 1000)
        var tried: [UInt32] = []
        let found = tracker.searchHigh(low: 1001) {
            tried.append($0)
            return $0 == 6
        }
        #expect(found.high == 6 && found.verified)
        #expect(tried == [5, 6])
        tried = []
        let none = tracker.searchHigh(low: 1001) {
            tried.append($0)
            return false
        }
        #expect(none.high == 5 && !none.verified, "the RFC's guess stands when nothing verifies")
        #expect(tried == [5, 6, 4])
        // Before any packet the candidates are 0, 1, 0: the repeated one is not tried again.
        tried = []
        _ = SequenceNumberTracker().searchHigh(low: 3) {
            tried.append($0)
            return false
        }
        #expect(tried == [0, 1])
    }

    @Test func espWithESNVerifiesUnderTheNeighbourAndTrimsTFCPadding() throws {
        let sa = Self.esnSA()
        let inner = Self.innerPacket()
        let sequence = UInt64(1) << 32 | 7
        let esp = try ESPPacketBuilder(sa: sa).build(
            spi: Self.spi, sequence: sequence,
            payload: inner + [UInt8](repeating: 0, count: 12), nextHeader: 4)
        let (bytes, ip, header) = try Self.outer(esp)
        let processor = InboundProcessor()
        var tracker = SequenceNumberTracker()
        let outcome = processor.processESP(
            bytes, esp: header, ip: ip, headerBytes: bytes, natTraversal: false,
            state: try ESPCryptoState(sa: sa), tracker: &tracker)
        #expect(outcome.result.verdict == .decrypted)
        #expect(outcome.result.icv == .good)
        #expect(outcome.sequence == sequence, "high half 1 found after the guess 0 failed")
        #expect(tracker.highest == sequence, "an authenticated number is learnt")
        #expect(outcome.tunnel == true)
        #expect(Array(processor.released) == inner, "the inner packet, its TFC padding trimmed")
        #expect(outcome.diagnosisSample == nil)
    }

    @Test func espThatVerifiesUnderNoCandidateIsADiagnosisSample() throws {
        let sa = Self.esnSA()
        let esp = try ESPPacketBuilder(sa: sa).build(
            spi: Self.spi, sequence: UInt64(9) << 32 | 7, payload: Self.innerPacket(),
            nextHeader: 4)
        let (bytes, ip, header) = try Self.outer(esp)
        var tracker = SequenceNumberTracker()
        let outcome = InboundProcessor().processESP(
            bytes, esp: header, ip: ip, headerBytes: bytes, natTraversal: false,
            state: try ESPCryptoState(sa: sa), tracker: &tracker)
        #expect(outcome.result.verdict == .icvFailed)
        #expect(outcome.sequence == 7, "reported under the RFC's guess")
        #expect(outcome.diagnosisSample == .icvFailure)
        #expect(tracker.highest == nil, "a failed packet teaches the tracker nothing")
    }

    final class Engine {}

    @Test func saCacheMakesEachEngineOnceAndReportsAFailureOnce() {
        let good = SecurityAssociation(spi: 1, encryption: .null, encryptionKey: [])
        let bad = SecurityAssociation(spi: 2, encryption: .null, encryptionKey: [])
        struct SetupError: Error {}
        var made = 0
        var cache = SACache<Engine>(
            SADatabase([good, bad]),
            make: { sa in
                made += 1
                if sa.spi == 2 { throw SetupError() }
                return Engine()
            }, describeFailure: { sa, _ in "SA \(sa.spi?.rawValue ?? 0) failed" })
        var reported: [String] = []
        let first = cache.engine(0) { reported.append($0) }
        let again = cache.engine(0) { reported.append($0) }
        #expect(first != nil && first === again)
        // Tried as a candidate for another SA's packet: skipped without a word.
        #expect(cache.engine(1, candidate: true) { reported.append($0) } == nil)
        #expect(reported.isEmpty)
        #expect(cache.engine(1) { reported.append($0) } == nil)
        #expect(cache.engine(1) { reported.append($0) } == nil)
        #expect(reported == ["SA 2 failed"], "reported once, then remembered")
        #expect(cache.failures[1] == "SA 2 failed")
        #expect(made == 3)
        cache.add(SecurityAssociation(spi: 3, encryption: .null, encryptionKey: []))
        #expect(cache.count == 3 && cache.engine(2) { reported.append($0) } != nil)
    }

    @Test func flowTableFindsFlowsByKeyAcrossSPIsSharingASlot() {
        var table = FlowTable()
        func key(_ spi: SPI) -> FlowKey {
            FlowKey(spi: spi, source: .v4(1), destination: .v4(2), udpEncapsulated: false)
        }
        func flow(_ spi: SPI) -> FlowStatistics {
            FlowStatistics(
                key: key(spi), saIndex: nil, saMatch: nil, firstSeen: Timestamp(seconds: 0, microseconds: 0),
                lastSeen: Timestamp(seconds: 0, microseconds: 0), sequenceTracker: SequenceNumberTracker(),
                replay: ReplayWindow(size: 64))
        }
        // 0x100 and 0x1 land in the same recently-seen slot: the key decides.
        #expect(table.add(flow(0x1)) == 0)
        #expect(table.add(flow(0x100)) == 1)
        #expect(table.find(key(0x1)) == 0)
        #expect(table.find(key(0x100)) == 1)
        #expect(table.find(key(0x2)) == nil)
        table.replace(with: [flow(0x2)], untrackedPackets: 4)
        #expect(table.find(key(0x2)) == 0 && table.find(key(0x1)) == nil && table.untrackedPackets == 4)
    }

    @Test func spiIsShownAsEightHexDigits() {
        #expect(SPI(0xabc).description == "0x00000abc")
        #expect(SPI(0xc19c_5d01).hexDigits == "c19c5d01")
        #expect("\(SPI(0))" == "0x00000000")
    }
}
