import SpiglassCapture

/// The packet report's "Findings:" section. Piped, and on a terminal where every finding fits
/// a row, a line per finding after its SA ("  0x0000100c 192.0.2.1 → 192.0.2.2: 3 of 7 …").
/// On a terminal too narrow for one of them, the findings are grouped under their SA: the SA
/// on a row of its own, each finding's fact on a row under it, and the finding's cause, effect
/// or RFC rule on labelled rows under the fact (`LaidOutLine`).
struct FindingsSection {
    var findings: [Finding]
    var leaks: [LaidOutLine]
    var display: TextDisplay
    /// "Findings:" in the packet report; the IKE report lists its policy findings under its
    /// "Policy:" line, unpainted.
    var heading = true

    var text: String {
        guard !findings.isEmpty || !leaks.isEmpty else { return "" }
        var out = heading ? "Findings:\n" : ""
        let lines = findings.map { finding in "  \(Self.sa(finding)): \(paint(finding.message, finding))" }
        if let width = display.width, !lines.allSatisfy({ TerminalRows.fits($0, width) }) {
            var previous: Finding? = nil
            for finding in findings {
                if previous.map({ Self.sa($0) != Self.sa(finding) }) ?? true { out += "  \(Self.sa(finding))\n" }
                previous = finding
                let layout = finding.layout
                out += "    " + paint(layout.headline, finding) + "\n"
                out += layout.rows.map { "      \($0)\n" }.joined()
            }
        } else {
            out += lines.map { $0 + "\n" }.joined()
        }
        for leak in leaks { out += leak.text(indent: "  ", width: display.width) }
        return out
    }

    private func paint(_ text: String, _ finding: Finding) -> String {
        heading ? display.paint(text, finding.kind.style) : text
    }

    /// "0x0000100c 192.0.2.1 → 192.0.2.2".
    static func sa(_ finding: Finding) -> String {
        "\(finding.spi.description) \(finding.source) → \(finding.destination)"
    }
}
