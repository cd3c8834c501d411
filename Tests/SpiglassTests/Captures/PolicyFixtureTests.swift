import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire
import Testing

/// The policy checks on real strongSwan captures (Fixtures/strongswan-policy): CHILD_SAs whose
/// selectors the responder narrowed, ESP built with their keys carrying packets outside them,
/// cleartext between the protected networks beside the tunnel, and the gateways' own traffic.
/// `frames.tsv` says what each of those frames is; every other frame must pass unflagged.
@Suite struct PolicyFixtureTests {
    struct Expected {
        var kind: String
        var source: String
        var destination: String
        var proto: String
        var port: UInt16
        var negotiated: String
        var configured: String
    }

    static func expected(_ name: String) throws -> [Expected] {
        let text = try String(contentsOfFile: Paths.fixture("strongswan-policy/\(name)/frames.tsv"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: "\t").map(String.init)
            return Expected(
                kind: f[0], source: f[1], destination: f[2], proto: f[3], port: UInt16(f[4])!, negotiated: f[5],
                configured: f[6])
        }
    }

    /// The whole pipeline over a fixture with the keys (and optionally policy files), every
    /// frame's record kept. Without IKE keys the exchanges stay encrypted, so no negotiated
    /// selectors are known: only the policy files count.
    static func run(_ name: String, policyFiles: [String] = [], ikeKeys: Bool = true)
        throws -> (frames: [PacketRecord], summary: AnalysisSummary, output: String)
    {
        let directory = "strongswan-policy/\(name)"
        var keys = try Analyzer.loadKeySet(
            [Paths.fixture("\(directory)/sa.spiglass")] + policyFiles.map { Paths.fixture("\(directory)/\($0)") })
        if !ikeKeys { keys.ikeSAs = [] }
        var options = AnalysisOptions()
        options.deriveChildKeys = false
        let sink = StringSink()
        let analyzer = try Analyzer(
            sad: Analyzer.espDatabase(keys), ahSAD: Analyzer.ahDatabase(keys), ikeKeys: keys.ikeSAs,
            policies: keys.policies, options: options, output: sink)
        var frames: [PacketRecord] = []
        analyzer.packetObserver = { record, _ in frames.append(record) }
        let summary = analyzer.run(try CaptureReader(path: Paths.fixture("\(directory)/capture.pcap")))
        return (frames, summary, sink.text)
    }

    static let protocols: [String: UInt8] = ["icmp": 1, "tcp": 6, "udp": 17]

    /// The frame a frames.tsv row stands for: an ESP frame whose inner packet, or a clear one
    /// whose outer packet, has its addresses, protocol and destination port (ICMP: none).
    static func frame(_ row: Expected, in frames: [PacketRecord]) -> PacketRecord? {
        frames.first { record in
            let packet = row.kind == "esp" ? record.inner : (record.esp.isEmpty ? record.outer : nil)
            guard let packet, packet.source.description == row.source, packet.destination.description == row.destination
            else { return false }
            guard packet.protocolNumber == protocols[row.proto] else { return false }
            if row.proto == "icmp" { return true }
            return row.kind == "esp"
                ? packet.destinationPort == row.port
                : (record.udpPorts?.destination ?? record.outer?.destinationPort ?? row.port) == row.port
        }
    }

