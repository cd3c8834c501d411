import SpiglassAnalysis
import SpiglassSAD

/// Says on standard error, once per file and run, that a key file is readable or writable by
/// users other than its owner (`KeyFileLoader.permissionWarning`). A warning, not an error:
/// the run goes on. A key reload (SIGHUP) does not repeat it.
final class KeyFileWarnings {
    private let sink: FileDescriptorSink
    private var warned: Set<String> = []

    init(sink: FileDescriptorSink) {
        self.sink = sink
    }

    /// The warnings of loaded key files, includes among them.
    func report(_ keys: KeySet) {
        for note in keys.permissionWarnings { say(note.file, note.message) }
    }

    /// For files that failed to load: their permissions deserve the warning all the same.
    func report(paths: [String]) {
        for path in paths where !warned.contains(path) {
            if let message = KeyFileLoader.permissionWarning(path: path) { say(path, message) }
        }
    }

    private func say(_ file: String, _ message: String) {
        guard warned.insert(file).inserted else { return }
        sink.write("spiglass: warning: \(message)\n")
    }
}
