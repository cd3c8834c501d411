import Foundation
import SpiglassWire
import Testing

@testable import SpiglassCrypto
@testable import SpiglassIKE
@testable import SpiglassSAD

/// Key material hygiene: key buffers are wiped when freed, keys never reach output or errors
/// unless asked for, and a key file other users can read gets a warning.
@Suite struct KeyHygieneTests {
    /// What `SecretBytes`' wipe observer saw: each freed buffer, after it was wiped.
    final class WipeLog: @unchecked Sendable {
        private let lock = NSLock()
        private var buffers: [[UInt8]] = []

        func record(_ bytes: UnsafeRawBufferPointer) {
            lock.lock()
            buffers.append(Array(bytes))
            lock.unlock()
        }

        var freed: [[UInt8]] {
            lock.lock()
            defer { lock.unlock() }
            return buffers
        }
    }

    static let pattern: [UInt8] = (0..<32).map { UInt8($0) &* 7 ^ 0xa5 }

    // MARK: - Wiping

    /// The storage is wiped when the last copy goes away, and not before: the observer sees
    /// the buffer between the wipe and the free, so without the wipe it would see the key.
    @Test func secretBytesAreWipedWhenTheLastCopyIsFreed() {
        let log = WipeLog()
        var copy: SecretBytes? = nil
        do {
            let key = SecretBytes(Self.pattern, wipeObserver: { log.record($0) })
            copy = key
            #expect(Array(key) == Self.pattern)
        }
        #expect(log.freed.isEmpty, "a copy still shares the storage")
        #expect(copy.map { Array($0) } == Self.pattern)
        copy = nil
        #expect(log.freed == [[UInt8](repeating: 0, count: Self.pattern.count)])
    }

    /// The same through the types that hold keys: an SA and an IKE SA, copied and dropped.
    @Test func keysOfDroppedSAsAreWiped() {
        let log = WipeLog()
        do {
            var sa = SecurityAssociation(
                spi: 1, encryption: .aesCBC,
                encryptionKey: SecretBytes(Array(Self.pattern[0..<16]), wipeObserver: { log.record($0) }),
                integrity: .hmacSHA256_128, integrityKey: SecretBytes(Self.pattern, wipeObserver: { log.record($0) }))
            var ike = IKESecurityAssociation(
                version: .v2, initiatorSPI: 1, responderSPI: 2, origin: SAOrigin(file: "t", line: 1))
            ike.skD = SecretBytes(Self.pattern, wipeObserver: { log.record($0) })
            let database = SADatabase([sa, sa])
            sa.integrityKey = SecretBytes()
            #expect(log.freed.isEmpty)
            #expect(database.entries.count == 2 && ike.skD.count == 32)
        }
        #expect(log.freed.sorted { $0.count < $1.count } == [16, 32, 32].map { [UInt8](repeating: 0, count: $0) })
    }

    /// `map` on a key keeps it a key; `unshared` copies into storage of its own.
    @Test func derivedSecretBytesStaySecret() {
        let log = WipeLog()
        var shifted: SecretBytes
        var fresh: SecretBytes
        do {
            let key = SecretBytes(Self.pattern, wipeObserver: { log.record($0) })
            shifted = key.map { $0 &+ 1 }
            fresh = key.unshared()
        }
        #expect(log.freed.count == 1, "the original is freed: neither result shares it")
        #expect(Array(shifted) == Self.pattern.map { $0 &+ 1 })
        #expect(fresh == SecretBytes(Self.pattern))
        shifted = SecretBytes()
        fresh = SecretBytes()
        #expect(shifted.isEmpty && fresh.isEmpty)
    }

    @Test func wipeHelpersZeroInPlace() {
        var array = Self.pattern
        SecretBytes.wipe(&array)
        #expect(array == [UInt8](repeating: 0, count: Self.pattern.count))
        var decoded = [UInt8](repeating: 0x55, count: 4)
        let secret = SecretBytes(wiping: &decoded)
        #expect(decoded == [0, 0, 0, 0] && Array(secret) == [0x55, 0x55, 0x55, 0x55])
    }

