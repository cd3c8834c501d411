import Glibc

/// A progress bar on standard error for long reads: bytes read, packets per second and time
/// left. The CLI only creates one when both standard output and standard error are terminals.
public final class ProgressReporter {
    private let sink: OutputSink
    private let start: Double
    private var lastDraw = 0.0
    private var drawn = false

    public init(sink: OutputSink) {
        self.sink = sink
        self.start = ProgressReporter.now()
    }

    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public func update(bytes: Int64, total: Int64, packets: Int) {
        let now = ProgressReporter.now()
        guard now - lastDraw >= 0.1 else { return }
        lastDraw = now
        let elapsed = max(now - start, 1e-6)
        let rate = Double(packets) / elapsed
        var line = "\r"
        if total > 0 {
            let fraction = min(max(Double(bytes) / Double(total), 0), 1)
            let width = 30
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            line += "\(Int(fraction * 100))% \(bytes >> 20)/\(total >> 20) MiB"
            if fraction > 0.001 {
                let left = elapsed / fraction - elapsed
                line += " \(Int(left))s left"
            }
        } else {
            line += "\(bytes >> 20) MiB"
        }
        line += " \(Int(rate)) pkt/s \u{1b}[K"
        sink.write(line)
        sink.flush()
        drawn = true
    }

    public func finish() {
        if drawn {
            sink.write("\r\u{1b}[K")
            sink.flush()
        }
    }
}
