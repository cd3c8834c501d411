import ArgumentParser
import Glibc
import SpiglassAnalysis
import SpiglassCapture

/// File-writing helpers for the CLI.
enum FileOutput {
    /// Writes each text to its path (`OutputFile`: mode 0600, since these files hold keys; never
    /// over one of `inputs`; each put in place only once every one was written). On a failure
    /// none is put in place and the error names the file.
    static func write(_ files: [(path: String, text: String)], inputs: [String]) throws {
        var outputs: [OutputFile] = []
        for file in files {
            let output = try OutputFile(path: file.path, inputs: inputs)
            output.write(Array(file.text.utf8))
            outputs.append(output)
        }
        if let failed = outputs.first(where: { $0.failure != nil }) {
            for output in outputs { output.discard() }
            throw failed.failure!
        }
        for output in outputs { try output.close() }
    }

    /// Refuses to write reports (or a pcap) to standard output when it is one of the inputs
    /// (`spiglass ... > capture.pcap`: the shell has emptied it already, so say so).
    static func refuseStandardOutput(inputs: [String]) throws {
        try OutputFile.refuseInputs(output: "-", inputs: inputs)
    }

    /// Exit status for outputs that could not be written completely.
    static let failedOutputStatus = AnalysisStatus.outputIncomplete.exitStatus
}

extension FileOutput {
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func isSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }
}

/// Output that goes nowhere (for runs whose reports nobody reads).
final class DiscardingSink: OutputSink {
    func write(_ text: String) {}
    func flush() {}
}
