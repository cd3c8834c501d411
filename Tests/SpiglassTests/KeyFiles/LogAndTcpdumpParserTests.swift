import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassWire
import Testing

@testable import SpiglassSAD

/// The strongSwan charon log parser and the tcpdump `-E` secrets parser.
@Suite struct LogAndTcpdumpParserTests {
    static let strongSwanCases = [
        "3des-md5-v4", "3des-sha1-v4", "aes128cbc-sha256-v4", "aes128ctr-sha1-v4", "aes128gcm16-v6",
        "aes192cbc-sha384-v4", "aes256cbc-sha256-inner6-v4", "aes256cbc-sha512-v6", "aes256gcm16-v4",
        "chacha20poly1305-v4",
    ]

    // MARK: - Helpers

    static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    static func nativeSAs(_ path: String) throws -> [SecurityAssociation] {
        try KeyFileLoader.parse(try read(path), file: path)
    }

    static func wiresharkSAs(_ path: String) throws -> [SecurityAssociation] {
        var result: [SecurityAssociation] = []
        var n = 0
        for line in try read(path).split(separator: "\n", omittingEmptySubsequences: false) {
            n += 1
            let t = line.drop { $0 == " " || $0 == "\t" }
            if t.isEmpty || t.hasPrefix("#") { continue }
            result.append(try WiresharkESPSAParser.parseLine(t, file: path, lineNumber: n))
        }
        return result
    }

    struct IKERow {
        var spii: UInt64, spir: UInt64
        var ei: String, er: String, ai: String, ar: String
    }

    static func ikeTable(_ path: String) throws -> [IKERow] {
        try read(path).split(separator: "\n").compactMap { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 8, let i = UInt64(f[0], radix: 16), let r = UInt64(f[1], radix: 16) else { return nil }
            return IKERow(spii: i, spir: r, ei: f[2], er: f[3], ai: f[5], ar: f[6])
        }
    }

    static func runPipeline(_ capture: String, sas: [SecurityAssociation]) throws -> AnalysisSummary {
        let sad = SADatabase(sas.filter { $0.ipsecProtocol == .esp })
        let reader = try CaptureReader(path: capture)
        let analyzer = try Analyzer(sad: sad, options: AnalysisOptions(), output: StringSink())
        return analyzer.run(reader)
    }

    static func error(_ body: () throws -> Void) -> KeyFileError? {
        do {
            try body()
            return nil
        } catch let e as KeyFileError {
            return e
        } catch {
            return nil
        }
    }

    static func noFiles(_ path: String) throws -> String {
        throw KeyFileError(.cannotRead, file: path, line: 0, "no files in this test")
    }

    // MARK: - strongSwan logs

