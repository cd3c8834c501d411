import Foundation
import Testing

/// `spiglass report` reads on several threads as `analyze` does (`--threads`, all cores by
/// default), and the page is the same byte for byte whatever the count: the workers' sparkline
/// figures are put back in the order of the run's flows.
@Suite struct ReportThreadsTests {
    static func page(_ arguments: [String], threads: Int?) throws -> String {
        let output = CLITests.temporary("threads.html")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let count = threads.map { ["--threads", String($0)] } ?? []
        let result = try CLITests.run(["report"] + count + arguments + ["-o", output])
        #expect(result.status == 0, "\(result.stderr)")
        return try String(contentsOfFile: output, encoding: .utf8)
    }

    static func checkSamePage(_ arguments: [String], flows: Int) throws {
        let single = try page(arguments, threads: 1)
        #expect(single.contains("Security associations seen (\(flows))"))
        #expect(single.components(separatedBy: "<rect class=\"spark\"").count > flows)
        for threads in [2, 3, nil] {
            let page = try page(arguments, threads: threads)
            let same = page == single
            #expect(same, "the page at \(threads.map(String.init) ?? "the default") threads differs")
        }
    }

    /// A rekey (two IKE SAs, four ESP flows), and AH+ESP bundles (seven flows, no IKE).
    @Test(arguments: [
        (
            ["-r", "Fixtures/strongswan-ike/rekey-cbc-sha256/capture.pcap"],
            "strongswan-ike/rekey-cbc-sha256/sa.spiglass", 4
        ),
        (["-r", "Fixtures/scapy-ah/ah-esp-bundle.pcap"], "scapy-ah/ah-esp-bundle.spiglass", 7),
    ])
    func samePageOnAnyThreadCount(_ capture: [String], keys: String, flows: Int) throws {
        try Self.checkSamePage(capture + ["-k", "Fixtures/" + keys], flows: flows)
    }

    /// Every strongSwan IKE capture merged into one (many IKE SAs, 26 ESP flows).
    @Test(.enabled(if: MessyCaptures.toolsPresent)) func samePageForManySAs() throws {
        let built = try #require(MessyCaptures.built)
        let keys = try FileManager.default.contentsOfDirectory(atPath: Paths.fixture("strongswan-ike")).sorted()
            .filter {
                $0 != "nat" && FileManager.default.fileExists(atPath: Paths.fixture("strongswan-ike/\($0)/sa.spiglass"))
            }
            .flatMap { ["-k", "Fixtures/strongswan-ike/\($0)/sa.spiglass"] }
        try Self.checkSamePage(["-r", built + "/ikev2/many-sas.pcap"] + keys, flows: 26)
    }

    @Test func threadCountIsChecked() throws {
        let result = try CLITests.run([
            "report", "--threads", "0", "-r", "Fixtures/scapy-ah/ah-gmac.pcap", "-o", CLITests.temporary("never.html"),
        ])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--threads must be between 1 and 256"))
    }
}
