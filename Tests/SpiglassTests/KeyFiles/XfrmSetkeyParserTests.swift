import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassWire
import Testing

@testable import SpiglassSAD

/// `ip xfrm state` and `setkey -D` dumps: parsed against the native and Wireshark key files
/// of the same SAs, run through the whole pipeline, and fed malformed and truncated input.
@Suite struct XfrmSetkeyParserTests {
    // MARK: - Helpers

    /// What must agree between two sources of the same SA.
    struct SAKey: Equatable, CustomStringConvertible {
        var spi: SPI?
        var source: AddressPattern
        var destination: AddressPattern
        var encryption: EncryptionAlgorithm
        var encryptionKey: [UInt8]
        var integrity: IntegrityAlgorithm
        var integrityKey: [UInt8]
        var esn: Bool

        init(_ sa: SecurityAssociation) {
            spi = sa.spi
            source = sa.source
            destination = sa.destination
            encryption = sa.encryption
            encryptionKey = Array(sa.encryptionKey)
            integrity = sa.integrity
            integrityKey = sa.integrity.verifies ? Array(sa.integrityKey) : []
            esn = sa.extendedSequenceNumbers
        }

        var description: String {
            "spi=\(spi.map { String($0.rawValue, radix: 16) } ?? "*") \(source)→\(destination) \(encryption.name)/\(integrity.name) key=\(hex(encryptionKey)) auth=\(hex(integrityKey)) esn=\(esn)"
        }
    }

    /// Runs the pipeline over `capture` with an SAD built from `sas`.
    func run(_ capture: String, sas: [SecurityAssociation]) throws -> AnalysisSummary {
        let reader = try CaptureReader(path: capture)
        let analyzer = try Analyzer(sad: SADatabase(sas), options: AnalysisOptions(), output: StringSink())
        return analyzer.run(reader)
    }

