/// The run's warnings, each once, in the order they were raised, with the frame during which
/// each was raised (how a parallel run merges its workers' in the order one thread raises them).
struct DiagnosticLog {
    /// A run keeps at most this many distinct warnings.
    static let maxMessages = 1000

    private(set) var messages: [String] = []
    private(set) var frames: [Int] = []
    private var seen: Set<String> = []
    /// Called at once with each warning (and events such as key reloads), for live captures
    /// whose summary comes only at the end.
    var notice: ((String) -> Void)?

    mutating func raise(_ message: String, frame: Int) {
        guard seen.count < DiagnosticLog.maxMessages, !seen.contains(message) else { return }
        seen.insert(message)
        messages.append(message)
        frames.append(frame)
        notice?("warning: " + message)
    }

    /// Replaces the warnings with a parallel run's, merged (already once each, in order).
    mutating func replace(messages: [String], frames: [Int]) {
        self.messages = messages
        self.frames = frames
        seen = Set(messages)
    }
}
