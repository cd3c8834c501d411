import Foundation
import SpiglassAnalysis
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

/// The strongSwan IKEv2 fixtures (`Fixtures/strongswan-ike`): rekeys, PFS, fragmentation, a
/// real NAT, failures, COOKIE and INVALID_KE retries, IPv6. Each case's `expected.tsv` was
/// written from charon's own logs, and `tshark-ike.txt` by tshark with the same keys; the
/// reconstruction must agree with both.
@Suite struct IKEFixtureTests {
    static let cases = [
        "rekey-cbc-sha256", "pfs-gcm", "chacha20", "ccm", "ctr-xcbc", "cmac", "fragmentation", "nat", "no-proposal",
        "wrong-psk", "ts-unacceptable", "invalid-ke", "cookie", "no-response", "ipv6",
    ]

    static func directory(_ name: String) -> String { Paths.fixture("strongswan-ike/\(name)") }

    /// Rows of one kind from expected.tsv, as column arrays (the kind column dropped).
    static func rows(_ name: String, kind: String, file: String = "expected.tsv") throws -> [[String]] {
        let text = try String(contentsOfFile: directory(name) + "/" + file, encoding: .utf8)
        return text.split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        .filter { $0.first == kind }.map { Array($0.dropFirst()) }
    }

    /// "6,8-9,11" → [6, 8, 9, 11].
    static func frames(_ list: String) -> [Int] {
        guard list != "-" else { return [] }
        return list.split(separator: ",").flatMap { part -> [Int] in
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            return bounds.count == 2 ? Array(bounds[0]...bounds[1]) : bounds
        }
    }

    static func run(_ name: String, keys: KeySet? = nil) throws -> (
        frames: [FrameOutcome], summary: AnalysisSummary, analyzer: Analyzer
    ) {
        let keySet = try keys ?? Analyzer.loadKeySet([directory(name) + "/sa.spiglass"])
        return try analyze(directory(name) + "/capture.pcap", keySet: keySet)
    }

    static func spi(_ hex: String) -> UInt32? { UInt32(hex, radix: 16) }

