import Foundation
import Testing

/// `spiglass report` in Firefox (Debian's `firefox-esr`, driven through Marionette): the checks
/// `ReportCommandTests` makes in Chromium, on the same pages. One browser start opens every page
/// of the suite. Script errors and policy violations come from Firefox's console (read in its
/// chrome after each load), requests from an observer of every HTTP channel the page opens, and
/// the page's own script is seen to run by sorting the SA table. Screenshots go to
/// `.build/report-screenshots/firefox-*.png`.
@Suite(.serialized, .enabled(if: HeadlessFirefox.available, "needs firefox-esr"))
struct ReportFirefoxTests {
    struct Pages: Sendable {
        var fixtures: [String: HeadlessFirefox.Load] = [:]
        var expected: [String: ReportCommandTests.Expected] = [:]
        var hostile: HeadlessFirefox.Load
        var blocked: HeadlessFirefox.Load
        var open: HeadlessFirefox.Load
        /// The AH pages of `ReportAHSparklineTests`, by capture; the replayed one when editcap is here.
        var ah: [String: HeadlessFirefox.Load] = [:]
        var ahReplayed: HeadlessFirefox.Load?
    }

    /// Clicks the SA table's Bytes header twice; returns the column's values after each click
    /// and the header's `aria-sort`.
    static let sortScript = """
        const th = Array.from(document.querySelectorAll("#sas th")).find(h => h.textContent === "Bytes");
        const values = () => Array.from(th.closest("table").tBodies[0].rows,
            r => Number(r.cells[th.cellIndex].getAttribute("data-v")));
        const button = th.querySelector("button");
        button.click();
        const up = values(), first = th.getAttribute("aria-sort");
        button.click();
        return JSON.stringify({first, second: th.getAttribute("aria-sort"), up, down: values()});
        """
    static let sortedFixture = "strongswan-ike/rekey-cbc-sha256"

    static let pages: Result<Pages, any Error> = Result { try loadPages() }

    private static func loadPages() throws -> Pages {
        var files: [String] = []
        defer { for file in files { try? FileManager.default.removeItem(atPath: file) } }
        var browserPages: [HeadlessFirefox.Page] = []
        var expected: [String: ReportCommandTests.Expected] = [:]
        for fixture in ReportCommandTests.cases {
            let directory = "Fixtures/" + fixture
            expected[fixture] = try ReportCommandTests.expected(directory)
            let name = fixture.replacingOccurrences(of: "/", with: "-")
            let page = try ReportCommandTests.report(
                ["-r", directory + "/capture.pcap", "-k", directory + "/sa.spiglass"], name: name)
            files.append(page)
            browserPages.append(
                HeadlessFirefox.Page(
                    file: page, script: fixture == sortedFixture ? sortScript : nil, screenshot: name))
        }
        let hostile = try ReportCommandTests.report(ReportCommandTests.hostileArguments, name: "hostile")
        let (withPolicy, withoutPolicy) = try ReportCommandTests.injectedPages(files[0])
        files += [hostile, withPolicy, withoutPolicy]
        // The open page also runs a script that fails, which the console must report.
        try String(contentsOfFile: withoutPolicy, encoding: .utf8)
            .replacingOccurrences(of: "</footer>", with: "</footer><script>spiglassUndefined()</script>")
            .write(toFile: withoutPolicy, atomically: true, encoding: .utf8)
        browserPages += [
            HeadlessFirefox.Page(file: hostile, screenshot: "hostile"), HeadlessFirefox.Page(file: withPolicy),
            HeadlessFirefox.Page(file: withoutPolicy),
        ]
        var ahCaptures = ReportAHSparklineTests.cases.map { ($0.capture, $0.keys) }
        if MessyCaptures.toolsPresent, let built = MessyCaptures.built {
            ahCaptures.append((built + ReportAHSparklineTests.replayed, ReportAHSparklineTests.replayedKeys))
        }
        for (index, (capture, keys)) in ahCaptures.enumerated() {
            let page = try ReportCommandTests.report(["-r", capture, "-k", keys], name: "ah-sparkline-\(index)")
            files.append(page)
            browserPages.append(HeadlessFirefox.Page(file: page))
        }
        let loads = try HeadlessFirefox.load(browserPages)
        let count = ReportCommandTests.cases.count
        try #require(loads.count == count + 3 + ahCaptures.count)
        let ah = Array(loads[(count + 3)...])
        let cases = ReportAHSparklineTests.cases.count
        return Pages(
            fixtures: Dictionary(uniqueKeysWithValues: zip(ReportCommandTests.cases, loads)), expected: expected,
            hostile: loads[count], blocked: loads[count + 1], open: loads[count + 2],
            ah: Dictionary(uniqueKeysWithValues: zip(ReportAHSparklineTests.cases.map(\.capture), ah)),
            ahReplayed: ah.count > cases ? ah[cases] : nil)
    }

