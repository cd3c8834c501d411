import SpiglassSAD
import SpiglassWire
import Testing

@Suite struct KeyFileTests {
    @Test func nativeLineWithEveryField() throws {
        let text = """
            # comment line
            esp spi=0x5e81594e src=10.99.0.1 dst=10.0.0.0/8 enc=aes-cbc enc-key=0x000102030405060708090a0b0c0d0e0f auth=hmac-sha2-256-128 auth-key=00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14:15:16:17:18:19:1a:1b:1c:1d:1e:1f esn=yes esn-high=7 # trailing comment
            """
        let sas = try KeyFileLoader.parse(text, file: "k.spiglass")
        #expect(sas.count == 1)
        let sa = try #require(sas.first)
        #expect(sa.spi == 0x5e81_594e)
        #expect(sa.source == .exact(IPAddress("10.99.0.1")!))
        #expect(sa.destination == .prefix(IPAddress("10.0.0.0")!, bits: 8))
        #expect(sa.encryption == .aesCBC)
        #expect(sa.encryptionKey == Array(0..<16))
        #expect(sa.integrity == .hmacSHA256_128)
        #expect(sa.integrityKey == Array(0..<32))
        #expect(sa.extendedSequenceNumbers)
        #expect(sa.initialSequenceHigh == 7)
        #expect(sa.origin == SAOrigin(file: "k.spiglass", line: 2))
        #expect(sa.algorithmDescription == "aes-cbc-128/hmac-sha2-256-128")
    }

    @Test func nativeQuotedASCIIKeyAndWildcards() throws {
        let sas = try KeyFileLoader.parse(
            #"esp spi=* dst=192.168.*.* enc=3des-cbc enc-key="3descbcencryptiontesting" auth=hmac-sha1-96 auth-key="hmacsha1authenticati""#,
            file: "f")
        let sa = try #require(sas.first)
        #expect(sa.spi == nil)
        #expect(sa.destination == .prefix(IPAddress("192.168.0.0")!, bits: 16))
        #expect(sa.encryptionKey == Array("3descbcencryptiontesting".utf8))
        #expect(sa.icvLength == 12)
    }

    @Test func wiresharkEightAndTenColumnLines() throws {
        let text = """
            "IPv4","10.99.0.1","10.99.0.2","0xc19c5d01","AES-GCM with 16 octet ICV [RFC4106]","0xd3b5a3c45b8ad4f7215540e27d55119b0f45810b120212a217e57406681fc122a41195d8","NULL",""
            "IPv6","3ffe::1","*","10","AES-CBC [RFC3602]","aescbcencryption","HMAC-SHA-1-96 [RFC2404]","hmacsha1authenticati"
            "IPv4","*","*","0x1","AES-GCM [RFC4106]","0x0001020304050607080900010203040506070809","ANY 64 bit authentication [no checking]",""
            "IPv4","*","192.0.2.2","0x2","AES-CBC [RFC3602]","0x000102030405060708090a0b0c0d0e0f","HMAC-SHA-256-128 [RFC4868]","0x00","64-bit","0x1"
            """
        let sas = try KeyFileLoader.parse(text, file: "esp_sa")
        #expect(sas.count == 4)
        #expect(sas[0].encryption == .aesGCM(icvLength: 16))
        #expect(sas[0].encryptionKey.count == 36)
        #expect(sas[0].icvLength == 16)
        #expect(sas[1].spi == 10)
        #expect(sas[1].source == .exact(IPAddress("3ffe::1")!))
        #expect(sas[1].encryptionKey == Array("aescbcencryption".utf8))
        #expect(sas[2].encryption == .aesGCM(icvLength: 8))
        #expect(sas[3].extendedSequenceNumbers)
        #expect(sas[3].initialSequenceHigh == 1)
    }

