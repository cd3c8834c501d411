import Foundation
import Testing

@testable import SpiglassCapture

/// A capture file is read through a stdio buffer of `CaptureReader.fileBufferSize` bytes, not
/// the 4 KiB that glibc keeps when `setvbuf` is asked for a size without being given the
/// buffer: counted in read system calls of the reading thread (`/proc/thread-self/io`).
@Suite struct CaptureReadBufferTests {
    static var ioAccounting: Bool { FileManager.default.isReadableFile(atPath: "/proc/thread-self/io") }

    /// The reading thread's read system calls so far.
    static func readCalls() throws -> Int {
        let text = try String(contentsOfFile: "/proc/thread-self/io", encoding: .utf8)
        let line = text.split(separator: "\n").first { $0.hasPrefix("syscr:") }
        return Int(line?.split(separator: " ").last ?? "") ?? 0
    }

    @Test(.enabled(if: ioAccounting, "needs /proc/thread-self/io")) func aFileIsReadInLargeBlocks() throws {
        let path = CLITests.temporary("read-buffer.pcap")
        defer { unlink(path) }
        let writer = try PcapWriter(path: path)
        var packet = [UInt8](repeating: 0, count: 1400)
        let count = 3000
        for index in 0..<count {
            packet[0] = UInt8(truncatingIfNeeded: index)
            writer.write(packet, range: 0..<packet.count, timestamp: Timestamp(seconds: 1, microseconds: Int32(index)))
        }
        try writer.close()
        // 4.2 MB: about 1,030 reads of 4 KiB, 33 of 128 KiB.
        let before = try Self.readCalls()
        let reader = try CaptureReader(path: path)
        var frames = 0
        var firstBytes: [UInt8] = []
        while case .packet(let header) = reader.next() {
            #expect(header.capturedLength == 1400)
            firstBytes.append(reader.buffer[0])
            frames += 1
        }
        let reads = try Self.readCalls() - before
        #expect(frames == count)
        #expect(firstBytes == (0..<count).map { UInt8(truncatingIfNeeded: $0) })
        #expect(reads <= 4_200_000 / CaptureReader.fileBufferSize + 16, "\(reads) read system calls")
    }
}
