import SpiglassWire

/// Fits one line of report text to a terminal: wraps it at spaces into rows of at most
/// `width` columns, continuation rows indented (at the line's hang mark, or two columns past
/// its own indent), turns style marks into SGR sequences (or drops them), and shows any other
/// control character escaped, so nothing a capture holds can reach the terminal as a control.
/// Widths count columns, not bytes or escape sequences: combining marks take none, East Asian
/// wide characters two.
enum LineFitter {
    /// One column-occupying piece of the line: a code point (with the combining marks that
    /// follow it) and its style.
    struct Cell {
        var text: String.UnicodeScalarView
        var width: Int
        var style: TextStyle?
        var isSpace: Bool { width == 1 && text.count == 1 && text.first == " " }
    }

    /// The row a wrapped line continues on is never indented past this share of the width.
    static let maximumIndentShare = 2

    static func fit(_ line: Substring, width: Int?, color: Bool) -> String {
        let (cells, hang) = self.cells(line)
        let total = cells.reduce(0) { $0 + $1.width }
        guard let width, total > width else { return render(cells[...], color: color) }
        return rows(cells, hang: hang, width: width).map { render($0, color: color) }.joined(separator: "\n")
    }

    /// The rows `line` takes on a terminal of `width` columns (1 when it fits).
    static func rowCount(_ line: String, width: Int) -> Int {
        let (cells, hang) = self.cells(line[...])
        return cells.reduce(0) { $0 + $1.width } > width ? rows(cells, hang: hang, width: width).count : 1
    }

    /// The column of `line`'s hang mark (where its continuation rows start), nil when it has none.
    static func hangColumn(_ line: String) -> Int? { cells(line[...]).1 }

    /// The rows of a line too wide for `width`, continued at its hang mark or two columns past
    /// its own indent.
    static func rows(_ cells: [Cell], hang: Int?, width: Int) -> [ArraySlice<Cell>] {
        let leading = cells.prefix { $0.isSpace }.count
        let indent = min(hang ?? leading + 2, width / maximumIndentShare)
        return rows(cells, width: width, indent: indent)
    }

    /// The line's cells, and the column of its hang mark when it has one.
    static func cells(_ line: Substring) -> ([Cell], Int?) {
        var cells: [Cell] = []
        var style: TextStyle? = nil
        var hang: Int? = nil
        var column = 0
        var scalars = line.unicodeScalars[...]
        func add(_ text: String, width: Int) {
            cells.append(Cell(text: text.unicodeScalars, width: width, style: style))
            column += width
        }
        while let scalar = scalars.popFirst() {
            switch scalar {
            case TextMarks.open:
                if let letter = scalars.first, let chosen = TextStyle(letter: letter) {
                    scalars.removeFirst()
                    style = chosen
                } else {
                    add("\\x0e", width: 4)
                }
            case TextMarks.close: style = nil
            case TextMarks.hang: if hang == nil { hang = column }
            default:
                if scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) {
                    // Shown as DisplayText shows it: `\x1b`, `\u{9b}`.
                    let shown = DisplayText.escaped(String(scalar))
                    add(shown, width: shown.unicodeScalars.count)
                } else if columns(scalar) == 0, !cells.isEmpty {
                    cells[cells.count - 1].text.append(scalar)
                } else {
                    add(String(scalar), width: max(columns(scalar), 1))
                }
            }
        }
        return (cells, hang)
    }

    /// Greedy word wrap: rows of at most `width` columns, broken at spaces; a word longer
    /// than a row is cut.
    static func rows(_ cells: [Cell], width: Int, indent: Int) -> [ArraySlice<Cell>] {
        var rows: [ArraySlice<Cell>] = []
        var row: [Cell] = []
        var rowWidth = 0
        let padding = Cell(text: " ".unicodeScalars, width: 1, style: nil)
        func newRow() {
            while row.last?.isSpace == true { rowWidth -= row.removeLast().width }
            rows.append(row[...])
            row = Array(repeating: padding, count: indent)
            rowWidth = indent
        }
        var index = 0
        while index < cells.count {
            // A word and the spaces before it.
            var end = index
            while end < cells.count && cells[end].isSpace { end += 1 }
            let spaces = end - index
            while end < cells.count && !cells[end].isSpace { end += 1 }
            let word = cells[(index + spaces)..<end]
            let wordWidth = word.reduce(0) { $0 + $1.width }
            let atRowStart = rowWidth == (rows.isEmpty ? 0 : indent)
            if !atRowStart && rowWidth + spaces + wordWidth > width {
                newRow()
            } else {
                row.append(contentsOf: cells[index..<(index + spaces)])
                rowWidth += spaces
            }
            for cell in word {
                if rowWidth + cell.width > width && rowWidth > indent { newRow() }
                row.append(cell)
                rowWidth += cell.width
            }
            index = end
        }
        while row.last?.isSpace == true { row.removeLast() }
        if rows.isEmpty || !row.isEmpty { rows.append(row[...]) }
        return rows
    }

    static func render(_ cells: ArraySlice<Cell>, color: Bool) -> String {
        var out = String.UnicodeScalarView()
        var current: TextStyle? = nil
        for cell in cells {
            if color && cell.style != current {
                if current != nil { out.append(contentsOf: "\u{1B}[0m".unicodeScalars) }
                if let style = cell.style { out.append(contentsOf: "\u{1B}[\(style.sgr)m".unicodeScalars) }
                current = cell.style
            }
            out.append(contentsOf: cell.text)
        }
        if color && current != nil { out.append(contentsOf: "\u{1B}[0m".unicodeScalars) }
        return String(out)
    }

    /// Columns a code point takes on a terminal: 0 for combining marks, 2 for East Asian wide
    /// and full-width characters and emoji, 1 otherwise (as wcwidth).
    static func columns(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value < 0x300 { return 1 }
        if DisplayText.isCombiningMark(scalar) || value == 0x200D { return 0 }
        switch value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
            0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }
}
