import Foundation
import SpiglassAnalysis
import SpiglassESP
import Testing

/// Real captures between two strongSwan peers, with the keys charon logged. Each case's
/// `expected.txt` (written by tshark where it supports the algorithm, otherwise by an
/// independent Python check) gives per ESP frame the SPI, sequence and inner addresses.
@Suite struct StrongSwanFixtureTests {
    static let cases = [
        "3des-md5-v4", "3des-sha1-v4", "aes128cbc-sha256-v4", "aes128ctr-sha1-v4", "aes128gcm16-v6",
        "aes192cbc-sha384-v4", "aes256cbc-sha256-inner6-v4", "aes256cbc-sha512-v6", "aes256gcm16-v4",
        "chacha20poly1305-v4",
    ]

    struct ExpectedESP {
        var frame: Int
        var spi: String
        var sequence: UInt64
        var inner: (String, String)?
    }

    static func expectedESP(_ name: String) throws -> [ExpectedESP] {
        let text = try String(contentsOfFile: Paths.fixture("strongswan/\(name)/expected.txt"), encoding: .utf8)
        var rows: [ExpectedESP] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: "\t").map(String.init)
            guard f.count >= 5, f[1] == "ESP", let frame = Int(f[0]), let seq = UInt64(f[4]) else { continue }
            var inner: (String, String)? = nil
            if let field = f.first(where: { $0.hasPrefix("inner=") }) {
                let pair = field.dropFirst(6).split(separator: ">").map(String.init)
                if pair.count == 2, pair[0] != "-" { inner = (pair[0], pair[1]) }
            }
            rows.append(ExpectedESP(frame: frame, spi: f[3], sequence: seq, inner: inner))
        }
        return rows
    }

    @Test(arguments: cases)
    func everyESPPacketDecryptsWithBothKeyFormats(name: String) throws {
        let expected = try Self.expectedESP(name)
        for keys in ["sa.spiglass", "esp_sa"] {
            let result = try analyze(
                Paths.fixture("strongswan/\(name)/capture.pcap"), keys: [Paths.fixture("strongswan/\(name)/\(keys)")])
            #expect(result.summary.count(.decrypted) == 26, "\(name) with \(keys)")
            #expect(result.summary.count(.ike) == 6)
            #expect(result.analyzer.flows.count == 2)
            let esp = result.frames.filter { !$0.record.esp.isEmpty }
            #expect(esp.count == 26)
            for frame in esp {
                let layer = frame.record.esp[0]
                #expect(layer.icv == .good)
                #expect(layer.tunnel == true)
                #expect(frame.record.udpPorts?.destination == 4500)
                #expect(!frame.inner.isEmpty)
            }
            if !expected.isEmpty {
                #expect(expected.count == 26, "\(name): expected.txt lists \(expected.count) ESP frames")
                for row in expected {
                    let record = result.frames[row.frame - 1].record
                    #expect(
                        record.esp.first.map { $0.spi.description } == row.spi,
                        "\(name) frame \(row.frame)")
                    #expect(record.esp.first?.sequence == row.sequence)
                    if let (src, dst) = row.inner {
                        #expect(record.inner?.source.description == src, "\(name) frame \(row.frame)")
                        #expect(record.inner?.destination.description == dst)
                    }
                }
            }
        }
    }

    @Test func wrongKeyFailsEveryICV() throws {
        let dir = "strongswan/aes128cbc-sha256-v4"
        var text = try String(contentsOfFile: Paths.fixture("\(dir)/sa.spiglass"), encoding: .utf8)
        // Flip one hex digit of every integrity key.
        text = text.split(separator: "\n").map { line -> String in
            var s = String(line)
            guard let range = s.range(of: "auth-key=0x") else { return s }
            let i = range.upperBound
            s.replaceSubrange(i...i, with: s[i] == "0" ? "1" : "0")
            return s
        }.joined(separator: "\n")
        let path = NSTemporaryDirectory() + "spiglass-wrong-\(getpid()).spiglass"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try analyze(Paths.fixture("\(dir)/capture.pcap"), keys: [path])
        #expect(result.summary.count(.icvFailed) == 26)
        #expect(result.frames.allSatisfy { $0.inner.isEmpty })
    }
}
