import ArgumentParser
import Glibc
import SpiglassAnalysis
import SpiglassCapture
import SpiglassSAD

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Dissect a capture, verify and decrypt ESP with the given keys, and summarise every SA.",
        discussion: """
            Exit status: 0 when the capture was read (whatever the packets' verdicts), 1 for bad \
            arguments, an unreadable capture or a bad key file, 2 when the capture file is damaged \
            (results cover the frames before the damage).
            """
    )

    @Option(name: .customShort("r"), help: ArgumentHelp("Capture file to read (pcap or pcapng); '-' reads standard input.", valueName: "capture"))
    var read: String

    @Option(name: .customShort("k"), help: ArgumentHelp("Key file (Wireshark esp_sa or native format); repeat to merge several.", valueName: "keyfile"))
    var keys: [String] = []

    @Option(name: .long, help: ArgumentHelp("Force the key-file format instead of detecting it (\(KeyFileFormat.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "format"))
    var keyFormat: KeyFileFormat?

    @Option(name: .customShort("f"), help: ArgumentHelp("BPF capture filter applied while reading (tcpdump syntax).", valueName: "filter"))
    var filter: String?

    @Option(name: .customShort("w"), help: ArgumentHelp("Write every decrypted inner packet to this pcap (raw IP); '-' for standard output.", valueName: "file"))
    var write: String?

    @Flag(name: .long, help: "One JSON object per line instead of text.")
    var json = false

    @Flag(name: .customShort("q"), help: "No per-packet lines; only the SA table and summary.")
    var quiet = false

    @Option(name: .long, help: "Anti-replay window assumed when inferring ESN high bits.")
    var replayWindow: UInt32 = 64

    @Flag(name: .long, help: "Never draw the progress bar.")
    var noProgress = false

    func validate() throws {
        if replayWindow == 0 { throw ValidationError("--replay-window must be at least 1") }
    }

    func run() throws {
        let errors = FileDescriptorSink(descriptor: 2, lineBuffered: true)
        let sad: SADatabase
        do {
            sad = try Analyzer.loadKeys(keys, format: keyFormat)
        } catch {
            errors.write("spiglass: error: \(error)\n")
            throw ExitCode(1)
        }
        let reader: CaptureReader
        do {
            reader = try CaptureReader(path: read)
            if let filter { try reader.setFilter(filter) }
        } catch {
            errors.write("spiglass: error: \(error)\n")
            throw ExitCode(1)
        }
        var options = AnalysisOptions()
        options.format = json ? .json : .text
        options.quiet = quiet || write == "-"
        options.writePath = write
        options.replayWindow = replayWindow
        // With the pcap on standard output, reports move to standard error.
        let output = FileDescriptorSink(descriptor: write == "-" ? 2 : 1)
        let analyzer: Analyzer
        do {
            analyzer = try Analyzer(sad: sad, options: options, output: output)
        } catch {
            errors.write("spiglass: error: \(error)\n")
            throw ExitCode(1)
        }
        let progress: ProgressReporter? =
            (!noProgress && isatty(1) == 1 && isatty(2) == 1 && reader.fileSize != nil) ? ProgressReporter(sink: errors) : nil
        let summary = analyzer.run(reader, progress: progress)
        output.flush()
        if json {
            for message in summary.diagnostics { errors.write("spiglass: warning: \(message)\n") }
        }
        if summary.damage != nil { throw ExitCode(2) }
    }
}
