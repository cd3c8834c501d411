import Foundation
import SpiglassAnalysis
import SpiglassIKE
import SpiglassSAD
import Testing

/// Findings that name the key at fault: for ESP, an ICV that verifies over garbage (the
/// encryption key), a payload that is plaintext although the ICV fails (the integrity key),
/// keys swapped between two SAs; for IKE, which peer's messages fail integrity, and keys given
/// the wrong way round. `--ike-no-integrity` shows what failing messages hold, marked.
@Suite struct KeyDiagnosisTests {
    /// A copy of a native key file with its lines changed by `edit` (nil drops a line).
    static func editedKeys(_ path: String, _ edit: (String) -> String?) throws -> String {
        let text = try String(contentsOfFile: Paths.fixture(path), encoding: .utf8)
        let out = CLITests.temporary("edited.spiglass")
        try
            (text.split(separator: "\n", omittingEmptySubsequences: false).compactMap { edit(String($0)) }.joined(
                separator: "\n"))
            .write(toFile: out, atomically: true, encoding: .utf8)
        return out
    }

    /// `field=0xAB…` with its first key byte changed.
    static func spoil(_ line: String, _ field: String) -> String {
        guard let range = line.range(of: field + "=0x") else { return line }
        let first = line.index(range.upperBound, offsetBy: 2)
        let byte = UInt8(line[range.upperBound..<first], radix: 16)! ^ 0x5a
        return line.replacingCharacters(in: range.upperBound..<first, with: String(format: "%02x", byte))
    }

    static func value(_ line: String, _ field: String) -> String? {
        line.split(separator: " ").first { $0.hasPrefix(field + "=") }.map { String($0.dropFirst(field.count + 1)) }
    }

    static let cbc = "strongswan/aes128cbc-sha256-v4"

