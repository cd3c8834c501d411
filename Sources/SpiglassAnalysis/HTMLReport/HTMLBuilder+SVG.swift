extension HTMLBuilder {
    /// An inline SVG drawing `width` by `height` user units that scales with the page, named for
    /// screen readers by `label`.
    mutating func svg(
        className: StaticString, width: Double, height: Double, label: String, _ content: (inout HTMLBuilder) -> Void
    ) {
        element(
            "svg",
            [
                HTMLAttribute("xmlns", "http://www.w3.org/2000/svg"), HTMLAttribute("class", "\(className)"),
                HTMLAttribute("viewBox", "0 0 \(HTMLAttribute.number(width)) \(HTMLAttribute.number(height))"),
                HTMLAttribute("width", width), HTMLAttribute("role", "img"), HTMLAttribute("aria-label", label),
            ], content)
    }
}