    // MARK: - Nothing prints a key

    @Test func keysPrintAsTheirLengthOnly() throws {
        let key = SecretBytes(unhex("deadbeefcafebabe0011223344556677"))
        #expect("\(key)" == "<16-byte key>")
        #expect(String(reflecting: key) == "<16-byte key>")
        #expect("\(SecretBytes())" == "<empty key>")
        let sa = SecurityAssociation(
            spi: 0x4567, encryption: .aesCBC, encryptionKey: key,
            integrity: .hmacSHA1_96, integrityKey: SecretBytes(unhex("0123456789abcdef0123456789abcdef01234567")))
        var ike = IKESecurityAssociation(
            version: .v2, initiatorSPI: 1, responderSPI: 2, origin: SAOrigin(file: "t", line: 1))
        ike.skEi = key
        ike.skD = SecretBytes(unhex("0123456789abcdef0123456789abcdef"))
        let derived = try ChildSAKeyDerivation.derive(
            prf: .hmacSHA256, skD: ike.skD, nonceInitiator: [1, 2], nonceResponder: [3, 4],
            encryptionKeyLength: 16, integrityKeyLength: 20)
        var dumped = ""
        dump(sa, to: &dumped)
        dump(ike, to: &dumped)
        dump(derived, to: &dumped)
        for text in ["\(sa)", String(reflecting: sa), "\(ike)", String(reflecting: ike), "\(derived)", dumped] {
            #expect(!text.contains("dead") && !text.contains("0123") && !text.contains("222, 173"), "\(text)")
            #expect(text.contains("-byte key>"), "\(text)")
        }
        for secret in [
            derived.initiatorEncryption, derived.initiatorIntegrity, derived.responderEncryption,
            derived.responderIntegrity,
        ] {
            #expect(!"\(secret)".contains(Hex.encode(secret)))
        }
    }

