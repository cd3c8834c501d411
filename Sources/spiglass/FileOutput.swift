import ArgumentParser
import Glibc
import SpiglassAnalysis

/// Small file-writing helpers for the CLI.
enum FileOutput {
    /// Writes `text` to `path` with mode 0600: these files hold keys.
    static func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else {
            FileDescriptorSink(descriptor: 2, lineBuffered: true).write("spiglass: error: cannot write \(path): \(String(cString: strerror(errno)))\n")
            throw ExitCode(1)
        }
        let sink = FileDescriptorSink(descriptor: fd)
        sink.write(text)
        sink.flush()
        close(fd)
    }
}

extension FileOutput {
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}

/// Output that goes nowhere (for runs whose reports nobody reads).
final class DiscardingSink: OutputSink {
    func write(_ text: String) {}
    func flush() {}
}