    @Test(arguments: strongSwanCases)
    func strongSwanLogsGiveTheFixtureKeys(name: String) throws {
        let dir = Paths.fixture("strongswan/\(name)")
        let expected = try Self.nativeSAs(dir + "/sa.spiglass")
        let table = try Self.ikeTable(dir + "/ikev2_decryption_table")
        #expect(expected.count == 2)
        #expect(table.count == 1)
        for other in ["sa.spiglass", "esp_sa", "ikev2_decryption_table"] {
            let text = try Self.read(dir + "/" + other)
            #expect(!StrongSwanLogParser.looksLike(text), "\(other)")
            #expect(!TcpdumpSecretsParser.looksLike(text), "\(other)")
        }
        for log in ["charon-A.log", "charon-B.log"] {
            let text = try Self.read(dir + "/" + log)
            #expect(StrongSwanLogParser.looksLike(text))
            #expect(!TcpdumpSecretsParser.looksLike(text))
            let keys = try StrongSwanLogParser.parse(text, file: log)
            #expect(keys.sas.count == 2, "\(name)/\(log)")
            for (got, want) in zip(keys.sas, expected) {
                #expect(got.spi == want.spi, "\(name)/\(log)")
                #expect(got.source == want.source)
                #expect(got.destination == want.destination)
                #expect(got.encryption == want.encryption)
                #expect(got.integrity == want.integrity)
                #expect(
                    got.encryptionKey == want.encryptionKey,
                    "\(name)/\(log) SPI \(String(want.spi?.rawValue ?? 0, radix: 16))")
                #expect(got.integrityKey == want.integrityKey)
                #expect(got.extendedSequenceNumbers == false)
                #expect(got.label == "net")
                #expect(got.origin.file == log)
            }
            #expect(keys.ikeSAs.count == 1, "\(name)/\(log)")
            if let ike = keys.ikeSAs.first, let row = table.first {
                #expect(ike.version == .v2)
                #expect(ike.initiatorSPI == row.spii, "\(name)/\(log)")
                #expect(ike.responderSPI == row.spir)
                #expect(hex(ike.skEi) == row.ei)
                #expect(hex(ike.skEr) == row.er)
                #expect(hex(ike.skAi) == row.ai)
                #expect(hex(ike.skAr) == row.ar)
                #expect(ike.skD.count > 0 && ike.skPi.count > 0 && ike.skPr.count > 0)
                #expect(ike.encryption != nil && ike.prf != nil)
            }
            #expect(keys.notes.filter { $0.kind == .ignored }.count == 1)
            #expect(!keys.notes.contains { $0.kind == .warning }, "\(keys.notes.filter { $0.kind == .warning })")
            let summary = try Self.runPipeline(dir + "/capture.pcap", sas: keys.sas)
            #expect(summary.count(.decrypted) == 26, "\(name)/\(log)")
        }
    }

    @Test func strongSwanIKEAlgorithmsFromTheProposal() throws {
        let keys = try StrongSwanLogParser.parse(
            try Self.read(Paths.fixture("strongswan/aes128cbc-sha256-v4/charon-B.log")), file: "B")
        let ike = try #require(keys.ikeSAs.first)
        #expect(ike.encryption == .aesCBC(keyBits: 256))
        #expect(ike.integrity == .hmacSHA256_128)
        #expect(ike.prf == .hmacSHA256)
        let gcm = try StrongSwanLogParser.parse(
            try Self.read(Paths.fixture("strongswan/aes256gcm16-v4/charon-A.log")), file: "A")
        #expect(gcm.ikeSAs.first?.encryption == .aesGCM(keyBits: 128, icvLength: 16))
        #expect(gcm.ikeSAs.first?.integrity == IKEIntegrityAlgorithm.none)
        #expect(gcm.sas.first?.encryption == .aesGCM(icvLength: 16))
        #expect(gcm.sas.first?.encryptionKey.count == 36)
    }

    /// The same log as syslog and journal lines.
    static func rewrite(_ text: String, _ style: Int) -> String {
        var out: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            // "Nov 29 01:22:10 16[IKE] message"
            guard line.count > 16, let found = CharonLogLineDecoder.threadMarker(in: line) else {
                out.append(String(line))
                continue
            }
            let marker = (message: line[found.messageStart...], thread: found.thread)
            let time = line.prefix(15)
            let threadAndGroup = line[line.index(line.startIndex, offsetBy: 16)...].prefix { $0 != "]" } + "]"
            switch style {
            case 0: out.append("\(time) moon charon: \(threadAndGroup) \(marker.message)")
            case 1: out.append("\(time) moon charon-systemd[1234]: \(threadAndGroup) \(marker.message)")
            default:
                // journalctl without thread numbers: hexdump rows indented under their message.
                if CharonLogDump.row(marker.message) != nil {
                    out.append("                                          " + marker.message)
                } else {
                    out.append("\(time) moon charon-systemd[1234]: \(marker.message)")
                }
            }
        }
        return out.joined(separator: "\n")
    }

    @Test(arguments: [0, 1, 2])
    func syslogAndJournalPrefixes(style: Int) throws {
        for name in ["aes128cbc-sha256-v4", "aes256gcm16-v4"] {
            let dir = Paths.fixture("strongswan/\(name)")
            let expected = try Self.nativeSAs(dir + "/sa.spiglass")
            let table = try Self.ikeTable(dir + "/ikev2_decryption_table")
            for log in ["charon-A.log", "charon-B.log"] {
                let text = Self.rewrite(try Self.read(dir + "/" + log), style)
                #expect(StrongSwanLogParser.looksLike(text))
                let keys = try StrongSwanLogParser.parse(text, file: log)
                #expect(keys.sas.map(\.spi) == expected.map(\.spi), "style \(style) \(name)/\(log)")
                #expect(keys.sas.map(\.encryptionKey) == expected.map(\.encryptionKey))
                #expect(keys.sas.map(\.integrityKey) == expected.map(\.integrityKey))
                #expect(keys.ikeSAs.first?.initiatorSPI == table.first?.spii)
                #expect(keys.ikeSAs.first.map { hex($0.skEr) } == table.first?.er)
                if style == 1, name == "aes128cbc-sha256-v4" {
                    let summary = try Self.runPipeline(dir + "/capture.pcap", sas: keys.sas)
                    #expect(summary.count(.decrypted) == 26)
                }
            }
        }
    }

    @Test func strongSwanIKENamePrefixAndMgrSPILines() throws {
        let text = """
            Jan  1 00:00:00 05[MGR] <conn|3> checkout IKEv1 SA with SPIs 0011223344556677_i 8899aabbccddeeff_r
            Jan  1 00:00:00 05[CFG] <conn|3> selected proposal: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048
            Jan  1 00:00:00 05[IKE] <conn|3> SKEYID => 4 bytes @ 0x1
            Jan  1 00:00:00 05[IKE] <conn|3>    0: 01 02 03 04                                      ....
            Jan  1 00:00:00 05[IKE] <conn|3> SKEYID_e => 2 bytes @ 0x1
            Jan  1 00:00:00 05[IKE] <conn|3>    0: 0A 0B                                            ..
            Jan  1 00:00:00 05[IKE] <conn|3> encryption key Ka => 16 bytes @ 0x1
            Jan  1 00:00:00 05[IKE] <conn|3>    0: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................
            """
        let keys = try StrongSwanLogParser.parse(text, file: "v1.log")
        let ike = try #require(keys.ikeSAs.first)
        #expect(ike.version == .v1)
        #expect(ike.initiatorSPI == 0x0011_2233_4455_6677)
        #expect(ike.responderSPI == 0x8899_aabb_ccdd_eeff)
        #expect(ike.skeyid == [1, 2, 3, 4])
        #expect(ike.skeyidE == [10, 11])
        #expect(ike.ikev1EncryptionKey == Array(0..<16))
        #expect(ike.encryption == .aesCBC(keyBits: 128))
        #expect(ike.prf == .hmacSHA1)
    }

    // MARK: - strongSwan malformed lines

    static let header = "Nov 29 01:22:10 16[IKE] "

    /// A log is messy input: a damaged key is skipped with a warning naming its line and the
    /// key, and the rest of the log still loads.
    static func warnings(_ text: String) throws -> (keys: KeySet, warnings: [KeyFileNote]) {
        let keys = try StrongSwanLogParser.parse(text, file: "c.log")
        return (keys, keys.notes.filter { $0.kind == .warning })
    }

    @Test func strongSwanKeyLineWithoutHexdump() throws {
        let (keys, warnings) = try Self.warnings(
            "x\n\(Self.header)Sk_ei secret => 32 bytes @ 0x7f\n\(Self.header)something else")
        #expect(warnings.count == 1)
        #expect(warnings.first?.file == "c.log")
        #expect(warnings.first?.line == 2)
        #expect(warnings.first?.message.contains("'Sk_ei secret => 32 bytes' is not followed by its hexdump") == true)
        #expect(keys.ikeSAs.isEmpty)
    }

    @Test func strongSwanTruncatedHexdumpAtEnd() throws {
        let text =
            "\(Self.header)Sk_d secret => 32 bytes @ 0x7f\n\(Self.header)   0: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................"
        let (keys, warnings) = try Self.warnings(text)
        #expect(warnings.map(\.line) == [1])
        #expect(warnings.first?.message.contains("'Sk_d secret'") == true)
        #expect(warnings.first?.message.contains("the log ends before its hexdump does") == true)
        #expect(keys.ikeSAs.isEmpty)
    }

    @Test func strongSwanHexdumpRowAtWrongOffset() throws {
        let text = "a\nb\n\(Self.header)Sk_ai secret => 20 bytes @ 0x7f\n\(Self.header)  16: 00 01 02 03  ...."
        let (_, warnings) = try Self.warnings(text)
        #expect(warnings.map(\.line) == [4])
        #expect(
            warnings.first?.message.contains("'Sk_ai secret' (line 3): hexdump row at offset 16, expected 0") == true)
    }

    @Test func strongSwanHexdumpRowTooShort() throws {
        let text = "\(Self.header)Sk_ai secret => 20 bytes @ 0x7f\n\(Self.header)   0: 00 01 02 03  ...."
        let (_, warnings) = try Self.warnings(text)
        #expect(warnings.map(\.line) == [2])
        #expect(warnings.first?.message.contains("hexdump row has 4 bytes, expected 16") == true)
    }

    @Test func strongSwanKeyTooLong() throws {
        let (_, warnings) = try Self.warnings("\n\(Self.header)Sk_er secret => 99999 bytes @ 0x7f")
        #expect(warnings.map(\.line) == [2])
        #expect(warnings.first?.message.contains("'Sk_er secret': 99999 bytes is not a key length") == true)
    }

    @Test func strongSwanBadEstablishedLine() throws {
        let (keys, warnings) = try Self.warnings(
            "\n\n01[IKE] CHILD_SA net{1} established with SPIs zz_i 5e81594e_o and TS")
        #expect(warnings.map(\.line) == [3])
        #expect(warnings.first?.message.contains("without 'name{n} established with SPIs <8 hex>_i <8 hex>_o'") == true)
        #expect(keys.sas.isEmpty)
    }

    @Test func strongSwanKeyLengthDoesNotFitTheProposal() throws {
        // The fixture's 16-byte AES key under a proposal that says AES-256: that CHILD_SA is
        // skipped with a warning naming the key's line; the IKE SA still loads.
        var text = try Self.read(Paths.fixture("strongswan/aes128cbc-sha256-v4/charon-A.log"))
        text = text.replacingOccurrences(
            of: "selected proposal: ESP:AES_CBC_128/", with: "selected proposal: ESP:AES_CBC_256/")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let keyLine = try #require(lines.firstIndex { $0.contains("encryption initiator key =>") }) + 1
        let (keys, warnings) = try Self.warnings(text)
        #expect(keys.sas.isEmpty)
        #expect(keys.ikeSAs.count == 1)
        let warning = try #require(warnings.first { $0.message.contains("CHILD_SA net{1}") })
        #expect(warning.message.contains("line \(keyLine)"), "\(warning)")
        #expect(warning.message.contains("'encryption initiator key'"), "\(warning)")
    }

    @Test(.seeded(0x10_95ee_d)) func strongSwanEveryPrefixParsesOrThrows() throws {
        let text = try Self.read(Paths.fixture("strongswan/aes256gcm16-v4/charon-B.log"))
        let utf8 = Array(text.utf8)
        var offsets = Set(stride(from: 0, to: utf8.count, by: 53))
        for (i, b) in utf8.enumerated() where b == UInt8(ascii: "\n") {
            offsets.insert(i)
            offsets.insert(i + 1)
        }
        offsets.insert(utf8.count)
        for offset in offsets.sorted() {
            let prefix = String(decoding: utf8[0..<offset], as: UTF8.self)
            do {
                _ = try StrongSwanLogParser.parse(prefix, file: "p")
            } catch is KeyFileError {
            }
        }
        // Hostile bytes.
        var generator = TestSeed.current.generator
        for _ in 0..<200 {
            var bytes = utf8
            for _ in 0..<20 {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? StrongSwanLogParser.parse(String(decoding: bytes, as: UTF8.self), file: "r")
        }
    }

    // MARK: - tcpdump secrets

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
