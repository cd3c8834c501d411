import ArgumentParser
import SpiglassAnalysis
import SpiglassSAD
import SpiglassWire

struct KeysCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load key files and say, line by line, what was understood and what was not.",
        discussion: """
            For a strongSwan log: per IKE SA and CHILD_SA, the SPIs, algorithms and keys found, which \
            rule tied them to their SPIs, rekeys, and for anything not tied the lines involved and why. \
            Exit status 0 when every file loaded without error, 1 otherwise, 3 when the report could not be written, 64 for a usage error.
            """ + HelpExamples.keysCheck
    )

    @Argument(help: "Key files to check.")
    var files: [String] = []

    @OptionGroup var inline: InlineKeyOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Force the format instead of detecting it (\(KeyFileFormat.allCases.map(\.rawValue).joined(separator: ", "))).",
            valueName: "format"))
    var keyFormat: KeyFileFormat?

    @Flag(name: .long, help: "Also print the keys themselves (as native lines).")
    var showKeys = false

    @Flag(name: .long, help: "Let a tcpdump key file include (file PATH) any regular file, by an absolute path too.")
    var allowAbsoluteIncludes = false

    func validate() throws {
        if files.isEmpty && inline.specs.isEmpty { throw ValidationError("give key files to check, or --key") }
    }

    func run() throws {
        let out = FileDescriptorSink(descriptor: 1)
        inline.warn(FileDescriptorSink(descriptor: 2, lineBuffered: true))
        var failed = false
        var sources: [(name: String, text: String, warning: KeyFileNote?)] = []
        for path in files {
            do {
                let (text, warning) = try KeyFileLoader.readKeyFile(path: path)
                sources.append((path, text, warning))
            } catch {
                out.write("\(error)\n")
                failed = true
            }
        }
        for (index, spec) in inline.specs.enumerated() {
            sources.append((KeyArgument.inlineName(index + 1), spec, nil))
        }
        for source in sources {
            failed = !report(source.name, text: source.text, warning: source.warning, to: out) || failed
        }
        out.flush()
        if let failure = out.failure {
            FileDescriptorSink(descriptor: 2, lineBuffered: true).write("spiglass: error: \(failure)\n")
            throw ExitCode(FileOutput.failedOutputStatus)
        }
        if failed { throw ExitCode(1) }
    }

    /// What one key file (or `--key`) gave; false when it had errors.
    func report(_ name: String, text: String, warning: KeyFileNote?, to out: FileDescriptorSink) -> Bool {
        let (keys, errors, format) = KeyFileLoader.checkKeys(
            text, file: name, format: keyFormat,
            includes: allowAbsoluteIncludes ? .anywhere : .confined)
        out.write(
            "\(DisplayText.escaped(name)): \(format.map { "format \($0.rawValue)" } ?? "format not recognised")\n")
        // Who else can read the file (and the files it includes) comes first.
        var permissions = keys.permissionWarnings
        if let warning, KeyFileLoader.holdsSecrets(keys, format: format) { permissions.insert(warning, at: 0) }
        var items: [(Int, String)] = permissions.map {
            (0, "  \(DisplayText.escaped($0.file)): warning: \($0.message)")
        }
        items += keys.notes.map { ($0.line, "  \($0.description)") }
        let lines = errors.isEmpty ? [] : KeyFileLines.of(text)
        for error in errors {
            // An error in a file that this one includes (tcpdump's `file`) has no column here.
            let inThisFile = error.file == name && lines.indices.contains(error.line - 1)
            let column = inThisFile ? error.column(inLine: lines[error.line - 1]).map { ":\($0)" } ?? "" : ""
            let field = error.fieldText.map { " field '\($0)':" } ?? ""
            items.append(
                (
                    error.line,
                    "  \(DisplayText.escaped(error.file)):\(error.line)\(column): error:\(field) \(error.message)"
                ))
        }
        for (_, line) in items.sorted(by: { $0.0 < $1.0 }) { out.write(line + "\n") }
        if showKeys {
            for sa in keys.sas { out.write("  key: \(KeyFileWriter.nativeLine(sa))\n") }
            for sa in keys.ikeSAs { out.write("  key: \(KeyFileWriter.nativeLine(sa))\n") }
        }
        let policies =
            keys.policies.isEmpty ? "" : "\(keys.policies.count) SPD entr\(keys.policies.count == 1 ? "y" : "ies"), "
        out.write(
            "  \(keys.sas.count) IPsec SA(s), \(keys.ikeSAs.count) IKE SA(s), \(policies)\(errors.count) error(s)\n")
        return errors.isEmpty && format != nil
    }
}
