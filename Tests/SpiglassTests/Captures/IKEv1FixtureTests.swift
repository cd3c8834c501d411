import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

/// The strongSwan IKEv1 fixtures (`Fixtures/strongswan-ikev1`): Main and Aggressive Mode, PSK
/// and certificates with ISAKMP fragmentation, Quick Mode with and without PFS and its rekey,
/// DPD, a real NAT, XAUTH and Mode Config, NO-PROPOSAL-CHOSEN and a PSK mismatch.
/// `expected.tsv` comes from charon's logs, `tshark-ike.txt` from tshark with the same keys.
@Suite struct IKEv1FixtureTests {
    static let cases = [
        "main-psk", "aggressive-psk", "main-cert-frag", "pfs", "nat", "no-proposal", "wrong-psk", "modecfg-xauth",
    ]

    static func directory(_ name: String) -> String { Paths.fixture("strongswan-ikev1/\(name)") }

    /// The PSK-mismatch case: B's notifications open only with B's keys.
    static func keyFile(_ name: String) -> String {
        directory(name) + (name == "wrong-psk" ? "/sa-B.spiglass" : "/sa.spiglass")
    }

    static func rows(_ name: String, kind: String) throws -> [[String]] {
        let text = try String(contentsOfFile: directory(name) + "/expected.tsv", encoding: .utf8)
        return text.split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        .filter { $0.first == kind }.map { Array($0.dropFirst()) }
    }

    static func run(_ name: String, keys: KeySet? = nil) throws -> (
        frames: [FrameOutcome], summary: AnalysisSummary, analyzer: Analyzer
    ) {
        try analyze(directory(name) + "/capture.pcap", keySet: keys ?? Analyzer.loadKeySet([keyFile(name)]))
    }

