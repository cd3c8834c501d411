import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassIKE
import SpiglassWire
import Testing

@testable import SpiglassSAD

/// One side's charon log alone, in every shape a system writes it, must decrypt every ESP
/// packet and IKE message that both sides' logs together decrypt, packet for packet
/// (Fixtures/strongswan-logs: real runs with rekeys, reauthentication, a restart, two IKE SAs at
/// once and charon-systemd with journald; and the older fixtures' charon-A/-B logs).
@Suite struct StrongSwanLogShapeTests {
    static let root = Paths.fixture("strongswan-logs")

    /// "ikev2/B/syslog.log" for every log of every case of Fixtures/strongswan-logs.
    static let shapes: [String] = {
        let fm = FileManager.default
        var out: [String] = []
        for name in ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted()
        where fm.fileExists(atPath: "\(root)/\(name)/capture.pcap") {
            for side in ["A", "B"] {
                for log in ((try? fm.contentsOfDirectory(atPath: "\(root)/\(name)/\(side)")) ?? []).sorted() {
                    out.append("\(name)/\(side)/\(log)")
                }
            }
        }
        return out
    }()

    /// The older strongSwan fixtures that have both sides' logs.
    static let sideLogCases: [String] = {
        let fm = FileManager.default
        var out: [String] = []
        for set in ["strongswan", "strongswan-ike", "strongswan-ikev1"] {
            let dir = Paths.fixture(set)
            for name in ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted()
            where fm.fileExists(atPath: "\(dir)/\(name)/charon-A.log")
                && fm.fileExists(atPath: "\(dir)/\(name)/charon-B.log")
            {
                out.append("\(set)/\(name)")
            }
        }
        return out
    }()

    /// What a frame came to, without what depends on which key file matched (key lines).
    static func outcomes(_ capture: String, keyFiles: [String]) throws -> [String] {
        let keys = try Analyzer.loadKeySet(keyFiles)
        let reader = try CaptureReader(path: capture)
        let analyzer = try Analyzer(
            sad: Analyzer.espDatabase(keys), ahSAD: Analyzer.ahDatabase(keys), ikeKeys: keys.ikeSAs,
            options: AnalysisOptions(), output: StringSink())
        var out: [String] = []
        analyzer.packetObserver = { record, inner in
            var line = "\(record.frame) \(record.verdict.rawValue)"
            for layer in record.esp {
                line +=
                    " esp \(String(layer.spi.rawValue, radix: 16)) seq \(layer.sequence) \(layer.verdict.rawValue) \(layer.icv)"
            }
            if let message = record.ikeMessage {
                line +=
                    " ike \(message.decryption) \(message.integrity.rawValue) payloads \(message.payloads.count) \(message.v1Payloads.count)"
            }
            line += " inner \(Hex.encode(Array(inner)))"
            out.append(line)
        }
        _ = analyzer.run(reader)
        return out
    }

