import ArgumentParser
import SpiglassAnalysis

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Dissect a capture file or a live interface, verify and decrypt ESP with the given keys, and summarise every SA.",
        discussion: """
            Key files may hold security policies (ip xfrm policy, setkey -DP, swanctl --list-conns, \
            swanctl.conf, native policy lines): every decrypted packet is checked against its SA's \
            selectors (also those its IKE exchange negotiated) and every cleartext packet for leaks. \
            Exit status: 0 when the capture was read (whatever the packets' verdicts), 1 for bad \
            arguments, an unreadable capture or interface, or a bad key file, 2 when the capture file \
            is damaged (results cover the frames before the damage), 4 when an event --fail-on names \
            happened. A live capture ends on Ctrl-C, SIGTERM, -c or --duration; SIGHUP reloads the \
            key and policy files without stopping.
            """
    )

    @OptionGroup var capture: CaptureOptions

    func run() throws {
        try capture.execute(report: .packets)
    }
}
