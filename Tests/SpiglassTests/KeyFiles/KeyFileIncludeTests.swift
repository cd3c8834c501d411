import Foundation
import SpiglassSAD
import Testing

/// tcpdump `file PATH` includes read only regular files in the including file's folder (unless
/// `--allow-absolute-includes`), never block on a FIFO, never read /proc or /sys, and never echo
/// the included path's content.
@Suite struct KeyFileIncludeTests {
    static let line = "0x2@10.0.0.2 aes128-cbc:0x000102030405060708090a0b0c0d0e0f\n"

    /// A folder with a key file `top` including `include`, and `inside/inner` (a key file).
    struct Folder {
        let dir = NSTemporaryDirectory() + "spiglass-include-\(UUID().uuidString)"
        var top: String { dir + "/top.secrets" }

        init() throws {
            try FileManager.default.createDirectory(atPath: dir + "/inside", withIntermediateDirectories: true)
            try KeyFileIncludeTests.line.write(toFile: dir + "/inside/inner", atomically: true, encoding: .utf8)
        }

        func load(including path: String, _ includes: KeyFileIncludes = .confined) throws -> KeySet {
            try "0x1@10.0.0.1 aes128-cbc:0x000102030405060708090a0b0c0d0e0f\nfile \(path)\n".write(
                toFile: top, atomically: true, encoding: .utf8)
            return try KeyFileLoader.loadKeys(path: top, format: .tcpdump, includes: includes)
        }

        /// The error of loading `top` including `path`.
        func error(including path: String, _ includes: KeyFileIncludes = .confined) -> KeyFileError? {
            do {
                _ = try load(including: path, includes)
                return nil
            } catch {
                return error as? KeyFileError
            }
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    @Test func aFileInTheFolderIsRead() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let keys = try folder.load(including: "inside/inner")
        #expect(keys.sas.map(\.spi) == [1, 2])
        #expect(keys.includedFiles == [folder.dir + "/inside/inner"])
        #expect(keys.notes.contains { $0.message == "includes the file named here" })
    }

    @Test func nothingOutsideTheFolderUnlessAllowed() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let outside = NSTemporaryDirectory() + "spiglass-outside-\(UUID().uuidString)"
        try Self.line.write(toFile: outside, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        symlink(outside, folder.dir + "/inside/link")
        for path in [outside, "../" + (outside as NSString).lastPathComponent, "inside/../../x", "inside/link"] {
            let error = try #require(folder.error(including: path), "\(path)")
            #expect(error.line == 2 && error.field == "file", "\(error)")
            #expect(error.description.contains("--allow-absolute-includes"), "\(error)")
            #expect(!error.description.contains(outside), "the path is not echoed: \(error)")
        }
        // Allowed explicitly: the absolute path and the symlink are read.
        #expect(try folder.load(including: outside, .anywhere).sas.count == 2)
        #expect(try folder.load(including: "inside/link", .anywhere).sas.count == 2)
    }

    @Test func onlyRegularFilesAndNoneOfProcOrSys() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let fifo = folder.dir + "/inside/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        // A FIFO with no writer is refused at once (it would block a read for ever).
        let fifoError = try #require(folder.error(including: "inside/fifo"))
        #expect(fifoError.description.contains("is not a regular file"), "\(fifoError)")
        for path in ["/dev/zero", "/dev/stdin"] {
            let error = try #require(folder.error(including: path, .anywhere), "\(path)")
            #expect(error.description.contains("is not a regular file"), "\(error)")
        }
        for path in ["/proc/self/environ", "/proc/self/cmdline", "/sys/kernel/mm/transparent_hugepage/enabled"]
        where FileManager.default.fileExists(atPath: path) {
            let error = try #require(folder.error(including: path, .anywhere), "\(path)")
            #expect(error.description.contains("file, not a key file"), "\(error)")
            #expect(!error.description.contains("PATH"), "nothing of the file is echoed: \(error)")
        }
    }

    @Test func theCommandLineFlagLetsAbsoluteIncludesThrough() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let inner = folder.dir + "/inside/inner"
        try "file \(inner)\n".write(toFile: folder.top, atomically: true, encoding: .utf8)
        chmod(folder.top, 0o600)
        chmod(inner, 0o600)
        let capture = "Fixtures/strongswan/aes256gcm16-v4/capture.pcap"
        let refused = try CLITests.run(["analyze", "-q", "-r", capture, "-k", folder.top])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains("field 'file': an include must stay in the including file's folder"),
            "\(refused.stderr)")
        let allowed = try CLITests.run(["analyze", "-q", "-r", capture, "-k", folder.top, "--allow-absolute-includes"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let check = try CLITests.run(["keys", "check", "--allow-absolute-includes", folder.top])
        #expect(check.status == 0, "\(check.stdout)")
    }

    /// A key file's bytes reach standard error only escaped, and its text is not quoted.
    @Test func keyFileErrorsOnStandardErrorAreEscaped() throws {
        let path = NSTemporaryDirectory() + "spiglass-hostile-\(UUID().uuidString).keys"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "esp spi=1 enc=null \u{1b}]0;pwned\u{7}=S3cretPassw0rd!!\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        let run = try CLITests.run([
            "analyze", "-q", "-r", "Fixtures/strongswan/aes256gcm16-v4/capture.pcap", "-k", path,
        ])
        #expect(run.status == 1)
        #expect(run.stderr.contains(#"field '\x1b]0;pwned\x07'"#), "\(run.stderr)")
        #expect(!run.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(!run.stderr.contains("S3cretPassw0rd"))
        let check = try CLITests.run(["keys", "check", path])
        #expect(!check.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(!check.stdout.contains("S3cretPassw0rd"))
    }
}
