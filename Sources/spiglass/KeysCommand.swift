import ArgumentParser
import SpiglassAnalysis
import SpiglassCapture
import SpiglassSAD

extension KeyFileFormat: ExpressibleByArgument {}
extension KeyFileWriter.Target: ExpressibleByArgument {}

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Check, convert and export key files.",
        subcommands: [KeysCheckCommand.self, KeysConvertCommand.self, KeysExportCommand.self]
    )
}

struct KeysCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load key files and say, line by line, what was understood and what was not.",
        discussion: "Exit status 0 when every file loaded without error, 1 otherwise, 64 for a usage error."
    )

    @Argument(help: "Key files to check.")
    var files: [String]

    @Option(name: .long, help: ArgumentHelp("Force the format instead of detecting it (\(KeyFileFormat.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "format"))
    var keyFormat: KeyFileFormat?

    @Flag(name: .long, help: "Also print the keys themselves (as native lines).")
    var showKeys = false

    func run() throws {
        let out = FileDescriptorSink(descriptor: 1)
        var failed = false
        for path in files {
            let text: String, warning: KeyFileNote?
            do {
                (text, warning) = try KeyFileLoader.readKeyFile(path: path)
            } catch {
                out.write("\(error)\n")
                failed = true
                continue
            }
            let (keys, errors, format) = KeyFileLoader.checkKeys(text, file: path, format: keyFormat)
            out.write("\(path): \(format.map { "format \($0.rawValue)" } ?? "format not recognised")\n")
            // Who else can read the file (and the files it includes) comes first.
            var permissions = keys.permissionWarnings
            if let warning { permissions.insert(warning, at: 0) }
            var items: [(Int, String)] = permissions.map { (0, "  \($0.file): warning: \($0.message)") }
            items += keys.notes.map { ($0.line, "  \($0.file):\($0.line): \($0.kind.rawValue): \($0.message)") }
            let lines = errors.isEmpty ? [] : KeyFileLines.of(text)
            for error in errors {
                // An error in a file that this one includes (tcpdump's `file`) has no column here.
                let inThisFile = error.file == path && lines.indices.contains(error.line - 1)
                let column = inThisFile ? error.column(inLine: lines[error.line - 1]).map { ":\($0)" } ?? "" : ""
                let field = error.field.map { " field '\($0)':" } ?? ""
                items.append((error.line, "  \(error.file):\(error.line)\(column): error:\(field) \(error.message)"))
            }
            for (_, line) in items.sorted(by: { $0.0 < $1.0 }) { out.write(line + "\n") }
            if showKeys {
                for sa in keys.sas { out.write("  key: \(KeyFileWriter.nativeLine(sa))\n") }
                for sa in keys.ikeSAs { out.write("  key: \(KeyFileWriter.nativeLine(sa))\n") }
            }
            out.write("  \(keys.sas.count) IPsec SA(s), \(keys.ikeSAs.count) IKE SA(s), \(errors.count) error(s)\n")
            if !errors.isEmpty || format == nil { failed = true }
        }
        out.flush()
        if failed { throw ExitCode(1) }
    }
}

struct KeysConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Rewrite key files in another format.",
        discussion: """
            --to wireshark writes the esp_sa table, then the ikev2 and ikev1 decryption tables when \
            there are IKE SAs; with --output-dir each goes to its own file under the name Wireshark \
            uses, ready to copy to ~/.config/wireshark/. SAs a format cannot express are written \
            as comments.
            """
    )

    @Option(name: .long, help: "Target format: native, wireshark or tcpdump.")
    var to: KeyFileWriter.Target

    @Option(name: .long, help: ArgumentHelp("Force the input format instead of detecting it.", valueName: "format"))
    var keyFormat: KeyFileFormat?

    @Option(name: .long, help: ArgumentHelp("With --to wireshark: write esp_sa, ikev2_decryption_table and ikev1_decryption_table here.", valueName: "dir"))
    var outputDir: String?

    @Argument(help: "Key files to convert (merged).")
    var files: [String]

    func run() throws {
        let keys: KeySet
        let errors = FileDescriptorSink(descriptor: 2, lineBuffered: true)
        let keyWarnings = KeyFileWarnings(sink: errors)
        do {
            keys = try Analyzer.loadKeySet(files, format: keyFormat)
        } catch {
            keyWarnings.report(paths: files)
            errors.write("spiglass: error: \(error)\n")
            throw ExitCode(1)
        }
        keyWarnings.report(keys)
        try KeyOutput.write(keys, to: to, outputDir: outputDir)
    }
}