    @Test func errorsNameFileLineAndField() {
        func error(_ text: String) -> KeyFileError? {
            do {
                _ = try KeyFileLoader.parse(text, file: "keys.txt")
                return nil
            } catch let e as KeyFileError {
                return e
            } catch {
                return nil
            }
        }
        let unknownAlgorithm = error("\n\nesp spi=1 enc=aes-cbcc enc-key=0x000102030405060708090a0b0c0d0e0f")
        #expect(unknownAlgorithm?.code == .unknownAlgorithm)
        #expect(unknownAlgorithm?.line == 3)
        #expect(unknownAlgorithm?.field == "enc")
        #expect(unknownAlgorithm?.description.contains("did you mean 'aes-cbc'") == true)

        let shortKey = error("esp spi=1 enc=aes-gcm-16 enc-key=0x00010203")
        #expect(shortKey?.code == .badKeyLength)
        #expect(shortKey?.field == "enc-key")

        let sizeMismatch = error("esp spi=1 enc=aes256 enc-key=0x000102030405060708090a0b0c0d0e0f")
        #expect(sizeMismatch?.code == .badKeyLength)

        #expect(error("esp enc=null")?.code == .missingField)
        #expect(error("esp spi=1 enc=null colour=red")?.code == .unknownField)
        #expect(error("esp spi=zz enc=null")?.field == "spi")
        #expect(error("esp spi=1 enc=null enc-key=0xgg")?.field == "enc-key")
        #expect(
            error(
                "esp spi=1 enc=aes-gcm-16 enc-key=0x0001020304050607080900010203040506070809 auth=hmac-sha1-96 auth-key=0x00"
            )?.field == "auth")
        #expect(error("esp spi=1 enc=null auth=hmac-sha1-96")?.field == "auth-key")
        #expect(error("esp spi=1 src=300.1.1.1 enc=null")?.field == "src")
        #expect(error("hello world")?.code == .unknownFormat)

        let ws = error(#""IPv4","*","*","0x1","AES-CBC [RFC3603]","0x000102030405060708090a0b0c0d0e0f","NULL","""#)
        #expect(ws?.code == .unknownAlgorithm)
        #expect(ws?.field == "encryption")
        #expect(ws?.description.contains("AES-CBC [RFC3602]") == true)
        #expect(error(#""IPv4","*","*","0x1","NULL",""#)?.code == .syntax)
        #expect(error(#""IPv4","*","*","0x1","NULL","","NULL","unterminated"#)?.code == .syntax)
        #expect(
            error(
                #""IPv4","*","*","0x1","AES-GCM with 16 octet ICV [RFC4106]","0x0001020304050607080900010203040506070809","HMAC-SHA-1-96 [RFC2404]","0x01""#
            )?.field == "authentication")
    }

    @Test func lookupPrefersAddressesThenSPIAlone() throws {
        let text = """
            esp spi=0x10 dst=192.0.2.2 enc=null
            esp spi=0x10 dst=192.0.2.3 enc=null
            esp spi=* dst=198.51.100.0/24 enc=null
            """
        let sad = SADatabase(try KeyFileLoader.parse(text, file: "f"))
        let a = IPAddress("192.0.2.1")!
        #expect(sad.lookup(spi: 0x10, source: a, destination: IPAddress("192.0.2.3")!)?.index == 1)
        #expect(sad.lookup(spi: 0x10, source: a, destination: IPAddress("192.0.2.3")!)?.match == .addresses)
        #expect(sad.lookup(spi: 0x99, source: a, destination: IPAddress("198.51.100.7")!)?.index == 2)
        let fallback = sad.lookup(spi: 0x10, source: a, destination: IPAddress("203.0.113.9")!)
        #expect(fallback?.index == 0)
        #expect(fallback?.match == .spiOnly)
        #expect(sad.lookup(spi: 0x99, source: a, destination: IPAddress("203.0.113.9")!) == nil)
    }

    @Test(.enabled(if: Paths.corpusPresent, "the shared corpus (../shared/corpus) is not present"))
    func corpusWiresharkFilesLoad() throws {
        for path in [
            "wireshark-wiki/ipsec_esp_capture_1/esp_sa", "wireshark-wiki/ipsec_esp_capture_3/esp_sa",
            "wireshark-wiki/ipsec_ikev2+esp_aes-gcm,aes-ctr,aes-cbc/esp_sa",
        ] {
            let full = Paths.corpus(path)
            let sas = try KeyFileLoader.load(path: full)
            #expect(!sas.isEmpty, "\(path)")
        }
    }

    @Test func missingFileIsAnError() {
        #expect(throws: KeyFileError.self) { try KeyFileLoader.load(path: "/nonexistent/keys") }
    }
}
