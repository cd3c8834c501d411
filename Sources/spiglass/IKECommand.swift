import ArgumentParser
import SpiglassAnalysis

struct IKECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ike",
        abstract:
            "Reconstruct the IKE negotiations of a capture or a live interface: exchanges, outcomes, IKE SAs and CHILD_SAs.",
        discussion: """
            Every IKEv2 message is decrypted and integrity-checked with the IKE keys of the key files \
            (Wireshark ikev2_decryption_table, native 'ike' lines, strongSwan charon logs), paired with \
            its request or response, and filed under its IKE SA. At the end each IKE SA is told as a \
            ladder of exchanges with its outcome, its CHILD_SAs with their SPIs, and the ESP seen for \
            them. Where a key file gives SK_d, the ESP keys of CHILD_SAs created without PFS are \
            derived (RFC 7296 2.17), so ESP decrypts with IKE keys alone. Exit status as for analyze.
            """ + HelpExamples.ike
    )

    @OptionGroup var capture: CaptureOptions

    @Flag(
        name: .long,
        help:
            "One line per IKE SA (peers, version, outcome, algorithms, CHILD_SAs, messages) instead of the messages and ladders."
    )
    var summary = false

    func validate() throws {
        if summary && capture.json {
            throw ValidationError("--summary is for text; --json -q gives one ike_sa object per IKE SA")
        }
    }

    func run() throws {
        try capture.execute(report: .ike, ikeSummary: summary)
    }
}