struct KeysExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the SAs that a capture actually uses, in any key format.",
        discussion: """
            Runs the analysis quietly and keeps each SA that matched at least one packet, including the \
            ESP SAs derived from an IKE SA's SK_d, and each IKE SA whose messages the capture holds.
            """
    )

    @Option(name: .customShort("r"), help: ArgumentHelp("Capture file to read; repeat it (or give a quoted pattern) for several files; '-' reads standard input.", valueName: "capture"))
    var read: [String]

    @Option(name: .customShort("k"), help: ArgumentHelp("Key file; repeat to merge several.", valueName: "keyfile"))
    var keys: [String] = []

    @Option(name: .long, help: ArgumentHelp("Force the key-file format instead of detecting it.", valueName: "format"))
    var keyFormat: KeyFileFormat?

    @Option(name: .customShort("f"), help: ArgumentHelp("BPF filter.", valueName: "filter"))
    var filter: String?

    @Option(name: .long, help: "Output format: native (default), wireshark or tcpdump.")
    var to: KeyFileWriter.Target = .native

    @Option(name: .long, help: ArgumentHelp("With --to wireshark: write the tables here.", valueName: "dir"))
    var outputDir: String?

    func run() throws {
        let errors = FileDescriptorSink(descriptor: 2, lineBuffered: true)
        let keyWarnings = KeyFileWarnings(sink: errors)
        do {
            let keySet: KeySet
            do {
                keySet = try Analyzer.loadKeySet(keys, format: keyFormat)
            } catch {
                keyWarnings.report(paths: keys)
                throw error
            }
            keyWarnings.report(keySet)
            let reader = try CaptureStream(paths: try CaptureFiles.expand(read).paths, filter: filter)
            var options = AnalysisOptions()
            options.quiet = true
            let sad = Analyzer.espDatabase(keySet)
            let ahSAD = Analyzer.ahDatabase(keySet)
            let analyzer = try Analyzer(sad: sad, ahSAD: ahSAD, ikeKeys: keySet.ikeSAs, options: options, output: DiscardingSink())
            _ = analyzer.run(reader)
            let usedESP = Set(analyzer.flows.filter { $0.key.ipsecProtocol == .esp }.compactMap(\.saIndex)).sorted()
            let usedAH = Set(analyzer.flows.filter { $0.key.ipsecProtocol == .ah }.compactMap(\.saIndex)).sorted()
            var exported = KeySet()
            exported.sas = usedESP.map { analyzer.sad.entries[$0] } + usedAH.map { analyzer.ahSAD.entries[$0] }
            let seenIKE = Set(analyzer.ike.ikeSAs.map(\.spis.initiator))
            exported.ikeSAs = keySet.ikeSAs.filter { seenIKE.contains($0.initiatorSPI) }
            try KeyOutput.write(exported, to: to, outputDir: outputDir)
        } catch let error as ExitCode {
            throw error
        } catch {
            errors.write("spiglass: error: \(error)\n")
            throw ExitCode(1)
        }
    }
}

/// Writes a key set in a target format to standard output or, for Wireshark, to a folder.
enum KeyOutput {
    static func write(_ keys: KeySet, to target: KeyFileWriter.Target, outputDir: String?) throws {
        let out = FileDescriptorSink(descriptor: 1)
        switch target {
        case .native: out.write(KeyFileWriter.native(keys))
        case .tcpdump: out.write(KeyFileWriter.tcpdump(keys))
        case .wireshark:
            let tables = KeyFileWriter.wireshark(keys)
            if let outputDir {
                for (name, text) in [("esp_sa", tables.espSA), ("ikev2_decryption_table", tables.ikev2), ("ikev1_decryption_table", tables.ikev1)] {
                    try FileOutput.write(text, to: outputDir + "/" + name)
                    out.write("wrote \(outputDir)/\(name)\n")
                }
            } else {
                out.write(tables.espSA)
                if !keys.ikeSAs.isEmpty {
                    out.write(tables.ikev2)
                    out.write(tables.ikev1)
                }
            }
        }
        out.flush()
    }
}
