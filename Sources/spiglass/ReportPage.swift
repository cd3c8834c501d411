import ArgumentParser
import SpiglassAnalysis
import SpiglassCapture

/// Where `spiglass report` puts its page: kept in memory while the capture is read, then
/// written whole (`FileOutput`: never over an input, renamed into place once complete).
struct ReportPage {
    let path: String
    let sink = StringSink()

    /// Refuses, before anything is read, a path that names one of the inputs.
    func refuseInputs(_ inputs: [String], errors: OutputSink) throws {
        do {
            try OutputFile.refuseInputs(output: path, inputs: inputs)
        } catch {
            errors.write("spiglass: error: \(error)\n")
            throw ExitCode(AnalysisStatus.inputUnusable.exitStatus)
        }
    }

    /// Writes the page once the run has ended, unless it could not start (no page then); returns
    /// the run's status, or `outputIncomplete` when the page could not be written.
    func write(after status: AnalysisStatus, inputs: [String], errors: OutputSink) -> AnalysisStatus {
        guard status != .inputUnusable, !sink.text.isEmpty else { return status }
        do {
            try FileOutput.write([(path: path, text: sink.text)], inputs: inputs)
        } catch {
            errors.write("spiglass: error: \(error)\n")
            return .outputIncomplete
        }
        if path != "-" { errors.write("spiglass: report written to '\(path)' (\(sink.text.utf8.count) bytes)\n") }
        return status
    }
}