    @Test func aWrongIntegrityKeyIsNamed() throws {
        let keys = try Self.editedKeys("\(Self.cbc)/sa.spiglass") {
            $0.hasPrefix("esp") ? Self.spoil($0, "auth-key") : $0
        }
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let result = try CLITests.run(["-q", "-r", "Fixtures/\(Self.cbc)/capture.pcap", "-k", keys])
        #expect(
            result.stdout.contains(
                "0x5e81594e 10.99.0.1 → 10.99.0.2: 13 of 13 packets failed the ICV; the ICV fails but the payload looks like valid plaintext under the encryption key of \(keys):3: the integrity key (or its algorithm) is wrong"
            ), "\(result.stdout)")
        #expect(result.stdout.contains("written: 0") || !result.stdout.contains("decrypted"))
    }

    @Test func encryptionKeysSwappedBetweenTheDirectionsAreNamed() throws {
        let text = try String(contentsOfFile: Paths.fixture("\(Self.cbc)/sa.spiglass"), encoding: .utf8)
        let esp = text.split(separator: "\n").filter { $0.hasPrefix("esp") }.map(String.init)
        let (first, second) = (try #require(Self.value(esp[0], "enc-key")), try #require(Self.value(esp[1], "enc-key")))
        let keys = try Self.editedKeys("\(Self.cbc)/sa.spiglass") { line in
            if line == esp[0] { return line.replacingOccurrences(of: first, with: second) }
            if line == esp[1] { return line.replacingOccurrences(of: second, with: first) }
            return line
        }
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let result = try CLITests.run(["-q", "-r", "Fixtures/\(Self.cbc)/capture.pcap", "-k", keys])
        #expect(
            result.stdout.contains(
                "0x5e81594e 10.99.0.1 → 10.99.0.2: all 13 packets: the ICV verifies but the plaintext is garbled: the payload decrypts with the encryption key of the SA at \(keys):5 (spi 0xf8aeee77): encryption keys swapped between directions?"
            ), "\(result.stdout)")
        #expect(result.stdout.contains("Verdicts: garbled 26, ike 6"))
    }

    @Test func aWrongEncryptionKeyIsNamed() throws {
        let keys = try Self.editedKeys("\(Self.cbc)/sa.spiglass") {
            $0.hasPrefix("esp") ? Self.spoil($0, "enc-key") : $0
        }
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let result = try CLITests.run(["-q", "-r", "Fixtures/\(Self.cbc)/capture.pcap", "-k", keys])
        #expect(
            result.stdout.contains(
                "all 13 packets: the ICV verifies but the plaintext is garbled: wrong encryption key (or algorithm / key length); nothing garbled was released"
            ))
    }

    // MARK: IKE

    static let rekey = "strongswan-ike/rekey-cbc-sha256"

    /// The IKE lines of the fixture only (no ESP keys), each changed by `edit`.
    static func ikeKeys(_ edit: @escaping (String) -> String) throws -> String {
        try editedKeys("\(rekey)/sa.spiglass") { $0.hasPrefix("esp") ? nil : $0.hasPrefix("ike") ? edit($0) : $0 }
    }

    @Test func theFailingDirectionIsNamed() throws {
        let keys = try Self.ikeKeys { Self.spoil($0, "sk-ar") }
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let result = try CLITests.run(["ike", "-q", "-r", "Fixtures/\(Self.rekey)/capture.pcap", "-k", keys])
        #expect(
            result.stdout.contains(
                "finding: messages from the responder fail integrity (5 of 5); the initiator's verify: SK_ar/SK_er wrong"
            ), "\(result.stdout)")
        #expect(result.stdout.contains("keys: given, but 5 encrypted message(s) fail integrity (see the findings)"))
        #expect(!result.stdout.contains("keys: none"))
        let json = try CLITests.run(["ike", "--json", "-q", "-r", "Fixtures/\(Self.rekey)/capture.pcap", "-k", keys])
        #expect(json.stdout.contains("\"integrity_failed\":{\"initiator\":0,\"responder\":5}"))
    }

    @Test func keysGivenTheWrongWayRoundAreNamed() throws {
        let keys = try Self.ikeKeys { line in
            var swapped = line
            for (a, b) in [("sk-ei", "sk-er"), ("sk-ai", "sk-ar")] {
                guard let x = Self.value(line, a), let y = Self.value(line, b) else { continue }
                swapped = swapped.replacingOccurrences(of: "\(a)=\(x)", with: "\(a)=TMP").replacingOccurrences(
                    of: "\(b)=\(y)", with: "\(b)=\(x)"
                )
                .replacingOccurrences(of: "\(a)=TMP", with: "\(a)=\(y)")
            }
            return swapped
        }
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let result = try CLITests.run(["ike", "-q", "-r", "Fixtures/\(Self.rekey)/capture.pcap", "-k", keys])
        #expect(
            result.stdout.contains(
                "fail integrity but verify with the other peer's keys: the key file has the initiator's and the responder's keys (SK_ai/SK_ei and SK_ar/SK_er) the wrong way round"
            ), "\(result.stdout)")
    }

    /// A key file that names both SPIs finds an IKE SA first seen with SPIr 0 (its
    /// IKE_SA_INIT request): "keys: given", not "none".
    @Test(.enabled(if: Paths.corpusPresent, "the shared corpus (../shared/corpus) is not present"))
    func keysGivenAreNeverReportedAsNone() throws {
        let result = try CLITests.run([
            "ike", "-q", "-r", Paths.corpus("tcpdump/ikev2pI2.pcap"),
            "-k", Paths.corpus("tcpdump/derived/ikev2_decryption_table.ikev2pI2"),
        ])
        #expect(result.stdout.contains("keys: given, but 1 encrypted message(s) fail integrity"), "\(result.stdout)")
        #expect(
            result.stdout.contains("finding: messages from the initiator fail integrity (1 of 1): SK_ai/SK_ei wrong"))
    }

    /// `--ike-no-integrity`: the responder's messages (wrong SK_ar, right SK_er) are decrypted,
    /// and every payload shown from them is marked unauthenticated.
    @Test func ikeNoIntegrityShowsWhatFailingMessagesHoldMarked() throws {
        let keys = try Self.ikeKeys { Self.spoil($0, "sk-ar") }
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let plain = try CLITests.run(["ike", "-r", "Fixtures/\(Self.rekey)/capture.pcap", "-k", keys])
        #expect(!plain.stdout.contains("unauthenticated"))
        let shown = try CLITests.run([
            "ike", "-r", "Fixtures/\(Self.rekey)/capture.pcap", "-k", keys, "--ike-no-integrity",
        ])
        let auth = try #require(shown.stdout.split(separator: "\n").first { $0.contains("IKE_AUTH response") })
        #expect(
            auth.contains(
                "(decrypted although its integrity check failed: unauthenticated): SK(unauthenticated){IDr AUTH"),
            "\(auth)")
        #expect(shown.stdout.contains("finding: messages from the responder fail integrity (5 of 5)"))
        let json = try CLITests.run([
            "ike", "--json", "-r", "Fixtures/\(Self.rekey)/capture.pcap", "-k", keys, "--ike-no-integrity",
        ])
        let record = try #require(
            json.stdout.split(separator: "\n").first {
                $0.contains("\"type\":\"ike_message\"") && $0.contains("\"exchange\":\"IKE_AUTH\"")
                    && $0.contains("\"response\":true")
            })
        #expect(record.contains("\"decryption\":\"decrypted\""))
        #expect(record.contains("\"integrity\":\"failed\""))
        #expect(record.contains("{\"in_sk\":true,\"unauthenticated\":true,"))
        #expect(!record.contains("{\"in_sk\":true,\"type\""), "a payload out of SK without the mark")
    }
}
