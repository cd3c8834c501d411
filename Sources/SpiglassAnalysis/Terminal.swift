import Glibc

/// What the terminal a report goes to can show: whether a descriptor is one, and how many
/// columns it has. The C calls (isatty, ioctl TIOCGWINSZ) stay here.
public enum Terminal {
    /// Columns assumed for a terminal that does not say (a serial console, a pseudo-terminal
    /// nobody sized).
    public static let defaultColumns = 80
    /// Narrower than this, lines are fitted to this width anyway: a report is unreadable in
    /// fewer columns whatever is done.
    public static let minimumColumns = 40
    /// A `COLUMNS` or a window size past this is taken as no limit (a bogus value).
    public static let maximumColumns = 10_000

    public static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }

    /// The window's width in columns from the kernel (TIOCGWINSZ), nil when `descriptor` is no
    /// terminal or the terminal reports no size.
    public static func windowColumns(_ descriptor: Int32) -> Int? {
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// The width reports fit on a terminal: `COLUMNS` when set to a number (as `ls` and
    /// Python's `shutil` read it, so a user can narrow or widen the output), else the window's
    /// width, else `defaultColumns`.
    public static func columns(_ descriptor: Int32, environment: [String: String]) -> Int {
        let fromEnvironment = environment["COLUMNS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        let chosen = fromEnvironment ?? windowColumns(descriptor) ?? defaultColumns
        return min(max(chosen, minimumColumns), maximumColumns)
    }
}

/// `--color`: whether reports are coloured.
public enum ColorChoice: String, Sendable, CaseIterable {
    /// Only on a terminal whose TERM is not "dumb", and only when NO_COLOR is not set.
    case auto
    case always
    case never

    /// Whether to colour output that goes to a terminal (`terminal`) or not. `NO_COLOR`
    /// (https://no-color.org) set to anything but the empty string turns colour off unless
    /// the user asked for it on the command line with `always`.
    public func enabled(terminal: Bool, environment: [String: String]) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
            guard terminal, let term = environment["TERM"], !term.isEmpty, term != "dumb" else { return false }
            return true
        }
    }
}

extension Terminal {
    /// The variables that decide how text is shown (COLUMNS, NO_COLOR, TERM), from the process's
    /// environment.
    public static func environment() -> [String: String] {
        var found: [String: String] = [:]
        for name in ["COLUMNS", "NO_COLOR", "TERM"] {
            if let value = getenv(name) { found[name] = String(cString: value) }
        }
        return found
    }
}
