import ArgumentParser
import SpiglassAnalysis

/// How text reports are shown: fitted to the terminal and coloured there, whole and plain in a
/// pipe or a file (`TextDisplay`), and which frames the packet list leaves out.
struct TerminalOptions: ParsableArguments {
    @Flag(
        name: .long,
        help: "Keep lines whole on a terminal too (no fitting to its width); piped output always is.")
    var wide = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Colour verdicts, failures and findings: auto (on a terminal, unless NO_COLOR is set or TERM is dumb), always, never.",
            valueName: "when"))
    var color: ColorChoice = .auto

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Which frames the packet list shows: ipsec (ESP, AH, IKE and what breaks a policy; the default on a terminal) or all (the default otherwise).",
            valueName: "frames"))
    var only: FrameSelection?

    /// The display of a text report written to `descriptor`; JSON is never fitted nor coloured.
    func display(descriptor: Int32, json: Bool) -> TextDisplay {
        guard !json else { return .plain }
        let environment = Terminal.environment()
        let terminal = Terminal.isTerminal(descriptor)
        return TextDisplay(
            width: terminal && !wide ? Terminal.columns(descriptor, environment: environment) : nil,
            color: color.enabled(terminal: terminal, environment: environment))
    }

    /// Whether the packet list leaves out frames that are not IPsec: as asked, else on a
    /// terminal (text only).
    func hidesNonIPsec(descriptor: Int32, json: Bool) -> Bool {
        switch only {
        case .ipsec: return true
        case .all: return false
        case nil: return !json && Terminal.isTerminal(descriptor)
        }
    }
}

/// `--only`: the frames the per-packet list shows.
enum FrameSelection: String, ExpressibleByArgument, CaseIterable {
    case ipsec
    case all
}

extension ColorChoice: ExpressibleByArgument {}
