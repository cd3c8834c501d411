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

    public init(timestamp: Timestamp, capturedLength: Int, originalLength: Int) {
        self.timestamp = timestamp
        self.capturedLength = capturedLength
        self.originalLength = originalLength
    }
}
