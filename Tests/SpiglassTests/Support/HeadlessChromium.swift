import Foundation

/// Debian's `chromium` driven headless for the HTML report's tests: each run has its own
/// temporary profile, maps every host name to an unreachable address, and records its network
/// log, from which `pageRequests` picks the requests the page made (the browser's own background
/// requests carry no file:// site).
enum HeadlessChromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static var available: Bool { path != nil }

    struct Load: BrowserLoad {
        /// The DOM after the page's scripts ran (`--dump-dom`).
        var dom: String
        /// The browser's log (console messages, CSP reports, errors).
        var log: String
        /// URLs the page asked the network for.
        var pageRequests: [String]

        /// The log's lines that tell of an uncaught script error or a policy violation.
        var problems: [String] {
            log.split(separator: "\n").filter { $0.contains("Uncaught") || $0.contains("Content Security Policy") }
                .map(String.init)
        }
    }

    /// Where the report screenshots go, for a person to look at.
    static let screenshotFolder = Paths.root + "/.build/report-screenshots"

    static func load(_ file: String) throws -> Load {
        let profile = CLITests.temporary("chromium-profile")
        let netLog = profile + "/net-log.json"
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let (out, err) = try run(
            ["--dump-dom", "--log-net-log=" + netLog, URL(fileURLWithPath: file).absoluteString], profile: profile)
        let requests = try pageRequests(netLog)
        return Load(dom: out, log: err, pageRequests: requests)
    }

    /// Writes a PNG of the page at this window size; returns its path.
    @discardableResult
    static func screenshot(_ file: String, name: String, width: Int = 1280, height: Int = 1600) throws -> String {
        let profile = CLITests.temporary("chromium-profile")
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: screenshotFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let png = screenshotFolder + "/" + name + ".png"
        _ = try run(
            [
                "--screenshot=" + png, "--window-size=\(width),\(height)", "--hide-scrollbars",
                URL(fileURLWithPath: file).absoluteString,
            ],
            profile: profile)
        return png
    }

    private static func run(_ arguments: [String], profile: String) throws -> (String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path ?? "/usr/bin/chromium")
        process.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile, "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--host-rules=MAP * 127.0.0.1:9", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000",
            ] + arguments
        let out = Pipe()
        // The log goes to a file: a pipe that nobody reads while the DOM is read would stall it.
        let logPath = profile + "/chromium.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        defer { try? log?.close() }
        process.standardOutput = out
        process.standardError = log
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errData = FileManager.default.contents(atPath: logPath) ?? Data()
        return (String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// The URLs of the URL requests whose site is a file:// page (the page under test).
    static func pageRequests(_ netLog: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: netLog))
        guard let log = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let events = log["events"] as? [[String: Any]]
        else { return ["(the network log did not parse)"] }
        var urls: [String] = []
        for event in events {
            guard let params = event["params"] as? [String: Any], let url = params["url"] as? String,
                let site = params["site_for_cookies"] as? String, site.contains("file://"), !url.hasPrefix("file:")
            else { continue }
            urls.append(url)
        }
        return urls
    }
}
