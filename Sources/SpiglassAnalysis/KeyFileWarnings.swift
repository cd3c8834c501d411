import SpiglassSAD

/// Says on standard error, once per file and run, that a key file is readable or writable by
/// users other than its owner (`KeyFileLoader.permissionWarning`). A warning, not an error:
/// the run goes on. A key reload (SIGHUP) does not repeat it.
public final class KeyFileWarnings {
    private let sink: OutputSink
    private var warned: Set<String> = []
    /// False: say nothing about key files' permissions (`--no-permission-warning`, as GnuPG's).
    private let permissions: Bool

    public init(sink: OutputSink, permissions: Bool = true) {
        self.sink = sink
        self.permissions = permissions
    }

    /// Loads a command's key files and `--key` specs, in order (`Analyzer.loadKeySet`), with
    /// the warnings that go with them: inline keys, and key files others may read (those of
    /// files that failed to load too).
    public func load(
        _ files: [String], inline: [String], format: KeyFileFormat?,
        includes: KeyFileIncludes
    ) throws -> KeySet {
        if !inline.isEmpty { sink.write("spiglass: warning: \(KeyArgument.warning)\n") }
        do {
            let keys = try Analyzer.loadKeySet(files, inline: inline, format: format, includes: includes)
            report(keys)
            return keys
        } catch {
            // A capture given as a key file is said as such; its mode is beside the point.
            if let refused = error as? KeyFileError, refused.code == .captureFile { warned.insert(refused.file) }
            report(paths: files)
            throw error
        }
    }

    /// The warnings of loaded key files, includes among them.
    public func report(_ keys: KeySet) {
        for note in keys.permissionWarnings { say(note.file, note.message) }
    }

    /// For files that failed to load: their permissions deserve the warning all the same.
    public func report(paths: [String]) {
        for path in paths where !warned.contains(path) {
            if let message = KeyFileLoader.permissionWarning(path: path) { say(path, message) }
        }
    }

    private func say(_ file: String, _ message: String) {
        guard permissions, warned.insert(file).inserted else { return }
        sink.write("spiglass: warning: \(message)\n")
    }
}
