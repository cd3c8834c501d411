/// The report page: head (policy, style, script), a header naming the inputs, and the sections
/// in the order a reader looks: overview, IKE ladders, timeline, SA table.
struct HTMLReportDocument {
    let input: HTMLReportInput

    init(_ input: HTMLReportInput) { self.input = input }

    func render() -> String {
        var html = HTMLBuilder()
        html.trusted("<!DOCTYPE html>\n")
        html.element("html", [HTMLAttribute("lang", "en")]) { html in
            head(&html)
            html.element("body") { body(&$0) }
        }
        return html.markup + "\n"
    }

    private func head(_ html: inout HTMLBuilder) {
        let style = "\(HTMLReportAssets.style)"
        let script = "\(HTMLReportAssets.script)"
        html.element("head") { head in
            head.empty("meta", [HTMLAttribute("charset", "utf-8")])
            head.empty(
                "meta",
                [
                    HTMLAttribute("http-equiv", "Content-Security-Policy"),
                    HTMLAttribute("content", ContentSecurityPolicy.policy(style: style, script: script)),
                ])
            head.empty("meta", [HTMLAttribute("name", "referrer"), HTMLAttribute("content", "no-referrer")])
            head.empty(
                "meta",
                [HTMLAttribute("name", "viewport"), HTMLAttribute("content", "width=device-width, initial-scale=1")])
            head.empty("meta", [HTMLAttribute("name", "color-scheme"), HTMLAttribute("content", "light dark")])
            head.element("title", text: "Spiglass report: \(title)")
            head.element("style") { $0.trusted(HTMLReportAssets.style) }
            head.element("script") { $0.trusted(HTMLReportAssets.script) }
        }
    }

    /// The inputs' file names (the last path component of each).
    private var title: String {
        let names = input.paths.map { $0.split(separator: "/").last.map(String.init) ?? $0 }
        return names.isEmpty ? "capture" : names.joined(separator: ", ")
    }

    private func body(_ html: inout HTMLBuilder) {
        html.element("header") { header in
            header.element("h1", text: "Spiglass report")
            header.element("p", [HTMLAttribute("class", "muted")], text: title)
        }
        html.element("nav") { nav in
            for (anchor, name) in [
                ("overview", "Overview"), ("ike", "IKE ladders"), ("timeline", "SA timeline"), ("sas", "SA table"),
            ] {
                nav.element("a", [HTMLAttribute("href", "#" + anchor)], text: name)
            }
        }
        html.element("ul", [HTMLAttribute("id", "violations"), HTMLAttribute("hidden", "hidden")]) { _ in }
        HTMLOverviewSection(input).render(&html)
        HTMLLadderSection(input).render(&html)
        HTMLTimelineSection(input).render(&html)
        HTMLSATableSection(input).render(&html)
        html.element("footer", [HTMLAttribute("class", "muted")]) { footer in
            footer.element("p", text: "Written by spiglass report; self-contained, nothing is loaded from elsewhere.")
        }
    }
}
