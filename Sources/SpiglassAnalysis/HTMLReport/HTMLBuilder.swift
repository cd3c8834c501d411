/// An attribute of an element: its name is this program's (a static string), its value is
/// escaped when written.
struct HTMLAttribute {
    let name: StaticString
    let value: String

    init(_ name: StaticString, _ value: String) {
        self.name = name
        self.value = value
    }

    /// A coordinate or a length for SVG, with at most two decimals.
    init(_ name: StaticString, _ number: Double) {
        self.name = name
        self.value = HTMLAttribute.number(number)
    }

    init(_ name: StaticString, _ number: Int) {
        self.name = name
        self.value = String(number)
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let hundredths = (value * 100).rounded()
        guard abs(hundredths) < 1e15 else { return "0" }
        let whole = Int64(hundredths)
        let sign = whole < 0 ? "-" : ""
        let magnitude = whole.magnitude
        let fraction = magnitude % 100
        if fraction == 0 { return "\(sign)\(magnitude / 100)" }
        if fraction % 10 == 0 { return "\(sign)\(magnitude / 100).\(fraction / 10)" }
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

/// HTML and inline SVG built so that nothing from outside can become markup: element and
/// attribute names are static strings of this program, every text and attribute value goes
/// through `HTMLEscape`, and the only markup written as it is comes from static strings too
/// (`trusted`: the style sheet and the script).
struct HTMLBuilder {
    private(set) var markup = ""

    init() {}

    /// An element with content built by `content`.
    mutating func element(
        _ name: StaticString, _ attributes: [HTMLAttribute] = [], _ content: (inout HTMLBuilder) -> Void
    ) {
        open(name, attributes)
        content(&self)
        markup += "</\(name)>"
    }

    /// An element holding only text.
    mutating func element(_ name: StaticString, _ attributes: [HTMLAttribute] = [], text: String) {
        open(name, attributes)
        HTMLEscape.append(text, to: &markup)
        markup += "</\(name)>"
    }

    /// An element without content or end tag (`meta`, SVG `line`).
    mutating func empty(_ name: StaticString, _ attributes: [HTMLAttribute] = []) {
        markup += "<\(name)"
        write(attributes)
        markup += "/>"
    }

    mutating func text(_ text: String) {
        HTMLEscape.append(text, to: &markup)
    }

    /// Markup of this program (the style sheet, the script, the doctype), never from input.
    mutating func trusted(_ markup: StaticString) {
        self.markup += "\(markup)"
    }

    private mutating func open(_ name: StaticString, _ attributes: [HTMLAttribute]) {
        markup += "<\(name)"
        write(attributes)
        markup += ">"
    }

    private mutating func write(_ attributes: [HTMLAttribute]) {
        for attribute in attributes {
            markup += " \(attribute.name)=\""
            HTMLEscape.append(attribute.value, to: &markup)
            markup += "\""
        }
    }
}
