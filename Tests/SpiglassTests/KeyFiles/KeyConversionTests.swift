import Foundation
import SpiglassAnalysis
import SpiglassSAD
import Testing

/// Native AH/IKE lines, Wireshark IKE tables, format detection, and convert → load round trips.
@Suite struct KeyConversionTests {
    @Test func nativeAHAndIKELines() throws {
        let text = """
            ah spi=0x100 dst=2001:db8::2 auth=hmac-sha2-256-128 auth-key=0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f mode=transport
            ike version=2 ispi=0x79f54b97b88d732e rspi=d370a4356fcbc654 enc=aes-cbc-256 integ=hmac-sha2-256-128 prf=hmac-sha2-256 sk-ei=0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f sk-ai=0x01 sk-d=0x02
            ike version=1 ispi=fafaeb49382a763c enc-key=0x735be0cb62f82675c4f7bf8fbab9b56834ba76d6ab4fa240
            """
        let keys = try KeyFileLoader.parseKeys(text, file: "k")
        #expect(keys.sas.count == 1)
        #expect(keys.sas[0].ipsecProtocol == .ah)
        #expect(keys.sas[0].mode == .transport)
        #expect(keys.sas[0].icvLength == 16)
        #expect(keys.ikeSAs.count == 2)
        let v2 = keys.ikeSAs[0]
        #expect(v2.version == .v2)
        #expect(v2.initiatorSPI == 0x79f5_4b97_b88d_732e)
        #expect(v2.responderSPI == 0xd370_a435_6fcb_c654)
        #expect(v2.encryption == .aesCBC(keyBits: 256))
        #expect(v2.integrity == .hmacSHA256_128)
        #expect(v2.prf == .hmacSHA256)
        #expect(v2.skEi.count == 32)
        #expect(v2.skD == [2])
        let v1 = keys.ikeSAs[1]
        #expect(v1.version == .v1)
        #expect(v1.responderSPI == nil)
        #expect(v1.ikev1EncryptionKey.count == 24)
        #expect(keys.notes.count == 3)
        // The AH SA is kept out of the ESP database.
        #expect(Analyzer.espDatabase(keys).count == 0)
    }

    @Test func nativeIKEErrorsNameTheField() {
        func field(_ line: String) -> String? {
            (try? KeyFileLoader.parseKeys(line, file: "f")).map { _ in "no error" }
                ?? {
                    do { _ = try KeyFileLoader.parseKeys(line, file: "f") } catch let e as KeyFileError {
                        return e.field
                    } catch {}
                    return nil
                }()
        }
        #expect(field("ike version=3 ispi=1") == "version")
        #expect(field("ike version=2") == "ispi")
        #expect(field("ike ispi=0x123456789abcdef01") == "ispi")
        #expect(field("ike ispi=1 enc=aes-cbc-100") == "enc")
        #expect(field("ike ispi=1 integ=hmac-sha3") == "integ")
        #expect(field("ike ispi=1 prf=md4") == "prf")
        #expect(field("ike ispi=1 enc=aes-cbc-128 sk-ei=0x0102") == "sk-ei")
        #expect(field("ah spi=1 auth-key=0x01") == "auth")
        #expect(field("ah spi=1 auth=hmac-sha1-96 auth-key=0x01 enc=null") == "enc")
    }

