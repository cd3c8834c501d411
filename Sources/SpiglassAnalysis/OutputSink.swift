import Glibc

/// Where reports go. Text is appended to a buffer and written in large chunks: line-by-line
/// unbuffered writes would dominate the run time on big captures.
public protocol OutputSink: AnyObject {
    func write(_ text: String)
    func flush()
    /// Writes UTF-8 text that is already encoded (a parallel run's merged reports).
    func write(bytes: ArraySlice<UInt8>)
    /// Why the output stopped short (a failed write), or nil.
    var failure: String? { get }
}

extension OutputSink {
    public func write(bytes: ArraySlice<UInt8>) { write(String(decoding: bytes, as: UTF8.self)) }
    public var failure: String? { nil }
}

/// Buffered standard output (or standard error). A failed write (a full disk, /dev/full, an
/// I/O error) is kept in `failure` and what follows is dropped; a reader that went away (EPIPE,
/// when SIGPIPE is ignored) ends the output quietly, as `head` expects.
public final class FileDescriptorSink: OutputSink {
    private var buffer: [UInt8] = []
    private let descriptor: Int32
    private let lineBuffered: Bool
    public static let chunk = 64 << 10
    /// Why the output stopped, as "cannot write to standard output: No space left on device".
    public private(set) var failure: String? = nil
    /// True once writing stopped (a failure, or the reader went away).
    public private(set) var stopped = false

    public init(descriptor: Int32 = 1, lineBuffered: Bool = false) {
        self.descriptor = descriptor
        self.lineBuffered = lineBuffered
        buffer.reserveCapacity(FileDescriptorSink.chunk + 4096)
    }

    deinit { flush() }

    public func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if lineBuffered || buffer.count >= FileDescriptorSink.chunk { flush() }
    }

    public func write(bytes: ArraySlice<UInt8>) {
        buffer.append(contentsOf: bytes)
        if lineBuffered || buffer.count >= FileDescriptorSink.chunk { flush() }
    }

    public func flush() {
        var offset = 0
        while offset < buffer.count && !stopped {
            let written = buffer.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset)
            }
            if written > 0 {
                offset += written
                continue
            }
            if written < 0 && errno == EINTR { continue }
            stopped = true
            if written < 0 && errno == EPIPE { break }
            let reason = written < 0 ? String(cString: strerror(errno)) : "nothing was written"
            let name =
                descriptor == 1 ? "standard output" : descriptor == 2 ? "standard error" : "descriptor \(descriptor)"
            failure = "cannot write to \(name): \(reason)"
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Collects output in memory, for tests.
public final class StringSink: OutputSink {
    public private(set) var text = ""
    public init() {}
    public func write(_ text: String) { self.text += text }
    public func flush() {}
    public var lines: [Substring] { text.split(separator: "\n") }
}
