import ArgumentParser
import SpiglassAnalysis

/// `--spi`, `--ike-sa`, `--from` and `--to`: what the reports show (`ReportSelection`). Every
/// frame is still read and analysed, so frame numbers, times and SA figures stay the capture's.
struct SelectionOptions: ParsableArguments {
    @Option(
        name: .customLong("spi"),
        help: ArgumentHelp(
            "Show only this SA (repeatable): an ESP/AH SPI (up to 8 hex digits) or an IKE SPI (16 hex digits; its IKE SA with its CHILD_SAs and their packets); 0x optional.",
            valueName: "spi"))
    var spis: [String] = []

    @Option(
        name: .customLong("ike-sa"),
        help: ArgumentHelp(
            "Show only this IKE SA, numbered as the 'ike' report numbers them, with its CHILD_SAs and their ESP/AH packets (repeatable).",
            valueName: "n"))
    var ikeSAs: [Int] = []

    @Option(
        name: .customLong("from"),
        help: ArgumentHelp(
            "Show only packets from this time on: seconds since the first frame (tshark's frame.time_relative) or an ISO 8601 time (UTC unless it has an offset).",
            valueName: "time"))
    var from: String?

    @Option(
        name: .customLong("to"),
        help: ArgumentHelp("Show only packets up to this time (inclusive; as --from).", valueName: "time"))
    var to: String?

    func validate() throws {
        _ = try parsed()
    }

    /// The selection these options make (checked in validate()).
    var selection: ReportSelection { (try? parsed()) ?? ReportSelection() }

    private func parsed() throws -> ReportSelection {
        var selection = ReportSelection()
        for spi in spis {
            if let error = selection.addSPI(spi) { throw ValidationError(error) }
        }
        for number in ikeSAs {
            guard number >= 1 else { throw ValidationError("--ike-sa: IKE SAs are numbered from 1") }
            selection.ikeSANumbers.insert(number)
        }
        selection.from = try from.map { try bound($0, "--from") }
        selection.to = try to.map { try bound($0, "--to") }
        return selection
    }

    private func bound(_ text: String, _ option: String) throws -> ReportSelection.TimeBound {
        guard let bound = ReportSelection.TimeBound.parse(text) else {
            throw ValidationError(
                "\(option): '\(text)' is neither seconds since the first frame (12.5) nor an ISO 8601 time (2024-05-01T10:00:00Z)"
            )
        }
        return bound
    }
}
