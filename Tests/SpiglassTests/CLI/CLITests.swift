import Foundation
import SpiglassCapture
import Testing

/// End-to-end checks of the built `spiglass` binary: exit codes, -w, --json, -r -, -f.
@Suite struct CLITests {
    let capture = "Fixtures/strongswan/aes256gcm16-v4/capture.pcap"
    let keys = "Fixtures/strongswan/aes256gcm16-v4/sa.spiglass"

    @Test func decryptsAndWritesAPcapThatLibpcapReads() throws {
        let out = Self.temporary("out.pcap")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try Self.run(["analyze", "-r", capture, "-k", keys, "-w", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Verdicts: decrypted 26, ike 6"))
        #expect(
            result.stdout.split(separator: "\n").filter { $0.contains(" decrypted [aes-gcm-256-16] tunnel: 10.200.") }
                .count == 26)
        let reader = try CaptureReader(path: out)
        #expect(reader.linkType == 12 || reader.linkType == 101)
        var count = 0
        while case .packet(let header) = reader.next() {
            count += 1
            #expect(reader.buffer[0] >> 4 == 4)
            #expect(header.capturedLength == Int(reader.buffer[2]) << 8 | Int(reader.buffer[3]))
        }
        #expect(count == 26)
    }

    @Test func withoutKeysWritesAValidEmptyPcap() throws {
        let out = Self.temporary("empty.pcap")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try Self.run(["analyze", "-q", "-r", capture, "-w", out])
        #expect(result.status == 0)
        #expect(result.stdout.contains("no-sa 26"))
        let reader = try CaptureReader(path: out)
        guard case .end = reader.next() else {
            Issue.record("expected an empty capture")
            return
        }
    }

    @Test func jsonRecordsFollowTheSchema() throws {
        let result = try Self.run(["analyze", "--json", "-r", capture, "-k", keys])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 32 + 2 + 1)
        var packets = 0
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            switch object["type"] as? String {
            case "packet":
                packets += 1
                for key in ["frame", "time", "src", "dst", "protocol", "spi", "seq", "verdict"] {
                    #expect(object.keys.contains(key), "missing \(key)")
                }
                if object["verdict"] as? String == "decrypted" {
                    let inner = object["inner"] as? [String: Any]
                    #expect(inner?["src"] as? String != nil)
                    #expect((object["esp"] as? [[String: Any]])?.first?["icv"] as? String == "good")
                }
            case "sa":
                #expect(object["decrypted"] as? Int == 13)
            case "summary":
                #expect(object["frames"] as? Int == 32)
                #expect((object["verdicts"] as? [String: Any])?["decrypted"] as? Int == 26)
            default:
                Issue.record("unknown record \(line)")
            }
        }
        #expect(packets == 32)
    }

    @Test func readsStandardInputAndAppliesFilters() throws {
        let fromStdin = try Self.run(["analyze", "-q", "-r", "-", "-k", keys], stdin: Paths.root + "/" + capture)
        #expect(fromStdin.status == 0)
        #expect(fromStdin.stdout.contains("decrypted 26"))
        let filtered = try Self.run(["analyze", "-q", "-r", capture, "-k", keys, "-f", "udp port 500"])
        // The frames the filter rejects keep their numbers: counted, not analysed.
        #expect(filtered.stdout.contains("Frames: 32  ESP: 0  AH: 0  IKE: 2 "))
        #expect(filtered.stdout.contains("Filter (-f): 30 of 32 frames excluded"))
        let badFilter = try Self.run(["analyze", "-r", capture, "-f", "nonsense ((("])
        #expect(badFilter.status == 1)
        #expect(badFilter.stderr.contains("invalid filter"))
    }

    @Test func badInputsExitWithOne() throws {
        let missing = try Self.run(["analyze", "-r", "/nonexistent.pcap"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot read capture"))
        let keyFile = Self.temporary("bad.keys")
        try "esp spi=1 enc=aes-cbc enc-key=0x0011\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        let badKey = try Self.run(["analyze", "-r", capture, "-k", keyFile])
        #expect(badKey.status == 1)
        #expect(badKey.stderr.contains("\(keyFile):1: field 'enc-key'"))
    }

    @Test func damagedCaptureReportsUpToTheDamageAndExitsTwo() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Paths.root + "/" + capture))
        let cut = Self.temporary("cut.pcap")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        try data.prefix(data.count - 30).write(to: URL(fileURLWithPath: cut))
        let result = try Self.run(["analyze", "-r", cut, "-k", keys])
        #expect(result.status == 2)
        #expect(result.stdout.contains("Frames: 31 "))
        #expect(result.stdout.contains("capture damaged"))
    }

    @Test func unsupportedLinkTypeGivesOneDiagnostic() throws {
        // A pcap with LINKTYPE_IEEE802_11 (105) and three frames.
        var file = Data([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 105, 0, 0, 0])
        for _ in 0..<3 {
            file += Data([0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4])
        }
        let path = Self.temporary("wifi.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try file.write(to: URL(fileURLWithPath: path))
        let result = try Self.run(["analyze", "-r", path])
        #expect(result.status == 0)
        #expect(result.stdout.components(separatedBy: "unsupported link-layer type").count == 2)
        #expect(result.stdout.contains("undecodable 3"))
    }

    /// With Unix and with Windows line ends: Swift reads CR LF as one Character, which once
    /// made a Windows-saved file one long line.
    @Test(arguments: ["\n", "\r\n"]) func keysCheckReportsEveryLine(lineEnd: String) throws {
        let path = Self.temporary("check.keys")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        # good, bad, good, bad
        esp spi=1 enc=aes-cbc enc-key=0x000102030405060708090a0b0c0d0e0f
        esp spi=2 enc=aes-cbcc enc-key=0x000102030405060708090a0b0c0d0e0f
        esp spi=3 enc=null
        esp spi=4 enc=null colour=red
        """.replacingOccurrences(of: "\n", with: lineEnd).write(toFile: path, atomically: true, encoding: .utf8)
        let result = try Self.run(["keys", "check", path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(path):2: understood: ESP SA spi=0x1"))
        #expect(
            result.stdout.contains(
                "\(path):3:11: error: field 'enc': unknown encryption algorithm '<8 characters>' (did you mean 'aes-cbc'?)"
            ))
        #expect(result.stdout.contains("\(path):4: understood"))
        #expect(result.stdout.contains("\(path):5:20: error: field 'colour'"))
        #expect(!result.stdout.contains("0x000102030405060708090a0b0c0d0e0f"), "keys are not shown unless asked")
        let shown = try Self.run(["keys", "check", "--show-keys", path])
        #expect(shown.stdout.contains("0x000102030405060708090a0b0c0d0e0f"))
        let good = try Self.run(["keys", "check", keys])
        #expect(good.status == 0)
    }

    /// Every line of a large file with the same mistake gets its own error, with line and
    /// column. (Each line was once parsed behind a padding of newlines as long as the file, and
    /// each column found by walking to its line again: 5,000 such lines took 87 s, now 0.3 s.)
    @Test func keysCheckReportsEveryLineOfALargeFile() throws {
        let path = Self.temporary("large.keys")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lines = (1...3000).map { "esp spi=\($0) enc=aes-cbcc enc-key=0x000102030405060708090a0b0c0d0e0f" }
        try (lines.joined(separator: "\r\n") + "\r\n").write(toFile: path, atomically: true, encoding: .utf8)
        let result = try Self.run(["keys", "check", path])
        #expect(result.status == 1)
        let errors = result.stdout.split(separator: "\n").filter {
            $0.contains(": error: field 'enc': unknown encryption algorithm '<8 characters>'")
        }
        #expect(errors.count == 3000)
        #expect(errors.first?.hasPrefix("  \(path):1:11: error") == true)
        #expect(errors.last?.hasPrefix("  \(path):3000:14: error") == true)
        #expect(result.stdout.contains("0 IPsec SA(s), 0 IKE SA(s), 3000 error(s)"))
    }

    @Test func keysConvertAndExport() throws {
        let dir = Self.temporary("ws")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let convert = try Self.run([
            "keys", "convert", "--to", "wireshark", "--output-dir", dir, keys,
            "Fixtures/strongswan/aes256gcm16-v4/ikev2_decryption_table",
        ])
        #expect(convert.status == 0, "\(convert.stderr)")
        let analyzed = try Self.run(["analyze", "-q", "-r", capture, "-k", dir + "/esp_sa"])
        #expect(analyzed.stdout.contains("decrypted 26"))
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/esp_sa")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let table = try String(contentsOfFile: dir + "/ikev2_decryption_table", encoding: .utf8)
        #expect(table.contains("\"AES-GCM-128 with 16 octet ICV [RFC5282]\""))

        // export keeps only the SAs the capture used.
        let extra = Self.temporary("extra.keys")
        defer { try? FileManager.default.removeItem(atPath: extra) }
        try (String(contentsOfFile: Paths.root + "/" + keys, encoding: .utf8) + "esp spi=0x99 enc=null\n").write(
            toFile: extra, atomically: true, encoding: .utf8)
        let export = try Self.run(["keys", "export", "-r", capture, "-k", extra])
        #expect(export.status == 0)
        let lines = export.stdout.split(separator: "\n").filter { $0.hasPrefix("esp ") }
        #expect(lines.count == 2)
        #expect(!export.stdout.contains("spi=0x00000099"))
    }
}
