import Foundation
import Testing

/// AH flows on the report's timeline have the rate sparkline ESP flows have, with the same marks:
/// ✗ for ICV failures, R for replays, ↯ for reordered packets and … for skipped sequence numbers
/// (scapy-ah fixtures, and the replay `Fixtures/messy/make.sh` makes of one), read from the DOM
/// headless Chromium built. `ReportFirefoxTests` makes the same checks in Firefox.
@Suite(.serialized, .enabled(if: HeadlessChromium.available))
struct ReportAHSparklineTests {
    struct Case: Sendable, CustomStringConvertible {
        var capture: String
        var keys: String
        /// The flow's label on the timeline.
        var flow: String
        /// What a bucket's title says of its marked packets, and the mark drawn above it.
        var titled: String
        var mark: String
        var description: String { "\(capture) \(flow) \(mark)" }
    }

    static let cases = [
        Case(
            capture: "Fixtures/scapy-ah/ah-gmac.pcap", keys: "Fixtures/scapy-ah/ah-gmac.spiglass",
            flow: "AH 0x0000200d", titled: "1 ICV failures", mark: "<text class=\"mark\""),
        Case(
            capture: "Fixtures/scapy-ah/ah-esn.pcap", keys: "Fixtures/scapy-ah/ah-esn.spiglass",
            flow: "AH 0x00002007", titled: "1 reordered or too old", mark: "↯</text>"),
        Case(
            capture: "Fixtures/scapy-ah/ah-v6.pcap", keys: "Fixtures/scapy-ah/ah-v6.spiglass",
            flow: "AH 0x00002005", titled: "1 sequence numbers skipped", mark: "…</text>"),
    ]

    /// The timeline's row of `label`: from its label to the next row's link (or the diagram's end).
    static func row(_ dom: String, _ label: String) -> String? {
        guard let timeline = dom.range(of: "class=\"timeline\""),
            let start = dom.range(of: ">\(label)</text>", range: timeline.upperBound..<dom.endIndex)
        else { return nil }
        let end =
            dom.range(of: "<a href=\"#flow-", range: start.upperBound..<dom.endIndex)?.lowerBound
            ?? dom.range(of: "</svg>", range: start.upperBound..<dom.endIndex)?.lowerBound ?? dom.endIndex
        return String(dom[start.upperBound..<end])
    }

    /// The capture of every packet again 30 s later (made by `Fixtures/messy/make.sh`), its keys and flows.
    static let replayed = "/replayed-30s/scapy-ah-ah-v4-transport.pcap"
    static let replayedKeys = "Fixtures/scapy-ah/ah-v4-transport.spiglass"
    static let replayedFlows = ["AH 0x00002003", "AH 0x00002004"]

    static func load(_ capture: String, keys: String, name: String) throws -> HeadlessChromium.Load {
        let page = try ReportCommandTests.report(["-r", capture, "-k", keys], name: name)
        defer { try? FileManager.default.removeItem(atPath: page) }
        let load = try HeadlessChromium.load(page)
        ReportCommandTests.checkLoaded(load, capture)
        return load
    }

    /// The flow's row has columns, a bucket whose title names the marked packets, and the mark
    /// (in whichever browser built the DOM).
    static func checkSparkline(_ load: some BrowserLoad, _ check: Case) throws {
        let row = try #require(Self.row(load.dom, check.flow), "no timeline row \(check.flow)")
        #expect(row.contains("<rect class=\"spark\""), "\(check.flow) has no sparkline")
        #expect(row.contains(check.titled), "\(check.flow): no bucket says \(check.titled)")
        #expect(row.contains(check.mark), "\(check.flow): no \(check.mark)")
    }

    /// Each flow of the replayed capture has a bucket of replays, marked R.
    static func checkReplays(_ load: some BrowserLoad) throws {
        for flow in replayedFlows {
            let row = try #require(Self.row(load.dom, flow), "no timeline row \(flow)")
            #expect(row.contains(" replays</title>"), "\(flow): no bucket of replays")
            #expect(row.contains(">R</text>"), "\(flow): no R")
        }
    }

    @Test(arguments: cases)
    func ahFlowHasMarkedSparkline(_ check: Case) throws {
        try Self.checkSparkline(try Self.load(check.capture, keys: check.keys, name: "ah-sparkline"), check)
    }

    /// Every packet again 30 s later: the second bucket holds the replays, marked R.
    @Test(.enabled(if: MessyCaptures.toolsPresent)) func ahReplaysAreMarked() throws {
        let built = try #require(MessyCaptures.built)
        try Self.checkReplays(try Self.load(built + Self.replayed, keys: Self.replayedKeys, name: "ah-replay"))
    }
}
