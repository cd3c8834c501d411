/// How text reports are laid out and shown: for a terminal, the width to fit and whether to
/// colour; for a pipe or a file, neither (full values, lines as long as they are, no escape
/// sequences), which is today's output byte for byte.
public struct TextDisplay: Sendable, Equatable {
    /// Columns every line fits in; nil keeps lines whole (a pipe, a file, `--wide`).
    public var width: Int?
    /// Colour verdicts, failures and findings (`--color`, NO_COLOR).
    public var color: Bool

    public init(width: Int? = nil, color: Bool = false) {
        self.width = width
        self.color = color
    }

    /// Output for a pipe or a file.
    public static let plain = TextDisplay()

    /// True when the text is written as the reporters make it (no fitting, no colour).
    public var isPlain: Bool { width == nil && !color }

    /// `text` shown in `style` on a colour terminal; unchanged otherwise.
    public func paint(_ text: String, _ style: TextStyle) -> String {
        color ? TextMarks.start(style) + text + TextMarks.end : text
    }

    /// Where the continuation rows of a wrapped line start (see `LineFitter`): the column of
    /// this mark. Empty when lines are not fitted.
    public var hang: String { width == nil ? "" : String(TextMarks.hang) }
}

/// How a span of report text is shown on a colour terminal.
public enum TextStyle: Sendable, CaseIterable {
    /// Decrypted, verified, established.
    case good
    /// ICV failures, garbled packets, failed negotiations, errors.
    case failure
    /// No key, cut packets, loss, replays, weak algorithms: worth a look.
    case warning
    /// Headings.
    case heading
    /// What is less important (a note on hidden frames).
    case quiet

    /// The letter that names the style inside a mark.
    var letter: Unicode.Scalar {
        switch self {
        case .good: "g"
        case .failure: "f"
        case .warning: "w"
        case .heading: "h"
        case .quiet: "q"
        }
    }

    init?(letter: Unicode.Scalar) {
        guard let style = TextStyle.allCases.first(where: { $0.letter == letter }) else { return nil }
        self = style
    }

    /// The SGR parameters (ECMA-48) of the style.
    var sgr: String {
        switch self {
        case .good: "32"
        case .failure: "1;31"
        case .warning: "33"
        case .heading: "1"
        case .quiet: "2"
        }
    }
}

/// The marks reporters put into their text when it goes to a terminal, which `LineFitter`
/// turns into SGR sequences and continuation indents. They are C0 controls (SO, SI, SOH),
/// which text from a capture never carries raw (`DisplayText` shows them as `\x0e`): a mark
/// can only select one of our styles, and every other control is shown escaped.
enum TextMarks {
    static let open: Unicode.Scalar = "\u{0E}"
    static let close: Unicode.Scalar = "\u{0F}"
    static let hang: Unicode.Scalar = "\u{01}"

    static func start(_ style: TextStyle) -> String {
        var text = String.UnicodeScalarView()
        text.append(open)
        text.append(style.letter)
        return String(text)
    }

    static let end = String(close)
}
