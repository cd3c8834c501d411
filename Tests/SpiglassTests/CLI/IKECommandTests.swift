import Foundation
import Testing

/// End-to-end checks of `spiglass ike` and of exporting keys derived from IKE.
@Suite struct IKECommandTests {
    let directory = "Fixtures/strongswan-ike/rekey-cbc-sha256"

    /// A key file with the IKE SAs of `sa.spiglass` only.
    func ikeOnlyKeys() throws -> String {
        let text = try String(contentsOfFile: Paths.root + "/" + directory + "/sa.spiglass", encoding: .utf8)
        let path = CLITests.temporary("ike-only.spiglass")
        try text.split(separator: "\n").filter { $0.hasPrefix("ike ") }.joined(separator: "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func ladderAndOutcomes() throws {
        let keys = try ikeOnlyKeys()
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let result = try CLITests.run(["ike", "-r", directory + "/capture.pcap", "-k", keys])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("IKE SAs: 2  CHILD_SAs: 2  IKE messages: 14"))
        #expect(result.stdout.contains("outcome: rekeyed"))
        #expect(result.stdout.contains("CREATE_CHILD_SA mid=4 I→R") && result.stdout.contains("(rekey IKE SA)"))
        #expect(result.stdout.contains("(CREATE_CHILD_SA, rekey of CHILD_SA #1)"))
        #expect(result.stdout.contains("keys: derived from SK_d"))
        #expect(result.stdout.contains("8 packets, 8 verified with keys derived from IKE SA"))
    }

    @Test func quietJSONHasNoMessageRecords() throws {
        let result = try CLITests.run([
            "ike", "-q", "--json", "-r", directory + "/capture.pcap", "-k", directory + "/sa.spiglass",
        ])
        #expect(result.status == 0)
        let types = result.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["type"] as? String
        }
        #expect(!types.contains("ike_message"))
        #expect(types.filter { $0 == "ike_sa" }.count == 2)
        #expect(types.filter { $0 == "child_sa" }.count == 2)
        #expect(types.last == "summary")
    }

    /// `analyze` names each ESP packet's CHILD_SA and decrypts with derived keys; `--no-derive` does not.
    @Test func analyzeUsesDerivedKeysUnlessTold() throws {
        let keys = try ikeOnlyKeys()
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let derived = try CLITests.run(["analyze", "-r", directory + "/capture.pcap", "-k", keys])
        #expect(
            derived.stdout.split(separator: "\n").filter { $0.contains(" decrypted ") && $0.contains("[CHILD_SA #") }
                .count == 24)
        let plain = try CLITests.run(["analyze", "--no-derive", "-r", directory + "/capture.pcap", "-k", keys])
        #expect(!plain.stdout.contains(" decrypted "))
    }

    /// `keys export` writes the derived ESP SAs and the IKE SAs as Wireshark tables that
    /// decrypt the capture again.
    @Test func exportDerivedKeysForWireshark() throws {
        let keys = try ikeOnlyKeys()
        let folder = CLITests.temporary("tables")
        defer {
            try? FileManager.default.removeItem(atPath: keys)
            try? FileManager.default.removeItem(atPath: folder)
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let export = try CLITests.run([
            "keys", "export", "-r", directory + "/capture.pcap", "-k", keys, "--to", "wireshark", "--output-dir",
            folder,
        ])
        #expect(export.status == 0, "\(export.stderr)")
        let espSA = try String(contentsOfFile: folder + "/esp_sa", encoding: .utf8)
        #expect(espSA.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.count == 4)
        let ikev2 = try String(contentsOfFile: folder + "/ikev2_decryption_table", encoding: .utf8)
        #expect(ikev2.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.count == 2)
        let again = try CLITests.run([
            "analyze", "-q", "--json", "-r", directory + "/capture.pcap", "-k", folder + "/esp_sa",
        ])
        #expect(again.stdout.contains("\"decrypted\":24"))
        // Wireshark takes the derived keys too: tshark verifies every ESP packet with them.
        if Tshark.path != nil {
            let frames = try Tshark.decryptESP(
                capture: Paths.root + "/" + directory + "/capture.pcap", espSA: folder + "/esp_sa")
            #expect(frames.count == 24)
            #expect(frames.allSatisfy { $0.icvGood && $0.containedData != nil })
        }
    }
}
