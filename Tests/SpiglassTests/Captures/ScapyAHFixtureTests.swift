import Foundation
import SpiglassAnalysis
import Testing

/// Scapy-made AH captures (IPv4 options, IPv6 extension headers, ESN, XCBC/CMAC, AH+ESP
/// bundles, corrupted AH), the remaining ESP transforms, and a replay/loss scenario, each with
/// per-frame verdicts and exact inner bytes checked independently (Fixtures/scapy-ah).
@Suite struct ScapyAHFixtureTests {
    static let cases = [
        "ah-v4-tunnel", "ah-v4-transport", "ah-v6", "ah-esn", "ah-xcbc-cmac", "ah-gmac", "ah-esp-bundle", "ah-bad",
        "esp-ccm", "esp-gmac", "esp-xcbc-cmac", "esp-legacy", "replay",
    ]

    static func rows(_ name: String) throws -> [[String]] {
        let table = try String(contentsOfFile: Paths.fixture("scapy-ah/\(name).expected.tsv"), encoding: .utf8)
        return table.split(separator: "\n").dropFirst().map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }

    @Test(arguments: cases)
    func matchesExpectedTable(name: String) throws {
        let rows = try Self.rows(name)
        let result = try analyze(
            Paths.fixture("scapy-ah/\(name).pcap"), keys: [Paths.fixture("scapy-ah/\(name).spiglass")])
        #expect(result.frames.count == rows.count)
        for (frame, row) in zip(result.frames, rows) {
            let record = frame.record
            let label = "\(name) frame \(row[0])"
            #expect(
                record.verdict.rawValue == row[1],
                "\(label): \(record.detail ?? "") \(record.esp.last?.detail ?? "") \(record.ah.last?.detail ?? "")")
            // SPI and sequence of the layer that decided the verdict: ESP when present and AH passed.
            let ahDecided = record.esp.isEmpty || record.verdict == .ahICVFailed
            let spi =
                ahDecided
                ? record.ah.first.map { $0.header.spi.description }
                : record.esp.first.map { $0.spi.description }
            let sequence =
                ahDecided ? record.ah.first.map { String($0.sequence) } : record.esp.first.map { String($0.sequence) }
            if row[2] != "-" { #expect(spi == row[2], "\(label) spi") }
            if row[3] != "-" { #expect(sequence == row[3], "\(label) sequence") }
            if row[4] != "-" {
                #expect(hex(frame.inner) == row[4], "\(label) inner bytes")
            } else {
                #expect(frame.inner.isEmpty, "\(label) must release nothing")
            }
            if row.count > 5 {
                let replay = ahDecided ? record.ah.first?.replay : record.esp.first?.replay
                #expect(replay?.rawValue == row[5], "\(label) replay")
            }
        }
    }

    @Test func replaySummaryMatches() throws {
        let table = try String(contentsOfFile: Paths.fixture("scapy-ah/replay.summary.tsv"), encoding: .utf8)
        let result = try analyze(
            Paths.fixture("scapy-ah/replay.pcap"), keys: [Paths.fixture("scapy-ah/replay.spiglass")])
        var checked = 0
        for row in table.split(separator: "\n").dropFirst().map({ $0.split(separator: "\t").map(String.init) }) {
            guard let flow = result.analyzer.flows.first(where: { $0.key.spi.description == row[0] })
            else {
                Issue.record("no flow for \(row[0])")
                continue
            }
            #expect(flow.packets == Int(row[1]))
            #expect(flow.replay.duplicates == Int(row[2]))
            #expect(flow.replay.tooOld == Int(row[3]))
            #expect(flow.replay.late == Int(row[4]))
            #expect(flow.replay.lost == Int(row[5]))
            #expect(flow.replay.maxReorderDepth == UInt64(row[6]))
            checked += 1
        }
        #expect(checked == 2)
    }
}
