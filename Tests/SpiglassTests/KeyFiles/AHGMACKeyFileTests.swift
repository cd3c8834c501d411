import Testing

@testable import SpiglassSAD

/// RFC 4543 AUTH_AES_GMAC as an AH integrity transform: names in each key-file format, key
/// lengths (AES key + 4-byte salt), the writers, and its rejection on ESP SAs.
@Suite struct AHGMACKeyFileTests {
    static let key20 = "0x000102030405060708090a0b0c0d0e0f10111213"

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

    @Test func nativeNamesAndKeyLengths() throws {
        let text = """
            ah spi=0x100 src=10.0.0.1 dst=10.0.0.2 auth=aes-gmac-128 auth-key=\(Self.key20)
            ah spi=0x101 auth=aes-gmac-192 auth-key=0x\(String(repeating: "11", count: 28)) esn=yes
            ah spi=0x102 auth=AES-GMAC-256 auth-key=0x\(String(repeating: "22", count: 36))
            """
        let sas = try KeyFileLoader.parse(text, file: "k.spiglass")
        #expect(sas.map(\.integrity) == [.aesGMAC(keyBits: 128), .aesGMAC(keyBits: 192), .aesGMAC(keyBits: 256)])
        #expect(sas.allSatisfy { $0.ipsecProtocol == .ah })
        let first = try #require(sas.first)
        #expect(first.integrity.name == "aes-gmac-128")
        #expect(first.icvLength == 24)  // IV 8 + tag 16 in the ICV field
        #expect(first.integrity.explicitIVLength == 8)
        // Native writer round-trips; Wireshark esp_sa and tcpdump cannot express AH GMAC.
        let line = KeyFileWriter.nativeLine(first)
        #expect(line.contains("auth=aes-gmac-128 auth-key=0x000102030405060708090a0b0c0d0e0f10111213"))
        #expect(try KeyFileLoader.parse(line, file: "again").first?.integrity == .aesGMAC(keyBits: 128))
        #expect(KeyFileWriter.wiresharkESPLine(first) == nil)
        #expect(KeyFileWriter.tcpdumpLine(first) == nil)
        var keys = KeySet()
        keys.sas = sas
        #expect(KeyFileWriter.wireshark(keys).espSA.contains("# not expressible in esp_sa: ah spi=0x00000100"))
        #expect(KeyFileWriter.tcpdump(keys).contains("# not expressible for tcpdump: ah spi=0x00000100"))
    }

    @Test func wrongKeyLengthNamesTheField() {
        let e = error("ah spi=1 auth=aes-gmac-128 auth-key=0x000102030405060708090a0b0c0d0e0f")
        #expect(e?.code == .badKeyLength)
        #expect(e?.field == "auth-key")
        #expect(e?.description.contains("20-byte key (16-byte AES key + 4-byte salt)") == true)
        #expect(error("ah spi=1 auth=aes-gmac-256 auth-key=\(Self.key20)")?.field == "auth-key")
    }

    @Test func espRejectsGMACIntegrity() {
        let e = error(
            "esp spi=1 enc=aes-cbc enc-key=0x000102030405060708090a0b0c0d0e0f auth=aes-gmac-128 auth-key=\(Self.key20)")
        #expect(e?.code == .badValue)
        #expect(e?.field == "auth-key" || e?.field == "auth")
        #expect(e?.description.contains("AH integrity algorithm") == true)
        #expect(e?.description.contains("aes-gmac") == true)
        // ESP's own RFC 4543 transform (ENCR_NULL_AUTH_AES_GMAC) is unaffected.
        #expect(error("esp spi=1 enc=aes-gmac enc-key=\(Self.key20)") == nil)
    }

    @Test func setkeyNames() throws {
        for name in ["aes-gmac-128", "aes-128-gmac", "gmac-aes-128"] {
            let dump = """
                10.1.0.1 10.1.0.2 \n\
                \tah mode=transport spi=4098(0x00001002) reqid=0(0x00000000)
                \tA: \(name)  00010203 04050607 08090a0b 0c0d0e0f 10111213
                \tseq=0x00000000 replay=4 flags=0x00000000 state=mature \n\

                """
            let keys = try SetkeyDumpParser.parse(dump, file: "setkey.txt")
            let sa = try #require(keys.sas.first)
            #expect(sa.integrity == .aesGMAC(keyBits: 128), "\(name)")
            #expect(sa.integrityKey == Array(0..<20))
        }
        let esp = """
            10.1.0.1 10.1.0.2 \n\
            \tesp mode=transport spi=4097(0x00001001) reqid=0(0x00000000)
            \tE: rijndael-cbc  00010203 04050607 08090a0b 0c0d0e0f
            \tA: aes-gmac-128  00010203 04050607 08090a0b 0c0d0e0f 10111213
            \tseq=0x00000000 replay=4 flags=0x00000000 state=mature \n\

            """
        do {
            _ = try SetkeyDumpParser.parse(esp, file: "setkey.txt")
            Issue.record("ESP with aes-gmac-128 integrity must not load")
        } catch let e as KeyFileError {
            #expect(e.field == "A")
            #expect(e.description.contains("AH integrity algorithm"))
        }
    }
}
