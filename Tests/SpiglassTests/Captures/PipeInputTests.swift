import Foundation
import Testing

/// A capture given as a pipe (bash's `-r <(zcat x.pcap.gz)` is `/dev/fd/N`, or a FIFO) is read
/// once, as standard input is: before, the gzip check read its head and could not rewind, and
/// libpcap said "unknown file format". Several inputs one of which is a pipe are refused in
/// words, since merging reads each file twice.
@Suite struct PipeInputTests {
    static let capture = "Fixtures/strongswan/aes256gcm16-v4/capture.pcap"
    static let keys = "Fixtures/strongswan/aes256gcm16-v4/sa.spiglass"

    /// A FIFO in a fresh directory, written with `bytes` by a thread once a reader opens it.
    static func fifo(feeding bytes: Data) throws -> (path: String, directory: String) {
        let directory = CLITests.temporary("fifo")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let path = directory + "/capture"
        #expect(mkfifo(path, 0o600) == 0)
        Thread.detachNewThread {
            // Blocks until spiglass opens the FIFO for reading.
            guard let handle = FileHandle(forWritingAtPath: path) else { return }
            handle.write(bytes)
            try? handle.close()
        }
        return (path, directory)
    }

    @Test func aFIFOIsReadLikeTheFileItCarries() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Paths.root + "/" + Self.capture))
        let direct = try CLITests.run(["analyze", "--json", "--threads", "1", "-r", Self.capture, "-k", Self.keys])
        #expect(direct.status == 0)
        let (path, directory) = try Self.fifo(feeding: bytes)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let piped = try CLITests.run(["analyze", "--json", "--threads", "1", "-r", path, "-k", Self.keys])
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(!piped.stderr.contains("unknown file format"))
        let packets = { (text: String) in text.split(separator: "\n").filter { $0.contains(#""type":"packet""#) } }
        #expect(packets(piped.stdout).count == 32)
        #expect(packets(piped.stdout) == packets(direct.stdout))
        #expect(piped.stdout.contains(#""decrypted":26"#))
    }

    @Test func bashProcessSubstitutionIsReadToo() throws {
        let bash = "/bin/bash"
        try #require(FileManager.default.isExecutableFile(atPath: bash))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bash)
        process.currentDirectoryURL = URL(fileURLWithPath: Paths.root)
        // The binary and paths are ours (no quoting issue); `<(cat …)` hands it /dev/fd/63.
        process.arguments = ["-c", "exec '\(CLITests.binary)' analyze -q -r <(cat \(Self.capture)) -k \(Self.keys)"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("Verdicts: decrypted 26"), "\(text)")
    }

    @Test func aGzippedStreamIsNamedAsSuch() throws {
        let gzipped = Data([0x1f, 0x8b, 0x08, 0x00] + [UInt8](repeating: 0, count: 60))
        let (path, directory) = try Self.fifo(feeding: gzipped)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CLITests.run(["analyze", "-r", path])
        #expect(run.status == 1)
        #expect(run.stderr.contains("it is gzip'd: a stream is not decompressed"), "\(run.stderr)")
    }

    @Test func aPipeAmongSeveralInputsIsRefusedInWords() throws {
        // No writer: the refusal comes before the FIFO is opened, or this would block.
        let directory = CLITests.temporary("fifo")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/capture"
        #expect(mkfifo(path, 0o600) == 0)
        let run = try CLITests.run(["analyze", "-r", Self.capture, "-r", path, "-k", Self.keys])
        #expect(run.status == 64)
        #expect(run.stderr.contains("is a pipe, read only once"), "\(run.stderr)")
        // A pattern is expanded after that check: the reader refuses the pipe it matches.
        let pattern = try CLITests.run(["analyze", "-r", Self.capture, "-r", directory + "/captur*", "-k", Self.keys])
        #expect(pattern.status == 1)
        #expect(pattern.stderr.contains("a pipe can be read only once"), "\(pattern.stderr)")
    }
}
