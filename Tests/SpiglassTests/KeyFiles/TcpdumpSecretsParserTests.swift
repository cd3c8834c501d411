import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassWire
import Testing

@testable import SpiglassSAD

/// The tcpdump `-E` secrets parser.
@Suite struct TcpdumpSecretsParserTests: KeyFileParserChecks {
    @Test(.enabled(if: Paths.corpusPresent, "needs ../shared/corpus")) func tcpdumpEspSecretsFile() throws {
        let path = Paths.corpus("tcpdump/esp-secrets.txt")
        let text = try Self.read(path)
        #expect(TcpdumpSecretsParser.looksLike(text))
        #expect(!StrongSwanLogParser.looksLike(text))
        let keys = try TcpdumpSecretsParser.parse(text, file: path, readFile: Self.noFiles)
        #expect(keys.sas.count == 3)
        let reference = try Self.wiresharkSAs(Paths.corpus("tcpdump/derived/esp_sa.esp2"))
        #expect(reference.count == 3)
        for (got, want) in zip(keys.sas, reference) {
            #expect(got.spi == want.spi)
            #expect(got.destination == want.destination)
            #expect(got.source == .any)
            #expect(got.encryption == want.encryption)
            #expect(got.encryptionKey == want.encryptionKey)
            #expect(got.integrity == .unchecked(icvLength: 12))
            #expect(want.integrity == .unchecked(icvLength: 12))
            #expect(got.origin.file == path)
        }
        #expect(keys.sas.map(\.origin.line) == [3, 4, 5])
    }

