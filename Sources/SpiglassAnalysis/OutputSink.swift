import Glibc

/// Where reports go. Text is appended to a buffer and written in large chunks: line-by-line
/// unbuffered writes would dominate the run time on big captures.
public protocol OutputSink: AnyObject {
    func write(_ text: String)
    func flush()
    /// Writes UTF-8 text that is already encoded (a parallel run's merged reports).
    func write(bytes: ArraySlice<UInt8>)
}

extension OutputSink {
    public func write(bytes: ArraySlice<UInt8>) { write(String(decoding: bytes, as: UTF8.self)) }
}

/// Buffered standard output (or standard error).
public final class FileDescriptorSink: OutputSink {
    private var buffer: [UInt8] = []
    private let descriptor: Int32
    private let lineBuffered: Bool
    public static let chunk = 64 << 10

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
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 {
                if written < 0 && errno == EINTR { continue }
                break  // a closed pipe: drop the output rather than spin
            }
            offset += written
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
