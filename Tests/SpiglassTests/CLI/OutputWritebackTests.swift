import Foundation
import Testing

@testable import SpiglassCapture

/// The -w file goes to the disk window by window while it grows (`OutputWriteback`): the bytes
/// are the ones written, every whole window is handed to the disk, a write error the disk
/// reports there is a failure, and a run that fails after windows went to the disk still leaves
/// no file and the previous output as it was.
@Suite(.serialized) struct OutputWritebackTests {
    /// A small window, so that a few megabytes cross many of them.
    static let window: Int64 = 64 << 10

    /// `count` bytes that differ from window to window (a misplaced window shows).
    static func pattern(_ count: Int, seed: UInt32) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// A private scratch directory.
    static func directory() throws -> String {
        let dir = CLITests.temporary("writeback")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func leftovers(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".spiglass-") }
    }

    @Test func theFileHoldsTheBytesWrittenAcrossManyWindows() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.bin"
        let output = try OutputFile(path: path, inputs: [], publishAtOnce: false, writebackWindow: Self.window)
        var expected: [UInt8] = []
        // Pieces that straddle window boundaries: 3 MB over 48 windows.
        for piece in 0..<60 {
            let bytes = Self.pattern(50_000 + piece * 7, seed: UInt32(piece + 1))
            output.write(bytes)
            expected += bytes
        }
        try output.close()
        #expect(output.failure == nil)
        #expect(Array(FileManager.default.contents(atPath: path) ?? Data()) == expected)
        #expect(OutputSafetyTests.mode(path) & 0o777 == 0o600)
        #expect(Self.leftovers(dir).isEmpty)
    }

    /// Every whole window written is handed to the disk; the part of a window is left to `fsync`.
    @Test func everyWholeWindowIsHandedToTheDisk() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fd = open(dir + "/out.bin", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        var writeback = OutputWriteback(window: Self.window)
        let bytes = Self.pattern(Int(Self.window) * 5 + Int(Self.window) / 2, seed: 9)
        try #require(bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) } == bytes.count)
        #expect(writeback.advance(descriptor: fd, to: Int64(bytes.count)) == .fine)
        #expect(writeback.started == 5 * Self.window)
        #expect(writeback.supported)
        #expect(fsync(fd) == 0)
    }

    /// A descriptor that cannot do it (a pipe) leaves the work to `fsync`; an error the call
    /// reports about the file itself (here a closed descriptor) is a failure.
    @Test func anUnsupportedDescriptorIsNoFailureAndAnErrorIs() throws {
        var pipeEnds: [Int32] = [0, 0]
        try #require(pipe(&pipeEnds) == 0)
        defer { for end in pipeEnds { close(end) } }
        var onPipe = OutputWriteback(window: Self.window)
        #expect(onPipe.advance(descriptor: pipeEnds[1], to: 3 * Self.window) == .fine)
        #expect(!onPipe.supported)
        #expect(onPipe.started == 0)
        var onClosed = OutputWriteback(window: Self.window)
        let closed = dup(pipeEnds[1])
        close(closed)
        #expect(onClosed.advance(descriptor: closed, to: 3 * Self.window) == .failed(EBADF))
    }

    /// A failure after windows went to the disk (a full disk, or a write the disk rejected)
    /// removes the temporary file, and the previous output stays; so does a run given up
    /// (Ctrl-C: `discard`).
    @Test(arguments: [false, true])
    func aFailureAfterWritebackLeavesThePreviousFile(givenUp: Bool) throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.pcap"
        try "previous\n".write(toFile: path, atomically: false, encoding: .utf8)
        let output = try OutputFile(path: path, inputs: [], publishAtOnce: false, writebackWindow: Self.window)
        output.write(Self.pattern(Int(Self.window) * 6 + 123, seed: 3))
        #expect(output.failure == nil)
        #expect(Self.leftovers(dir).count == 1)
        if givenUp {
            output.discard()
        } else {
            errno = ENOSPC
            output.fail("cannot write")
            #expect(throws: CaptureError.self) { try output.close() }
            #expect(
                output.failure?.description.contains("'\(path)' was left as it was before this run") == true,
                "\(String(describing: output.failure))")
        }
        #expect(String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) == "previous\n")
        #expect(Self.leftovers(dir).isEmpty)
    }

    /// A device is written in place: no writeback, no failure.
    @Test func aDeviceIsWrittenInPlace() throws {
        let output = try OutputFile(path: "/dev/null", inputs: [], publishAtOnce: false, writebackWindow: 4096)
        output.write(Self.pattern(1 << 20, seed: 5))
        try output.close()
        #expect(output.failure == nil)
    }

    /// Through `PcapWriter`, whose records reach the descriptor through stdio: a file of more
    /// than two 8 MiB windows holds exactly the records `appendRecord` builds.
    @Test func aPcapPastTheWindowsHoldsEveryRecord() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.pcap"
        let writer = try PcapWriter(path: path)
        var expected: [UInt8] = []
        let packet = Self.pattern(1400, seed: 11)
        for index in 0..<15_000 {
            let timestamp = Timestamp(seconds: 1_700_000_000 + Int64(index), nanoseconds: Int32(index) * 1000)
            let range = 0..<(1000 + index % 400)
            writer.write(packet, range: range, timestamp: timestamp)
            PcapWriter.appendRecord(
                packet, range: range, timestamp: timestamp, resolution: .microseconds, to: &expected)
        }
        try writer.close()
        let bytes = Array(FileManager.default.contents(atPath: path) ?? Data())
        #expect(bytes.count == 24 + expected.count)
        #expect(expected.count > 2 * Int(OutputWriteback.defaultWindow))
        #expect(Array(bytes.dropFirst(24)) == expected)
        #expect(Self.leftovers(dir).isEmpty)
    }
}