    @Test(arguments: shapes)
    func oneShapeOfOneSideDecryptsWhatBothLogsDo(_ shape: String) throws {
        let name = String(shape.prefix { $0 != "/" })
        let capture = "\(Self.root)/\(name)/capture.pcap"
        let both = try Self.outcomes(
            capture, keyFiles: ["\(Self.root)/\(name)/A/charon.log", "\(Self.root)/\(name)/B/charon.log"])
        let alone = try Self.outcomes(capture, keyFiles: ["\(Self.root)/\(shape)"])
        #expect(alone.count == both.count)
        for (a, b) in zip(alone, both) where a != b {
            Issue.record("\(shape): \(a)\n  both logs: \(b)")
            break
        }
        // And both logs open everything: every ESP packet decrypted, every encrypted IKE
        // message decrypted with its integrity checked.
        for line in both {
            #expect(!line.contains(" esp ") || line.contains(" decrypted good"), "\(name): \(line)")
            #expect(
                !line.contains(" ike ") || line.contains(" ike notEncrypted ") || line.contains(" ike decrypted ok "),
                "\(name): \(line)")
        }
        #expect(both.contains { $0.contains(" esp ") })
    }

    @Test(arguments: sideLogCases)
    func eachSidesLogAloneDecryptsWhatBothDo(_ dir: String) throws {
        let path = Paths.fixture(dir)
        let both = try Self.outcomes(
            path + "/capture.pcap", keyFiles: [path + "/charon-A.log", path + "/charon-B.log"])
        let keysA = try Analyzer.loadKeySet([path + "/charon-A.log"])
        let keysB = try Analyzer.loadKeySet([path + "/charon-B.log"])
        let alone = try ["A", "B"].map {
            try Self.outcomes(path + "/capture.pcap", keyFiles: [path + "/charon-\($0).log"])
        }
        if keysA.ikeSAs.map(\.skeyidE) != keysB.ikeSAs.map(\.skeyidE) {
            // A PSK mismatch (IKEv1 wrong-psk): each side derived other keys for the same
            // cookies, so each log opens only the messages its own side protected.
            #expect(dir.hasSuffix("wrong-psk"))
            let opened = { (lines: [String]) in
                Set(lines.filter { $0.contains(" ike decrypted ") }.map { $0.prefix { $0 != " " } })
            }
            #expect(!opened(alone[0]).isEmpty && !opened(alone[1]).isEmpty)
            #expect(opened(alone[0]).isDisjoint(with: opened(alone[1])))
            return
        }
        for (side, outcome) in zip(["A", "B"], alone) {
            #expect(outcome == both, "\(dir): charon-\(side).log alone differs from both logs")
        }
    }

    // MARK: - What keys check says

    static func notes(_ relative: String) throws -> KeySet {
        let path = "\(root)/\(relative)"
        return try StrongSwanLogParser.parse(try String(contentsOfFile: path, encoding: .utf8), file: relative)
    }

    /// The responder's log names its IKE SA `<1>` before it has a config and `<spiglass|1>`
    /// after: one IKE SA, its SPIs from the AUTH octets it dumps after its keys.
    @Test func responderLogTiesKeysByUniqueID() throws {
        let keys = try Self.notes("ikev2/B/charon.log")
        let understood = keys.notes.filter { $0.kind == .understood }.map(\.message)
        let first = try #require(understood.first { $0.hasPrefix("IKE_SA spiglass[1] ") })
        #expect(first.contains("SPIs from the octets"), "\(first)")
        #expect(keys.ikeSAs.count == 4)
        // Two IKE SAs made by rekeys: no SPIs in a log without mgr at level 2, so they wait for
        // a capture; each names the IKE SA it rekeyed.
        let unbound = keys.ikeSAs.filter { if case .byIntegrity = $0.binding { true } else { false } }
        #expect(unbound.count == 2)
        let rekeys = keys.notes.filter { $0.message.contains("the log never shows its SPIs") }.map(\.message)
        #expect(rekeys.count == 2)
        #expect(rekeys.contains { $0.hasPrefix("IKE_SA spiglass[2]:") && $0.contains("rekey of IKE_SA spiglass[1] (") })
        #expect(rekeys.contains { $0.hasPrefix("IKE_SA spiglass[3]:") && $0.contains("rekey of IKE_SA spiglass[2]") })
        // CHILD_SA rekeys, by either side, with the role of this host in each exchange.
        #expect(
            understood.contains {
                $0.hasPrefix("CHILD_SA net{2} (rekey of net{1}):") && $0.contains("this host answered the exchange")
            })
        #expect(
            understood.contains {
                $0.hasPrefix("CHILD_SA net{3} (rekey of net{2}):") && $0.contains("this host initiated the exchange")
            })
        #expect(keys.sas.count == 8)
    }

    /// With mgr at level 2 the checkin lines give the rekeyed IKE SAs' SPIs too.
    @Test func managerLinesGiveRekeyedSPIs() throws {
        let keys = try Self.notes("ikev2/A/charon-detail.log")
        #expect(keys.ikeSAs.count == 4)
        #expect(keys.ikeSAs.allSatisfy { $0.binding == .given && $0.responderSPI != nil })
        #expect(
            keys.notes.contains {
                $0.message.hasPrefix("IKE_SA spiglass[3] ") && $0.message.contains("'checkin … with SPIs' line")
            })
    }

    /// Unique ids start again at 1 after a restart: the two daemon runs' IKE SAs stay apart.
    @Test func appendedLogOverTwoDaemonRuns() throws {
        for shape in [
            "restart/A/charon.log", "restart/B/charon.log", "restart/B/syslog.log", "restart/A/charon-plain.log",
        ] {
            let keys = try Self.notes(shape)
            #expect(keys.ikeSAs.count == 2, "\(shape)")
            #expect(Set(keys.ikeSAs.map(\.initiatorSPI)).count == 2, "\(shape)")
            #expect(keys.ikeSAs.allSatisfy { $0.binding == .given }, "\(shape)")
            #expect(keys.notes.contains { $0.message.contains(" of daemon run 2") }, "\(shape)")
            #expect(keys.sas.count == 6, "\(shape)")
        }
    }

    /// Two IKE SAs negotiated at once, on interleaved threads, in a log that names neither
    /// the IKE SAs nor anything but threads.
    @Test func interleavedNegotiationsByThread() throws {
        for shape in ["concurrent/A/charon-plain.log", "concurrent/B/charon-plain.log"] {
            let keys = try Self.notes(shape)
            #expect(keys.ikeSAs.count == 2, "\(shape)")
            #expect(Set(keys.ikeSAs.map(\.initiatorSPI)).count == 2, "\(shape)")
            #expect(keys.sas.count == 8, "\(shape)")
            #expect(!keys.notes.contains { $0.kind == .warning }, "\(keys.notes.filter { $0.kind == .warning })")
        }
    }

    /// charon-systemd's journal logger as `journalctl` prints it has neither threads nor IKE SA
    /// ids: keys are tied by log order; `-o json` has both as fields.
    @Test func journalShapes() throws {
        let short = try Self.notes("journal/B/journal.txt")
        #expect(short.notes.contains { $0.message.contains("log order: the log names no threads") })
        let json = try Self.notes("journal/B/journal.json")
        #expect(json.notes.contains { $0.message.contains("IKE_SA unique id 1") })
        #expect(short.ikeSAs.count == 2 && json.ikeSAs.count == 2)
        #expect(short.sas.map(\.spi) == json.sas.map(\.spi))
    }

    /// strongSwan 6's JSON filelog (`json = yes`, src/libcharon/bus/listeners/file_logger.c),
    /// made from the same run's text log: one object per message, a dump's rows joined by "\n".
    @Test func strongSwanJSONFilelog() throws {
        let text = try String(contentsOfFile: "\(Self.root)/ikev2/B/charon-detail.log", encoding: .utf8)
        var objects: [String] = []
        for line in text.split(separator: "\n") {
            // "2026-12-06T20:09:52.873 02[NET2] <spiglass|1> message"
            guard let found = CharonLogLineDecoder.threadMarker(in: line) else { continue }
            let time = line[..<found.start].trimmingCharacters(in: .whitespaces)
            let group = line[line.index(after: line[found.start...].firstIndex(of: "[")!)...].prefix(3)
            let level = line[line.index(after: line[found.start...].firstIndex(of: "[")!)...].dropFirst(3).prefix(1)
            var message = line[found.messageStart...]
            let tag = CharonLogLineDecoder.ikeSATag(&message)
            func escaped(_ s: Substring) -> String {
                s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            }
            if CharonLogDump.row(message) != nil, let last = objects.popLast() {
                objects.append(String(last.dropLast(2)) + "\\n" + escaped(message) + "\"}")
                continue
            }
            var object = "{\"time\":\"\(time)\",\"thread\":\(found.thread),\"group\":\"\(group)\",\"level\":\(level),"
            if let tag {
                object += "\"ikesa-uniqueid\":\"\(tag.uniqueID)\","
                if let name = tag.name { object += "\"ikesa-name\":\"\(name)\"," }
            }
            objects.append(object + "\"msg\":\"\(escaped(message))\"}")
        }
        let json = objects.joined(separator: "\n")
        #expect(StrongSwanLogParser.looksLike(json))
        let fromJSON = try StrongSwanLogParser.parse(json, file: "charon.json")
        let fromText = try Self.notes("ikev2/B/charon-detail.log")
        #expect(fromJSON.ikeSAs.count == 4)
        #expect(fromJSON.ikeSAs.map(\.initiatorSPI) == fromText.ikeSAs.map(\.initiatorSPI))
        #expect(fromJSON.ikeSAs.map(\.responderSPI) == fromText.ikeSAs.map(\.responderSPI))
        #expect(fromJSON.ikeSAs.map(\.skD) == fromText.ikeSAs.map(\.skD))
        #expect(fromJSON.ikeSAs.map(\.skEr) == fromText.ikeSAs.map(\.skEr))
        #expect(fromJSON.sas.map(\.spi) == fromText.sas.map(\.spi))
        #expect(fromJSON.sas.map(\.encryptionKey) == fromText.sas.map(\.encryptionKey))
    }
}
