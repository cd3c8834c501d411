import Foundation
import SpiglassCapture
import Testing

/// Outputs never touch inputs, and a failed run never leaves a half-written file (`OutputFile`,
/// `PcapWriter`): -w and key tables naming an input (any spelling, a symlink, a hard link) are
/// refused before anything is written; files are created 0600 beside their path and renamed
/// into place when complete; full disks, /dev/full and reports to /dev/full exit 3 with the
/// file named, leaving the previous file.
@Suite(.serialized) struct OutputSafetyTests {
    static let fixture = "Fixtures/strongswan/aes256gcm16-v4/"

    /// A scratch directory with a private copy of the fixture's capture and keys.
    struct Scratch {
        let dir: String
        var capture: String { dir + "/c.pcap" }
        var keys: String { dir + "/k.spiglass" }

        init() throws {
            dir = CLITests.temporary("outputs")
            let fm = FileManager.default
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try fm.copyItem(atPath: Paths.root + "/" + OutputSafetyTests.fixture + "capture.pcap", toPath: capture)
            try fm.copyItem(atPath: Paths.root + "/" + OutputSafetyTests.fixture + "sa.spiglass", toPath: keys)
            chmod(keys, 0o600)
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }

        func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

        /// Leftover temporary files.
        var temporaries: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".spiglass-") }
        }
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode : 0
    }

    @Test func refusesEveryNameOfAnInput() throws {
        let s = try Scratch()
        defer { s.remove() }
        link(s.capture, s.dir + "/hard.pcap")
        symlink(s.capture, s.dir + "/sym.pcap")
        link(s.keys, s.dir + "/hard.keys")
        let before = (s.contents(s.capture), s.contents(s.keys))
        for target in [
            s.capture, s.dir + "/./c.pcap", s.dir + "/hard.pcap", s.dir + "/sym.pcap", s.keys, s.dir + "/hard.keys",
        ] {
            for threads in ["1", "2"] {
                let run = try CLITests.run([
                    "analyze", "-q", "-r", s.capture, "-k", s.keys, "-w", target, "--threads", threads,
                ])
                #expect(run.status == 1, "\(target): \(run.stderr)")
                #expect(run.stderr.contains("refusing to write '\(target)': it is the input"), "\(run.stderr)")
            }
        }
        #expect(s.contents(s.capture) == before.0)
        #expect(s.contents(s.keys) == before.1)
        #expect(s.temporaries.isEmpty)
    }

    @Test func refusesAKeyFileIncludedByAnother() throws {
        let s = try Scratch()
        defer { s.remove() }
        let included = s.dir + "/inner.secrets"
        let outer = s.dir + "/outer.secrets"
        try "0x4218b56d@10.99.0.1 aes256-cbc:0x\(String(repeating: "11", count: 32))\n".write(
            toFile: included, atomically: true, encoding: .utf8)
        try "file inner.secrets\n".write(toFile: outer, atomically: true, encoding: .utf8)
        let before = s.contents(included)
        let run = try CLITests.run(["analyze", "-q", "-r", s.capture, "-k", outer, "-w", included])
        #expect(run.status == 1)
        #expect(run.stderr.contains("it is the input '\(included)'"), "\(run.stderr)")
        #expect(s.contents(included) == before)
    }

    @Test func keyTablesNeverOverwriteTheirInputs() throws {
        let s = try Scratch()
        defer { s.remove() }
        let out = s.dir + "/tables"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        link(s.keys, out + "/esp_sa")
        let before = s.contents(s.keys)
        let convert = try CLITests.run(["keys", "convert", "--to", "wireshark", "--output-dir", out, s.keys])
        #expect(convert.status == 1, "\(convert.stderr)")
        #expect(convert.stderr.contains("refusing to write '\(out)/esp_sa'"))
        let export = try CLITests.run([
            "keys", "export", "-r", s.capture, "-k", s.keys, "--to", "wireshark", "--output-dir", out,
        ])
        #expect(export.status == 1, "\(export.stderr)")
        #expect(s.contents(s.keys) == before)
        // Nothing of the three tables was put in place.
        #expect(!FileManager.default.fileExists(atPath: out + "/ikev2_decryption_table"))
    }

    @Test func tablesAreCreatedPrivateAndAPlantedSymlinkIsNotFollowed() throws {
        let s = try Scratch()
        defer { s.remove() }
        let out = s.dir + "/tables"
        let victim = s.dir + "/victim"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try "do not touch\n".write(toFile: victim, atomically: true, encoding: .utf8)
        // A table that would be written is a planted link: refused, nothing read or written through it.
        symlink(victim, out + "/esp_sa")
        let refused = try CLITests.run(["keys", "convert", "--to", "wireshark", "--output-dir", out, s.keys])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("is a symbolic link"), "\(refused.stderr)")
        #expect(String(decoding: s.contents(victim) ?? Data(), as: UTF8.self) == "do not touch\n")
        #expect(Self.mode(out + "/esp_sa") & S_IFMT == S_IFLNK)

        // A table already there (0644) keeps its rows and is put back private; the tables the
        // keys do not fill are neither created nor touched.
        unlink(out + "/esp_sa")
        symlink(victim, out + "/ikev2_decryption_table")
        try "# mine\n".write(toFile: out + "/esp_sa", atomically: true, encoding: .utf8)
        chmod(out + "/esp_sa", 0o644)
        let run = try CLITests.run(["keys", "convert", "--to", "wireshark", "--output-dir", out, s.keys])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(String(decoding: s.contents(victim) ?? Data(), as: UTF8.self) == "do not touch\n")
        #expect(Self.mode(out + "/esp_sa") & S_IFMT == S_IFREG)
        #expect(Self.mode(out + "/esp_sa") & 0o777 == 0o600)
        let table = String(decoding: s.contents(out + "/esp_sa") ?? Data(), as: UTF8.self)
        #expect(table.hasPrefix("# mine\n") && table.contains("0xc19c5d01"))
        #expect(Self.mode(out + "/ikev2_decryption_table") & S_IFMT == S_IFLNK)
        #expect(!FileManager.default.fileExists(atPath: out + "/ikev1_decryption_table"))
        #expect(
            ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).allSatisfy {
                !$0.contains(".spiglass-")
            })
    }

    @Test func writtenPcapIsPrivateAndReplacesASymlinkInsteadOfFollowingIt() throws {
        let s = try Scratch()
        defer { s.remove() }
        let victim = s.dir + "/victim"
        let out = s.dir + "/out.pcap"
        try "do not touch\n".write(toFile: victim, atomically: true, encoding: .utf8)
        symlink(victim, out)
        let run = try CLITests.run(["analyze", "-q", "-r", s.capture, "-k", s.keys, "-w", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(String(decoding: s.contents(victim) ?? Data(), as: UTF8.self) == "do not touch\n")
        #expect(Self.mode(out) & S_IFMT == S_IFREG)
        #expect(Self.mode(out) & 0o777 == 0o600)
        let reader = try CaptureReader(path: out)
        var count = 0
        while case .packet = reader.next() { count += 1 }
        #expect(count == 26)
    }

    @Test func devNullAndDevFull() throws {
        let s = try Scratch()
        defer { s.remove() }
        let null = try CLITests.run(["analyze", "-q", "-r", s.capture, "-k", s.keys, "-w", "/dev/null"])
        #expect(null.status == 0, "\(null.stderr)")
        #expect(Self.mode("/dev/null") & S_IFMT == S_IFCHR)
        for threads in ["1", "2"] {
            let full = try CLITests.run([
                "analyze", "-q", "-r", s.capture, "-k", s.keys, "-w", "/dev/full", "--threads", threads,
            ])
            #expect(full.status == 3)
            #expect(full.stderr.contains("cannot write '/dev/full': No space left on device"), "\(full.stderr)")
        }
        // Reports redirected to /dev/full.
        for arguments in [
            ["analyze", "-r", s.capture, "-k", s.keys], ["ike", "--json", "-r", s.capture, "-k", s.keys],
            ["keys", "convert", "--to", "native", s.keys], ["keys", "check", s.keys],
        ] {
            let run = try Self.runWithStandardOutput(arguments, to: "/dev/full")
            #expect(run.status == 3, "\(arguments)")
            #expect(
                run.stderr.contains("cannot write to standard output: No space left on device"),
                "\(arguments): \(run.stderr)")
        }
    }

    /// For a pcap and a pcapng (`PcapngWriter`, which writes through the same `OutputFile`).
    @Test(.enabled(if: getuid() == 0, "mounts a tmpfs"), arguments: ["out.pcap", "out.pcapng"])
    func fullFileSystemLeavesThePreviousFile(name: String) throws {
        let s = try Scratch()
        defer { s.remove() }
        // 300 copies of the fixture: about 700 KB of decrypted packets, ten times the room.
        let original = try #require(s.contents(s.capture))
        var big = original
        for _ in 0..<300 { big.append(original.dropFirst(24)) }
        try big.write(to: URL(fileURLWithPath: s.dir + "/big.pcap"))
        let mountPoint = s.dir + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint]
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0)
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [mountPoint]
            try? umount.run()
            umount.waitUntilExit()
        }
        let out = mountPoint + "/" + name
        for threads in ["1", "2"] {
            try "previous\n".write(toFile: out, atomically: false, encoding: .utf8)
            let run = try CLITests.run([
                "analyze", "-q", "-r", s.dir + "/big.pcap", "-k", s.keys, "-w", out, "--threads", threads,
            ])
            #expect(run.status == 3)
            #expect(
                run.stderr.contains(
                    "cannot write '\(out)': No space left on device; '\(out)' was left as it was before this run"),
                "\(run.stderr)")
            #expect(!run.stdout.isEmpty)
            #expect(String(decoding: s.contents(out) ?? Data(), as: UTF8.self) == "previous\n")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: mountPoint)) ?? []) == [name])
        }
        // The reports to a full file system.
        let report = try Self.runWithStandardOutput(
            ["analyze", "-r", s.dir + "/big.pcap", "-k", s.keys], to: mountPoint + "/report.txt")
        #expect(report.status == 3)
        #expect(report.stderr.contains("cannot write to standard output: No space left on device"))
    }

    /// Runs the binary with its standard output going to `path`.
    static func runWithStandardOutput(_ arguments: [String], to path: String) throws -> CLITests.Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: Paths.root)
        // open(2), not FileManager.createFile, which would replace a device with a file.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        try #require(descriptor >= 0)
        let out = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLITests.Run(
            status: process.terminationStatus, stdout: "", stderr: String(decoding: errData, as: UTF8.self))
    }
}