    func temporaryFile(_ name: String, _ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spiglass-xfrm-setkey-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func xfrmError(_ text: String, file: String = "xfrm.txt") -> KeyFileError? {
        do {
            _ = try XfrmStateParser.parse(text, file: file)
            return nil
        } catch let error as KeyFileError {
            return error
        } catch {
            return nil
        }
    }

    func setkeyError(_ text: String, file: String = "setkey.txt") -> KeyFileError? {
        do {
            _ = try SetkeyDumpParser.parse(text, file: file)
            return nil
        } catch let error as KeyFileError {
            return error
        } catch {
            return nil
        }
    }

    /// Every non-blank line has exactly one note, in line order.
    func expectOneNotePerLine(_ text: String, _ keys: KeySet, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let meaningful = lines.indices.filter { !lines[$0].allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" } }.map {
            $0 + 1
        }
        #expect(keys.notes.map(\.line) == meaningful, sourceLocation: sourceLocation)
    }

    // MARK: - ip xfrm state

    /// Writes native SAs the way `ip xfrm state` prints what strongSwan installs.
    func xfrmText(_ sas: [SecurityAssociation], legacyAuth: Bool = false, stats: Bool = false) -> String {
        var out = ""
        for (i, sa) in sas.enumerated() {
            let spi = (sa.spi ?? 0).description
            out += "src \(sa.source) dst \(sa.destination)\n"
            out +=
                "\tproto esp spi \(spi)\(stats ? "(\(sa.spi ?? 0))" : "") reqid \(i + 1)\(stats ? String(format: "(0x%08x)", i + 1) : "") mode tunnel\n"
            out += "\treplay-window 0 \(stats ? "seq 0x00000000 " : "")flag af-unspec\(stats ? " (0x00100000)" : "")\n"
            let bitsNote = { (key: SecretBytes) in stats ? " (\(key.count * 8) bits)" : "" }
            switch sa.integrity {
            case .null: break
            case .hmacSHA1_96 where legacyAuth:
                out += "\tauth hmac(sha1) 0x\(hex(sa.integrityKey))\(bitsNote(sa.integrityKey))\n"
            case .hmacMD5_96 where legacyAuth:
                out += "\tauth hmac(md5) 0x\(hex(sa.integrityKey))\(bitsNote(sa.integrityKey))\n"
            default:
                let name: String
                switch sa.integrity {
                case .hmacMD5_96: name = "hmac(md5)"
                case .hmacSHA1_96: name = "hmac(sha1)"
                case .hmacSHA384_192: name = "hmac(sha384)"
                case .hmacSHA512_256: name = "hmac(sha512)"
                default: name = "hmac(sha256)"
                }
                out +=
                    "\tauth-trunc \(name) 0x\(hex(sa.integrityKey))\(bitsNote(sa.integrityKey)) \(sa.integrity.icvLength * 8)\n"
            }
            switch sa.encryption {
            case .aesGCM(let icv):
                out += "\taead rfc4106(gcm(aes)) 0x\(hex(sa.encryptionKey))\(bitsNote(sa.encryptionKey)) \(icv * 8)\n"
            case .chaCha20Poly1305:
                out +=
                    "\taead rfc7539esp(chacha20,poly1305) 0x\(hex(sa.encryptionKey))\(bitsNote(sa.encryptionKey)) 128\n"
            case .aesCBC: out += "\tenc cbc(aes) 0x\(hex(sa.encryptionKey))\(bitsNote(sa.encryptionKey))\n"
            case .tripleDESCBC: out += "\tenc cbc(des3_ede) 0x\(hex(sa.encryptionKey))\(bitsNote(sa.encryptionKey))\n"
            case .aesCTR: out += "\tenc rfc3686(ctr(aes)) 0x\(hex(sa.encryptionKey))\(bitsNote(sa.encryptionKey))\n"
            default: out += "\tenc ecb(cipher_null) \n"
            }
            out += "\tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0\n"
            if stats { out += "\tlastused 2024-05-01 10:00:01\n" }
            out += "\tanti-replay context: seq 0x0, oseq 0xd, bitmap 0x00000000\n"
            if stats {
                out += "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0\n"
                out += "\tlifetime config:\n"
                out += "\t  limit: soft (INF)(bytes), hard (INF)(bytes)\n"
                out += "\t  limit: soft (INF)(packets), hard (INF)(packets)\n"
                out += "\t  expire add: soft 0(sec), hard 0(sec)\n"
                out += "\t  expire use: soft 0(sec), hard 0(sec)\n"
                out += "\tlifetime current:\n"
                out += "\t  1560(bytes), 13(packets)\n"
                out += "\t  add 2024-05-01 10:00:00 use 2024-05-01 10:00:01\n"
                out += "\tstats:\n"
                out += "\t  replay-window 0 replay 0 failed 0\n"
            } else {
                out += "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n"
            }
        }
        return out
    }

    static let strongSwanCases = [
        "aes128cbc-sha256-v4", "aes256gcm16-v4", "aes128ctr-sha1-v4", "3des-sha1-v4", "chacha20poly1305-v4",
        "3des-md5-v4", "aes192cbc-sha384-v4",
    ]

    @Test(arguments: strongSwanCases)
    func xfrmDumpOfStrongSwanSAsMatchesNativeFileAndDecrypts(name: String) throws {
        let native = try KeyFileLoader.load(path: Paths.fixture("strongswan/\(name)/sa.spiglass"))
        #expect(native.count == 2)
        for (variant, text) in [
            ("plain", xfrmText(native)), ("legacy-auth", xfrmText(native, legacyAuth: true)),
            ("stats", xfrmText(native, stats: true)),
        ] {
            let path = try temporaryFile("\(name)-\(variant).xfrm", text)
            let fileText = try String(contentsOfFile: path, encoding: .utf8)
            #expect(XfrmStateParser.looksLike(fileText))
            #expect(!SetkeyDumpParser.looksLike(fileText))
            let keys = try XfrmStateParser.parse(fileText, file: path)
            #expect(keys.sas.map(SAKey.init) == native.map(SAKey.init), "\(name) \(variant)")
            for sa in keys.sas {
                #expect(sa.ipsecProtocol == .esp)
                #expect(sa.mode == .tunnel)
                #expect(sa.encapsulationPorts == UDPPortPair(source: 4500, destination: 4500))
                #expect(sa.origin.file == path)
            }
            // Both blocks have the same number of lines.
            let lineCount = fileText.split(separator: "\n").count
            #expect(keys.sas.map(\.origin.line) == [1, lineCount / 2 + 1])
            expectOneNotePerLine(fileText, keys)
            #expect(!keys.notes.contains { $0.kind == .warning }, "\(keys.notes.filter { $0.kind == .warning })")

            let summary = try run(Paths.fixture("strongswan/\(name)/capture.pcap"), sas: keys.sas)
            #expect(summary.count(.decrypted) == 26, "\(name) \(variant)")
            #expect(summary.count(.icvFailed) == 0)
            // Once the loader knows the format, the file path works end to end as well.
            if KeyFileLoader.detect(fileText) == .xfrm {
                let result = try analyze(Paths.fixture("strongswan/\(name)/capture.pcap"), keys: [path])
                #expect(result.summary.count(.decrypted) == 26)
            }
        }
    }

    @Test func xfrmHandWrittenIPStatsDump() throws {
        // `ip -s xfrm state` of the aes128cbc-sha256-v4 SAs, as a kernel with xfrm would print it.
        let text = """
            src 10.99.0.1 dst 10.99.0.2
            \tproto esp spi 0x5e81594e(1585535310) reqid 1(0x00000001) mode tunnel
            \treplay-window 0 seq 0x00000000 flag af-unspec (0x00100000)
            \tauth-trunc hmac(sha256) 0xd2bb66f23375cfdc9dfb7fc99280dd0230a17fd35cc70a1b2380acc32ac87f53 (256 bits) 128
            \tenc cbc(aes) 0x0d853fc80ca78af8df2aac856b5702dc (128 bits)
            \tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0
            \tlastused 2024-05-01 10:00:07
            \tanti-replay esn context:
            \t seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0xd
            \t replay_window 32, bitmap-length 1
            \t 00000000
            \tsel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0
            \tlifetime config:
            \t  limit: soft (INF)(bytes), hard (INF)(bytes)
            \t  limit: soft (INF)(packets), hard (INF)(packets)
            \t  expire add: soft 3240(sec), hard 3600(sec)
            \t  expire use: soft 0(sec), hard 0(sec)
            \tlifetime current:
            \t  1820(bytes), 13(packets)
            \t  add 2024-05-01 10:00:00 use 2024-05-01 10:00:01
            \tstats:
            \t  replay-window 0 replay 0 failed 0
            src 10.99.0.2 dst 10.99.0.1
            \tproto esp spi 0xf8aeee77(4172213879) reqid 2(0x00000002) mode tunnel
            \treplay-window 32 seq 0x00000000 flag af-unspec (0x00100000)
            \tauth-trunc hmac(sha256) 0x04a070cece4b80f196f5463c87c72b68a435f301787295afa371942b8a659e6f (256 bits) 128
            \tenc cbc(aes) 0xfb8fe9b3207e4b09b0e29e0409815a97 (128 bits)
            \tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0
            \tanti-replay context: seq 0xd, oseq 0x0, bitmap 0x00001fff
            \tsel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0
            \tif_id 0x1
            \tdir in

            """
        let keys = try XfrmStateParser.parse(text, file: "xfrm-s.txt")
        let native = try KeyFileLoader.load(path: Paths.fixture("strongswan/aes128cbc-sha256-v4/sa.spiglass"))
        #expect(keys.sas.map(SAKey.init) == native.map(SAKey.init))
        #expect(keys.sas.map(\.origin.line) == [1, 23])
        #expect(keys.sas[0].replayWindow == 32)  // from the ESN context, since replay-window is 0
        #expect(keys.sas[1].replayWindow == 32)
        #expect(!keys.sas[0].extendedSequenceNumbers)  // an ESN context alone does not mean ESN
        expectOneNotePerLine(text, keys)
        #expect(keys.notes.filter { $0.kind == .warning }.isEmpty)
        #expect(keys.notes.first?.message.contains("aes-cbc-128/hmac-sha2-256-128") == true)
        let summary = try run(Paths.fixture("strongswan/aes128cbc-sha256-v4/capture.pcap"), sas: keys.sas)
        #expect(summary.count(.decrypted) == 26)
    }

    @Test func xfrmESNFlagAndContext() throws {
        let key = String(repeating: "ab", count: 36)
        let text = """
            src 192.0.2.1 dst 192.0.2.2
            \tproto esp spi 0x00001001 reqid 7 mode transport
            \treplay-window 0 flag af-unspec esn
            \taead rfc4106(gcm(aes)) 0x\(key) 128
            \tanti-replay esn context:
            \t seq-hi 0x2, seq 0x10, oseq-hi 0x0, oseq 0x0
            \t replay_window 128, bitmap-length 4
            \t 00000000 00000000 00000000 0000ffff
            src 192.0.2.2 dst 192.0.2.1
            \tproto esp spi 0x00001002 reqid 8 mode beet
            \treplay-window 0 flag esn
            \taead rfc4106(gcm(aes)) 0x\(key) 96
            \tanti-replay esn context:
            \t seq-hi 0x0, seq 0x0, oseq-hi 0x5, oseq 0x20
            \t replay_window 64, bitmap-length 2
            \t 00000000 00000000
            """
        let keys = try XfrmStateParser.parse(text, file: "esn.txt")
        #expect(keys.sas.count == 2)
        #expect(keys.sas[0].extendedSequenceNumbers)
        #expect(keys.sas[0].initialSequenceHigh == 2)
        #expect(keys.sas[0].replayWindow == 128)
        #expect(keys.sas[0].mode == .transport)
        #expect(keys.sas[0].encryption == .aesGCM(icvLength: 16))
        #expect(keys.sas[0].encryptionKey.count == 36)
        #expect(keys.sas[1].extendedSequenceNumbers)
        #expect(keys.sas[1].initialSequenceHigh == 5)  // an outbound SA: oseq-hi
        #expect(keys.sas[1].mode == .beet)
        #expect(keys.sas[1].encryption == .aesGCM(icvLength: 12))
        #expect(keys.sas[1].encapsulationPorts == nil)
        expectOneNotePerLine(text, keys)
    }

    @Test func xfrmAHCompAndLegacyAuthTruncation() throws {
        let k32 = String(repeating: "11", count: 32)
        let k48 = String(repeating: "22", count: 48)
        let k20 = String(repeating: "33", count: 20)
        let text = """
            src 2001:db8::1 dst 2001:db8::2
            \tproto ah spi 0x00000200 reqid 1 mode transport
            \treplay-window 32
            \tauth-trunc hmac(sha256) 0x\(k32) 96
            \tsel src ::/0 dst ::/0
            src 2001:db8::1 dst 2001:db8::2
            \tproto comp spi 0x00001234 reqid 1 mode tunnel
            \treplay-window 0
            \tcomp deflate
            \tsel src ::/0 dst ::/0
            src 198.51.100.1 dst 198.51.100.2
            \tproto esp spi 0x00000301 reqid 2 mode tunnel
            \tauth hmac(sha256) 0x\(k32)
            \tenc cbc(aes) 0x\(String(repeating: "44", count: 32))
            src 198.51.100.1 dst 198.51.100.2
            \tproto esp spi 0x00000302 reqid 3 mode tunnel
            \tauth hmac(sha384) 0x\(k48)
            \tenc ecb(cipher_null)
            src 198.51.100.1 dst 198.51.100.2
            \tproto esp spi 0x00000303 reqid 4 mode tunnel
            \tauth-trunc hmac(sha1) 0x\(k20) 160
            \tenc cbc(twofish) 0x\(k32)
            """
        let keys = try XfrmStateParser.parse(text, file: "ah.txt")
        #expect(keys.sas.count == 4)
        let ah = keys.sas[0]
        #expect(ah.ipsecProtocol == .ah)
        #expect(ah.spi == 0x200)
        #expect(ah.integrity == .hmacSHA256_96)
        #expect(ah.integrityKey == unhex(k32))
        #expect(ah.encryption == .null)
        #expect(ah.source == .exact(IPAddress("2001:db8::1")!))
        #expect(ah.replayWindow == 32)
        #expect(!keys.sas.contains { $0.spi == 0x1234 })
        #expect(keys.notes.contains { $0.line == 6 && $0.kind == .ignored && $0.message.contains("IPComp") })
        // Legacy `auth`: the kernel's default truncation.
        #expect(keys.sas[1].integrity == .hmacSHA256_96)
        #expect(keys.sas[2].integrity == .hmacSHA384_192)
        #expect(keys.sas[2].encryption == .null)
        // Known to the kernel, not implemented here: loads with warnings.
        #expect(keys.sas[3].integrity == .unchecked(icvLength: 20))
        #expect(keys.sas[3].encryption == .unsupported("twofish-cbc"))
        #expect(keys.notes.contains { $0.line == 19 && $0.kind == .warning && $0.message.contains("twofish") })
        // AH SAs are verified now: understood, no warning.
        #expect(keys.notes.contains { $0.line == 1 && $0.kind == .understood && $0.message.contains("AH") })
        expectOneNotePerLine(text, keys)
    }

    @Test func xfrmMalformedLinesNameFileLineAndField() {
        let header = "src 10.0.0.1 dst 10.0.0.2\n\tproto esp spi 0x00000101 reqid 1 mode tunnel\n"
        let aes = "0x000102030405060708090a0b0c0d0e0f"
        func check(
            _ text: String, _ code: KeyFileError.Code, line: Int, field: String?, contains: String? = nil,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            let error = xfrmError(text, file: "bad.xfrm")
            #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
            #expect(error?.file == "bad.xfrm", sourceLocation: sourceLocation)
            #expect(error?.line == line, "\(String(describing: error))", sourceLocation: sourceLocation)
            #expect(error?.field == field, "\(String(describing: error))", sourceLocation: sourceLocation)
            if let contains {
                #expect(
                    error?.description.contains(contains) == true, "\(String(describing: error))",
                    sourceLocation: sourceLocation)
            }
        }
        // Bad hex, odd hex digits.
        check(header + "\tenc cbc(aes) 0x00010203040506070809zz0b0c0d0e0f\n", .badValue, line: 3, field: "enc")
        check(header + "\tenc cbc(aes) 0x000\n", .badValue, line: 3, field: "enc")
        check(
            header + "\tenc cbc(aes) 000102030405060708090a0b0c0d0e0f\n", .badValue, line: 3, field: "enc",
            contains: "0x")
        // Unknown algorithms, with a hint.
        check(
            header + "\tenc cbc(aess) \(aes)\n", .unknownAlgorithm, line: 3, field: "enc",
            contains: "did you mean 'cbc(aes)'")
        check(
            header + "\tauth-trunc hmac(sha265) 0x00 128\n\tenc cbc(aes) \(aes)\n", .unknownAlgorithm, line: 3,
            field: "auth-trunc", contains: "did you mean 'hmac(sha256)'")
        check(
            header + "\taead rfc4106(gcm(aes) 0x00 128\n", .unknownAlgorithm, line: 3, field: "aead",
            contains: "did you mean 'rfc4106(gcm(aes))'")
        check(header + "\tenc rfc4106(gcm(aes)) \(aes)\n", .badValue, line: 3, field: "enc", contains: "aead")
        // Missing SPI, missing proto, no key lines.
        check(
            "src 10.0.0.1 dst 10.0.0.2\n\tproto esp reqid 1 mode tunnel\n\tenc cbc(aes) \(aes)\n", .missingField,
            line: 2, field: "spi")
        check(
            "src 10.0.0.1 dst 10.0.0.2\n\treplay-window 0\n\tenc cbc(aes) \(aes)\n", .missingField, line: 1,
            field: "proto")
        check(
            header + "\treplay-window 32\n\tsel src 0.0.0.0/0 dst 0.0.0.0/0\nsrc 10.0.0.2 dst 10.0.0.1\n",
            .missingField, line: 1, field: "enc")
        check("src 10.0.0.1 dst 10.0.0.2\n\tproto ah spi 0x1 mode tunnel\n", .missingField, line: 1, field: "auth")
        // Key lengths, with the line of the key at fault.
        check(header + "\tenc cbc(aes) 0x0011\n", .badKeyLength, line: 3, field: "enc")
        check(
            header + "\tauth-trunc hmac(sha1) 96\n\tenc cbc(aes) \(aes)\n", .badKeyLength, line: 3, field: "auth-trunc")
        check(header + "\taead rfc4106(gcm(aes)) \(aes) 128\n", .badKeyLength, line: 3, field: "aead")
        check(header + "\tenc cbc(aes) \(aes) (256 bits)\n", .badKeyLength, line: 3, field: "enc")
        // Lengths in bits.
        check(
            header + "\tauth-trunc hmac(sha256) 0x00\n\tenc cbc(aes) \(aes)\n", .missingField, line: 3,
            field: "auth-trunc")
        check(
            header + "\tauth-trunc hmac(sha256) 0x00 257\n\tenc cbc(aes) \(aes)\n", .badValue, line: 3,
            field: "auth-trunc")
        check(
            header + "\taead rfc4106(gcm(aes)) 0x\(String(repeating: "00", count: 20)) 100\n", .badValue, line: 3,
            field: "aead")
        // Other values.
        check("src 10.0.0.1 dst 10.0.0.2\n\tproto esp spi 0xzz reqid 1 mode tunnel\n", .badValue, line: 2, field: "spi")
        check(
            "src 10.0.0.1 dst 10.0.0.2\n\tproto udp spi 0x1 reqid 1 mode tunnel\n", .badValue, line: 2, field: "proto")
        check(header + "\treplay-window many\n", .badValue, line: 3, field: "replay-window")
        check(
            header + "\tenc cbc(aes) \(aes)\n\tencap type espinudp sport x dport 4500 addr 0.0.0.0\n", .badValue,
            line: 4, field: "encap")
        check(
            header
                + "\tenc cbc(aes) \(aes)\n\tanti-replay esn context:\n\t seq-hi zz, seq 0x0, oseq-hi 0x0, oseq 0x0\n",
            .badValue, line: 5, field: "seq-hi")
        check(header + "\tenc cbc(aes) <<Keys hidden>>\n", .badValue, line: 3, field: "enc", contains: "hidden")
        check(header + "\tenc cbc(aes) \(aes)\n\tenc cbc(aes) \(aes)\n", .syntax, line: 4, field: "enc")
        check(
            header + "\taead rfc4106(gcm(aes)) 0x\(String(repeating: "00", count: 20)) 128\n\tenc cbc(aes) \(aes)\n",
            .syntax, line: 4, field: "enc")
        // Structure.
        check("\tproto esp spi 0x1\n", .syntax, line: 1, field: nil)
        check("src 10.0.0.1 dst not-an-address\n", .badValue, line: 1, field: "src")
        check("src 10.0.0.1 dst 2001:db8::1\n", .badValue, line: 1, field: "src")
        check("# dump\nhello world\n", .syntax, line: 2, field: nil)
        check(
            header + "\tenc cbc(aes) 0x" + String(repeating: "0", count: KeyFileLimits.maxLineBytes) + "\n", .tooLarge,
            line: 3, field: nil)
    }

