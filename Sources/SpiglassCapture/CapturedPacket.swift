/// A capture timestamp: seconds and nanoseconds since 1970, and the resolution of the input
/// that stamped it (a microsecond pcap, a nanosecond pcap, a pcapng interface's if_tsresol), so
/// that reports show as many decimals as the capture holds, as tshark does.
///
/// Capture files come from anywhere: a pcapng interface may count time in seconds with 64-bit
/// values, and a pcap record's fraction field may hold anything up to 0xffffffff. So the
/// nanoseconds are kept in 0..<1,000,000,000 (`normalised`), and every quantity derived from a
/// timestamp saturates instead of trapping. Two timestamps of the same instant are equal
/// whatever their resolutions.
public struct Timestamp: Sendable, Comparable, Hashable {
    public var seconds: Int64
    /// 0..<1,000,000,000; a whole number of microseconds at microsecond resolution.
    public var nanoseconds: Int32
    /// (Fits in the padding after `nanoseconds`: the value is as large as before it was kept.)
    public var resolution: TimestampResolution

    public init(seconds: Int64, microseconds: Int32) {
        self.seconds = seconds
        self.nanoseconds = microseconds &* 1000
        self.resolution = .microseconds
    }

    public init(seconds: Int64, nanoseconds: Int32, resolution: TimestampResolution = .nanoseconds) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.resolution = resolution
    }

    /// The whole microseconds of `nanoseconds`.
    public var microseconds: Int32 { nanoseconds / 1000 }

    /// The timestamp of a capture record whose microseconds field may be out of range: whole
    /// seconds in it are carried into `seconds` (saturating), so that the microseconds end up in
    /// 0..<1,000,000. `carried` says whether the field was out of range.
    public static func normalised(seconds: Int64, microseconds: Int64) -> (timestamp: Timestamp, carried: Bool) {
        let (whole, rest, carried) = carry(seconds: seconds, fraction: microseconds, in: .microseconds)
        return (Timestamp(seconds: whole, microseconds: Int32(rest)), carried)
    }

    /// `normalised(seconds:microseconds:)` for a record whose field counts nanoseconds.
    public static func normalised(seconds: Int64, nanoseconds: Int64) -> (timestamp: Timestamp, carried: Bool) {
        let (whole, rest, carried) = carry(seconds: seconds, fraction: nanoseconds, in: .nanoseconds)
        return (Timestamp(seconds: whole, nanoseconds: Int32(rest)), carried)
    }

    /// Whole seconds of `fraction` (units of `resolution`) carried into `seconds` (saturating), the
    /// rest in 0..<`resolution.unitsPerSecond`.
    @inline(__always)
    private static func carry(seconds: Int64, fraction: Int64, in resolution: TimestampResolution) -> (
        Int64, Int64, Bool
    ) {
        let unitsPerSecond = resolution.unitsPerSecond
        guard fraction < 0 || fraction >= unitsPerSecond else { return (seconds, fraction, false) }
        // Floor division, so that a negative field borrows from the seconds.
        var carry = fraction / unitsPerSecond
        var rest = fraction % unitsPerSecond
        if rest < 0 {
            carry -= 1
            rest += unitsPerSecond
        }
        let (sum, overflow) = seconds.addingReportingOverflow(carry)
        return (overflow ? (carry > 0 ? Int64.max : Int64.min) : sum, rest, true)
    }

    /// The last second whose microsecond count fits in an Int64.
    public static let maxWholeSeconds = Int64.max / TimestampResolution.microseconds.unitsPerSecond

    /// Microseconds since 1970 (a nanosecond time's are cut). Saturates: seconds beyond
    /// ±`maxWholeSeconds` count as that many.
    // The counts below (and in `isRFC3339Representable`) stay literals: these are read for every
    // frame from other modules, and through `TimestampResolution.unitsPerSecond` they were no
    // longer inlined there (callgrind: 25 more instructions a frame).
    public var totalMicroseconds: Int64 { total(unitsPerSecond: 1_000_000, fraction: Int64(microseconds)) }

    /// Nanoseconds since 1970: the years 1678 to 2262 fit; times beyond saturate.
    public var totalNanoseconds: Int64 { total(unitsPerSecond: 1_000_000_000, fraction: Int64(nanoseconds)) }

    /// Units of `resolution` since 1970, saturating (`totalMicroseconds`, `totalNanoseconds`).
    @inline(__always)
    public func total(in resolution: TimestampResolution) -> Int64 {
        resolution == .microseconds ? totalMicroseconds : totalNanoseconds
    }

    @inline(__always)
    private func total(unitsPerSecond: Int64, fraction: Int64) -> Int64 {
        let limit = Int64.max / unitsPerSecond
        let clamped = min(max(seconds, -limit), limit)
        let (total, overflow) = (clamped * unitsPerSecond).addingReportingOverflow(fraction)
        return overflow ? (fraction > 0 ? .max : .min) : total
    }

    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the seconds an RFC 3339 time (a
    /// four-digit year) can express.
    public static let rfc3339Seconds: ClosedRange<Int64> = -62_167_219_200...253_402_300_799

    /// Whether RFC 3339 can write this time: a year from 0000 to 9999 and a fraction in range.
    public var isRFC3339Representable: Bool {
        // Checked per frame: a literal, as in `totalMicroseconds`.
        Timestamp.rfc3339Seconds.contains(seconds) && (0..<1_000_000_000).contains(nanoseconds)
    }

    public static func == (a: Timestamp, b: Timestamp) -> Bool {
        a.seconds == b.seconds && a.nanoseconds == b.nanoseconds
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(seconds)
        hasher.combine(nanoseconds)
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }
}

/// Metadata of the packet last read. The bytes live in the reader's reused buffer.
public struct PacketHeader: Sendable, Equatable {
    public var timestamp: Timestamp
    /// Bytes captured (what the buffer holds).
    public var capturedLength: Int
    /// Length on the wire; larger than `capturedLength` when the snap length cut the packet.
    public var originalLength: Int
    /// The record's fraction field (microseconds, or nanoseconds at `timestamp.resolution`)
    /// when it was outside 0..<1 s: its whole seconds were carried into `timestamp`
    /// (`Timestamp.normalised`). Nil for a sound record.
    public var outOfRangeFraction: Int64?
    /// Which input of a `CaptureStream` the packet came from (0 for a single reader), and its
    /// 1-based number in that input (0 when read from a reader directly).
    public var source = 0
    public var sourceFrame = 0
    /// The `-f` filter rejected the packet (`CaptureReader.setFilter`): it counts as a frame of
    /// the capture, but its bytes were not copied (`capturedLength` is 0) and it is not analysed.
    public var excludedByFilter = false

    public init(
        timestamp: Timestamp, capturedLength: Int, originalLength: Int, outOfRangeFraction: Int64? = nil,
        source: Int = 0, sourceFrame: Int = 0, excludedByFilter: Bool = false
    ) {
        self.timestamp = timestamp
        self.capturedLength = capturedLength
        self.originalLength = originalLength
        self.outOfRangeFraction = outOfRangeFraction
        self.source = source
        self.sourceFrame = sourceFrame
        self.excludedByFilter = excludedByFilter
    }
}
