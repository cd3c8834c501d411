import Foundation
import SpiglassSAD
import Testing

/// The key-file permission warning can be silenced, is not given where the directory already
/// keeps others out, and a capture given as a key file is said to be one.
@Suite struct KeyFileWarningTests {
    static let folder = "Fixtures/strongswan-logs/ikev2"

    @Test(arguments: ["Fixtures/strongswan-logs/ikev2/capture.pcap", "Fixtures/scapy/linktypes-vlan.pcapng"])
    func aCaptureGivenAsKeyFileLooksLikeSwappedOptions(capture: String) throws {
        let kind = capture.hasSuffix("ng") ? "pcapng" : "pcap"
        let swapped = try CLITests.run(["analyze", "-r", "\(Self.folder)/A/charon.log", "-k", capture])
        #expect(swapped.status == 1)
        #expect(
            swapped.stderr
                == "spiglass: error: \(capture): is a \(kind) capture file, not a key file: were -r and -k swapped? (spiglass -r CAPTURE -k KEYFILE)\n"
        )
    }

    @Test func noPermissionWarningSilencesIt() throws {
        let base = ["analyze", "-q", "-r", "\(Self.folder)/capture.pcap", "-k", "\(Self.folder)/A/charon.log"]
        let warned = try CLITests.run(base)
        #expect(warned.stderr.contains("is readable by other users (mode 0644)"))
        let silent = try CLITests.run(base + ["--no-permission-warning"])
        #expect(silent.status == 0)
        #expect(silent.stderr == "")
    }

    @Test func aDirectoryOnlyItsOwnerEntersShieldsTheFile() throws {
        let directory = CLITests.temporary("keys")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/sa.spiglass"
        try "esp spi=0x1 enc=aes-cbc enc-key=0x000102030405060708090a0b0c0d0e0f\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect(chmod(path, 0o644) == 0)
        #expect(chmod(directory, 0o755) == 0)
        #expect(KeyFileLoader.permissionWarning(path: path) != nil)
        #expect(chmod(directory, 0o750) == 0)
        #expect(KeyFileLoader.permissionWarning(path: path) != nil, "the group can still enter")
        #expect(chmod(directory, 0o700) == 0)
        #expect(KeyFileLoader.permissionWarning(path: path) == nil)
        #expect(try KeyFileLoader.loadKeys(path: path).permissionWarnings.isEmpty)
        // Through a symbolic link from a public place, it is the file's real directory that counts.
        let link = CLITests.temporary("link.spiglass")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        defer { try? FileManager.default.removeItem(atPath: link) }
        #expect(KeyFileLoader.permissionWarning(path: link) == nil)
    }
}
