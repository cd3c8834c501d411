import Foundation
import SpiglassAnalysis
import Testing

/// The summary says why ICVs fail and what is weak, from real captures with keys made wrong
/// in the ways users get them wrong.
@Suite struct FindingsTests {
    static func run(_ capture: String, keyText: String) throws -> AnalysisSummary {
        let path = NSTemporaryDirectory() + "spiglass-findings-\(getpid())-\(UUID().uuidString).keys"
        try keyText.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try analyze(Paths.fixture(capture), keys: [path]).summary
    }

    static func keys(_ dir: String) throws -> [String] {
        try String(contentsOfFile: Paths.fixture("strongswan/\(dir)/sa.spiglass"), encoding: .utf8)
            .split(separator: "\n").filter { $0.hasPrefix("esp ") }.map(String.init)
    }

    @Test func swappedDirectionKeysAreNamed() throws {
        let lines = try Self.keys("aes128cbc-sha256-v4")
        // Give each SPI the other direction's keys.
        func field(_ line: String, _ name: String) -> String {
            String(line.split(separator: " ").first { $0.hasPrefix(name + "=") }!)
        }
        func swapped(_ a: String, _ b: String) -> String {
            a.replacingOccurrences(of: field(a, "enc-key"), with: field(b, "enc-key"))
                .replacingOccurrences(of: field(a, "auth-key"), with: field(b, "auth-key"))
        }
        let summary = try Self.run(
            "strongswan/aes128cbc-sha256-v4/capture.pcap",
            keyText: swapped(lines[0], lines[1]) + "\n" + swapped(lines[1], lines[0]) + "\n")
        #expect(summary.count(.icvFailed) == 26)
        let messages = summary.findings.filter { $0.kind == .icvFailures }.map(\.message)
        #expect(messages.count == 2)
        #expect(messages.allSatisfy { $0.contains("keys swapped between directions") })
    }

    @Test func wrongICVLengthIsNamed() throws {
        let lines = try Self.keys("aes128cbc-sha256-v4").map {
            $0.replacingOccurrences(of: "hmac-sha2-256-128", with: "hmac-sha2-256-96")
        }
        let summary = try Self.run(
            "strongswan/aes128cbc-sha256-v4/capture.pcap", keyText: lines.joined(separator: "\n"))
        #expect(
            summary.findings.filter { $0.kind == .icvFailures }.allSatisfy {
                $0.message.contains("verifies with hmac-sha2-256-128")
            })
        #expect(summary.findings.filter { $0.kind == .icvFailures }.count == 2)
    }

    @Test func missingESNIsNamed() throws {
        let text = try String(contentsOfFile: Paths.fixture("scapy/esn-cbc-sha256.spiglass"), encoding: .utf8)
            .replacingOccurrences(of: "esn=yes", with: "")
        let summary = try Self.run("scapy/esn-cbc-sha256.pcap", keyText: text)
        #expect(summary.findings.contains { $0.kind == .icvFailures && $0.message.contains("set esn=yes") })
    }

    @Test func weakAlgorithmsAreReported() throws {
        let summary = try Self.run(
            "strongswan/3des-md5-v4/capture.pcap",
            keyText: try Self.keys("3des-md5-v4").joined(separator: "\n"))
        let weak = summary.findings.filter { $0.kind == .weakAlgorithm }.map(\.message)
        #expect(weak.filter { $0.contains("3DES") }.count == 2)
        #expect(weak.filter { $0.contains("HMAC-MD5") }.count == 2)
        #expect(summary.findings.allSatisfy { $0.kind == .weakAlgorithm })
        let strong = try Self.run(
            "strongswan/aes256gcm16-v4/capture.pcap", keyText: try Self.keys("aes256gcm16-v4").joined(separator: "\n"))
        #expect(strong.findings.isEmpty)
    }
}
