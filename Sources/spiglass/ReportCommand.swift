import ArgumentParser
import SpiglassAnalysis

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "Write one self-contained HTML page of a capture: overview and findings, IKE ladders, SA timeline, SA table.",
        discussion: """
            Reads the capture as analyze and ike do (the same inputs, keys and options) and writes \
            a single HTML file: no script, style, font or image is loaded from anywhere, and its \
            Content-Security-Policy forbids every load, so it opens offline from a file or an e-mail \
            attachment. The file is written as -w files are: never over an input, put in place only \
            when complete (mode 0600), nothing left behind by a failed run. The capture is read by \
            --threads threads, as for analyze; the page is the same whatever the count. Exit \
            status as for analyze.
            """
    )

    @OptionGroup var capture: CaptureOptions

    @Option(
        name: .customShort("o"),
        help: ArgumentHelp("The HTML file to write ('-' for standard output).", valueName: "report.html"))
    var output: String

    func validate() throws {
        if capture.json { throw ValidationError("--json does not apply to report: the report is HTML") }
        if capture.quiet { throw ValidationError("-q does not apply to report") }
        if capture.write == "-" && output == "-" {
            throw ValidationError("-w - and -o - cannot both write to standard output")
        }
    }

    func run() throws {
        try capture.execute(report: .html, page: ReportPage(path: output))
    }
}
