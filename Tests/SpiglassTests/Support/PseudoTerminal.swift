import Foundation

/// Runs the built `spiglass` with its standard output on a pseudo-terminal (util-linux
/// `script`), as a user at a terminal runs it; standard error is dropped.
enum PseudoTerminal {
    static let script: String? = ["/usr/bin/script", "/bin/script"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static var usable: Bool { script != nil }

    /// The text the terminal received (its CR LF line ends as LF). `environment` adds to or
    /// replaces the test's variables (COLUMNS, TERM, NO_COLOR); a nil value removes one.
    static func run(_ arguments: [String], environment: [String: String?]) throws -> String {
        let quoted = ([CLITests.binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        var variables = ProcessInfo.processInfo.environment
        for (name, value) in environment { variables[name] = value }
        let data = try ProcessOutput.run(
            script ?? "/usr/bin/script",
            ["-q", "-e", "-c", quoted.joined(separator: " ") + " 2>/dev/null", "/dev/null"],
            environment: variables, directory: Paths.root)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
    }
}
