import Foundation
import Testing

@testable import SpiglassCapture

/// A plain pcap's records are read past libpcap (`PcapRecordReader`); the records it leaves to
/// libpcap (larger than its buffer, beyond the snapshot length, cut at the end) must read as
/// libpcap reads them, and the records after them must be read on.
@Suite struct PcapRecordReaderTests {
    /// A little-endian pcap (this machine's order) of `records`: seconds, captured bytes
    /// (filled with the record's index), original length.
    static func pcap(snapshot: UInt32, _ records: [(seconds: Int32, captured: Int, length: UInt32)]) -> [UInt8] {
        var bytes: [UInt8] = []
        func put32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        func put16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        put32(0xA1B2_C3D4)
        put16(2)
        put16(4)
        put32(0)
        put32(0)
        put32(snapshot)
        put32(1)
        for (index, record) in records.enumerated() {
            put32(UInt32(bitPattern: record.seconds))
            put32(7)
            put32(UInt32(record.captured))
            put32(record.length)
            bytes += [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: record.captured)
        }
        return bytes
    }

    static func read(_ bytes: [UInt8]) throws -> (headers: [PacketHeader], firstBytes: [UInt8], end: CaptureReader.Next) {
        let path = CLITests.temporary("records.pcap")
        defer { unlink(path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reader = try CaptureReader(path: path)
        var headers: [PacketHeader] = []
        var firstBytes: [UInt8] = []
        while true {
            let next = reader.next()
            guard case .packet(let header) = next else { return (headers, firstBytes, next) }
            headers.append(header)
            firstBytes.append(header.capturedLength > 0 ? reader.buffer[0] : 0xFF)
        }
    }

    @Test func recordsLargerThanTheBufferAreReadAndSoAreTheOnesAfter() throws {
        let big = CaptureReader.fileBufferSize + 5000
        let (headers, firstBytes, end) = try Self.read(
            Self.pcap(
                snapshot: 262_144,
                [(1, 60, 60), (2, big, UInt32(big)), (-3, 1400, 1500), (4, 0, 0), (5, big, UInt32(big)), (6, 80, 80)]))
        #expect(headers.map(\.capturedLength) == [60, big, 1400, 0, big, 80])
        #expect(headers.map(\.originalLength) == [60, big, 1500, 0, big, 80])
        #expect(headers.map(\.timestamp.seconds) == [1, 2, -3, 4, 5, 6])
        #expect(headers.map(\.timestamp.microseconds) == [7, 7, 7, 7, 7, 7])
        #expect(firstBytes == [0, 1, 2, 0xFF, 4, 5])
        guard case .end = end else {
            Issue.record("expected the end, got \(end)")
            return
        }
    }

    @Test func aRecordBeyondTheSnapshotLengthIsCutToItAsLibpcapCutsIt() throws {
        let (headers, firstBytes, _) = try Self.read(Self.pcap(snapshot: 100, [(1, 60, 60), (2, 300, 300), (3, 70, 70)]))
        #expect(headers.map(\.capturedLength) == [60, 100, 70])
        #expect(headers.map(\.originalLength) == [60, 300, 70])
        #expect(firstBytes == [0, 1, 2])
    }

    @Test func aCutLastRecordIsLibpcapsDamage() throws {
        var bytes = Self.pcap(snapshot: 65535, [(1, 60, 60), (2, 1400, 1400)])
        bytes.removeLast(1000)
        let (headers, _, end) = try Self.read(bytes)
        #expect(headers.map(\.capturedLength) == [60])
        guard case .damaged(let message) = end else {
            Issue.record("expected damage, got \(end)")
            return
        }
        #expect(message == "truncated dump file; tried to read 1400 captured bytes, only got 400")
    }
}
