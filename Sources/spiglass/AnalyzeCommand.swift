import ArgumentParser
import SpiglassAnalysis

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Dissect a capture file or a live interface, verify and decrypt ESP with the given keys, and summarise every SA.",
        discussion: """
            Exit status: 0 when the capture was read (whatever the packets' verdicts), 1 for bad \
            arguments, an unreadable capture or interface, a bad key file, or an output naming an \
            input, 2 when the capture file is damaged (results cover the frames before the damage), \
            3 when an output (-w, the reports) could not be written completely. A capture ends on \
            Ctrl-C, SIGTERM, -c or --duration; SIGHUP reloads the key files of a live capture \
            without stopping.
            """
    )

    @OptionGroup var capture: CaptureOptions

    func run() throws {
        try capture.execute(report: .packets)
    }
}