    @Test(arguments: ReportCommandTests.cases)
    func fixtureReportInFirefox(_ fixture: String) throws {
        let pages = try Self.pages.get()
        let load = try #require(pages.fixtures[fixture])
        ReportCommandTests.checkLoaded(load, fixture)
        ReportCommandTests.checkFixture(load, try #require(pages.expected[fixture]), fixture)
        let name = fixture.replacingOccurrences(of: "/", with: "-")
        let png = HeadlessChromium.screenshotFolder + "/firefox-" + name + ".png"
        let header = FileManager.default.contents(atPath: png)?.prefix(8)
        #expect(header == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "no screenshot at \(png)")
    }

    /// Negotiation failures are marked in words and shape as well as in red.
    @Test func failuresAreMarkedByText() throws {
        let load = try #require(try Self.pages.get().fixtures["strongswan-ike/no-proposal"])
        #expect(ReportCommandTests.has(load, "✗ IKE_SA_INIT response mid=0 [R] · NO_PROPOSAL_CHOSEN"))
        #expect(ReportCommandTests.has(load, "<g class=\"message failed\">"))
        #expect(ReportCommandTests.has(load, "✗ failure</span>"))
    }

    /// AH flows have marked sparklines in Firefox too (the checks of `ReportAHSparklineTests`).
    @Test(arguments: ReportAHSparklineTests.cases)
    func ahFlowHasMarkedSparkline(_ check: ReportAHSparklineTests.Case) throws {
        let load = try #require(try Self.pages.get().ah[check.capture])
        ReportCommandTests.checkLoaded(load, check.capture)
        try ReportAHSparklineTests.checkSparkline(load, check)
    }

    /// Every packet again 30 s later: the replays are marked R in Firefox too.
    @Test(.enabled(if: MessyCaptures.toolsPresent)) func ahReplaysAreMarked() throws {
        let load = try #require(try Self.pages.get().ahReplayed, "Fixtures/messy/make.sh made no replayed capture")
        ReportCommandTests.checkLoaded(load, ReportAHSparklineTests.replayed)
        try ReportAHSparklineTests.checkReplays(load)
    }

    @Test func hostileStringsStayText() throws {
        let load = try Self.pages.get().hostile
        ReportCommandTests.checkLoaded(load, "hostile")
        ReportCommandTests.checkHostile(load)
    }

    /// The injected image is refused by the policy, which Firefox's console and the page's own
    /// list both report, and no request is made; without the policy the request is recorded,
    /// and a failing script of that page is reported (so no check above passes by seeing nothing).
    @Test func policyBlocksInjectedLoads() throws {
        let pages = try Self.pages.get()
        #expect(pages.blocked.pageRequests.isEmpty)
        #expect(pages.blocked.dom.contains("blocked by the page's policy: img-src"))
        #expect(pages.blocked.problems.contains { $0.contains("img-src") && $0.contains("spiglass.invalid/x.png") })
        #expect(pages.open.pageRequests.contains("http://spiglass.invalid/x.png"))
        #expect(pages.open.problems.contains { $0.contains("ReferenceError: spiglassUndefined") })
    }

    /// The page's own script ran in Firefox: a click on a header sorts the SA table by number,
    /// a second click reverses it.
    @Test func tableSortsByScript() throws {
        let load = try #require(try Self.pages.get().fixtures[Self.sortedFixture])
        struct Sorted: Decodable {
            var first: String?
            var second: String?
            var up: [Int]
            var down: [Int]
        }
        let sorted = try JSONDecoder().decode(Sorted.self, from: Data(try #require(load.value).utf8))
        #expect(sorted.first == "ascending" && sorted.second == "descending")
        #expect(sorted.up.count > 1 && Set(sorted.up).count > 1, "\(sorted.up)")
        #expect(sorted.up == sorted.up.sorted())
        #expect(sorted.down == sorted.up.reversed())
    }
}