    @Test(arguments: ["narrowed", "ports"])
    func negotiatedSelectors(_ name: String) throws {
        let (frames, summary, _) = try Self.run(name)
        let rows = try Self.expected(name)
        var flagged: Set<Int> = []
        for row in rows {
            let record = try #require(Self.frame(row, in: frames), "\(name): no frame for \(row)")
            switch row.negotiated {
            case "policy-mismatch", "leak":
                #expect(record.policy?.kind.rawValue == row.negotiated, "\(name) frame \(record.frame): \(row)")
                flagged.insert(record.frame)
            default:
                #expect(
                    record.policy == nil, "\(name) frame \(record.frame) flagged: \(String(describing: record.policy))")
            }
        }
        // Nothing else is flagged: every real ESP packet is inside its CHILD_SA's selectors, and
        // IKE, keepalives and the gateways' pings are not leaks.
        for record in frames where !flagged.contains(record.frame) {
            #expect(record.policy == nil, "\(name) frame \(record.frame) flagged: \(String(describing: record.policy))")
        }
        let mismatches = rows.filter { $0.negotiated == "policy-mismatch" }.count
        let leaks = rows.filter { $0.negotiated == "leak" }.count
        #expect(summary.policy.mismatches == mismatches)
        #expect(summary.policy.leakPackets == leaks)
        #expect(summary.policy.checked == summary.count(.decrypted))
        #expect(summary.policy.unchecked == 0)
        #expect(summary.events[.policyMismatch] == mismatches && summary.events[.leak] == leaks)
        #expect(summary.findings.filter { $0.kind == .policyMismatch }.count >= 1)
        #expect(summary.findings.allSatisfy { $0.kind == .policyMismatch }, "\(summary.findings)")
    }

    @Test func narrowedSelectorsAreTheResponders() throws {
        let (frames, summary, output) = try Self.run("narrowed")
        #expect(summary.policy.negotiatedChildSAs == 1)
        // A proposed 10.200.1.0/24 → 10.200.2.0/24; B answered 10.200.1.0/28 → 10.200.2.1/32.
        let mismatch = try #require(frames.first { $0.policy?.kind == .policyMismatch })
        #expect(mismatch.policy?.policy == "CHILD_SA #1 10.200.1.0/28 → 10.200.2.1/32")
        #expect(mismatch.policy?.reason == "source 10.200.1.77 is outside 10.200.1.0/28")
        #expect(
            output.contains(
                "[policy-mismatch: source 10.200.1.77 is outside 10.200.1.0/28 (CHILD_SA #1 10.200.1.0/28 → 10.200.2.1/32)]"
            ))
        #expect(
            output.contains(
                "Policy: 1 CHILD_SA(s) with negotiated selectors; 16 packet(s) checked after decryption, 4 outside their selectors; 2 cleartext packet(s) leaked under 1 policy"
            ))
        #expect(
            output.contains(
                "carried 3 of 9 decrypted packets outside its selectors CHILD_SA #1 10.200.1.0/28 → 10.200.2.1/32: frame 25: 10.200.1.77 → 10.200.2.1 ICMP echo request"
            ))
        let leak = try #require(summary.policy.leaks.first)
        #expect(leak.source == "negotiated" && leak.packets == 2)
        #expect(leak.examples.first?.hasPrefix("frame 14: 10.200.1.1 → 10.200.2.1 UDP") == true)
        // The cleartext before the CHILD_SA and after its delete is not its leak.
        #expect(frames.first!.policy == nil && frames.last!.policy == nil)
    }

    @Test(arguments: ["narrowed", "ports"])
    func configuredSelectorsOfHostA(_ name: String) throws {
        // Without IKE keys nothing negotiated is known: only A's swanctl.conf, before narrowing.
        let (frames, summary, _) = try Self.run(name, policyFiles: ["config/swanctl-A.conf"], ikeKeys: false)
        #expect(summary.policy.negotiatedChildSAs == 0 && summary.policy.configuredPolicies > 0)
        var flagged: Set<Int> = []
        for row in try Self.expected(name) {
            let record = try #require(Self.frame(row, in: frames), "\(name): no frame for \(row)")
            if row.configured == "-" || row.configured == "inside" {
                #expect(
                    record.policy == nil, "\(name) frame \(record.frame) flagged: \(String(describing: record.policy))")
            } else {
                #expect(record.policy?.kind.rawValue == row.configured, "\(name) frame \(record.frame): \(row)")
                flagged.insert(record.frame)
            }
        }
        for record in frames where !flagged.contains(record.frame) {
            #expect(record.policy == nil, "\(name) frame \(record.frame)")
        }
        // The leaks of a configured policy are counted from the first cleartext packet on.
        #expect(
            summary.policy.leaks.allSatisfy {
                $0.source.hasSuffix("config/swanctl-A.conf:\($0.source.split(separator: ":").last!)")
            })
        // The same with `swanctl --list-conns` output instead of the file.
        let (listed, _, _) = try Self.run(name, policyFiles: ["list-conns-A.txt"], ikeKeys: false)
        #expect(listed.map(\.policy?.kind) == frames.map(\.policy?.kind))
    }

    /// Every other strongSwan fixture: real traffic only, IPv4 and IPv6, IKEv2 and IKEv1,
    /// rekeys, NAT. Each decrypted packet is held to its CHILD_SA's selectors and none is
    /// outside; nothing on the wire is a leak.
    @Test(
        arguments: AnalyzerRobustnessTests.captures.filter {
            $0.capture.hasPrefix("strongswan") && !$0.capture.hasPrefix("strongswan-policy")
        })
    func realTrafficIsInsideItsSelectors(_ pair: (capture: String, keys: [String])) throws {
        let keys = try Analyzer.loadKeySet(pair.keys.map(Paths.fixture))
        let analyzer = try Analyzer(
            sad: Analyzer.espDatabase(keys), ahSAD: Analyzer.ahDatabase(keys), ikeKeys: keys.ikeSAs,
            options: AnalysisOptions(), output: StringSink())
        let summary = analyzer.run(try CaptureReader(path: Paths.fixture(pair.capture)))
        #expect(summary.policy.mismatches == 0, "\(pair.capture): \(summary.findings.map(\.message))")
        #expect(summary.policy.leaks.isEmpty, "\(pair.capture): \(summary.policy.leaks)")
        // Where the exchanges settled selectors, every decrypted packet was checked.
        if summary.policy.negotiatedChildSAs > 0 {
            #expect(summary.policy.checked + summary.policy.unchecked == summary.count(.decrypted), "\(pair.capture)")
            #expect(summary.policy.checked > 0 || summary.count(.decrypted) == 0, "\(pair.capture)")
        }
    }

    @Test func everyFixtureWithIKEKeysHasSelectors() throws {
        let checked = try [
            "strongswan-ike/ipv6", "strongswan-ike/rekey-cbc-sha256", "strongswan-ike/nat", "strongswan-ikev1/main-psk",
            "strongswan-ikev1/nat", "strongswan/aes256cbc-sha512-v6",
        ].map { name -> Int in
            let keys = try Analyzer.loadKeySet(
                [Paths.fixture("\(name)/sa.spiglass")]
                    + (Paths.exists(Paths.fixture("\(name)/ikev2_decryption_table"))
                        ? [Paths.fixture("\(name)/ikev2_decryption_table")] : []))
            let analyzer = try Analyzer(
                sad: Analyzer.espDatabase(keys), ikeKeys: keys.ikeSAs, options: AnalysisOptions(), output: StringSink())
            let summary = analyzer.run(try CaptureReader(path: Paths.fixture("\(name)/capture.pcap")))
            #expect(summary.policy.negotiatedChildSAs > 0, "\(name)")
            #expect(summary.policy.unchecked == 0, "\(name)")
            return summary.policy.checked
        }
        #expect(checked.allSatisfy { $0 > 0 }, "\(checked)")
    }

    @Test func parallelRunsSayTheSame() throws {
        for name in ["narrowed", "ports"] {
            let directory = "Fixtures/strongswan-policy/\(name)"
            for mode in ParallelAnalysisTests.modes {
                try ParallelAnalysisTests.expectSameOutput(
                    mode + [
                        "-r", "\(directory)/capture.pcap", "-k", "\(directory)/sa.spiglass",
                        "-k", "\(directory)/config/swanctl-A.conf",
                    ], threads: [1, 2])
            }
        }
    }

    @Test func jsonCarriesTheChecks() throws {
        let directory = "Fixtures/strongswan-policy/narrowed"
        let result = try CLITests.run([
            "analyze", "--json", "-r", "\(directory)/capture.pcap", "-k", "\(directory)/sa.spiglass",
        ])
        #expect(result.status == 0)
        let objects = try result.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        let checks = objects.compactMap { $0["policy"] as? [String: Any] }
        let packetChecks = objects.filter { $0["type"] as? String == "packet" }.compactMap {
            $0["policy"] as? [String: Any]
        }
        #expect(packetChecks.filter { $0["check"] as? String == "policy-mismatch" }.count == 4)
        #expect(packetChecks.filter { $0["check"] as? String == "leak" }.count == 2)
        #expect(
            packetChecks.first { $0["check"] as? String == "policy-mismatch" }?["reason"] as? String
                == "source 10.200.1.77 is outside 10.200.1.0/28")
        #expect(packetChecks.first { $0["check"] as? String == "leak" }?["reason"] is NSNull)
        let sas = objects.filter { $0["type"] as? String == "sa" }.compactMap { $0["policy"] as? [String: Any] }
        #expect(sas.map { $0["mismatches"] as? Int } == [3, 1])
        #expect(sas.allSatisfy { ($0["selectors"] as? String)?.hasPrefix("CHILD_SA #1 ") == true })
        let summary = try #require(objects.last)
        let policy = try #require(summary["policy"] as? [String: Any])
        #expect(
            policy["mismatches"] as? Int == 4 && policy["leak_packets"] as? Int == 2
                && policy["negotiated_child_sas"] as? Int == 1)
        let leaks = try #require(policy["leaks"] as? [[String: Any]])
        #expect(leaks.first?["source"] as? String == "negotiated" && leaks.first?["packets"] as? Int == 2)
        #expect((summary["events"] as? [String: Any])?["policy-mismatch"] as? Int == 4)
        let findings = try #require(summary["findings"] as? [[String: Any]])
        #expect(findings.contains { $0["kind"] as? String == "leak" && $0["spi"] is NSNull })
        #expect(findings.filter { $0["kind"] as? String == "policy-mismatch" }.count == 2)
        #expect(checks.count >= 6)
    }

    /// IKEv1: the Quick Mode client IDs are the selectors. The real traffic of every IKEv1
    /// fixture is inside them; one ESP packet built here with a fixture CHILD_SA's keys and an
    /// inner packet from elsewhere is not.
    @Test func ikev1QuickModeIdentities() throws {
        let directory = Paths.fixture("strongswan-ikev1/main-psk")
        let keys = try Analyzer.loadKeySet([directory + "/sa.spiglass"])
        let capture = try CaptureReader(path: directory + "/capture.pcap")
        var frames: [([UInt8], PacketHeader)] = []
        while case .packet(let header) = capture.next() {
            frames.append((Array(capture.buffer[0..<header.capturedLength]), header))
        }
        let linkType = capture.linkType
        func analyze(_ frames: [([UInt8], PacketHeader)]) throws -> (AnalysisSummary, [PacketRecord]) {
            let analyzer = try Analyzer(
                sad: Analyzer.espDatabase(keys), ikeKeys: keys.ikeSAs, options: AnalysisOptions(), output: StringSink())
            var records: [PacketRecord] = []
            analyzer.packetObserver = { record, _ in records.append(record) }
            analyzer.setLinkType(dlt: linkType, name: "")
            for (bytes, header) in frames { analyzer.process(bytes, header: header) }
            analyzer.finish()
            return (analyzer.summary, records)
        }
        let (summary, records) = try analyze(frames)
        #expect(summary.policy.negotiatedChildSAs >= 1)
        #expect(summary.policy.checked == summary.count(.decrypted) && summary.policy.checked > 0)
        #expect(summary.policy.mismatches == 0 && summary.policy.unchecked == 0)
        // Rebuild the last ESP frame with the same SA and sequence + 1, carrying 192.0.2.99 → its destination.
        let lastESP = try #require(records.last { $0.verdict == .decrypted && $0.inner != nil })
        let layer = lastESP.esp[0]
        let sa = try #require(keys.sas.first { $0.spi == layer.spi })
        var inner = [UInt8](repeating: 0, count: 28)
        inner[0] = 0x45
        inner[3] = 28
        inner[8] = 64
        inner[9] = 1
        inner.replaceSubrange(12..<16, with: IPAddress("192.0.2.99")!.bytes)
        inner.replaceSubrange(16..<20, with: lastESP.inner!.destination.bytes)
        inner[20] = 8
        inner.setBE16(10, internetChecksum(inner, 0..<20))
        inner.setBE16(22, internetChecksum(inner, 20..<28))
        let esp = try ESPPacketBuilder(sa: sa).build(
            spi: layer.spi, sequence: layer.sequence + 1, payload: inner, nextHeader: 4)
        let (original, header) = frames[lastESP.frame - 1]
        // Same link and IP header, the ESP replaced (lengths fixed; the outer checksum is not checked).
        let ipStart = original.count - (lastESP.outer!.length)
        var frame = Array(original[0..<ipStart])
        let ipHeaderLength = Int(original[ipStart] & 0x0f) * 4
        var ip = Array(original[ipStart..<(ipStart + ipHeaderLength)])
        var payload: [UInt8] = []
        if lastESP.udpPorts != nil {
            payload = Array(original[(ipStart + ipHeaderLength)..<(ipStart + ipHeaderLength + 8)])
            payload.setBE16(4, UInt16(8 + esp.count))
            payload.setBE16(6, 0)
        }
        payload += esp
        ip.setBE16(2, UInt16(ip.count + payload.count))
        frame += ip + payload
        var forged = header
        forged.capturedLength = frame.count
        forged.originalLength = frame.count
        let (after, afterRecords) = try analyze(frames + [(frame, forged)])
        #expect(after.policy.mismatches == 1)
        let flagged = try #require(afterRecords.last)
        #expect(flagged.verdict == .decrypted)
        #expect(flagged.policy?.reason?.hasPrefix("source 192.0.2.99 is outside ") == true)
    }
}