    // MARK: - setkey -D

    static let ipdecapCases = [
        "3des-cbc_hmac-sha1", "3des-cbc_null", "aes-cbc_hmac-sha1", "aes192-cbc_hmac-sha1",
        "aes256-cbc_hmac-sha1", "des-cbc_hmac-md5", "null_hmac-md5",
    ]

    @Test(
        .enabled(if: Paths.corpusPresent, "the shared corpus (../shared/corpus) is not present"),
        arguments: ipdecapCases)
    func setkeyDumpsMatchDerivedESPSAAndDecryptAlike(name: String) throws {
        let keysPath = Paths.corpus("ipdecap/unit_tests/esp/\(name)/\(name).cap.keys")
        let capture = Paths.corpus("ipdecap/unit_tests/esp/\(name)/\(name).cap")
        let espSA = Paths.corpus("ipdecap/derived/\(name).esp_sa")
        let text = try String(contentsOfFile: keysPath, encoding: .utf8)
        #expect(SetkeyDumpParser.looksLike(text))
        #expect(!XfrmStateParser.looksLike(text))
        let keys = try SetkeyDumpParser.parse(text, file: keysPath)
        let wireshark = try KeyFileLoader.load(path: espSA)
        #expect(keys.sas.count == 2)
        #expect(keys.sas.map(SAKey.init) == wireshark.map(SAKey.init), "\(name)")
        for sa in keys.sas {
            #expect(sa.mode == .tunnel)
            #expect(sa.replayWindow == 4)
            #expect(sa.encapsulationPorts == nil)
            #expect(sa.origin.file == keysPath)
        }
        #expect(keys.sas.map(\.origin.line) == [1, 12] || keys.sas.map(\.origin.line) == [1, 11])
        expectOneNotePerLine(text, keys)

        let viaSetkey = try run(capture, sas: keys.sas)
        let viaESPSA = try run(capture, sas: wireshark)
        #expect(viaSetkey.count(.decrypted) == viaESPSA.count(.decrypted), "\(name)")
        #expect(viaSetkey.count(.icvFailed) == 0)
        #expect(viaSetkey.count(.unsupportedAlgorithm) == viaESPSA.count(.unsupportedAlgorithm))
        // DES comes from OpenSSL's legacy provider and decrypts like the others.
        #expect(viaSetkey.count(.unsupportedAlgorithm) == 0)
        #expect(viaSetkey.count(.decrypted) >= 246, "\(name): \(viaSetkey.count(.decrypted))")
        if KeyFileLoader.detect(text) == .setkey {
            let result = try analyze(capture, keys: [keysPath])
            #expect(result.summary.count(.decrypted) == viaESPSA.count(.decrypted))
        }
    }

