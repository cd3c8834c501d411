/// The output stage of a report on a terminal: every line the reporters write is fitted to
/// the terminal's width and coloured (`LineFitter`) before it reaches `base`. Text comes in
/// any pieces (a parallel run's merged bytes too); a line is fitted once it is complete.
public final class TerminalSink: OutputSink {
    private let base: OutputSink
    public let display: TextDisplay
    private var pending: [UInt8] = []

    public init(_ base: OutputSink, display: TextDisplay) {
        self.base = base
        self.display = display
    }

    deinit {
        if !pending.isEmpty { emit(pending[...], newline: false) }
        base.flush()
    }

    public func write(_ text: String) { write(bytes: ArraySlice(text.utf8)) }

    public func write(bytes: ArraySlice<UInt8>) {
        var rest = bytes
        while let newline = rest.firstIndex(of: 0x0A) {
            if pending.isEmpty {
                emit(rest[..<newline], newline: true)
            } else {
                pending.append(contentsOf: rest[..<newline])
                emit(pending[...], newline: true)
                pending.removeAll(keepingCapacity: true)
            }
            rest = rest[(newline + 1)...]
        }
        pending.append(contentsOf: rest)
    }

    /// Writes what is complete; a line still being written waits for its end.
    public func flush() { base.flush() }

    public var failure: String? { base.failure }

    private func emit(_ line: ArraySlice<UInt8>, newline: Bool) {
        let text = String(decoding: line, as: UTF8.self)
        base.write(LineFitter.fit(text[...], width: display.width, color: display.color) + (newline ? "\n" : ""))
    }
}