    @Test(arguments: cases)
    func messagesMatchCharonsLog(name: String) throws {
        let result = try Self.run(name)
        let ike = result.analyzer.ike
        let expected = try Self.rows(name, kind: "message")
        #expect(!expected.isEmpty)
        for row in expected {
            // frame exchange message_id direction sender retransmission fragment ike_spi_i ike_spi_r sender_host encrypted payloads_logged
            let frame = Int(row[0])!
            let message = try #require(
                ike.messages.first { $0.frames.contains(frame) }, "\(name): no message for frame \(frame)")
            #expect(message.header.exchangeName == row[1], "\(name) frame \(frame)")
            #expect(message.header.messageID == UInt32(row[2]), "\(name) frame \(frame)")
            #expect(message.isResponse == (row[3] == "response"), "\(name) frame \(frame)")
            #expect(message.header.isInitiator == (row[4] == "initiator"), "\(name) frame \(frame)")
            #expect(message.retransmission == (row[5] == "yes"), "\(name) frame \(frame)")
            if row[6] != "-" {
                let total = Int(row[6].split(separator: "/")[1])!
                #expect(message.frames.count == total, "\(name) frame \(frame): \(message.frames)")
            }
            #expect(message.header.initiatorSPI.ikeSPIHex == row[7])
            if row[10] == "yes" {
                #expect(message.decryption == .decrypted, "\(name) frame \(frame): \(message.decryption)")
                #expect(message.integrity == .ok, "\(name) frame \(frame)")
            } else {
                #expect(message.decryption == .notEncrypted)
            }
            // charon logs one token per payload it sent or received (inner ones for SK).
            let logged = row[11] == "-" ? 0 : row[11].split(separator: " ").count
            let ours = message.decryption == .decrypted ? message.encryptedPayloads.count : message.payloads.count
            #expect(ours == logged, "\(name) frame \(frame): \(ours) payloads vs charon's \(row[11])")
        }
        // Every IKE frame of the capture is in exactly one message.
        let ikeFrames = result.frames.filter { $0.record.ike != nil }.map(\.record.frame)
        #expect(ike.messages.flatMap(\.frames).sorted() == ikeFrames)
    }

    /// The cases tshark can check: those with an ikev2_decryption_table.
    static let tsharkCases = cases.filter { Paths.exists(directory($0) + "/ikev2_decryption_table") }

    /// tshark 4.0 cannot decrypt ChaCha20, and no-proposal and no-response encrypt nothing: only
    /// those three go without a table, so no case drops out of the comparison unnoticed.
    @Test func everyOtherCaseHasATsharkTable() {
        #expect(Set(Self.cases).subtracting(Self.tsharkCases) == ["chacha20", "no-proposal", "no-response"])
    }

    @Test(arguments: tsharkCases)
    func payloadsMatchTshark(name: String) throws {
        let result = try Self.run(name)
        let ike = result.analyzer.ike
        let text = try String(contentsOfFile: Self.directory(name) + "/tshark-ike.txt", encoding: .utf8)
        let tsharkName = ["N": "Notify", "D": "Delete", "V": "Vendor", "SK": "SK", "SKF": "SKF"]
        var compared = 0
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 11, let frame = Int(f[0]), f[10] == "decrypted" || f[10] == "plain" else { continue }
            let message = try #require(ike.messages.first { $0.frames.contains(frame) })
            // A fragmented message's payloads are shown on its last fragment.
            guard message.frames.last == frame else { continue }
            let theirs = f[8].split(separator: " ").map(String.init).filter { $0 != "SK" && $0 != "SKF" }
            let ours = message.v2Payloads.map { tsharkName[$0.name] ?? $0.name }
            #expect(ours == theirs, "\(name) frame \(frame)")
            let theirNotifies = f[9] == "-" ? [] : f[9].split(separator: " ").map(String.init)
            #expect(message.notifies.map(\.name) == theirNotifies, "\(name) frame \(frame)")
            compared += 1
        }
        #expect(compared > 0)
    }

    @Test(arguments: cases)
    func ikeSAOutcomes(name: String) throws {
        let result = try Self.run(name)
        let ike = result.analyzer.ike
        let expected = try Self.rows(name, kind: "ike_sa")
        // Attempts answered with COOKIE or INVALID_KE_PAYLOAD are the same IKE SA (same SPIi).
        let finalRows = expected.filter { !$0[2].hasPrefix("retry:") }
        #expect(ike.ikeSAs.count == finalRows.count, "\(name)")
        for row in expected {
            // spi_i spi_r outcome rekeyed_to initiator_host proposal frames deleted_in_frame rekey_of
            let sa = try #require(
                ike.ikeSAs.first { $0.spis.initiator.ikeSPIHex == row[0] }, "\(name): IKE SA \(row[0])")
            switch row[2] {
            case "retry:COOKIE":
                #expect(sa.cookieRoundTrip)
                continue
            case "retry:INVALID_KE_PAYLOAD":
                #expect(sa.invalidKERequestedGroup != nil)
                continue
            case "no-response":
                #expect(sa.state == .noResponse)
            case let failure where failure.hasPrefix("failed:"):
                #expect(IKESAWords.state(sa.state) == "failed: " + failure.dropFirst(7), "\(name)")
            case "established":
                if row[3] != "-" {
                    #expect(sa.state == .rekeyed, "\(name)")
                    #expect(sa.rekeyedBy.map { ike.ikeSAs[$0].spis.initiator.ikeSPIHex } == row[3])
                } else if row[7] != "-" {
                    #expect(sa.state == .deleted, "\(name)")
                } else {
                    #expect(sa.state == .established, "\(name)")
                }
            default:
                Issue.record("\(name): unknown outcome \(row[2])")
            }
            #expect(sa.spis.responder.ikeSPIHex == row[1], "\(name)")
            if row[5] != "-" {
                // strongSwan's "AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048".
                // Underscores aside (strongSwan's CURVE_25519 is IANA's Curve25519).
                let theirs = Set(row[5].split(separator: "/").map { $0.replacingOccurrences(of: "_", with: "") })
                let ours = Set(
                    sa.proposalNames.map {
                        $0.replacingOccurrences(of: "ENCR_", with: "").replacingOccurrences(of: "AUTH_", with: "")
                            .replacingOccurrences(of: "_", with: "")
                    })
                #expect(ours == theirs, "\(name): \(sa.proposalNames) vs \(row[5])")
            }
        }
    }

    @Test(arguments: cases)
    func childSAsAndTheirESP(name: String) throws {
        let result = try Self.run(name)
        let ike = result.analyzer.ike
        let expected = try Self.rows(name, kind: "child_sa")
        #expect(ike.children.filter(\.established).count == expected.count, "\(name)")
        for row in expected {
            // ike_spi_i ike_spi_r spi_initiator_inbound spi_responder_inbound created_by rekey_of pfs exchange_initiator
            // created_in_frame proposal esp_frames_to_initiator esp_frames_to_responder deleted_in_frame deleted_how
            let spis = Set([SPI(Self.spi(row[2])!), SPI(Self.spi(row[3])!)])
            let index = try #require(
                ike.children.firstIndex { Set($0.spis) == spis }, "\(name): CHILD_SA \(row[2])/\(row[3])")
            let child = ike.children[index]
            #expect(child.createdByName == row[4], "\(name)")
            #expect(ike.ikeSAs[child.ikeSAIndex].spis.initiator.ikeSPIHex == row[0], "\(name)")
            #expect(child.requestedByInitiator == (row[7] == "initiator"), "\(name)")
            #expect(child.perfectForwardSecrecy == (row[6] == "yes"), "\(name)")
            if row[5] == "-" {
                #expect(child.rekeyOf == nil)
            } else {
                let old = try #require(child.rekeyOf, "\(name): rekey not recognised")
                #expect(ike.children[old].spis.contains(SPI(Self.spi(row[5])!)), "\(name)")
            }
            // The ESP of each direction is attached to this CHILD_SA and decrypts.
            for (spiText, frames) in [(row[2], Self.frames(row[10])), (row[3], Self.frames(row[11]))] {
                let flows = result.analyzer.flows.filter { $0.key.spi.rawValue == Self.spi(spiText)! }
                #expect(flows.count == 1, "\(name) SPI \(spiText)")
                #expect(flows.first?.childSA == index)
                #expect(flows.first?.count(.decrypted) == frames.count, "\(name) SPI \(spiText)")
            }
        }
    }

    /// Only the IKE lines of the key file: every CHILD_SA created without PFS gets its ESP keys
    /// from SK_d, equal to what charon logged, and its ESP decrypts; the PFS rekey says why not.
    @Test(arguments: cases)
    func espFromIKEKeysAlone(name: String) throws {
        var keys = try Analyzer.loadKeySet([Self.directory(name) + "/sa.spiglass"])
        let logged = keys.sas
        keys.sas = []
        let result = try Self.run(name, keys: keys)
        let ike = result.analyzer.ike
        for derived in ike.derivedSAs {
            let reference = try #require(
                logged.first { $0.spi == derived.spi }, "\(name): derived SPI not in charon's log")
            #expect(derived.encryptionKey == reference.encryptionKey, "\(name)")
            #expect(derived.integrityKey == reference.integrityKey, "\(name)")
            #expect(derived.encryption == reference.encryption, "\(name)")
            #expect(derived.integrity == reference.integrity, "\(name)")
        }
        for child in ike.children where child.established {
            if child.perfectForwardSecrecy {
                #expect(!child.keysDerived)
                #expect(child.keying == .perfectForwardSecrecy)
            } else {
                #expect(child.keysDerived, "\(name): \(String(describing: child.keying))")
            }
        }
        let pfsSPIs = Set(ike.children.filter(\.perfectForwardSecrecy).flatMap(\.spis))
        for flow in result.analyzer.flows {
            if pfsSPIs.contains(flow.key.spi) {
                #expect(flow.count(.noSA) == flow.packets)
            } else {
                #expect(flow.count(.decrypted) == flow.packets, "\(name) SPI \(flow.key.spi)")
            }
        }
    }

    /// Seen from behind the NAT and from outside it, the initiator is behind a NAT.
    @Test func natDetectionFromBothSides() throws {
        for (capture, keyFile) in [("capture.pcap", "sa.spiglass"), ("capture-inside.pcap", "sa-inside.spiglass")] {
            let keys = try Analyzer.loadKeySet([Self.directory("nat") + "/" + keyFile])
            let result = try analyze(Self.directory("nat") + "/" + capture, keySet: keys)
            #expect(result.analyzer.ike.ikeSAs.first?.initiatorBehindNAT == true, "\(capture)")
            #expect(result.summary.count(.decrypted) == 8, "\(capture)")
        }
    }

    /// The JSON report has one record per message, exchange, IKE SA and CHILD_SA.
    @Test func jsonReport() throws {
        let output = StringSink()
        var options = AnalysisOptions()
        options.format = .json
        options.report = .ike
        let keys = try Analyzer.loadKeySet([Self.directory("fragmentation") + "/sa.spiglass"])
        _ = try analyze(
            Self.directory("fragmentation") + "/capture.pcap", keySet: keys, options: options, output: output)
        let objects = try output.text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        let messages = objects.filter { $0["type"] as? String == "ike_message" }
        #expect(messages.count == 6)
        let auth = try #require(messages.first { $0["exchange"] as? String == "IKE_AUTH" })
        #expect(auth["frames"] as? [Int] == [3, 4, 5, 6])
        #expect(auth["decrypted"] as? Bool == true)
        #expect(auth["integrity"] as? String == "ok")
        #expect((auth["ike_sa"] as? [String: Any])?["ispi"] as? String != nil)
        #expect(auth["message_id"] as? Int == 1)
        let payloads = try #require(auth["payloads"] as? [[String: Any]])
        #expect(payloads.contains { $0["name"] as? String == "CERT" })
        #expect(objects.filter { $0["type"] as? String == "ike_exchange" }.count == 3)
        #expect(objects.filter { $0["type"] as? String == "ike_sa" }.count == 1)
        let child = try #require(objects.first { $0["type"] as? String == "child_sa" })
        #expect(child["keys_derived"] as? Bool == true)
        #expect((child["flows"] as? [[String: Any]])?.count == 2)
        #expect(objects.last?["type"] as? String == "summary")
    }
}
