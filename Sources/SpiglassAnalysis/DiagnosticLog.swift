/// The run's warnings, each once, in the order they were raised, with the frame during which
/// each was raised (how a parallel run merges its workers' in the order one thread raises them).
struct DiagnosticLog {
    /// A run keeps at most this many distinct warnings.
    static let maxMessages = 1000

    private(set) var warnings: [RunWarning] = []
    private(set) var frames: [Int] = []
    /// The sentences of `warnings`: a warning that reads as one already raised is said once,
    /// whatever raised it.
    private var seen: Set<String> = []
    /// Called at once with each warning (and events such as key reloads), for live captures
    /// whose summary comes only at the end.
    var notice: ((String) -> Void)?

    mutating func raise(_ warning: RunWarning, frame: Int) {
        guard seen.count < DiagnosticLog.maxMessages else { return }
        let sentence = warning.sentence
        guard seen.insert(sentence).inserted else { return }
        warnings.append(warning)
        frames.append(frame)
        notice?("warning: " + sentence)
    }

    /// Replaces the warnings with a parallel run's, merged (already once each, in order).
    mutating func replace(warnings: [RunWarning], frames: [Int]) {
        self.warnings = warnings
        self.frames = frames
        seen = Set(warnings.map(\.sentence))
    }
}
