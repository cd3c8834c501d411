import Foundation
import SpiglassAnalysis
import SpiglassSAD
import Testing

/// The same capture decrypts identically whichever format its keys arrive in.
@Suite struct KeyFormatEquivalenceTests {
    static func outcome(_ capture: String, _ keyFile: String) throws -> [String] {
        let result = try analyze(capture, keys: [keyFile])
        return result.frames.map { "\($0.record.verdict.rawValue) \(hex($0.inner))" }
    }

    static func temporary(_ text: String, _ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "spiglass-equiv-\(getpid())-\(UUID().uuidString)-\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: ["aes128cbc-sha256-v4", "aes256gcm16-v4", "chacha20poly1305-v4", "3des-sha1-v4", "aes128gcm16-v6"])
    func everyFormatDecryptsTheSame(name: String) throws {
        let dir = Paths.fixture("strongswan/\(name)")
        let capture = dir + "/capture.pcap"
        let reference = try Self.outcome(capture, dir + "/sa.spiglass")
        #expect(reference.filter { $0.hasPrefix("decrypted ") }.count == 26)
        for source in ["esp_sa", "charon-A.log", "charon-B.log"] {
            #expect(try Self.outcome(capture, dir + "/" + source) == reference, "\(name) with \(source)")
        }
        // Converted files, read back through detection.
        let keys = try KeyFileLoader.loadKeys(path: dir + "/sa.spiglass")
        let native = try Self.temporary(KeyFileWriter.native(keys), "native")
        let wireshark = try Self.temporary(
            uncommentingRowsForNewerWireshark(KeyFileWriter.wireshark(keys).espSA), "esp_sa")
        defer {
            try? FileManager.default.removeItem(atPath: native)
            try? FileManager.default.removeItem(atPath: wireshark)
        }
        #expect(try Self.outcome(capture, native) == reference)
        #expect(try Self.outcome(capture, wireshark) == reference)
        // tcpdump only expresses CBC ciphers, and checks no ICV: same plaintext, ICV unchecked.
        if name.contains("cbc") || name.contains("3des") {
            let tcpdump = try Self.temporary(KeyFileWriter.tcpdump(keys), "secrets")
            defer { try? FileManager.default.removeItem(atPath: tcpdump) }
            let loaded = try KeyFileLoader.loadKeys(path: tcpdump)
            let viaTcpdump = try Self.outcome(capture, tcpdump)
            if keys.sas.allSatisfy({ $0.icvLength == 12 }) {
                // "-hmac96": tcpdump skips the 12 ICV bytes unchecked; the plaintext is the same.
                #expect(loaded.sas.count == 2)
                #expect(viaTcpdump == reference)
            } else {
                // tcpdump cannot describe a 16-byte ICV: both SAs become comments.
                #expect(loaded.sas.isEmpty)
                #expect(viaTcpdump.allSatisfy { $0.hasPrefix("no-sa ") || $0.hasPrefix("ike ") })
            }
        }
    }

    /// A key file saved on Windows (CR LF line ends) reads as the same file with LF does, in
    /// every format: ESP and IKE tables, native lines, charon logs, tcpdump secrets, and the
    /// xfrm and setkey dumps.
    @Test(arguments: [
        "strongswan/aes128cbc-sha256-v4/sa.spiglass", "strongswan/aes128cbc-sha256-v4/esp_sa",
        "strongswan/aes128cbc-sha256-v4/charon-A.log", "strongswan/aes128cbc-sha256-v4/ikev2_decryption_table",
        "strongswan-ike/pfs-gcm/charon-A.log",
    ])
    func windowsLineEndsReadTheSame(source: String) throws {
        let path = Paths.fixture(source)
        let unix = try KeyFileLoader.loadKeys(path: path)
        #expect(unix.sas.count + unix.ikeSAs.count >= 1)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let windows = try Self.temporary(text.replacingOccurrences(of: "\n", with: "\r\n"), "crlf")
        defer { try? FileManager.default.removeItem(atPath: windows) }
        let read = try KeyFileLoader.loadKeys(path: windows)
        #expect(read.sas.count == unix.sas.count && read.ikeSAs.count == unix.ikeSAs.count)
        #expect(KeyFileWriter.native(read) == KeyFileWriter.native(unix))
    }

    @Test func windowsLineEndsInTcpdumpSecretsAndDumps() throws {
        let keys = try KeyFileLoader.loadKeys(path: Paths.fixture("strongswan/3des-sha1-v4/sa.spiglass"))
        let tcpdump = KeyFileWriter.tcpdump(keys)
        let xfrm = """
            src 192.0.2.1 dst 192.0.2.2
            \tproto esp spi 0x00001001 reqid 1 mode tunnel
            \treplay-window 0 flag af-unspec
            \tauth-trunc hmac(sha1) 0x0102030405060708090a0b0c0d0e0f1011121314 96
            \tenc cbc(aes) 0x000102030405060708090a0b0c0d0e0f

            """
        for text in [tcpdump, xfrm] {
            let unix = try KeyFileLoader.parseKeys(text, file: "unix", format: nil)
            let windows = try KeyFileLoader.parseKeys(
                text.replacingOccurrences(of: "\n", with: "\r\n"), file: "windows", format: nil)
            #expect(unix.sas.count >= 1)
            #expect(KeyFileWriter.native(windows) == KeyFileWriter.native(unix))
        }
    }

    /// The ipdecap captures come with real `setkey -D` dumps; they must decrypt exactly as the
    /// corpus' Wireshark tables do.
    @Test(
        .enabled(if: Paths.corpusPresent, "the shared corpus (../shared/corpus) is not present"),
        arguments: [
            "aes-cbc_hmac-sha1", "3des-cbc_hmac-sha1", "aes256-cbc_hmac-sha1", "null_hmac-md5",
            "3des-cbc_null",
        ])
    func setkeyDumpsMatchWireshark(name: String) throws {
        let base = "ipdecap/unit_tests/esp/\(name)/\(name).cap"
        let viaSetkey = try Self.outcome(Paths.corpus(base), Paths.corpus(base + ".keys"))
        let viaWireshark = try Self.outcome(Paths.corpus(base), Paths.corpus("ipdecap/derived/\(name).esp_sa"))
        #expect(viaSetkey.filter { $0.hasPrefix("decrypted ") }.count > 200)
        #expect(viaSetkey == viaWireshark)
    }
}