    /// A bad key's text is not in the error about it, in any format: the error names the
    /// file, the line and the field, and at most the key's length.
    @Test func malformedKeysAreNotEchoedInErrors() throws {
        let key = "00112233445566778899aabbccddeeff"
        let typo = "00112233445566778899aabbccddeegf"
        func leaks(_ message: String) -> Bool {
            for secret in [key, typo] {
                let characters = Array(secret)
                for start in 0...(characters.count - 8) where message.contains(String(characters[start..<(start + 8)]))
                { return true }
            }
            return false
        }
        func check(
            _ label: String, line: Int = 1, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
        ) {
            do {
                try body()
                Issue.record("\(label): no error", sourceLocation: sourceLocation)
            } catch let error as KeyFileError {
                #expect(!leaks(error.description), "\(label): \(error)", sourceLocation: sourceLocation)
                #expect(error.file == "k" && error.line == line, "\(label): \(error)", sourceLocation: sourceLocation)
            } catch {
                Issue.record("\(label): \(error)", sourceLocation: sourceLocation)
            }
        }
        let none: (String) throws -> String = { _ in throw KeyFileError(.cannotRead, file: "", line: 0, "no files") }
        // Native: a typo, a key without its field name, keys in the SPI, address and algorithm fields.
        check("native typo") {
            _ = try KeyFileLoader.parseKeys("esp spi=1 enc=aes-cbc enc-key=0x\(typo)", file: "k", format: .native)
        }
        check("native bare key") {
            _ = try KeyFileLoader.parseKeys("esp spi=1 enc=aes-cbc 0x\(key)", file: "k", format: .native)
        }
        check("native key as spi") {
            _ = try KeyFileLoader.parseKeys("esp spi=0x\(key) enc=aes-cbc enc-key=0x\(key)", file: "k", format: .native)
        }
        check("native key as address") {
            _ = try KeyFileLoader.parseKeys(
                "esp spi=1 dst=\(key) enc=aes-cbc enc-key=0x\(key)", file: "k", format: .native)
        }
        check("native key as algorithm") {
            _ = try KeyFileLoader.parseKeys("esp spi=1 enc=\(key) enc-key=0x\(key)", file: "k", format: .native)
        }
        check("native key as protocol") {
            _ = try KeyFileLoader.parseKeys("0x\(key) spi=1", file: "k", format: .native)
        }
        check("ike typo") {
            _ = try KeyFileLoader.parseKeys("ike ispi=0x1 rspi=0x2 sk-d=0x\(typo)", file: "k", format: .native)
        }
        check("ike key as spi") {
            _ = try KeyFileLoader.parseKeys("ike ispi=\(typo) sk-d=0x\(key)", file: "k", format: .native)
        }
        // Wireshark tables: a typo, and the key and algorithm columns swapped.
        check("esp_sa typo") {
            _ = try KeyFileLoader.parseKeys(
                #""IPv4","*","*","0x1","AES-CBC [RFC3602]","0x\#(typo)","NULL","""#, file: "k", format: .wiresharkESP)
        }
        check("esp_sa swapped columns") {
            _ = try KeyFileLoader.parseKeys(
                #""IPv4","*","*","0x1","0x\#(key)","AES-CBC [RFC3602]","NULL","""#, file: "k", format: .wiresharkESP)
        }
        check("esp_sa key as spi") {
            _ = try KeyFileLoader.parseKeys(
                #""IPv4","*","*","0x\#(key)","AES-CBC [RFC3602]","0x\#(key)","NULL","""#, file: "k",
                format: .wiresharkESP)
        }
        check("ikev2 table typo") {
            _ = try KeyFileLoader.parseKeys(
                "0001020304050607,0807060504030201,\(typo),\(key),AES-CBC-128 [RFC3602],\(key),\(key),HMAC_SHA2_256_128 [RFC4868]",
                file: "k", format: .wiresharkIKEv2)
        }
        check("ikev2 table key as spi") {
            _ = try KeyFileLoader.parseKeys(
                "\(key),0807060504030201,\(key),\(key),AES-CBC-128 [RFC3602],\(key),\(key),HMAC_SHA2_256_128 [RFC4868]",
                file: "k", format: .wiresharkIKEv2)
        }
        // tcpdump: a typo, a secret without its algorithm, a key where the SPI@address goes.
        check("tcpdump typo") {
            _ = try TcpdumpSecretsParser.parse("0x1@10.0.0.1 aes128-cbc:0x\(typo)", file: "k", readFile: none)
        }
        check("tcpdump no algorithm") {
            _ = try TcpdumpSecretsParser.parse("0x1@10.0.0.1 0x\(key)", file: "k", readFile: none)
        }
        check("tcpdump no spi") {
            _ = try TcpdumpSecretsParser.parse("aes128-cbc:0x\(key) extra", file: "k", readFile: none)
        }
        check("tcpdump key as algorithm") {
            _ = try TcpdumpSecretsParser.parse("0x1@10.0.0.1 \(key):0x\(key)", file: "k", readFile: none)
        }
        check("tcpdump ikev2 no name") {
            _ = try TcpdumpSecretsParser.parse(
                "ikev2 I 0x0001020304050607 0xc02e7a3031a03188 0x\(key) aes128:0x\(key)", file: "k", readFile: none)
        }
        check("tcpdump ikev2 key as spi") {
            _ = try TcpdumpSecretsParser.parse(
                "ikev2 I 0x\(key) 0xc02e7a3031a03188 sha1:0x\(key) aes128:0x\(key)", file: "k", readFile: none)
        }
        // ip xfrm state: a key without 0x, a typo, a key where the ICV length goes.
        let xfrm = "src 10.0.0.1 dst 10.0.0.2\n\tproto esp spi 0x00000001 reqid 1 mode tunnel\n"
        check("xfrm key without 0x", line: 3) {
            _ = try XfrmStateParser.parse(xfrm + "\tenc cbc(aes) \(key)\n", file: "k")
        }
        check("xfrm typo", line: 3) { _ = try XfrmStateParser.parse(xfrm + "\tenc cbc(aes) 0x\(typo)\n", file: "k") }
        check("xfrm key as ICV length", line: 3) {
            _ = try XfrmStateParser.parse(xfrm + "\taead rfc4106(gcm(aes)) 0x\(key)01020304 \(key)\n", file: "k")
        }
        check("xfrm key split in two", line: 3) {
            _ = try XfrmStateParser.parse(xfrm + "\tenc cbc(aes) 0x0011 \(key)\n", file: "k")
        }
        // setkey -D: a typo, and a key line where an SA header is expected.
        let setkey =
            "192.168.2.101 192.168.2.100 \n\tesp mode=tunnel spi=135040102(0x080c8c66) reqid=16395(0x0000400b)\n"
        check("setkey typo", line: 3) {
            _ = try SetkeyDumpParser.parse(
                setkey + "\tE: rijndael-cbc  00112233 44556677 8899aabb ccddeegf\n", file: "k")
        }
        check("setkey key before header") {
            _ = try SetkeyDumpParser.parse("00112233 44556677 8899aabb ccddeeff\n", file: "k")
        }
    }

    /// Errors refer to user text by its length only: a secret in the wrong column (an ASCII
    /// password is no hex key), a typo or a line of something that never was a key file.
    @Test func errorsNeverQuoteTheLine() {
        #expect(KeyMaterial.redacted("aes-cbcc") == "<8 characters>")
        #expect(KeyMaterial.redacted("S3cretPassw0rd!!") == "<16 characters>")
        #expect(KeyMaterial.redacted("") == "<0 characters>")
        let secret = "S3cretPassw0rd!!"
        for (text, format) in [
            ("0x1@10.0.0.1 \(secret):0x00", KeyFileFormat.tcpdump), ("esp spi=1 enc=\(secret)", .native),
            ("esp spi=\(secret) enc=null", .native), ("\(secret) spi=1", .native),
            (#""IPv4","*","*","0x1","\#(secret)","0x00","NULL","""#, .wiresharkESP),
            ("ikev2 \(secret) 0x1 0x2 sha1:0x00 aes128:0x00", .tcpdump),
        ] {
            do {
                _ = try KeyFileLoader.parseKeys(text, file: "k", format: format)
                Issue.record("\(text): no error")
            } catch let error as KeyFileError {
                #expect(!error.description.contains(secret), "\(error)")
                #expect(!error.description.contains("Passw0rd"), "\(error)")
            } catch {
                Issue.record("\(error)")
            }
        }
        // Control bytes in a file name, a field name or a message never reach a terminal raw.
        let error = KeyFileError(.unknownField, file: "k\u{1b}[2J", line: 3, field: "x\u{9b}31m", "bad \u{202e}")
        #expect(error.description == #"k\x1b[2J:3: field 'x\u{9b}31m': bad \u{202e}"#)
        #expect(KeyFileNote(.warning, file: "k\u{7}", line: 1, "a\nb").description == #"k\x07:1: warning: a\nb"#)
    }

    // MARK: - OpenSSL wrappers take keys in place

    /// The same MACs and ciphertexts whether the key is an array, `SecretBytes`, a slice of
    /// either, or a collection that is not contiguous (copied, then wiped).
    @Test func cryptoWrappersTakeSecretBytes() throws {
        let key = Array(Self.pattern[0..<16])
        let secret = SecretBytes(key)
        let data = Array("spiglass".utf8)
        func hmac(_ context: HMACContext) throws -> [UInt8] {
            try context.fullMAC(data: data, range: 0..<data.count, trailer: [], trailerRange: 0..<0)
        }
        let reference = try hmac(HMACContext(.sha256, key: key))
        #expect(try hmac(HMACContext(.sha256, key: secret)) == reference)
        #expect(try hmac(HMACContext(.sha256, key: key.lazy.map { $0 })) == reference, "copied, then wiped")
        #expect(try hmac(HMACContext(.sha256, key: SecretBytes())) == (try hmac(HMACContext(.sha256, key: [UInt8]()))))
        let wide = SecretBytes(Self.pattern)
        #expect(try hmac(HMACContext(.sha256, key: wide[0..<16])) == reference)
        // A key and its slices reach OpenSSL in place, not through a copy.
        let base = wide.withUnsafeBytes { UnsafeRawPointer($0.baseAddress!) }
        #expect(withKeyBytes(wide) { UnsafeRawPointer($0.baseAddress!) } == base)
        #expect(withKeyBytes(wide[4..<20]) { UnsafeRawPointer($0.baseAddress!) } == base + 4)

        let plain = [UInt8](repeating: 0x42, count: 32)
        let iv = [UInt8](repeating: 1, count: 16)
        func encrypt(_ context: CipherContext) throws -> [UInt8] {
            var out = [UInt8](repeating: 0, count: 32)
            _ = try context.run(
                iv: iv, ivRange: 0..<16, input: plain, inputRange: 0..<32, output: &out, outputOffset: 0)
            return out
        }
        let cipher = try encrypt(CipherContext(.aesCBC(keyBytes: 16), key: key, encrypt: true))
        #expect(try encrypt(CipherContext(.aesCBC(keyBytes: 16), key: secret, encrypt: true)) == cipher)
        #expect(try encrypt(CipherContext(.aesCBC(keyBytes: 16), key: wide[0..<16], encrypt: true)) == cipher)
        for mac in [try CMACContext(key: secret) as any TruncatedMAC, try XCBCContext(key: secret)] {
            let viaArray: any TruncatedMAC = mac is CMACContext ? try CMACContext(key: key) : try XCBCContext(key: key)
            #expect(
                try mac.fullMAC(data: data, range: 0..<data.count, trailer: [], trailerRange: 0..<0)
                    == viaArray.fullMAC(data: data, range: 0..<data.count, trailer: [], trailerRange: 0..<0))
        }
        let aead = try AEADContext(.aesGCM(keyBytes: 16), key: secret, encrypt: true)
        #expect(aead.algorithm == .aesGCM(keyBytes: 16))
        #expect(throws: CryptoError.self) { _ = try CipherContext(.aesCBC(keyBytes: 16), key: wide, encrypt: true) }
        // The IKE PRF, its AES variants' key rules included.
        for prf in [IKEPRF.hmacSHA256, .aesXCBC, .aesCMAC] {
            for length in [8, 16, 32] {
                let bytes = Array(Self.pattern[0..<length])
                #expect(
                    try IKEPseudoRandomFunction(prf, key: SecretBytes(bytes)).compute(data)
                        == IKEPseudoRandomFunction(prf, key: bytes).compute(data))
            }
        }
    }

    // MARK: - Permissions

    static func temporaryKeyFile(_ text: String, mode: mode_t) throws -> String {
        let path = NSTemporaryDirectory() + "spiglass-keys-\(getpid())-\(UUID().uuidString).spiglass"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(chmod(path, mode) == 0)
        return path
    }

    static let nativeLine = "esp spi=0x1 enc=aes-cbc enc-key=0x000102030405060708090a0b0c0d0e0f\n"

    @Test func keyFilesOthersCanReadGetAWarning() throws {
        let path = try Self.temporaryKeyFile(Self.nativeLine, mode: 0o644)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let expected = "key file '\(path)' is readable by other users (mode 0644); restrict it with chmod 600"
        #expect(KeyFileLoader.permissionWarning(path: path) == expected)
        let loaded = try KeyFileLoader.loadKeys(path: path)
        #expect(loaded.sas.count == 1)
        #expect(loaded.permissionWarnings == [KeyFileNote(.warning, file: path, line: 0, expected)])

        for (mode, access) in [
            (mode_t(0o640), "readable"), (0o620, "writable"), (0o606, "readable and writable"), (0o604, "readable"),
        ] {
            #expect(chmod(path, mode) == 0)
            let octal = String(mode, radix: 8)
            #expect(
                KeyFileLoader.permissionWarning(path: path)
                    == "key file '\(path)' is \(access) by other users (mode 0\(octal)); restrict it with chmod 600")
        }
        for mode in [mode_t(0o600), 0o400, 0o700] {
            #expect(chmod(path, mode) == 0)
            #expect(KeyFileLoader.permissionWarning(path: path) == nil)
            #expect(try KeyFileLoader.loadKeys(path: path).permissionWarnings.isEmpty)
        }
        #expect(KeyFileLoader.permissionWarning(path: NSTemporaryDirectory()) == nil, "a directory is not a key file")
        #expect(KeyFileLoader.permissionWarning(path: "/nonexistent/keys") == nil)
        #expect(KeyFileLoader.permissionWarning(path: "/dev/null") == nil, "not a regular file")
    }

