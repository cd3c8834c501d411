import Foundation

/// Debian's `firefox-esr` driven headless for the HTML report's tests, through Marionette (its
/// built-in remote protocol) by `firefox_marionette.py`: one browser start opens a batch of
/// pages, in a fresh profile whose proxy is a closed port. For each page it gives the DOM after
/// the page's scripts ran, the console's script errors and Content-Security-Policy reports, and
/// the HTTP requests the page opened (recorded in the browser's chrome as each channel opens).
enum HeadlessFirefox {
    static let path: String? = ["/usr/bin/firefox-esr", "/usr/bin/firefox"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static var available: Bool { path != nil }

    struct Page: Sendable {
        var file: String
        /// JavaScript run in the page once it has loaded (its `return` value is the load's `value`).
        var script: String? = nil
        /// The PNG's name under `HeadlessChromium.screenshotFolder` (with a `firefox-` prefix).
        var screenshot: String? = nil
    }

    struct ConsoleMessage: Sendable, Decodable {
        var category: String
        var message: String
        var source: String
        var error: Bool
    }

    struct Load: BrowserLoad, Sendable {
        var dom: String
        var value: String?
        var console: [ConsoleMessage]
        var pageRequests: [String]

        /// Script errors in the page and every policy report (the browser's own chrome logs
        /// warnings of its own, which are not the page's).
        var problems: [String] {
            console.filter { ($0.error && $0.source.hasPrefix("file:")) || $0.category.hasPrefix("CSP") }
                .map { "\($0.category): \($0.message)" }
        }
    }

    private struct Result: Decodable {
        var dom: String
        var value: String?
        var console: [ConsoleMessage]
        var requests: [String]
    }

    /// Opens the pages one after the other in one browser; the loads come in the same order.
    static func load(_ pages: [Page], width: Int = 1280, height: Int = 1600) throws -> [Load] {
        let folder = CLITests.temporary("firefox")
        let profile = folder + "/profile"
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            atPath: HeadlessChromium.screenshotFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let jobs: [String: Any] = [
            "width": width, "height": height,
            "pages": pages.map { page -> [String: Any] in
                var job: [String: Any] = ["url": URL(fileURLWithPath: page.file).absoluteString]
                if let script = page.script { job["script"] = script }
                if let name = page.screenshot {
                    job["screenshot"] = HeadlessChromium.screenshotFolder + "/firefox-" + name + ".png"
                }
                return job
            },
        ]
        let jobsPath = folder + "/jobs.json"
        let resultsPath = folder + "/results.json"
        try JSONSerialization.data(withJSONObject: jobs).write(to: URL(fileURLWithPath: jobsPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Paths.root + "/Tests/SpiglassTests/Support/firefox_marionette.py", path ?? "firefox-esr",
            profile, jobsPath, resultsPath,
        ]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let data = FileManager.default.contents(atPath: resultsPath) else {
            let log = FileManager.default.contents(atPath: profile + "/firefox.log") ?? Data()
            throw BrowserError(what: errorText + "\nFirefox's log:\n" + String(decoding: log, as: UTF8.self))
        }
        return try JSONDecoder().decode([Result].self, from: data).map {
            Load(dom: $0.dom, value: $0.value, console: $0.console, pageRequests: $0.requests)
        }
    }

    struct BrowserError: Error, CustomStringConvertible {
        var what: String
        var description: String { "firefox_marionette.py failed: \(what)" }
    }
}

/// What a report's tests look at in a page a browser loaded, whichever browser it was.
protocol BrowserLoad {
    /// The DOM after the page's scripts ran.
    var dom: String { get }
    /// URLs the page asked the network for.
    var pageRequests: [String] { get }
    /// Script errors and Content-Security-Policy reports of the page.
    var problems: [String] { get }
}
