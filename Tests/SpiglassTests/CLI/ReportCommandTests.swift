import Foundation
import Testing

/// `spiglass report` end to end: reports of strongSwan fixtures opened in headless Chromium
/// (the DOM holds every IKE SA, exchange and ESP SPI; no console error, no policy violation, no
/// request leaves the page), a hostile capture whose markup stays text, and the output-file
/// rules. Screenshots go to `.build/report-screenshots/` for a person to look at.
@Suite(.serialized) struct ReportCommandTests {
    static let cases = [
        "strongswan-ike/rekey-cbc-sha256", "strongswan-ike/fragmentation", "strongswan-ike/no-proposal",
        "strongswan-ike/ts-unacceptable", "strongswan-ikev1/main-psk", "strongswan-ikev1/aggressive-psk",
    ]

    /// What `spiglass ike --json` and `analyze --json` say the capture holds: the page must show it.
    struct Expected {
        var ikeSPIs: [String] = []
        var exchanges: [String] = []
        var childSPIs: [String] = []
        var espSPIs: [String] = []
    }

    static func expected(_ directory: String) throws -> Expected {
        var result = Expected()
        let arguments = ["-q", "--json", "-r", directory + "/capture.pcap", "-k", directory + "/sa.spiglass"]
        for line in try CLITests.run(["ike"] + arguments).stdout.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                continue
            }
            let spis = object["ike_sa"] as? [String: Any]
            switch object["type"] as? String {
            case "ike_sa":
                result.ikeSPIs += [spis?["ispi"] as? String, spis?["rspi"] as? String].compactMap { $0 }
            case "ike_exchange":
                let name = object["exchange"] as? String ?? "?"
                for key in ["request_frames", "response_frames"] {
                    guard let frames = object[key] as? [Int], !frames.isEmpty else { continue }
                    result.exchanges.append("frame \(frames.map(String.init).joined(separator: ",")): \(name) ")
                }
            case "child_sa":
                for key in ["requester_spi", "responder_spi"] {
                    if let spi = object[key] as? String { result.childSPIs.append(String(spi.dropFirst(2))) }
                }
            default: break
            }
        }
        for line in try CLITests.run(["analyze"] + arguments).stdout.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["type"] as? String == "sa", let spi = object["spi"] as? String
            else { continue }
            result.espSPIs.append(spi)
        }
        return result
    }

    func report(_ arguments: [String], name: String) throws -> String {
        try Self.report(arguments, name: name)
    }

    static func report(_ arguments: [String], name: String) throws -> String {
        let output = CLITests.temporary(name + ".html")
        let result = try CLITests.run(["report"] + arguments + ["-o", output])
        #expect(result.status == 0, "\(result.stderr)")
        return output
    }

    /// The checks every page passes in the browser: scripts ran without error, nothing was
    /// blocked or requested, and the page is whole.
    static func checkLoaded(_ load: some BrowserLoad, _ what: String) {
        #expect(load.pageRequests.isEmpty, "\(what): the page asked the network for \(load.pageRequests)")
        #expect(load.problems.isEmpty, "\(what): \(load.problems)")
        #expect(has(load, "<ul id=\"violations\" hidden=\"hidden\"></ul>"), "\(what): a policy violation")
        // The script ran to its end (it marks the page as scripted when it is loaded).
        #expect(has(load, "<html lang=\"en\" class=\"js\">"), "\(what): the script did not run")
        #expect(has(load, "</footer>"), "\(what): the page is cut")
    }

    /// Whether the DOM holds `text` (a Bool, so that a failed expectation does not print the page).
    static func has(_ load: some BrowserLoad, _ text: String) -> Bool { load.dom.contains(text) }

    /// The page of a fixture shows every IKE SA's SPIs, every exchange, every CHILD_SA and ESP
    /// SPI, a ladder and the timeline.
    static func checkFixture(_ load: some BrowserLoad, _ expected: Expected, _ fixture: String) {
        #expect(!expected.ikeSPIs.isEmpty && !expected.exchanges.isEmpty)
        for spi in expected.ikeSPIs { #expect(has(load, spi), "\(fixture): IKE SPI \(spi)") }
        for exchange in expected.exchanges { #expect(has(load, exchange), "\(fixture): \(exchange)") }
        for spi in expected.childSPIs { #expect(has(load, spi), "\(fixture): CHILD_SA SPI \(spi)") }
        for spi in expected.espSPIs { #expect(has(load, ">\(spi)</td>"), "\(fixture): ESP SPI \(spi)") }
        #expect(has(load, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ladder\""))
        #expect(has(load, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\""))
    }

    /// The markup a hostile capture smuggled into its identities, CP attribute and notify data
    /// is text: our one script element, no element a payload tried to open, the strings escaped.
    static func checkHostile(_ load: some BrowserLoad) {
        let scripts = load.dom.components(separatedBy: "<script").count - 1
        #expect(scripts == 1)
        for element in ["<img", "<iframe", "<object", "<embed", "<link", " onerror=\"", "<svg onload"] {
            #expect(!has(load, element), "\(element) in the DOM")
        }
        #expect(has(load, "ID_RFC822_ADDR a&lt;script&gt;alert('idi')&lt;/script&gt;@example.com"))
        #expect(has(load, "&lt;img src=x onerror=alert(1)&gt;]]&gt;&lt;/svg&gt;&lt;/title&gt;&lt;/text&gt;"))
        #expect(has(load, "ID_FQDN gw&amp;lt;b&amp;gt; &amp;amp;amp; javascript:alert(3)//&lt;!--"))
    }

    static let hostileArguments = [
        "-r", "Fixtures/hostile/ikev2-auth-html-hostile.pcap", "-k",
        "Fixtures/strongswan-ike/rekey-cbc-sha256/sa.spiglass",
    ]

    /// The fixture's page with an image from the network injected before the footer, with the
    /// page's policy (`withPolicy`) and without it.
    static func injectedPages(_ page: String) throws -> (withPolicy: String, withoutPolicy: String) {
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let injected = html.replacingOccurrences(
            of: "</footer>", with: "<img src=\"http://spiglass.invalid/x.png\"></footer>")
        let withPolicy = CLITests.temporary("with-policy.html")
        try injected.write(toFile: withPolicy, atomically: true, encoding: .utf8)
        let policy = try #require(
            injected.range(of: "<meta http-equiv=\"Content-Security-Policy\"[^>]*>", options: .regularExpression))
        let withoutPolicy = CLITests.temporary("without-policy.html")
        try injected.replacingCharacters(in: policy, with: "").write(
            toFile: withoutPolicy, atomically: true, encoding: .utf8)
        return (withPolicy, withoutPolicy)
    }

    @Test(.enabled(if: HeadlessChromium.available), arguments: cases)
    func fixtureReportInBrowser(_ fixture: String) throws {
        let directory = "Fixtures/" + fixture
        let expected = try Self.expected(directory)
        let name = fixture.replacingOccurrences(of: "/", with: "-")
        let page = try report(["-r", directory + "/capture.pcap", "-k", directory + "/sa.spiglass"], name: name)
        defer { try? FileManager.default.removeItem(atPath: page) }
        let load = try HeadlessChromium.load(page)
        Self.checkLoaded(load, fixture)
        Self.checkFixture(load, expected, fixture)
        try HeadlessChromium.screenshot(page, name: name)
    }

    /// Negotiation failures are marked in words and shape as well as in red.
    @Test(.enabled(if: HeadlessChromium.available)) func failuresAreMarkedByText() throws {
        let directory = "Fixtures/strongswan-ike/no-proposal"
        let page = try report(["-r", directory + "/capture.pcap", "-k", directory + "/sa.spiglass"], name: "failed")
        defer { try? FileManager.default.removeItem(atPath: page) }
        let load = try HeadlessChromium.load(page)
        #expect(Self.has(load, "✗ IKE_SA_INIT response mid=0 [R] · NO_PROPOSAL_CHOSEN"))
        #expect(Self.has(load, "<g class=\"message failed\">"))
        #expect(Self.has(load, "✗ failure</span>"))
    }

    /// Identities, a CP attribute and notify data full of markup come out as text: the DOM has
    /// our one script element, no element a payload tried to open, and the strings escaped.
    @Test(.enabled(if: HeadlessChromium.available)) func hostileStringsStayText() throws {
        let page = try report(Self.hostileArguments, name: "hostile")
        defer { try? FileManager.default.removeItem(atPath: page) }
        let load = try HeadlessChromium.load(page)
        Self.checkLoaded(load, "hostile")
        Self.checkHostile(load)
        try HeadlessChromium.screenshot(page, name: "hostile")
    }

    /// The policy is what keeps smuggled markup from loading anything: with it, an injected
    /// image is refused and reported on the page; without it the same page makes the request
    /// (so the request check above can fail).
    @Test(.enabled(if: HeadlessChromium.available)) func policyBlocksInjectedLoads() throws {
        let directory = "Fixtures/strongswan-ike/rekey-cbc-sha256"
        let page = try report(["-r", directory + "/capture.pcap", "-k", directory + "/sa.spiglass"], name: "policy")
        defer { try? FileManager.default.removeItem(atPath: page) }
        let (withPolicy, withoutPolicy) = try Self.injectedPages(page)
        defer {
            try? FileManager.default.removeItem(atPath: withPolicy)
            try? FileManager.default.removeItem(atPath: withoutPolicy)
        }
        let blocked = try HeadlessChromium.load(withPolicy)
        #expect(blocked.pageRequests.isEmpty)
        #expect(blocked.dom.contains("blocked by the page's policy: img-src"))
        let open = try HeadlessChromium.load(withoutPolicy)
        #expect(open.pageRequests.contains("http://spiglass.invalid/x.png"))
    }

    /// The page file follows the -w rules: never over an input, nothing left when the run fails.
    @Test func outputRules() throws {
        let directory = "Fixtures/strongswan-ike/rekey-cbc-sha256"
        let capture = CLITests.temporary("input.pcap")
        try FileManager.default.copyItem(atPath: Paths.root + "/" + directory + "/capture.pcap", toPath: capture)
        defer { try? FileManager.default.removeItem(atPath: capture) }
        let before = try Data(contentsOf: URL(fileURLWithPath: capture))
        let overInput = try CLITests.run(["report", "-r", capture, "-o", capture])
        #expect(overInput.status == 1)
        #expect(overInput.stderr.contains("refusing to write"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: capture)) == before)

        let page = CLITests.temporary("never.html")
        let badKeys = try CLITests.run(["report", "-r", capture, "-k", "/nonexistent/keys", "-o", page])
        #expect(badKeys.status == 1)
        #expect(!FileManager.default.fileExists(atPath: page))

        let written = CLITests.temporary("mode.html")
        defer { try? FileManager.default.removeItem(atPath: written) }
        #expect(try CLITests.run(["report", "-r", capture, "-o", written]).status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: written)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try CLITests.run(["report", "--json", "-r", capture, "-o", written]).status == 64)
    }
}
