import SpiglassWire

/// How a line of the `ike` story too long for one terminal row is laid out by the reporter,
/// not folded by `LineFitter`: a headline with the fact, then the clauses that did not fit as
/// labelled sub-rows ("rtt: 1.00 ms", like rustc's `= note:` rows), or a list broken at its
/// items into rows aligned under its first item. Piped (no width) every line stays whole.
enum TerminalRows {
    /// One clause of a line: how it reads appended to the headline (", rtt 1.00 ms"), and as
    /// a sub-row ("rtt", "1.00 ms").
    struct Clause {
        var inline: String
        var label: String
        var text: String
    }

    /// `headline` with `clauses` appended in order while the line fits `width`; from the
    /// first that does not, each clause on a sub-row "label: text" two columns past `indent`.
    /// Whole on one line when `width` is nil.
    static func headline(_ headline: String, _ clauses: [Clause], indent: Int, width: Int?) -> String {
        var line = headline
        var rest = clauses[...]
        while let clause = rest.first, fits(line + clause.inline, width) {
            line += clause.inline
            rest.removeFirst()
        }
        let pad = String(repeating: " ", count: indent + 2)
        return rest.reduce(line) { $0 + "\n" + pad + $1.label + ": " + $1.text }
    }

    /// `lead` and `items` joined by `separator`; on a terminal too narrow for that, broken
    /// between items into rows aligned under the first item (a list's layout, not a sentence
    /// folded at any space). An item wider than a row is clipped with "…" when `clipsItems`
    /// (a capture's value, whole in the piped output, the JSON and `-V`), else left to fold
    /// (the report's own counts and names: "Verdicts: decrypted 5, …", an SA's counts).
    static func alignedList(
        _ lead: String, _ items: [String], separator: String, width: Int?, clipsItems: Bool = true
    ) -> String {
        let whole = lead + items.joined(separator: separator)
        guard let width, !fits(whole, width) else { return whole }
        let column = columns(lead)
        let trimmed = separator.hasSuffix(" ") ? String(separator.dropLast()) : separator
        var rows: [String] = []
        var row = lead
        var rowHasItem = false
        for (index, item) in items.enumerated() {
            let end = index == items.count - 1 ? "" : trimmed
            let piece = (rowHasItem ? " " : "") + item + end
            if rowHasItem && !fits(row + piece, width) {
                rows.append(row)
                row = String(repeating: " ", count: column)
                rowHasItem = false
            }
            let room = width - columns(row) - (rowHasItem ? 1 : 0) - columns(end)
            row += (rowHasItem ? " " : "") + (clipsItems ? clipped(item, columns: max(room, 1)) : item) + end
            rowHasItem = true
        }
        rows.append(row)
        return rows.joined(separator: "\n")
    }

    /// The report's own words after `lead` (a reason, a verdict), broken between their
    /// clauses into rows aligned under their start; a clause wider than a row breaks between
    /// its words. Never clipped: nothing of it is the capture's.
    static func prose(_ lead: String, _ text: String, width: Int?) -> String {
        let room = (width ?? Int.max) - columns(lead)
        let items = self.items(text).flatMap { item in
            columns(item) <= room ? [item] : item.split(separator: " ").map(String.init)
        }
        return alignedList(lead, items, separator: " ", width: width)
    }

    /// `text`'s words grouped at its ", ", "; ", ": " and "] " boundaries, each item with its
    /// punctuation: the items a list of attributes, a reason's clauses or a line's bracketed
    /// problems break between (only those whose last character is in `ends`).
    static func items(_ text: String, at ends: Set<Character> = [",", ";", ":", "]"]) -> [String] {
        var items: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            current += (current.isEmpty ? "" : " ") + word
            if let last = word.last, ends.contains(last) {
                items.append(current)
                current = ""
            }
        }
        if !current.isEmpty { items.append(current) }
        return items
    }

    /// `text` with each key file named by its path and line ("keys/ikev2_decryption_table:1")
    /// named by its file name and line instead, as `IKEDescribe.shortOrigin` names it.
    static func shortenedKeyFiles(_ text: String) -> String {
        text.replacing(#/(?:[^()\s]*/)+([^()/\s]+:\d+)/#) { String($0.output.1) }
    }

    /// Escaped `text` cut to at most `columns` columns with a trailing "…" when it is wider,
    /// never inside an escape or before a combining mark.
    static func clipped(_ text: String, columns limit: Int) -> String {
        guard columns(text) > limit else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var used = 0
        var index = 0
        while index < scalars.count {
            let length = DisplayText.escapeLength(scalars, at: index)
            var end = index + length
            while end < scalars.count, LineFitter.columns(scalars[end]) == 0 { end += 1 }
            let unit = scalars[index..<end]
            let wide = unit.reduce(0) { $0 + LineFitter.columns($1) }
            guard used + wide <= limit - 1 else { break }
            out.append(contentsOf: unit)
            used += wide
            index = end
        }
        return String(out) + "…"
    }

    /// Whether `line` takes one row of `width` (always without a width).
    static func fits(_ line: String, _ width: Int?) -> Bool {
        guard let width else { return true }
        return LineFitter.rowCount(line, width: width) == 1
    }

    /// Columns `text` takes on a terminal.
    static func columns(_ text: String) -> Int {
        LineFitter.cells(text[...]).0.reduce(0) { $0 + $1.width }
    }
}
