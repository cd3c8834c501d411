/// A capture timestamp with microsecond resolution, as libpcap hands it out.
public struct Timestamp: Sendable, Equatable, Comparable, Hashable {
    public var seconds: Int64
    public var microseconds: Int32

    public init(seconds: Int64, microseconds: Int32) {
        self.seconds = seconds
        self.microseconds = microseconds
    }

    public var totalMicroseconds: Int64 { seconds &* 1_000_000 &+ Int64(microseconds) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.totalMicroseconds < b.totalMicroseconds }
}

/// Metadata of the packet last read. The bytes live in the reader's reused buffer.
public struct PacketHeader: Sendable, Equatable {
    public var timestamp: Timestamp
    /// Bytes captured (what the buffer holds).
    public var capturedLength: Int
    /// Length on the wire; larger than `capturedLength` when the snap length cut the packet.
    public var originalLength: Int
    /// Which input of a `CaptureStream` the packet came from (0 for a single reader), and its
    /// 1-based number in that input (0 when read from a reader directly).
    public var source = 0
    public var sourceFrame = 0

    public init(timestamp: Timestamp, capturedLength: Int, originalLength: Int, source: Int = 0, sourceFrame: Int = 0) {
        self.timestamp = timestamp
        self.capturedLength = capturedLength
        self.originalLength = originalLength
        self.source = source
        self.sourceFrame = sourceFrame
    }
}
