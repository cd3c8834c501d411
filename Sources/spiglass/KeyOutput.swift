import ArgumentParser
import SpiglassAnalysis
import SpiglassCapture
import SpiglassSAD
import SpiglassWire

extension WiresharkTableMerge.Table: ExpressibleByArgument {
    /// `esp_sa`, `ikev2`, `ikev1`, or the tables' file names.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "esp_sa", "esp": self = .espSA
        case "ikev2", "ikev2_decryption_table": self = .ikev2
        case "ikev1", "ikev1_decryption_table": self = .ikev1
        default: return nil
        }
    }

    public static var allValueStrings: [String] { ["esp_sa", "ikev2", "ikev1"] }
}

/// Where `keys convert` and `keys export` write, and in which format.
struct KeyOutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: native (default), wireshark or tcpdump.")
    var to: KeyFileWriter.Target = .native

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --to wireshark: the table to write (esp_sa, ikev2, ikev1); one table per run on standard output.",
            valueName: "table"))
    var table: WiresharkTableMerge.Table?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --to wireshark: add the rows to the tables in this folder (esp_sa, ikev2_decryption_table, ikev1_decryption_table), keeping what they hold.",
            valueName: "dir"))
    var outputDir: String?

    @Flag(
        name: .long,
        help:
            "With --output-dir: replace the rows of SAs a table already has with other keys (otherwise nothing is written)."
    )
    var force = false

    func validate() throws {
        if outputDir != nil && to != .wireshark {
            throw ValidationError("--output-dir writes Wireshark's tables: use it with --to wireshark")
        }
        if table != nil && to != .wireshark {
            throw ValidationError("--table chooses one of Wireshark's tables: use it with --to wireshark")
        }
        if force && outputDir == nil { throw ValidationError("--force applies to the tables of --output-dir") }
    }
}

/// Writes a key set in the chosen format: to standard output, or (Wireshark) into the tables of
/// a folder, added to the rows already there. Nothing is written over one of `inputs` (the
/// files the command read); a write that fails ends the command with status 3 naming the file.
struct KeyOutput {
    let options: KeyOutputOptions
    let errors: FileDescriptorSink
    let inputs: [String]

    func write(_ keys: KeySet) throws {
        let out = FileDescriptorSink(descriptor: 1)
        do {
            try FileOutput.refuseStandardOutput(inputs: inputs)
        } catch {
            errors.write("spiglass: error: \(error)\n")
            throw ExitCode(1)
        }
        try writeTables(keys, out: out)
        out.flush()
        if let failure = out.failure {
            errors.write("spiglass: error: \(failure)\n")
            throw ExitCode(FileOutput.failedOutputStatus)
        }
    }

    private func writeTables(_ keys: KeySet, out: FileDescriptorSink) throws {
        switch options.to {
        case .native: out.write(KeyFileWriter.native(keys))
        case .tcpdump: out.write(KeyFileWriter.tcpdump(keys))
        case .wireshark:
            let written = KeyFileWriter.wireshark(keys)
            let tables: [(table: WiresharkTableMerge.Table, text: String)] = [
                (.espSA, written.espSA), (.ikev2, written.ikev2), (.ikev1, written.ikev1),
            ]
            let wanted = tables.filter { options.table == nil || $0.table == options.table }
            if let directory = options.outputDir {
                try merge(wanted.filter { Self.holdsSomething($0.text) }, into: directory, out: out)
            } else {
                out.write(try onlyTable(wanted).text)
            }
        }
    }

    /// One table for standard output: the one asked for, or the only one the keys fill.
    func onlyTable(_ tables: [(table: WiresharkTableMerge.Table, text: String)]) throws -> (
        table: WiresharkTableMerge.Table, text: String
    ) {
        if tables.count == 1 { return tables[0] }
        let filled = tables.filter { Self.holdsSomething($0.text) }
        if filled.count <= 1 { return filled.first ?? tables[0] }
        let counts = filled.map { "\($0.table.rawValue): \(Self.rowCount($0.text)) row(s)" }.joined(separator: ", ")
        errors.write(
            "spiglass: error: these keys fill \(filled.count) Wireshark tables (\(counts)): choose one with --table (esp_sa, ikev2, ikev1), or add them all to a folder's tables with --output-dir\n"
        )
        throw ExitCode(1)
    }

    /// Adds each table's rows to the file of the same name; nothing is written when a row
    /// would change a row already there, unless --force.
    func merge(
        _ tables: [(table: WiresharkTableMerge.Table, text: String)], into directory: String, out: FileDescriptorSink
    ) throws {
        var merged: [(path: String, result: WiresharkTableMerge.Result)] = []
        for (table, text) in tables {
            let path = directory + "/" + table.rawValue
            var existing: String? = nil
            if FileOutput.isSymbolicLink(path) {
                // Its rows would be merged into a file that replaces the link: refuse instead,
                // as outputs never follow links.
                errors.write(
                    "spiglass: error: refusing to write '\(DisplayText.escaped(path))': it is a symbolic link, which Spiglass never writes through; remove it, or give another --output-dir\n"
                )
                throw ExitCode(1)
            }
            if FileOutput.exists(path) {
                do {
                    existing = try KeyFileLoader.readKeyFile(path: path).text
                } catch {
                    errors.write("spiglass: error: \(error)\n")
                    throw ExitCode(1)
                }
            }
            merged.append(
                (path, WiresharkTableMerge.merge(existing: existing, new: text, table: table, force: options.force)))
        }
        let conflicts = merged.flatMap { entry in entry.result.conflicts.map { "\(entry.path): \($0)" } }
        if !conflicts.isEmpty && !options.force {
            errors.write(
                "spiglass: error: \(conflicts.count) row(s) would replace rows already in the tables with other keys; nothing was written (--force replaces them):\n"
            )
            for conflict in conflicts.prefix(50) { errors.write("  \(conflict)\n") }
            throw ExitCode(1)
        }
        if merged.isEmpty { out.write("nothing to write: the keys fill no Wireshark table\n") }
        do {
            try FileOutput.write(merged.map { (path: $0.path, text: $0.result.text) }, inputs: inputs)
        } catch let error as CaptureError {
            errors.write("spiglass: error: \(error)\n")
            throw ExitCode(error.code == .outputIsInput ? 1 : FileOutput.failedOutputStatus)
        }
        for (path, result) in merged {
            var summary = "\(path): \(result.added) row(s) added"
            if result.replaced > 0 { summary += ", \(result.replaced) replaced" }
            if result.kept > 0 { summary += ", \(result.kept) kept" }
            out.write(summary + "\n")
        }
    }

    /// A table with rows or notes beyond its header comment.
    static func holdsSomething(_ text: String) -> Bool {
        text.split(separator: "\n").contains { !$0.hasPrefix("# Wireshark ") }
    }

    static func rowCount(_ text: String) -> Int {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
    }
}
