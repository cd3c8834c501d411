/// A line of the text report that a terminal row may not hold, with the layout the renderer
/// gives it there: a short headline with the fact, then labelled sub-rows ("rule: RFC 8247
/// 2.2: …", "cause: …"), each a row of its own two columns in (as rustc's `= note:` rows).
/// Piped, with `--wide`, or on a terminal the whole line fits, it stays the one line it always
/// was; the sub-rows together say everything that line says, so nothing is lost either way.
struct LaidOutLine: Equatable, Sendable {
    /// The line as one row: piped output, `--wide`, and a terminal wide enough for it.
    var whole: String
    /// The fact: the row the sub-rows hang under.
    var headline: String
    /// "label: text", in the order they are read.
    var rows: [String]

    init(whole: String, headline: String, rows: [String]) {
        self.whole = whole
        self.headline = headline
        self.rows = rows
    }

    /// A line with nothing to lay out: one row everywhere.
    init(_ whole: String) { self.init(whole: whole, headline: whole, rows: []) }

    /// The line after `indent`, ending in a newline: whole when it fits `width` (or there is no
    /// width), else the headline and its sub-rows.
    func text(indent: String, width: Int?) -> String {
        guard let width, !rows.isEmpty, !TerminalRows.fits(indent + whole, width) else { return indent + whole + "\n" }
        return laidOut(indent: indent)
    }

    /// The headline and its sub-rows after `indent`, each ending in a newline.
    func laidOut(indent: String) -> String {
        ([indent + headline] + rows.map { indent + "  " + $0 }).map { $0 + "\n" }.joined()
    }

    /// "cause: because: so", as a "cause:" row and, when the words after their last ": " say
    /// what follows from it, a "so:" row.
    static func causeRows(_ words: String, label: String = "cause") -> [String] {
        guard let colon = words.range(of: ": ", options: .backwards) else { return ["\(label): \(words)"] }
        return ["\(label): \(words[..<colon.lowerBound])", "so: \(words[colon.upperBound...])"]
    }
}
