import Foundation
import SpiglassAnalysis
import SpiglassIKE
import Testing

/// A capture that holds each packet twice at the same instant (`mergecap a a`: two interfaces, a
/// SPAN port, both tunnel ends merged) is the capture's doing: the second copies are
/// `capture-duplicate`, counted apart, never replays or retransmissions, and written once. The
/// same packets 30 s later (`editcap -t 30`, merged) are replays and still flagged.
@Suite(.enabled(if: MessyCaptures.toolsPresent, "editcap/mergecap are not installed (Debian wireshark-common)"))
struct CaptureDuplicateTests {
    @Test(arguments: MessyCaptures.sources)
    func aCaptureMergedWithItselfHoldsCaptureDuplicatesNotReplays(_ source: MessyCaptures.Source) throws {
        let keys = [Paths.fixture(source.keys)]
        let whole = try analyzeStream(Paths.fixture(source.capture), keys: keys)
        let merged = try analyzeStream(try MessyCaptures.path("merged-self/\(source.name).pcap"), keys: keys)
        #expect(merged.frames.count == 2 * whole.frames.count)
        // Every ESP, AH and IKE verdict of the whole capture, once; the copies apart.
        // Each copy of an IPsec packet or of an IP fragment is a capture duplicate.
        let copies = whole.frames.filter {
            !$0.record.esp.isEmpty || !$0.record.ah.isEmpty || $0.record.ike != nil || $0.record.verdict == .fragment
        }.count
        var seen = merged.summary.verdicts
        #expect(seen[.captureDuplicate] == copies, "\(source.name)")
        for verdict in PacketVerdict.allCases
        where verdict != .captureDuplicate && verdict != .fragment && verdict != .notIPsec {
            seen[verdict] -= whole.summary.verdicts[verdict]
            #expect(
                seen[verdict] == 0,
                "\(source.name): \(verdict.rawValue) \(merged.summary.verdicts[verdict]), whole \(whole.summary.verdicts[verdict])"
            )
        }
        // Nothing is a replay, the flows count each packet once, and the copies apart.
        #expect(
            merged.summary.findings.filter { $0.kind == .replay }.count
                == whole.summary.findings.filter { $0.kind == .replay }.count,
            "\(merged.summary.findings.map(\.message))")
        #expect(merged.analyzer.flows.count == whole.analyzer.flows.count)
        for (mine, theirs) in zip(merged.analyzer.flows, whole.analyzer.flows) {
            #expect(mine.packets == theirs.packets)
            #expect(mine.replay.duplicates == theirs.replay.duplicates)
            // Copies of a fragmented packet are recognised fragment by fragment, before its flow is known.
            let reassembled = whole.frames.filter {
                $0.record.reassembledFrom != 0 && $0.record.esp.first?.spi == theirs.key.spi
            }.count
            #expect(mine.captureDuplicates == theirs.packets - reassembled, "\(source.name) spi \(mine.key.spi)")
        }
        // The IKE story is the whole capture's: no retransmission counted for a copy.
        let story = merged.analyzer.ike
        let wholeStory = whole.analyzer.ike
        #expect(story.ikeSAs.count == wholeStory.ikeSAs.count)
        #expect(story.captureDuplicateCount == whole.summary.ikePackets)
        for (mine, theirs) in zip(story.ikeSAs, wholeStory.ikeSAs) {
            #expect(mine.state == theirs.state)
            #expect(mine.exchanges.map(\.requestRetransmissions) == theirs.exchanges.map(\.requestRetransmissions))
            #expect(mine.exchanges.map(\.responseRetransmissions) == theirs.exchanges.map(\.responseRetransmissions))
            #expect(mine.exchanges.map(\.outcome) == theirs.exchanges.map(\.outcome))
        }
        // Written once: -w holds exactly what the whole capture gives.
        #expect(merged.frames.flatMap(\.inner) == whole.frames.flatMap(\.inner))
        #expect(merged.frames.filter { $0.record.verdict == .captureDuplicate }.allSatisfy { $0.inner.isEmpty })
    }

    @Test(arguments: MessyCaptures.sources)
    func theSamePacketsThirtySecondsLaterAreReplays(_ source: MessyCaptures.Source) throws {
        let keys = [Paths.fixture(source.keys)]
        let whole = try analyzeStream(Paths.fixture(source.capture), keys: keys)
        let replayed = try analyzeStream(try MessyCaptures.path("replayed-30s/\(source.name).pcap"), keys: keys)
        #expect(replayed.summary.count(.captureDuplicate) == 0)
        for (mine, theirs) in zip(replayed.analyzer.flows, whole.analyzer.flows) where theirs.replay.accepted > 0 {
            // Each packet that moved the window comes back as a replay a receiver drops.
            #expect(mine.replay.duplicates >= theirs.replay.accepted, "\(source.name) spi \(mine.key.spi)")
            #expect(
                replayed.summary.findings.contains {
                    $0.kind == .replay && $0.spi == mine.key.spi && $0.source == mine.key.source
                })
            #expect(mine.captureDuplicates == 0)
        }
        // IKE messages sent again later are retransmissions.
        #expect(replayed.analyzer.ike.captureDuplicateCount == 0)
    }

    /// The window moves the line: with 60 s, the copies 30 s later count as the capture's own.
    @Test func theWindowIsAnOption() throws {
        let source = MessyCaptures.sources[0]
        let path = try MessyCaptures.path("replayed-30s/\(source.name).pcap")
        let keys = ["-k", Paths.fixture(source.keys)]
        let narrow = try CLITests.run(["-q", "-r", path] + keys)
        #expect(narrow.stdout.contains("a receiver drops these as replays"))
        #expect(!narrow.stdout.contains("capture-duplicate"))
        let wide = try CLITests.run(["-q", "-r", path, "--duplicate-window", "60"] + keys)
        #expect(wide.stdout.contains("capture-duplicate"))
        #expect(wide.stdout.contains("IKE: 12") || wide.stdout.contains("IKE:"))
        let bad = try CLITests.run(["-q", "-r", path, "--duplicate-window", "-1"] + keys)
        #expect(bad.status != 0)
    }

    @Test func textAndJSONSayCaptureDuplicate() throws {
        let source = MessyCaptures.sources[0]
        let path = try MessyCaptures.path("merged-self/\(source.name).pcap")
        let keys = ["-k", Paths.fixture(source.keys)]
        let text = try CLITests.run(["-r", path] + keys)
        #expect(
            text.stdout.contains(
                "   10 0.515630 10.99.0.1 → 10.99.0.2 ESP-in-UDP 4500→4500 spi=0xc19c5d01 seq=1 len=120 capture-duplicate [aes-gcm-256-16] (same bytes as frame 9)"
            ))
        #expect(text.stdout.contains("(capture duplicate: same bytes as frame 1)"))
        #expect(text.stdout.contains("Verdicts: decrypted 26, ike 6, capture-duplicate 32"))
        #expect(!text.stdout.contains("replays"))
        let json = try CLITests.run(["--json", "-r", path] + keys)
        let record = try #require(json.stdout.split(separator: "\n").first { $0.contains("\"frame\":10,") })
        #expect(record.contains("\"verdict\":\"capture-duplicate\""))
        let sa = try #require(json.stdout.split(separator: "\n").first { $0.contains("\"type\":\"sa\"") })
        #expect(sa.contains("\"capture_duplicates\":13"))
        // Every thread count agrees.
        try ParallelAnalysisTests.expectSameOutput(["analyze", "-r", path] + keys)
    }
}
