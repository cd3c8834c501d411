import Foundation
import Testing

/// The exit status table of the README, row by row, as the built binary returns it.
@Suite struct ExitStatusTests {
    static let capture = "Fixtures/strongswan/aes256gcm16-v4/capture.pcap"
    static let keys = "Fixtures/strongswan/aes256gcm16-v4/sa.spiglass"

    @Test func readCapturesExitZero() throws {
        #expect(try CLITests.run(["-q", "-r", Self.capture, "-k", Self.keys]).status == 0)
        // Whatever the verdicts: no key at all.
        #expect(try CLITests.run(["-q", "-r", Self.capture]).status == 0)
        #expect(try CLITests.run(["keys", "check", Self.keys]).status == 0)
    }

    @Test func inputsThatCannotBeUsedExitOne() throws {
        let unwritable = "/nonexistent-\(getpid())/out.pcap"
        let cases: [[String]] = [
            ["-r", "Fixtures/no-such-capture.pcap"],
            ["-r", "Fixtures/strongswan/*/no-such-*.pcap"],
            ["-r", Self.capture, "-f", "not a ( filter"],
            ["-r", Self.capture, "-k", "Fixtures/no-such-keys.spiglass"],
            ["-r", Self.capture, "-w", unwritable],
        ]
        for arguments in cases {
            let result = try CLITests.run(arguments)
            #expect(result.status == 1, "\(arguments): \(result.status) \(result.stderr)")
            #expect(
                result.stderr.hasPrefix("spiglass: error: ") || result.stderr.contains("\nspiglass: error: "),
                "\(arguments): \(result.stderr)")
        }
        let bad = CLITests.temporary("bad.spiglass")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        try "esp spi=1 enc=aes-cbc enc-key=0x00\n".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(try CLITests.run(["keys", "check", bad]).status == 1)
        #expect(try CLITests.run(["-r", Self.capture, "-k", bad]).status == 1)
    }

    @Test func aDamagedCaptureExitsTwo() throws {
        let data = try #require(FileManager.default.contents(atPath: Paths.root + "/" + Self.capture))
        let cut = CLITests.temporary("cut.pcap")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        try data.prefix(data.count - 7).write(to: URL(fileURLWithPath: cut))
        let result = try CLITests.run(["-q", "-r", cut, "-k", Self.keys])
        #expect(result.status == 2)
        #expect(result.stdout.contains("Warning: capture damaged after frame 31"))
    }

    @Test func usageErrorsExitSixtyFour() throws {
        let cases: [[String]] = [
            ["--no-such-option"],
            ["-r", Self.capture, "-i", "lo"],
            ["-k", Self.keys],
            ["-r", "-", "-r", Self.capture],
            ["-r", Self.capture, "--threads", "0"],
            ["-r", Self.capture, "--duplicate-window", "-1"],
            ["-i", "lo", "-s", "10"],
        ]
        for arguments in cases {
            let result = try CLITests.run(arguments)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
            #expect(
                result.stderr.contains("Usage:") || result.stderr.contains("Error:"), "\(arguments): \(result.stderr)")
        }
    }

    /// `--help` says what the README's table says.
    @Test func helpStatesTheCodes() throws {
        let help = try CLITests.run(["analyze", "--help"])
        for words in ["0 when the capture was read", "1 when an", "2 when a capture", "64 for a usage error"] {
            #expect(
                help.stdout.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "  ", with: " ")
                    .contains(words), "\(words)")
        }
    }
}