    @Test func wiresharkIKETablesFromFixturesAndCorpus() throws {
        let table = try KeyFileLoader.loadKeys(
            path: Paths.fixture("strongswan/aes128cbc-sha256-v4/ikev2_decryption_table"))
        #expect(table.ikeSAs.count == 1)
        #expect(table.ikeSAs[0].encryption == .aesCBC(keyBits: 256))
        #expect(table.ikeSAs[0].integrity == .hmacSHA256_128)
        let wiki = Paths.corpus("wireshark-wiki/ipsec_ikev2+esp_aes-gcm,aes-ctr,aes-cbc/ikev2_decryption_table")
        if Paths.exists(wiki) {
            let keys = try KeyFileLoader.loadKeys(path: wiki)
            #expect(
                keys.ikeSAs.map(\.encryption) == [
                    .aesGCM(keyBits: 256, icvLength: 16), .aesCTR(keyBits: 256), .aesCBC(keyBits: 256),
                ])
            #expect(keys.ikeSAs[0].integrity == IKEIntegrityAlgorithm.none)
            #expect(keys.ikeSAs[0].skEi.count == 36)
        }
        let v1 = Paths.corpus("wireshark/test/config/ikev1_decryption_table.tmpl")
        if Paths.exists(v1) {
            let keys = try KeyFileLoader.loadKeys(path: v1)
            #expect(keys.ikeSAs.count == 3)
            #expect(keys.ikeSAs[0].initiatorSPI == 0xfafa_eb49_382a_763c)
            #expect(keys.ikeSAs[0].ikev1EncryptionKey.count == 24)
        }
    }

    @Test func detectionPicksTheFormat() {
        #expect(KeyFileLoader.detect("# c\nesp spi=1 enc=null\n") == .native)
        #expect(KeyFileLoader.detect("\"IPv4\",\"*\",\"*\",\"1\",\"NULL\",\"\",\"NULL\",\"\"") == .wiresharkESP)
        #expect(
            KeyFileLoader.detect("fafaeb49382a763c,735be0cb62f82675c4f7bf8fbab9b56834ba76d6ab4fa240") == .wiresharkIKEv1
        )
        #expect(
            KeyFileLoader.detect(
                "79f54b97b88d732e,d370a4356fcbc654,00,00,\"AES-CBC-256 [RFC3602]\",00,00,\"NONE [RFC4306]\"")
                == .wiresharkIKEv2)
        #expect(KeyFileLoader.detect("hello") == nil)
        #expect(KeyFileLoader.detect("") == nil)
    }

    /// Every fixture key file survives native and Wireshark round trips unchanged, and the
    /// converted keys decrypt the capture exactly as the originals do.
    @Test(arguments: [
        "aes128cbc-sha256-v4", "aes256gcm16-v4", "chacha20poly1305-v4", "aes128ctr-sha1-v4", "3des-md5-v4",
        "aes256cbc-sha512-v6",
    ])
    func roundTrips(name: String) throws {
        var original = try KeyFileLoader.loadKeys(path: Paths.fixture("strongswan/\(name)/sa.spiglass"))
        original.merge(try KeyFileLoader.loadKeys(path: Paths.fixture("strongswan/\(name)/ikev2_decryption_table")))
        func comparable(_ keys: KeySet) -> [String] {
            keys.sas.map(KeyFileWriter.nativeLine) + keys.ikeSAs.map(KeyFileWriter.nativeLine)
        }
        let native = try KeyFileLoader.parseKeys(KeyFileWriter.native(original), file: "native")
        #expect(comparable(native) == comparable(original))
        var tables = KeyFileWriter.wireshark(original)
        // ChaCha20 rows are comments (tshark 4.0 would reject the table); a newer release reads them.
        #expect(
            tables.espSA.contains("# Wireshark 4.0 and older reject the whole esp_sa table")
                == name.hasPrefix("chacha20"))
        tables.espSA = uncommentingRowsForNewerWireshark(tables.espSA)
        var fromWireshark = try KeyFileLoader.parseKeys(tables.espSA, file: "esp_sa")
        fromWireshark.merge(try KeyFileLoader.parseKeys(tables.ikev2, file: "ikev2", format: .wiresharkIKEv2))
        // Wireshark tables carry no labels, modes or PRFs; the rest must match.
        #expect(comparable(fromWireshark) == comparable(original))

        let path = NSTemporaryDirectory() + "spiglass-roundtrip-\(getpid())-\(name).esp_sa"
        try tables.espSA.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try analyze(Paths.fixture("strongswan/\(name)/capture.pcap"), keys: [path])
        #expect(result.summary.count(.decrypted) == 26)
    }

    @Test func writersSayWhatTheyCannotExpress() throws {
        let keys = try KeyFileLoader.parseKeys(
            """
            esp spi=1 dst=10.0.0.0/9 enc=aes-gcm-16 enc-key=0x0001020304050607080900010203040506070809
            esp spi=2 enc=chacha20-poly1305 enc-key=0x000102030405060708090001020304050607080900010203040506070809000102030405
            """, file: "k")
        let wireshark = KeyFileWriter.wireshark(keys).espSA
        #expect(wireshark.contains("# not expressible in esp_sa: esp spi=0x00000001 dst=10.0.0.0/9"))
        #expect(wireshark.contains("\"ChaCha20 with Poly1305 [RFC7634]\""))
        let tcpdump = KeyFileWriter.tcpdump(keys)
        #expect(tcpdump.split(separator: "\n").filter { $0.hasPrefix("# not expressible for tcpdump") }.count == 2)
    }

    /// Names from older Wireshark releases, odd capitalisation, and strongSwan's save-keys GCM
    /// form ("AES-GCM [RFC4106]" with the ICV length in the authentication column).
    @Test func wiresharkNameVariants() throws {
        let keys = try KeyFileLoader.parseKeys(
            """
            "IPv4","*","*","0x1","aes-cbc [rfc3602]","0x000102030405060708090a0b0c0d0e0f","HMAC-SHA1-96 [RFC2404]","0x01"
            "IPv4","*","*","0x2","AES-CBC with 128-bit keys [RFC3602]","0x000102030405060708090a0b0c0d0e0f","HMAC-SHA256","0x01"
            "IPv4","*","*","0x3","AES-GCM [RFC4106]","0x0001020304050607080900010203040506070809","ANY 128 bit authentication [no checking]",""
            "IPv4","*","*","0x4","TRIPLEDES-CBC [RFC2451]","0x000102030405060708090001020304050607080900010203","ANY 12-bytes of Authentication [No Checking]",""
            """, file: "old")
        #expect(keys.sas.map(\.integrity) == [.hmacSHA1_96, .hmacSHA256_96, .null, .unchecked(icvLength: 12)])
        #expect(keys.sas.map(\.encryption) == [.aesCBC, .aesCBC, .aesGCM(icvLength: 16), .tripleDESCBC])
    }

    /// IKEv2 SAs with CBC and HMAC go to tcpdump's `ikev2 I/R` lines and come back unchanged.
    @Test func tcpdumpIKELinesRoundTrip() throws {
        let original = try KeyFileLoader.loadKeys(
            path: Paths.fixture("strongswan/aes128cbc-sha256-v4/ikev2_decryption_table"))
        let text = KeyFileWriter.tcpdump(original)
        #expect(text.contains("ikev2 I 0x79f54b97b88d732e 0xd370a4356fcbc654 sha256:0x"))
        let back = try KeyFileLoader.parseKeys(text, file: "secrets")
        #expect(back.ikeSAs.map(KeyFileWriter.nativeLine) == original.ikeSAs.map(KeyFileWriter.nativeLine))
        // GCM IKE SAs have no tcpdump form and are written as a comment.
        let gcm = try KeyFileLoader.loadKeys(path: Paths.fixture("strongswan/aes256gcm16-v4/ikev2_decryption_table"))
        #expect(KeyFileWriter.tcpdump(gcm).contains("# not expressible for tcpdump: ike version=2"))
    }
}
