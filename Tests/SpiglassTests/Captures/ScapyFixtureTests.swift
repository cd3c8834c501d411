import Foundation
import SpiglassAnalysis
import Testing

/// Captures Scapy made (transport mode, ESN, bad packets, fragments, every link type), each
/// with the verdict and exact inner bytes an independent checker computed per frame.
@Suite struct ScapyFixtureTests {
    static let cases = [
        "transport-v4-cbc-sha1", "transport-v6-gcm", "tunnel-v6-in-v4-ctr", "esn-gcm", "esn-cbc-sha256", "chacha20",
        "sha384-sha512-md5", "gcm-icv8-12", "bad-packets", "udp-encap", "fragmented",
        "linktypes-vlan", "linktypes-qinq", "linktypes-sll", "linktypes-sll2", "linktypes-raw", "linktypes-null",
    ]

    static func verdictName(_ expected: String) -> String {
        switch expected {
        case "not-esp": return "not-ipsec"
        case "keepalive": return "nat-keepalive"
        default: return expected
        }
    }

    @Test(arguments: cases)
    func matchesExpectedTable(name: String) throws {
        try check(capture: Paths.fixture("scapy/\(name).pcap"), name: name)
    }

    @Test func pcapngReadsLikePcap() throws {
        try check(capture: Paths.fixture("scapy/linktypes-vlan.pcapng"), name: "linktypes-vlan")
    }

    func check(capture: String, name: String) throws {
        let table = try String(contentsOfFile: Paths.fixture("scapy/\(name).expected.tsv"), encoding: .utf8)
        let rows = table.split(separator: "\n").dropFirst().map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        let result = try analyze(capture, keys: [Paths.fixture("scapy/\(name).spiglass")])
        #expect(result.frames.count == rows.count)
        for (frame, row) in zip(result.frames, rows) {
            let record = frame.record
            #expect(String(record.frame) == row[0])
            #expect(
                record.verdict.rawValue == Self.verdictName(row[1]),
                "frame \(row[0]): \(record.detail ?? "") \(record.esp.first?.detail ?? "")")
            if row[2] != "-" {
                let spi = record.esp.first.map { $0.spi.description }
                #expect(spi == row[2], "frame \(row[0])")
            }
            if row[3] != "-" {
                #expect(record.esp.first.map { String($0.sequence) } == row[3], "frame \(row[0]) sequence")
            }
            if row[4] != "-" {
                #expect(hex(frame.inner) == row[4], "frame \(row[0]) inner bytes")
            } else {
                #expect(frame.inner.isEmpty, "frame \(row[0]) must release no plaintext")
            }
        }
    }
}
