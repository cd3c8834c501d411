/// A capture timestamp with microsecond resolution, as libpcap hands it out.
///
/// Capture files come from anywhere: a pcapng interface may count time in seconds with 64-bit
/// values, and a pcap record's microseconds field may hold anything up to 0xffffffff. So the
/// microseconds are kept in 0..<1,000,000 (`normalised`), and every quantity derived from a
/// timestamp saturates instead of trapping.
public struct Timestamp: Sendable, Equatable, Comparable, Hashable {
    public var seconds: Int64
    public var microseconds: Int32

    public init(seconds: Int64, microseconds: Int32) {
        self.seconds = seconds
        self.microseconds = microseconds
    }

    /// The timestamp of a capture record whose microseconds field may be out of range: whole
    /// seconds in it are carried into `seconds` (saturating), so that the microseconds end up in
    /// 0..<1,000,000. `carried` says whether the field was out of range.
    public static func normalised(seconds: Int64, microseconds: Int64) -> (timestamp: Timestamp, carried: Bool) {
        guard microseconds < 0 || microseconds >= 1_000_000 else {
            return (Timestamp(seconds: seconds, microseconds: Int32(microseconds)), false)
        }
        // Floor division, so that a negative field borrows from the seconds.
        var carry = microseconds / 1_000_000
        var rest = microseconds % 1_000_000
        if rest < 0 {
            carry -= 1
            rest += 1_000_000
        }
        let (sum, overflow) = seconds.addingReportingOverflow(carry)
        let whole = overflow ? (carry > 0 ? Int64.max : Int64.min) : sum
        return (Timestamp(seconds: whole, microseconds: Int32(rest)), true)
    }

    /// The last second whose microsecond count fits in an Int64.
    public static let maxWholeSeconds = Int64.max / 1_000_000

    /// Microseconds since 1970. Saturates: seconds beyond ±`maxWholeSeconds` count as that many.
    public var totalMicroseconds: Int64 {
        let clamped = min(max(seconds, -Timestamp.maxWholeSeconds), Timestamp.maxWholeSeconds)
        let (total, overflow) = (clamped * 1_000_000).addingReportingOverflow(Int64(microseconds))
        return overflow ? (microseconds > 0 ? .max : .min) : total
    }

    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the seconds an RFC 3339 time (a
    /// four-digit year) can express.
    public static let rfc3339Seconds: ClosedRange<Int64> = -62_167_219_200...253_402_300_799

    /// Whether RFC 3339 can write this time: a year from 0000 to 9999 and microseconds in range.
    public var isRFC3339Representable: Bool {
        Timestamp.rfc3339Seconds.contains(seconds) && (0..<1_000_000).contains(microseconds)
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        (a.seconds, a.microseconds) < (b.seconds, b.microseconds)
    }
}

/// Metadata of the packet last read. The bytes live in the reader's reused buffer.
public struct PacketHeader: Sendable, Equatable {
    public var timestamp: Timestamp
    /// Bytes captured (what the buffer holds).
    public var capturedLength: Int
    /// Length on the wire; larger than `capturedLength` when the snap length cut the packet.
    public var originalLength: Int
    /// The record's microseconds field when it was outside 0..<1,000,000: its whole seconds
    /// were carried into `timestamp` (`Timestamp.normalised`). Nil for a sound record.
    public var outOfRangeMicroseconds: Int64?
    /// Which input of a `CaptureStream` the packet came from (0 for a single reader), and its
    /// 1-based number in that input (0 when read from a reader directly).
    public var source = 0
    public var sourceFrame = 0
    /// The `-f` filter rejected the packet (`CaptureReader.setFilter`): it counts as a frame of
    /// the capture, but its bytes were not copied (`capturedLength` is 0) and it is not analysed.
    public var excludedByFilter = false

    public init(
        timestamp: Timestamp, capturedLength: Int, originalLength: Int, outOfRangeMicroseconds: Int64? = nil,
        source: Int = 0, sourceFrame: Int = 0, excludedByFilter: Bool = false
    ) {
        self.timestamp = timestamp
        self.capturedLength = capturedLength
        self.originalLength = originalLength
        self.outOfRangeMicroseconds = outOfRangeMicroseconds
        self.source = source
        self.sourceFrame = sourceFrame
        self.excludedByFilter = excludedByFilter
    }
}
