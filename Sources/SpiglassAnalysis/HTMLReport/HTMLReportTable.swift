/// Tables of the report: a definition list of facts, and data tables whose numeric cells carry
/// their value (`data-v`) so the page's script sorts them as numbers.
enum HTMLReportTable {
    enum Cell {
        case text(String)
        case number(Int)
        /// Text shown, number sorted by (a time shown as text, sorted by its units since 1970).
        case sorted(String, Int64)
        /// A cell whose text links to an anchor of the page.
        case link(String, anchor: String)
    }

    static func facts(_ rows: [(String, String)], into html: inout HTMLBuilder) {
        html.element("dl", [HTMLAttribute("class", "facts")]) { list in
            for (name, value) in rows {
                list.element("dt", text: name)
                list.element("dd", text: value)
            }
        }
    }

    /// `ids`: an anchor per row (or none).
    static func render(
        headers: [String], rows: [[Cell]], ids: [String?] = [], sortable: Bool, into html: inout HTMLBuilder
    ) {
        html.element("div", [HTMLAttribute("class", "scroll")]) { scroll in
            scroll.element("table", sortable ? [HTMLAttribute("class", "sortable")] : []) { table in
                table.element("thead") { head in
                    head.element("tr") { row in
                        for header in headers { row.element("th", [HTMLAttribute("scope", "col")], text: header) }
                    }
                }
                table.element("tbody") { body in
                    for (index, cells) in rows.enumerated() {
                        let id = index < ids.count ? ids[index] : nil
                        body.element("tr", id.map { [HTMLAttribute("id", $0)] } ?? []) { row in
                            for cell in cells { write(cell, into: &row) }
                        }
                    }
                }
            }
        }
    }

    private static func write(_ cell: Cell, into row: inout HTMLBuilder) {
        switch cell {
        case .text(let text): row.element("td", text: text)
        case .number(let value):
            row.element("td", [HTMLAttribute("class", "n"), HTMLAttribute("data-v", value)], text: String(value))
        case .sorted(let text, let value):
            row.element("td", [HTMLAttribute("data-v", String(value))], text: text)
        case .link(let text, let anchor):
            row.element("td") { $0.element("a", [HTMLAttribute("href", "#" + anchor)], text: text) }
        }
    }
}
