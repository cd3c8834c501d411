import SpiglassWire

/// Text from outside (identities, vendor IDs, notify data, file names) made safe inside HTML and
/// inline SVG: the one escaping function the HTML report uses. The five characters that can end
/// text or an attribute value (`& < > " '`) become character references, so nothing a capture
/// holds can open an element, close one (`</svg>`, `</title>`, `]]>`), leave a quoted attribute
/// or start a character reference. Code points a terminal would act on or that reorder text
/// (`DisplayText.needsEscape`: C0/C1 controls, bidi overrides, separators) are shown as
/// `DisplayText`'s visible escapes, as in the text report; a newline and a tab stay.
enum HTMLEscape {
    /// `text` for an element's content or a quoted attribute value (one function for both:
    /// escaping quotes in text costs nothing and leaves no way to pick the wrong one).
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        append(text, to: &out)
        return out
    }

    static func append(_ text: String, to out: inout String) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            default:
                if DisplayText.needsEscape(scalar) {
                    out += DisplayText.escaped(String(scalar))
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
    }
}