    @Test(.enabled(if: Paths.corpusPresent, "needs ../shared/corpus")) func tcpdumpDecryptsThroughThePipeline() throws {
        let keys = try TcpdumpSecretsParser.parse(
            try Self.read(Paths.corpus("tcpdump/esp-secrets.txt")), file: "esp-secrets.txt", readFile: Self.noFiles)
        let summary = try Self.runPipeline(Paths.corpus("tcpdump/08-sunrise-sunset-aes.pcap"), sas: keys.sas)
        #expect(summary.count(.decrypted) == 8)
        // The esp1 inline string of tcpdump's own tests.
        let inline = try TcpdumpSecretsParser.parse(
            "0x12345678@192.1.2.45 3des-cbc-hmac96:0x4043434545464649494a4a4c4c4f4f515152525454575758",
            file: "cmdline", readFile: Self.noFiles)
        #expect(
            try Self.runPipeline(Paths.corpus("tcpdump/02-sunrise-sunset-esp.pcap"), sas: inline.sas).count(.decrypted)
                == 8)
        // The default form (no spi@addr) of test esp3.
        let def = try TcpdumpSecretsParser.parse(
            "3des-cbc-hmac96:0x4043434545464649494a4a4c4c4f4f515152525454575758", file: "cmdline",
            readFile: Self.noFiles)
        #expect(def.sas.first?.spi == nil)
        #expect(def.sas.first?.destination == .any)
        #expect(
            try Self.runPipeline(Paths.corpus("tcpdump/02-sunrise-sunset-esp.pcap"), sas: def.sas).count(.decrypted)
                == 8)
    }

    @Test func tcpdumpInlineCommaSeparatedSAs() throws {
        let keys = try TcpdumpSecretsParser.parse(
            "0x12345678@192.1.2.45 3des-cbc-hmac96:0x43434545464649494a4a4c4c4f4f51515252545457575840,0xabcdabcd@192.0.1.1 3des-cbc-hmac96:0x434545464649494a4a4c4c4f4f5151525254545757584043",
            file: "cmdline", readFile: Self.noFiles)
        #expect(keys.sas.map(\.spi) == [0x1234_5678, 0xabcd_abcd])
        // A comma inside an ASCII secret stays in the secret.
        let ascii = try TcpdumpSecretsParser.parse(
            "0x10@10.0.0.1 aes128-cbc:abcdefgh,jklmnop, 0x11@10.0.0.2 aes128-cbc:0123456789abcdef", file: "f",
            readFile: Self.noFiles)
        #expect(ascii.sas.count == 2)
        #expect(ascii.sas.first.map { Array($0.encryptionKey) } == Array("abcdefgh,jklmnop".utf8))
        #expect(ascii.sas.last?.spi == 0x11)
    }

    @Test func tcpdumpSPIForms() throws {
        let keys = try TcpdumpSecretsParser.parse(
            """
            10@10.0.0.1 aes-cbc:0x000102030405060708090a0b0c0d0e0f
            010@10.0.0.1 aes128:0x000102030405060708090a0b0c0d0e0f
            0xFFFFFFFF@fe80::1 3des:0x000102030405060708090a0b0c0d0e0f0001020304050607
            0x1@10.0.0.9 none:
            0x2@10.0.0.9 blowfish-cbc-hmac96:blowfishblowfish
            """.replacingOccurrences(of: "none:", with: "none-hmac96:0x00"), file: "f", readFile: Self.noFiles)
        #expect(keys.sas.map(\.spi) == [10, 8, 0xffff_ffff, 1, 2])
        #expect(keys.sas[2].destination == .exact(IPAddress("fe80::1")!))
        #expect(keys.sas[3].encryption == .null)
        #expect(keys.sas[3].encryptionKey.isEmpty)
        #expect(keys.sas[3].integrity == .unchecked(icvLength: 12))
        #expect(keys.sas[4].encryption == .blowfishCBC)
        #expect(keys.sas[4].encryptionKey.count == 16)
        #expect(keys.notes.contains { $0.kind == .warning && $0.line == 4 })
    }

    @Test func tcpdumpLaterSAAndDefaultOrdering() throws {
        let keys = try TcpdumpSecretsParser.parse(
            """
            aes128-cbc:0x000102030405060708090a0b0c0d0e0f
            0x5@10.0.0.1 aes128-cbc:0x00000000000000000000000000000000
            aes192-cbc:0x000102030405060708090a0b0c0d0e0f0001020304050607
            0x5@10.0.0.1 aes128-cbc:0x11111111111111111111111111111111
            """, file: "f", readFile: Self.noFiles)
        #expect(keys.sas.count == 2)
        #expect(keys.sas[0].spi == 5)
        #expect(keys.sas[0].encryptionKey == [UInt8](repeating: 0x11, count: 16))
        #expect(keys.sas[1].spi == nil)
        #expect(keys.sas[1].encryptionKey.count == 24)
        #expect(keys.notes.filter { $0.kind == .warning }.map(\.line).sorted() == [1, 2])
    }

    @Test(.enabled(if: Paths.corpusPresent, "needs ../shared/corpus")) func tcpdumpCorpusDerivedFilesMatchTheirEspSA()
        throws
    {
        let fm = FileManager.default
        var pairs: [(String, String)] = []
        let ipdecap = Paths.corpus("ipdecap/derived")
        for name in try fm.contentsOfDirectory(atPath: ipdecap) where name.hasSuffix(".tcpdump-secrets") {
            pairs.append(
                (
                    ipdecap + "/" + name,
                    ipdecap + "/" + name.replacingOccurrences(of: ".tcpdump-secrets", with: ".esp_sa")
                ))
        }
        for n in [1, 2, 3, 5] {
            pairs.append(
                (
                    Paths.corpus("wireshark-wiki/derived/ipsec_esp_capture_\(n).tcpdump-secrets"),
                    Paths.corpus("wireshark-wiki/ipsec_esp_capture_\(n)/esp_sa")
                ))
        }
        #expect(pairs.count == 11)
        var compared = 0
        for (secrets, espSA) in pairs {
            let text = try Self.read(secrets)
            let keys = try TcpdumpSecretsParser.parse(text, file: secrets, readFile: Self.noFiles)
            let reference = try Self.wiresharkSAs(espSA)
            for sa in keys.sas {
                let match = reference.first { ($0.spi == nil || $0.spi == sa.spi) && $0.destination == sa.destination }
                #expect(match != nil, "\(secrets): SPI \(sa.spi ?? 0)")
                #expect(match?.encryption == sa.encryption, "\(secrets)")
                #expect(match?.encryptionKey == sa.encryptionKey, "\(secrets)")
                #expect(match?.integrity.icvLength == sa.integrity.icvLength || sa.integrity == .null, "\(secrets)")
                compared += 1
            }
        }
        #expect(compared == 23)
    }

    @Test(.enabled(if: Paths.corpusPresent, "needs ../shared/corpus")) func tcpdumpIKEv2LinesMergeIntoOneSA() throws {
        let path = Paths.corpus("tcpdump/esp-secrets.txt").replacingOccurrences(
            of: "esp-secrets.txt", with: "ikev2pI2-secrets.txt")
        let keys = try TcpdumpSecretsParser.parse(try Self.read(path), file: path, readFile: Self.noFiles)
        #expect(keys.sas.isEmpty)
        #expect(keys.ikeSAs.count == 1)
        let ike = try #require(keys.ikeSAs.first)
        #expect(ike.version == .v2)
        #expect(ike.initiatorSPI == 0x0001_0203_0405_0607)
        #expect(ike.responderSPI == 0xc02e_7a30_31a0_3188)
        #expect(hex(ike.skAi) == "4ea8e662b07cdd430f6944c6723e4b82d5722418")
        #expect(hex(ike.skEi) == "3f44bf47cafd8150591deb088199fcbf")
        #expect(hex(ike.skAr) == "515b0bd22e6d76b34fdb760aa7bfad80b109b75d")
        #expect(hex(ike.skEr) == "bedb67ec7dc3d00cccac42e70cd63bde")
        #expect(ike.encryption == .aesCBC(keyBits: 128))
        #expect(ike.integrity == .hmacSHA1_96)
        #expect(ike.origin.line == 1)
    }

    @Test(.enabled(if: Paths.corpusPresent, "needs ../shared/corpus"))
    func tcpdumpIKEv2CorpusLinesMatchTheDecryptionTables() throws {
        var files: [(String, String)] = (0...8).map {
            (
                Paths.corpus("openswan/derived/keypair\($0).tcpdump-secrets"),
                Paths.corpus("openswan/derived/keypair\($0).ikev2_decryption_table")
            )
        }
        files.append(
            (
                Paths.corpus("wireshark-wiki/derived/ipsec_ikev2+esp_aes-cbc-ikesa.tcpdump-secrets"),
                Paths.corpus("wireshark-wiki/ipsec_ikev2+esp_aes-gcm,aes-ctr,aes-cbc/ikev2_decryption_table")
            ))
        for (secrets, table) in files {
            let keys = try TcpdumpSecretsParser.parse(try Self.read(secrets), file: secrets, readFile: Self.noFiles)
            #expect(keys.ikeSAs.count == 1, "\(secrets)")
            let ike = try #require(keys.ikeSAs.first)
            let row = try #require(
                try Self.ikeTable(table).first { $0.spii == ike.initiatorSPI && $0.spir == ike.responderSPI })
            #expect(hex(ike.skEi) == row.ei, "\(secrets)")
            #expect(hex(ike.skEr) == row.er)
            #expect(hex(ike.skAi) == row.ai)
            #expect(hex(ike.skAr) == row.ar)
        }
    }

    // MARK: - file indirection

    static func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "spiglass-tcpdump-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        return dir
    }

    static func readDisk(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test func tcpdumpFileIncludesRelativeAndAbsolute() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "# inner\n0x2@10.0.0.2 aes128-cbc:0x000102030405060708090a0b0c0d0e0f\nfile ../third.txt\n".write(
            toFile: dir + "/sub/inner.txt", atomically: true, encoding: .utf8)
        try "0x3@10.0.0.3 3des-cbc:0x000102030405060708090a0b0c0d0e0f0001020304050607\n".write(
            toFile: dir + "/third.txt", atomically: true, encoding: .utf8)
        let top =
            "0x1@10.0.0.1 aes256-cbc:0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f\nfile sub/inner.txt\nfile \(dir)/third.txt\n"
        try top.write(toFile: dir + "/top.txt", atomically: true, encoding: .utf8)
        let keys = try TcpdumpSecretsParser.parse(
            top, file: dir + "/top.txt", readFile: Self.readDisk, includes: .anywhere)
        // third.txt is read twice (not a cycle): the later copy replaces the earlier one.
        #expect(keys.sas.map(\.spi) == [1, 2, 3])
        #expect(keys.sas[1].origin == SAOrigin(file: dir + "/sub/inner.txt", line: 2))
        #expect(keys.sas[2].origin.file.hasSuffix("third.txt"))
        #expect(keys.notes.contains { $0.message.hasPrefix("includes") && $0.line == 2 })
    }

    @Test func tcpdumpIncludeCycleIsAnError() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "file b.txt\n".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        try "# b\nfile ./a.txt\n".write(toFile: dir + "/b.txt", atomically: true, encoding: .utf8)
        let e = Self.error {
            _ = try TcpdumpSecretsParser.parse("file b.txt\n", file: dir + "/a.txt", readFile: Self.readDisk)
        }
        #expect(e?.file == dir + "/b.txt")
        #expect(e?.line == 2)
        #expect(e?.field == "file")
        #expect(e?.description.contains("cycle") == true)
        // Including itself.
        let selfInclude = Self.error {
            _ = try TcpdumpSecretsParser.parse("\nfile a.txt", file: dir + "/a.txt", readFile: Self.readDisk)
        }
        #expect(selfInclude?.line == 2)
        #expect(selfInclude?.field == "file")
    }

    @Test func tcpdumpIncludeDepthIsBounded() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for i in 0..<12 {
            try "file f\(i + 1).txt\n".write(toFile: dir + "/f\(i).txt", atomically: true, encoding: .utf8)
        }
        let e = Self.error {
            _ = try TcpdumpSecretsParser.parse("file f1.txt", file: dir + "/f0.txt", readFile: Self.readDisk)
        }
        #expect(e?.code == .tooLarge)
        #expect(e?.field == "file")
        #expect(e?.file == dir + "/f8.txt")
        #expect(e?.line == 1)
        // Eight levels are fine.
        try "0x1@10.0.0.1 aes128-cbc:0x000102030405060708090a0b0c0d0e0f\n".write(
            toFile: dir + "/f8.txt", atomically: true, encoding: .utf8)
        let keys = try TcpdumpSecretsParser.parse("file f1.txt", file: dir + "/f0.txt", readFile: Self.readDisk)
        #expect(keys.sas.count == 1)
        // A file that cannot be read.
        let missing = Self.error {
            _ = try TcpdumpSecretsParser.parse("\n\nfile nope.txt", file: dir + "/x.txt", readFile: Self.readDisk)
        }
        #expect(missing?.code == .cannotRead)
        #expect(missing?.line == 3)
        #expect(missing?.field == "file")
    }

    // MARK: - tcpdump malformed lines

    static func tcpdumpError(_ badLine: String) -> KeyFileError? {
        error {
            _ = try TcpdumpSecretsParser.parse(
                "# ok\n0x1@10.0.0.1 aes128-cbc:0x000102030405060708090a0b0c0d0e0f\n" + badLine, file: "secrets",
                readFile: noFiles)
        }
    }

    @Test(arguments: [
        ("0x5 10.0.0.1 aes128-cbc:0x000102030405060708090a0b0c0d0e0f", "spi", KeyFileError.Code.syntax),
        ("0xzz@10.0.0.1 aes128-cbc:0x000102030405060708090a0b0c0d0e0f", "spi", .badValue),
        ("0x100000000@10.0.0.1 aes128-cbc:0x000102030405060708090a0b0c0d0e0f", "spi", .badValue),
        ("09@10.0.0.1 aes128-cbc:0x000102030405060708090a0b0c0d0e0f", "spi", .badValue),
        ("0x5@10.0.0.300 aes128-cbc:0x000102030405060708090a0b0c0d0e0f", "address", .badValue),
        ("0x5@10.0.0.1 aes128-cbc", "algorithm", .syntax),
        ("0x5@10.0.0.1 aes128-cbx:0x000102030405060708090a0b0c0d0e0f", "algorithm", .unknownAlgorithm),
        ("0x5@10.0.0.1 aes128-cbc:0x0001020", "secret", .badValue),
        ("0x5@10.0.0.1 aes128-cbc:0xgg", "secret", .badValue),
        ("0x5@10.0.0.1 aes128-cbc:0x", "secret", .badValue),
        ("0x5@10.0.0.1 aes256-cbc:0x000102030405060708090a0b0c0d0e0f", "secret", .badKeyLength),
        ("0x5@10.0.0.1 3des-cbc:short", "secret", .badKeyLength),
        ("ikev2 I 0x0001020304050607 0xc02e7a3031a03188 sha1:0x00", "encr", .missingField),
        ("ikev2 X 0x0001020304050607 0xc02e7a3031a03188 sha1:0x00 aes128:0x00", "role", .badValue),
        ("ikev2 I 0x00010203040506 0xc02e7a3031a03188 sha1:0x00 aes128:0x00", "spi-i", .badValue),
        ("ikev2 R 0x0001020304050607 c02e7a3031a0318800 sha1:0x00 aes128:0x00", "spi-r", .badValue),
        ("ikev2 I 0x0001020304050607 0xc02e7a3031a03188 sha9:0x00 aes128:0x00", "integ", .unknownAlgorithm),
        ("ikev2 I 0x0001020304050607 0xc02e7a3031a03188 sha1:0x00 twofish:0x00", "encr", .unknownAlgorithm),
        ("ikev2 I 0x0001020304050607 0xc02e7a3031a03188 sha1 aes128:0x00", "integ", .syntax),
        ("ikev2 I 0x0001020304050607 0xc02e7a3031a03188 sha1:0x0 aes128:0x00", "integ", .badValue),
        ("file   ", "file", .missingField),
    ])
    func tcpdumpMalformedLine(line: String, field: String, code: KeyFileError.Code) {
        let e = Self.tcpdumpError(line)
        #expect(e?.file == "secrets", "\(line)")
        #expect(e?.line == 3, "\(line)")
        #expect(e?.field == field, "\(line)")
        #expect(e?.code == code, "\(line): \(String(describing: e))")
    }

    @Test func tcpdumpLongLineAndHugeSecret() {
        let huge = Self.tcpdumpError("0x5@10.0.0.1 aes128-cbc:0x" + String(repeating: "00", count: 300))
        #expect(huge?.code == .badKeyLength)
        #expect(huge?.field == "secret")
        let long = Self.tcpdumpError("0x5@10.0.0.1 aes128-cbc:" + String(repeating: "a", count: 70_000))
        #expect(long?.code == .tooLarge)
        #expect(long?.line == 3)
    }

    @Test(.enabled(if: Paths.corpusPresent, "needs ../shared/corpus"), .seeded(0x7cd_5eed))
    func tcpdumpEveryPrefixParsesOrThrows() throws {
        for path in [
            Paths.corpus("tcpdump/esp-secrets.txt"), Paths.corpus("tcpdump/ikev2pI2-secrets.txt"),
            Paths.corpus("wireshark-wiki/derived/ipsec_esp_capture_1.tcpdump-secrets"),
        ] {
            let utf8 = Array(try Self.read(path).utf8)
            for offset in 0...utf8.count {
                let prefix = String(decoding: utf8[0..<offset], as: UTF8.self)
                do {
                    _ = try TcpdumpSecretsParser.parse(prefix, file: "p", readFile: Self.noFiles)
                } catch is KeyFileError {
                }
                _ = TcpdumpSecretsParser.looksLike(prefix)
            }
            var generator = TestSeed.current.generator
            for _ in 0..<300 {
                var bytes = utf8
                for _ in 0..<4 {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
                _ = try? TcpdumpSecretsParser.parse(
                    String(decoding: bytes, as: UTF8.self), file: "r", readFile: Self.noFiles)
            }
        }
    }
}