    @Test func setkeyLongKeysNATTESNAndSkippedBlocks() throws {
        // pfkey_sadump prints 32 key bytes per line; the rest continues on a line that starts with a space.
        let text = """
            10.1.0.1[4500] 10.1.0.2[4500] \n\
            \tesp-udp mode=tunnel spi=4096(0x00001000) reqid=1(0x00000001)
            \tE: aes-gcm-16  00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f
             20212223
            \tseq=0x00000000 replay=32 flags=0x00000400 state=mature \n\
            \tsadb_seq=3 pid=100 refcnt=0
            fe80::1%em0 fe80::2%em0 \n\
            \tesp mode=transport spi=4097(0x00001001) reqid=0(0x00000000)
            \tE: rijndael-cbc  00010203 04050607 08090a0b 0c0d0e0f
            \tA: hmac-sha2-512  00000000 11111111 22222222 33333333 44444444 55555555 66666666 77777777
             88888888 99999999 aaaaaaaa bbbbbbbb cccccccc dddddddd eeeeeeee ffffffff
            \tseq=0x00000000 replay=4 flags=0x00000000 state=mature \n\
            10.1.0.1 10.1.0.2 \n\
            \tah mode=transport spi=4098(0x00001002) reqid=0(0x00000000)
            \tA: hmac-sha2-256  00000000 11111111 22222222 33333333 44444444 55555555 66666666 77777777
            \tseq=0x00000000 replay=4 flags=0x00000000 state=dying \n\
            10.1.0.1 10.1.0.2 \n\
            \tipcomp mode=tunnel spi=4099(0x00001003) reqid=0(0x00000000)
            \tC: deflate \n\
            \tseq=0x00000000 replay=0 flags=0x00000001 state=mature \n\
            10.1.0.1 10.1.0.2 \n\
            \tesp mode=any spi=4100(0x00001004) reqid=0(0x00000000)
            \tseq=0x00000000 replay=0 flags=0x00000000 state=larval \n\
            10.2.0.0/24[any] 10.3.0.0/24[any] any
            \tout ipsec
            \tesp/tunnel/10.1.0.1-10.1.0.2/require
            \tspid=1 seq=0 pid=100
            \trefcnt=1
            """
        let keys = try SetkeyDumpParser.parse(text, file: "long.txt")
        #expect(keys.sas.count == 3)
        let gcm = keys.sas[0]
        #expect(gcm.encryption == .aesGCM(icvLength: 16))
        #expect(gcm.encryptionKey == Array(0...0x23))
        #expect(gcm.encapsulationPorts == UDPPortPair(source: 4500, destination: 4500))
        #expect(gcm.extendedSequenceNumbers)
        #expect(gcm.replayWindow == 32)
        let cbc = keys.sas[1]
        #expect(cbc.source == .exact(IPAddress("fe80::1")!))
        #expect(cbc.mode == .transport)
        #expect(cbc.integrity == .hmacSHA512_256)
        #expect(cbc.integrityKey.count == 64)
        #expect(cbc.integrityKey.suffix(4) == [0xff, 0xff, 0xff, 0xff])
        let ah = keys.sas[2]
        #expect(ah.ipsecProtocol == .ah)
        #expect(ah.integrity == .hmacSHA256_128)
        #expect(keys.notes.contains { $0.line == 13 && $0.kind == .warning && $0.message.contains("96") })
        #expect(keys.notes.contains { $0.line == 13 && $0.message.contains("dying") })
        #expect(keys.notes.contains { $0.line == 17 && $0.kind == .ignored && $0.message.contains("ipcomp") })
        #expect(keys.notes.contains { $0.line == 21 && $0.kind == .ignored && $0.message.contains("larval") })
        // The `setkey -DP` block at the end is a policy now (see PolicyParserTests).
        #expect(keys.policies.count == 1)
        #expect(
            keys.notes.contains {
                $0.line == 24 && $0.kind == .understood && $0.message.contains("10.2.0.0/24 → 10.3.0.0/24")
            })
        #expect(keys.notes.filter { $0.line >= 27 }.allSatisfy { $0.kind == .ignored })
        expectOneNotePerLine(text, keys)
        #expect(try SetkeyDumpParser.parse("No SAD entries.\n", file: "empty").sas.isEmpty)
    }

    @Test func setkeyMalformedLinesNameFileLineAndField() {
        let header =
            "192.168.2.101 192.168.2.100 \n\tesp mode=tunnel spi=135040102(0x080c8c66) reqid=16395(0x0000400b)\n"
        let aesKey = "deb3098e 67577550 f23ffb5e c3737c04"
        let sha1Key = "881ecd0b 71431e1b 6c35503d 5258bda9 17505da3"
        func check(
            _ text: String, _ code: KeyFileError.Code, line: Int, field: String?, contains: String? = nil,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            let error = setkeyError(text, file: "bad.setkey")
            #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
            #expect(error?.file == "bad.setkey", sourceLocation: sourceLocation)
            #expect(error?.line == line, "\(String(describing: error))", sourceLocation: sourceLocation)
            #expect(error?.field == field, "\(String(describing: error))", sourceLocation: sourceLocation)
            if let contains {
                #expect(
                    error?.description.contains(contains) == true, "\(String(describing: error))",
                    sourceLocation: sourceLocation)
            }
        }
        check(header + "\tE: rijndael-cbc  deb3098e 6757755z f23ffb5e c3737c04\n", .badValue, line: 3, field: "E")
        check(
            header + "\tE: rijndael-cbc  \(aesKey)\n\tA: hmac-sha1  881ecd0b 71431e1 6c35503d\n", .badValue, line: 4,
            field: "A")
        check(
            header + "\tE: rijndael-cbd  \(aesKey)\n", .unknownAlgorithm, line: 3, field: "E",
            contains: "did you mean 'rijndael-cbc'")
        check(
            header + "\tE: rijndael-cbc  \(aesKey)\n\tA: hmac-sha2-265  \(sha1Key)\n", .unknownAlgorithm, line: 4,
            field: "A", contains: "did you mean 'hmac-sha2-256'")
        check(
            "192.168.2.101 192.168.2.100\n\tesp mode=tunnel reqid=1(0x00000001)\n\tE: rijndael-cbc  \(aesKey)\n",
            .missingField, line: 2, field: "spi")
        check(header + "\tseq=0x00000000 replay=4 flags=0x00000000 state=mature\n", .missingField, line: 1, field: "E")
        check(
            "192.168.2.101 192.168.2.100\n\tah mode=tunnel spi=1(0x00000001) reqid=1(0x00000001)\n\tseq=0x00000000 replay=4 flags=0x00000000 state=mature\n",
            .missingField, line: 1, field: "A")
        check("192.168.2.101 192.168.2.100\n\tE: rijndael-cbc  \(aesKey)\n", .missingField, line: 1, field: "satype")
        check(
            "192.168.2.101 192.168.2.100\n\tesp mode=tunnel spi=1(0x00000002) reqid=1(0x00000001)\n", .badValue,
            line: 2, field: "spi")
        check(
            "192.168.2.101 192.168.2.100\n\tesp mode=sideways spi=1(0x00000001) reqid=1(0x00000001)\n", .badValue,
            line: 2, field: "mode")
        check("192.168.2.101 192.168.2.100\n\tgre mode=tunnel spi=1(0x00000001)\n", .badValue, line: 2, field: "satype")
        check(header + "\tE: rijndael-cbc  deb3098e\n", .badKeyLength, line: 3, field: "E")
        check(header + "\tE: 3des-cbc  \(aesKey)\n\tA: hmac-sha1  \(sha1Key)\n", .badKeyLength, line: 3, field: "E")
        check(
            header + "\tE: aes-gcm-16  \(aesKey) 01020304\n\tA: hmac-sha1  \(sha1Key)\n", .badValue, line: 4,
            field: "A", contains: "combined-mode")
        check(
            "192.168.2.101 192.168.2.100\n\tah mode=tunnel spi=1(0x00000001) reqid=1(0x00000001)\n\tE: rijndael-cbc  \(aesKey)\n\tA: hmac-sha1  \(sha1Key)\n",
            .syntax, line: 3, field: "E")
        check(
            header + "\tE: rijndael-cbc  \(aesKey)\n\tseq=0x00000000 replay=four flags=0x00000000 state=mature\n",
            .badValue, line: 4, field: "replay")
        check(
            header + "\tE: rijndael-cbc  \(aesKey)\n\tseq=0x00000000 replay=4 flags=zero state=mature\n", .badValue,
            line: 4, field: "flags")
        check(header + "\tE: rijndael-cbc  \(aesKey)\n\tE: rijndael-cbc  \(aesKey)\n", .syntax, line: 4, field: "E")
        check(header + "\tE:\n", .missingField, line: 3, field: "E")
        check("\tesp mode=tunnel spi=1(0x00000001)\n", .syntax, line: 1, field: nil)
        check("192.168.2.101 not-an-address\n", .syntax, line: 1, field: nil)
        check("192.168.2.101[99999] 192.168.2.100\n", .syntax, line: 1, field: nil)
        check(
            header + "\tE: rijndael-cbc " + String(repeating: "0", count: KeyFileLimits.maxLineBytes) + "\n", .tooLarge,
            line: 3, field: nil)
    }

    // MARK: - Hostile input

    func expectOnlyKeyFileErrors(
        _ text: String, _ parse: (String) throws -> KeySet, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try parse(text)
        } catch is KeyFileError {
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func everyPrefixOfValidDumpsParsesOrFailsCleanly() throws {
        let native = try KeyFileLoader.load(path: Paths.fixture("strongswan/aes128cbc-sha256-v4/sa.spiglass"))
        let xfrm = Array(xfrmText(native, stats: true).utf8)
        var accepted = 0
        for end in 0...xfrm.count {
            let text = String(decoding: xfrm[..<end], as: UTF8.self)
            expectOnlyKeyFileErrors(text) { try XfrmStateParser.parse($0, file: "prefix") }
            if (try? XfrmStateParser.parse(text, file: "prefix")) != nil { accepted += 1 }
        }
        #expect(accepted > 0)
        let setkeyPath = Paths.corpus("ipdecap/unit_tests/esp/aes256-cbc_hmac-sha1/aes256-cbc_hmac-sha1.cap.keys")
        if Paths.exists(setkeyPath) {
            let setkey = Array(try String(contentsOfFile: setkeyPath, encoding: .utf8).utf8)
            for end in 0...setkey.count {
                expectOnlyKeyFileErrors(String(decoding: setkey[..<end], as: UTF8.self)) {
                    try SetkeyDumpParser.parse($0, file: "prefix")
                }
            }
        }
    }

    @Test(.seeded(0xf00d_5eed)) func corruptedAndHostileInputNeverTraps() throws {
        let native = try KeyFileLoader.load(path: Paths.fixture("strongswan/aes256gcm16-v4/sa.spiglass"))
        let xfrm = Array(xfrmText(native, stats: true).utf8)
        let setkeyPath = Paths.corpus("ipdecap/unit_tests/esp/3des-cbc_hmac-sha1/3des-cbc_hmac-sha1.cap.keys")
        let setkey = Paths.exists(setkeyPath) ? Array(try String(contentsOfFile: setkeyPath, encoding: .utf8).utf8) : []
        var rng = TestSeed.current.generator
        let alphabet = Array(" \t\n\r0x()[],:=%/-abcdefABCDEF0123456789esplnrocdtmkyhsaq".utf8) + [0xff, 0xc3, 0x00]
        for base in [xfrm, setkey] where !base.isEmpty {
            for _ in 0..<400 {
                var bytes = base
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[i] = alphabet.randomElement(using: &rng)!
                    case 1: bytes.remove(at: i)
                    default: bytes.insert(alphabet.randomElement(using: &rng)!, at: i)
                    }
                    if bytes.isEmpty { break }
                }
                let text = String(decoding: bytes, as: UTF8.self)
                expectOnlyKeyFileErrors(text) { try XfrmStateParser.parse($0, file: "fuzz") }
                expectOnlyKeyFileErrors(text) { try SetkeyDumpParser.parse($0, file: "fuzz") }
                _ = XfrmStateParser.looksLike(text)
                _ = SetkeyDumpParser.looksLike(text)
            }
        }
        let hostile = [
            "", "\n\n\n", "src", "src  dst", "src 1.2.3.4 dst 1.2.3.4\n\t", "src 1.2.3.4 dst 1.2.3.4\n\tproto",
            "src 1.2.3.4 dst 1.2.3.4\n\tproto esp spi", "src 1.2.3.4 dst 1.2.3.4\n\tenc",
            "src 1.2.3.4 dst 1.2.3.4\n\tauth-trunc x 0x",
            "src 1.2.3.4 dst 1.2.3.4\n\tenc cbc(aes) 0x00 (",
            "src 1.2.3.4 dst 1.2.3.4\n\tenc cbc(aes) 0x00 (99999999999999999999 bits)",
            "src 1.2.3.4 dst 1.2.3.4\n\tanti-replay esn context:\n\t seq-hi", "src 1.2.3.4 dst 1.2.3.4\n\tencap type",
            "1.2.3.4 5.6.7.8\n\tesp mode=", "1.2.3.4 5.6.7.8\n\tesp mode=tunnel spi=(",
            "1.2.3.4 5.6.7.8\n\tesp spi=1()",
            "1.2.3.4 5.6.7.8\n\tesp spi=1(0x)", "1.2.3.4[ 5.6.7.8]", "1.2.3.4[] 5.6.7.8[]", "[1] [2]", "% %",
            "1.2.3.4 5.6.7.8\n\tE: null\n 00", "1.2.3.4 5.6.7.8\n\tseq=", "1.2.3.4 5.6.7.8\n\tseq=0x replay= flags=0x",
            String(repeating: "src 10.0.0.1 dst 10.0.0.2\n\tproto comp spi 0x1\n", count: 2000),
            String(repeating: "1.2.3.4 5.6.7.8\n\tipcomp mode=tunnel spi=1(0x00000001)\n", count: 2000),
            String(repeating: "(", count: 10_000), String(repeating: "\t", count: 10_000) + "x",
        ]
        for text in hostile {
            expectOnlyKeyFileErrors(text) { try XfrmStateParser.parse($0, file: "hostile") }
            expectOnlyKeyFileErrors(text) { try SetkeyDumpParser.parse($0, file: "hostile") }
            _ = XfrmStateParser.looksLike(text)
            _ = SetkeyDumpParser.looksLike(text)
        }
    }

    @Test func detectionTellsTheFormatsApart() throws {
        let native = try String(
            contentsOfFile: Paths.fixture("strongswan/aes128cbc-sha256-v4/sa.spiglass"), encoding: .utf8)
        let espSA = try String(contentsOfFile: Paths.fixture("strongswan/aes128cbc-sha256-v4/esp_sa"), encoding: .utf8)
        for text in [native, espSA, "", "src 1.2.3.4 dst 5.6.7.8\n", "1.2.3.4 5.6.7.8\n\tproto esp spi 1\n"] {
            #expect(!XfrmStateParser.looksLike(text))
            #expect(!SetkeyDumpParser.looksLike(text))
        }
        #expect(
            XfrmStateParser.looksLike(
                "# ip xfrm state\nsrc 1.2.3.4 dst 5.6.7.8\n\tproto esp spi 0x1 reqid 1 mode tunnel\n"))
        #expect(
            SetkeyDumpParser.looksLike("1.2.3.4 5.6.7.8 \n\tesp mode=tunnel spi=1(0x00000001) reqid=0(0x00000000)\n"))
        #expect(SetkeyDumpParser.looksLike("No SAD entries.\n"))
    }
}
