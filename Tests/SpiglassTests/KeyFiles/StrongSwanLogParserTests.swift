import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassWire
import Testing

@testable import SpiglassSAD

/// The strongSwan charon log parser.
@Suite struct StrongSwanLogParserTests: KeyFileParserChecks {
    static let strongSwanCases = [
        "3des-md5-v4", "3des-sha1-v4", "aes128cbc-sha256-v4", "aes128ctr-sha1-v4", "aes128gcm16-v6",
        "aes192cbc-sha384-v4", "aes256cbc-sha256-inner6-v4", "aes256cbc-sha512-v6", "aes256gcm16-v4",
        "chacha20poly1305-v4",
    ]

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
}
