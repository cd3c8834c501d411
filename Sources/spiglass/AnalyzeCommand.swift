import ArgumentParser
import SpiglassAnalysis

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract:
            "Dissect a capture file or a live interface, verify and decrypt ESP with the given keys, and summarise every SA.",
        discussion: """
            Key files may hold security policies (ip xfrm policy, setkey -DP, swanctl --list-conns, \
            swanctl.conf, native policy lines): every decrypted packet is checked against its SA's \
            selectors (also those its IKE exchange negotiated) and every cleartext packet for leaks. \
            Exit status: 0 when the capture was read (whatever the packets' verdicts); 1 when an \
            input cannot be used (a capture or interface that cannot be opened, a pattern that matches \
            no file, a bad filter, a bad key file, an output naming an input); 2 when a capture file is \
            damaged (results cover the frames before the damage); 3 when an output (-w, the reports) \
            could not be written completely; 4 when an event --fail-on names happened; 64 for a usage \
            error (an unknown, missing or conflicting option, a value out of range); 128 + the signal \
            when SIGINT or SIGTERM stopped the reading of a file. A live capture ends on Ctrl-C, \
            SIGTERM, -c or --duration; SIGHUP reloads the key and policy files without stopping.
            """ + HelpExamples.analyze
    )

    @OptionGroup var capture: CaptureOptions

    func run() throws {
        try capture.execute(report: .packets)
    }
}
