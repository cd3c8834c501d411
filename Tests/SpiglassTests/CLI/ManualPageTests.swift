import Foundation
import Testing

/// docs/spiglass.1 is the manual swift-argument-parser's generate-manual plugin makes from the
/// command definitions (README, "Manual page and completions"): it must be regenerated whenever
/// an option or a help text changes. And the completion scripts are sound.
@Suite struct ManualPageTests {
    static let page = Paths.root + "/docs/spiglass.1"

    /// The plugin's tool, when a `swift package generate-manual` run has built it here.
    static let generator: String? = {
        let build = Paths.root + "/.build"
        let candidates = ["debug", "release"].flatMap { configuration in
            [
                "\(build)/\(configuration)/generate-manual-tool",
                "\(build)/x86_64-unknown-linux-gnu/\(configuration)/generate-manual-tool",
                "\(build)/aarch64-unknown-linux-gnu/\(configuration)/generate-manual-tool",
            ]
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Text as mdoc keeps it: ASCII only, blanks collapsed.
    static func normalised(_ text: String) -> String {
        let ascii = String(text.unicodeScalars.filter { $0.isASCII }.map(Character.init))
        return ascii.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
    }

    /// Every command, option and help text the binary has is in the committed page.
    @Test func pageHasEveryCommandOptionAndHelpText() throws {
        let page = try String(contentsOfFile: Self.page, encoding: .utf8)
        // mdoc writes a backslash as \e.
        let text = Self.normalised(page.replacingOccurrences(of: "\\e", with: "\\"))
        let dump = try CLITests.run(["--experimental-dump-help"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var commands = [try #require(json["command"] as? [String: Any])]
        var checked = 0
        while let command = commands.popLast() {
            commands += command["subcommands"] as? [[String: Any]] ?? []
            let name = try #require(command["commandName"] as? String)
            #expect(page.contains(name), "command \(name)")
            for help in [command["abstract"], command["discussion"]].compactMap({ $0 as? String }) {
                #expect(text.contains(Self.normalised(help)), "\(name): \(help.prefix(60))…")
            }
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                guard argument["shouldDisplay"] as? Bool != false else { continue }
                for spelling in argument["names"] as? [[String: String]] ?? [] {
                    let flag = spelling["kind"] == "short" ? spelling["name"]! : "-" + spelling["name"]!
                    #expect(
                        page.contains("Fl \(flag)\n") || page.contains("Fl \(flag) ") || page.contains(", \(flag)\n")
                            || page.contains(", \(flag) "),
                        "\(name): option \(flag) is not in docs/spiglass.1")
                    checked += 1
                }
                if let abstract = argument["abstract"] as? String {
                    #expect(text.contains(Self.normalised(abstract)), "\(name): \(abstract.prefix(60))…")
                }
            }
        }
        #expect(checked > 60)
    }

    /// Byte for byte what the plugin makes now (but the date), where its tool has been built.
    @Test(.enabled(if: generator != nil, "run swift package generate-manual once to build the tool"))
    func pageIsWhatThePluginMakes() throws {
        let directory = CLITests.temporary("manual")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.generator!)
        process.arguments = [CLITests.binary, "--date", "2026-12-07", "--output-directory", directory]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        func body(_ path: String) throws -> [Substring] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix(".Dd ") }
        }
        #expect(try body(directory + "/spiglass.1") == body(Self.page), "regenerate docs/spiglass.1 (README)")
    }

    @Test func completionScriptsNameTheOptions() throws {
        for shell in ["bash", "zsh", "fish"] {
            let script = try CLITests.run(["--generate-completion-script", shell])
            #expect(script.status == 0)
            for option in ["spi", "ike-sa", "from", "no-permission-warning", "key-format"] {
                let spelled = shell == "fish" ? "-l '\(option)'" : "--\(option)"
                #expect(script.stdout.contains(spelled), "\(shell): \(option)")
            }
        }
        let bash = try CLITests.run(["--generate-completion-script", "bash"])
        let path = CLITests.temporary("completion.bash")
        try bash.stdout.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/bash")
        check.arguments = ["-n", path]
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0, "bash -n rejects the completion script")
    }
}