    /// A tcpdump secrets file's includes are key files too; merged key sets warn once a file.
    @Test func includedKeyFilesAreCheckedToo() throws {
        let inner = try Self.temporaryKeyFile(
            "0x2@10.0.0.2 aes128-cbc:0x000102030405060708090a0b0c0d0e0f\n", mode: 0o664)
        let outer = try Self.temporaryKeyFile(
            "0x1@10.0.0.1 aes128-cbc:0x000102030405060708090a0b0c0d0e0f\nfile \(inner)\n", mode: 0o600)
        defer {
            try? FileManager.default.removeItem(atPath: inner)
            try? FileManager.default.removeItem(atPath: outer)
        }
        var keys = try KeyFileLoader.loadKeys(path: outer, format: .tcpdump, includes: .anywhere)
        #expect(keys.sas.count == 2)
        #expect(keys.permissionWarnings.map(\.file) == [inner])
        #expect(
            keys.permissionWarnings.first?.message.contains("readable and writable by other users (mode 0664)") == true)
        keys.merge(try KeyFileLoader.loadKeys(path: outer, format: .tcpdump, includes: .anywhere))
        #expect(keys.permissionWarnings.count == 1)
    }

    /// The CLI says it on standard error, once, and goes on; `keys check` lists it.
    @Test func cliWarnsAboutKeyFilesOthersCanRead() throws {
        let keys = try String(contentsOfFile: Paths.fixture("strongswan/aes256gcm16-v4/sa.spiglass"), encoding: .utf8)
        let path = try Self.temporaryKeyFile(keys, mode: 0o644)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let capture = "Fixtures/strongswan/aes256gcm16-v4/capture.pcap"
        let warning =
            "spiglass: warning: key file '\(path)' is readable by other users (mode 0644); restrict it with chmod 600\n"
        let open = try CLITests.run(["analyze", "-q", "-r", capture, "-k", path, "-k", path])
        #expect(open.status == 0, "\(open.stderr)")
        #expect(open.stderr.components(separatedBy: warning).count == 2, "exactly once: \(open.stderr)")
        #expect(open.stdout.contains("decrypted"))
        let check = try CLITests.run(["keys", "check", path])
        #expect(
            check.stdout.contains("\(path): warning: key file '\(path)' is readable by other users"), "\(check.stdout)")
        #expect(!check.stdout.contains("enc-key=0x"), "keys check prints keys only with --show-keys")
        #expect(chmod(path, 0o600) == 0)
        let closed = try CLITests.run(["analyze", "-q", "-r", capture, "-k", path])
        #expect(closed.status == 0)
        #expect(!closed.stderr.contains("warning: key file"), "\(closed.stderr)")
    }
}