    @Test(arguments: cases)
    func messagesMatchCharonsLog(name: String) throws {
        let result = try Self.run(name)
        let ike = result.analyzer.ike
        for row in try Self.rows(name, kind: "message") {
            // frame exchange exchange_type message_id sender sender_host encrypted retransmission fragment icookie rcookie payloads_logged
            let frame = Int(row[0])!
            let message = try #require(
                ike.messages.first { $0.frames.contains(frame) }, "\(name): no message for frame \(frame)")
            #expect(message.header.majorVersion == 1)
            #expect(message.header.exchangeType.rawValue == UInt8(row[2]), "\(name) frame \(frame)")
            #expect(message.header.messageID == UInt32(row[3], radix: 16), "\(name) frame \(frame)")
            #expect(message.fromOriginalInitiator == (row[4] == "initiator"), "\(name) frame \(frame)")
            #expect(message.retransmission == (row[7] == "yes"), "\(name) frame \(frame)")
            if row[8] != "-" {
                #expect(
                    message.frames.count == Int(row[8].split(separator: "/")[1]),
                    "\(name) frame \(frame): \(message.frames)")
            }
            // With B's keys, A's messages 5 and 7 of the PSK mismatch cannot open.
            let openable = !(name == "wrong-psk" && row[4] == "initiator")
            if row[6] == "yes" && openable {
                #expect(message.decryption == .decrypted, "\(name) frame \(frame): \(message.decryption)")
                #expect(message.integrity != .failed, "\(name) frame \(frame)")
                if [5, 6, 32].contains(message.header.exchangeType.rawValue) {
                    #expect(message.integrity == .ok, "\(name) frame \(frame): HASH not verified")
                }
                let logged = Self.payloadCount(row[11])
                #expect(
                    message.v1Payloads.count - (message.decryptedFrom ?? 0) == logged,
                    "\(name) frame \(frame): \(row[11])")
            } else if row[6] == "no" {
                #expect(message.decryption == .notEncrypted, "\(name) frame \(frame)")
                #expect(message.v1Payloads.count == Self.payloadCount(row[11]), "\(name) frame \(frame): \(row[11])")
            }
        }
        let ikeFrames = result.frames.filter { $0.record.ike != nil }.map(\.record.frame)
        #expect(ike.messages.flatMap(\.frames).sorted() == ikeFrames, "\(name)")
    }

    /// charon's payload list, one token per payload: "HASH CPRQ(X_USER X_PWD)" is two.
    static func payloadCount(_ logged: String) -> Int {
        guard logged != "-" else { return 0 }
        var count = 0
        var depth = 0
        var inToken = false
        for character in logged {
            switch character {
            case "(": depth += 1
            case ")": depth -= 1
            case " " where depth == 0:
                inToken = false
                continue
            default: break
            }
            if !inToken {
                count += 1
                inToken = true
            }
        }
        return count
    }

    /// (The PSK mismatch is left out: tshark chains the wrong IV there and shows garbage.)
    @Test(arguments: cases.filter { $0 != "wrong-psk" })
    func payloadsMatchTshark(name: String) throws {
        let result = try Self.run(name)
        let ike = result.analyzer.ike
        let text = try String(contentsOfFile: Self.directory(name) + "/tshark-ike.txt", encoding: .utf8)
        var compared = 0
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 11, let frame = Int(f[0]) else { continue }
            let clear = f[10] == "plain"
            let decrypted = f[10].contains("decrypted")
            guard clear || decrypted, let message = ike.messages.first(where: { $0.frames.contains(frame) }),
                message.frames.last == frame
            else { continue }
            let theirs = f[8].split(separator: " ").map(String.init).filter { $0 != "FRAG" }
            let ours = (decrypted ? Array(message.v1Payloads[(message.decryptedFrom ?? 0)...]) : message.v1Payloads)
                .map(\.name)
            #expect(ours == theirs, "\(name) frame \(frame)")
            compared += 1
        }
        #expect(compared > 0)
    }

    @Test(arguments: cases)
    func ikeSAOutcome(name: String) throws {
        let result = try Self.run(name)
        let ike = result.analyzer.ike
        let row = try #require(try Self.rows(name, kind: "ike_sa").first)
        // icookie rcookie exchange outcome auth_method proposal frames deleted_in_frame
        #expect(ike.ikeSAs.count == 1)
        let sa = try #require(ike.ikeSAs.first)
        #expect(sa.spis.initiator.ikeSPIHex == row[0] && sa.spis.responder.ikeSPIHex == row[1])
        #expect(sa.exchanges.first?.name == (row[2] == "Main" ? "Main Mode" : "Aggressive Mode"))
        if row[3] == "established" {
            #expect(sa.state == (row[7] == "-" ? .established : .deleted), "\(name): \(sa.state)")
        } else {
            #expect(
                IKESAWords.state(sa.state) == "failed: " + row[3].dropFirst("failed:".count),
                "\(name): \(sa.state)")
        }
    }

    @Test(arguments: cases)
    func quickModeChildSAs(name: String) throws {
        let result = try Self.run(name)
        let ike = result.analyzer.ike
        let expected = try Self.rows(name, kind: "child_sa")
        #expect(ike.children.count == expected.count, "\(name)")
        for row in expected {
            // icookie spi_initiator_inbound spi_responder_inbound qm_message_id qm_frames created_in_frame qm_initiator
            // rekey_of pfs proposal esp_frames_to_initiator esp_frames_to_responder deleted_in_frame deleted_how keymat_check
            let inbound = SPI(UInt32(row[1], radix: 16)!)
            let outbound = SPI(UInt32(row[2], radix: 16)!)
            let index = try #require(
                ike.children.firstIndex { Set($0.spis) == [inbound, outbound] }, "\(name): \(row[1])/\(row[2])")
            let child = ike.children[index]
            #expect(child.requestedByInitiator == (row[6] == "initiator"))
            #expect(child.requesterSPI == (child.requestedByInitiator ? inbound : outbound))
            #expect(child.perfectForwardSecrecy == row[8].hasPrefix("yes"), "\(name)")
            if row[7] == "-" {
                #expect(child.rekeyOf == nil, "\(name)")
            } else {
                let old = try #require(child.rekeyOf, "\(name): rekey not recognised")
                #expect(ike.children[old].spis.contains(SPI(UInt32(row[7], radix: 16)!)))
            }
            #expect(child.deleted == (row[13] != "none"), "\(name)")
            for (spi, frames) in [
                (inbound, IKEFixtureTests.frames(row[10])), (outbound, IKEFixtureTests.frames(row[11])),
            ] {
                let flow = try #require(result.analyzer.flows.first { $0.key.spi == spi })
                #expect(flow.childSA == index)
                #expect(flow.count(.decrypted) == frames.count, "\(name) SPI \(spi)")
            }
        }
    }

    /// Only the `ike version=1` line: Quick Mode KEYMAT from SKEYID_d equals charon's ESP keys
    /// and the ESP decrypts; PFS Quick Modes say why they cannot be derived.
    @Test(arguments: cases)
    func espFromSKEYIDdAlone(name: String) throws {
        var keys = try Analyzer.loadKeySet([Self.keyFile(name)])
        let logged = keys.sas
        keys.sas = []
        let result = try Self.run(name, keys: keys)
        let ike = result.analyzer.ike
        for derived in ike.derivedSAs {
            let reference = try #require(logged.first { $0.spi == derived.spi }, "\(name): derived SPI not logged")
            #expect(derived.encryptionKey == reference.encryptionKey, "\(name)")
            #expect(derived.integrityKey == reference.integrityKey, "\(name)")
            #expect(derived.encryption == reference.encryption && derived.integrity == reference.integrity, "\(name)")
        }
        for child in ike.children {
            #expect(child.keysDerived == !child.perfectForwardSecrecy, "\(name): \(String(describing: child.keying))")
        }
        for flow in result.analyzer.flows {
            let pfs = flow.childSA.map { ike.children[$0].perfectForwardSecrecy } ?? false
            #expect(flow.count(.decrypted) == (pfs ? 0 : flow.packets), "\(name) SPI \(flow.key.spi)")
        }
    }

    /// NAT-D seen from behind the NAT and from outside it: the initiator is behind a NAT.
    @Test func natDiscoveryFromBothSides() throws {
        for (capture, keyFile) in [("capture.pcap", "sa.spiglass"), ("capture-inside.pcap", "sa-inside.spiglass")] {
            let keys = try Analyzer.loadKeySet([Self.directory("nat") + "/" + keyFile])
            let result = try analyze(Self.directory("nat") + "/" + capture, keySet: keys)
            #expect(result.analyzer.ike.ikeSAs.first?.initiatorBehindNAT == true, "\(capture)")
            #expect(result.summary.count(.decrypted) == 8, "\(capture)")
        }
    }

    /// Wireshark's table gives only the phase-1 encryption key: everything decrypts, nothing is
    /// derived, HASHes stay unchecked.
    @Test func wiresharkTableDecryptsEveryMessage() throws {
        let name = "main-psk"
        let keys = try Analyzer.loadKeySet([Self.directory(name) + "/ikev1_decryption_table"])
        let result = try Self.run(name, keys: keys)
        let encrypted = result.analyzer.ike.messages.filter { $0.header.flags & 1 != 0 }
        #expect(encrypted.count == 23)
        #expect(encrypted.allSatisfy { $0.decryption == .decrypted && $0.integrity == .unchecked })
        #expect(result.analyzer.ike.derivedSAs.isEmpty)
    }

    /// A capture that starts after the KE payloads cannot give the IV: every encrypted message
    /// says so instead of decrypting to garbage.
    @Test func missingKEPayloadsAreNamed() throws {
        let directory = Self.directory("main-psk")
        let keys = try Analyzer.loadKeySet([directory + "/sa.spiglass"])
        let analyzer = try Analyzer(
            sad: Analyzer.espDatabase(keys), ikeKeys: keys.ikeSAs, options: AnalysisOptions(), output: StringSink())
        let reader = try CaptureReader(path: directory + "/capture.pcap")
        analyzer.setLinkType(dlt: reader.linkType, name: reader.linkTypeName)
        var frame = 0
        while case .packet(let header) = reader.next() {
            frame += 1
            if frame > 4 { analyzer.process(reader.buffer, header: header) }
        }
        analyzer.finish()
        let encrypted = analyzer.ike.messages.filter { $0.header.flags & 1 != 0 }
        #expect(!encrypted.isEmpty)
        for message in encrypted {
            guard case .failed(let why) = message.decryption else {
                Issue.record("frame \(message.frames): \(message.decryption)")
                continue
            }
            #expect(why == .ivNeedsKEPayloads(cut: false) || why == .ivNeedsKEPayloads(cut: true))
        }
    }

    /// With the initiator's keys, the PSK mismatch is diagnosed from what does not decrypt.
    @Test func pskMismatchSeenFromTheInitiator() throws {
        let result = try Self.run(
            "wrong-psk", keys: try Analyzer.loadKeySet([Self.directory("wrong-psk") + "/sa.spiglass"]))
        guard case .failed(let failure) = result.analyzer.ike.ikeSAs.first?.state else {
            Issue.record("not failed")
            return
        }
        let reason = IKESAWords.failure(failure)
        #expect(reason.contains("phase 1 incomplete (5 of 6 messages)"))
        #expect(reason.contains("pre-shared keys differ"))
    }

    /// Wireshark's own IKEv1 capture (3DES/MD5, certificates): all six encrypted messages open,
    /// including the retransmitted one tshark shows as malformed.
    @Test(.enabled(if: Paths.corpusPresent)) func wiresharkIKEv1CertsCapture() throws {
        let keys = try KeyFileLoader.parseKeys(
            "fafaeb49382a763c,735be0cb62f82675c4f7bf8fbab9b56834ba76d6ab4fa240\n", file: "inline",
            format: .wiresharkIKEv1)
        let result = try analyze(Paths.corpus("wireshark/test/captures/ikev1-certs.pcap"), keySet: keys)
        let ike = result.analyzer.ike
        let encrypted = ike.messages.filter { $0.header.flags & 1 != 0 }
        #expect(encrypted.count == 6)
        #expect(encrypted.allSatisfy { $0.decryption == .decrypted })
        #expect(encrypted.filter(\.retransmission).count == 1)
        #expect(ike.ikeSAs.first?.state == .established)
        #expect(ike.children.count == 1)
    }
}
