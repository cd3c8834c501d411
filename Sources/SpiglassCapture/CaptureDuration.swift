/// The time from one capture timestamp to another, counted in the finer of their resolutions:
/// a round trip or a lifetime of a nanosecond capture keeps its nanoseconds, one of a
/// microsecond capture counts microseconds as it always did. Timestamps come from files anyone
/// can write, so the difference saturates at the ends of Int64 instead of trapping.
public struct CaptureDuration: Sendable, Equatable {
    /// Microseconds or nanoseconds, as `resolution` says.
    public var units: Int64
    public var resolution: TimestampResolution

    public init(units: Int64, resolution: TimestampResolution) {
        self.units = units
        self.resolution = resolution
    }

    /// `end - start` in the finer of their resolutions, saturated.
    public init(from start: Timestamp, to end: Timestamp) {
        self.init(from: start, to: end, in: .finer(start.resolution, end.resolution))
    }

    /// `end - start` counted in `resolution` (a finer time's further digits cut), saturated:
    /// durations of a run of several inputs drawn on one scale.
    public init(from start: Timestamp, to end: Timestamp, in resolution: TimestampResolution) {
        self.resolution = resolution
        let last = end.total(in: resolution)
        let first = start.total(in: resolution)
        let (difference, overflow) = last.subtractingReportingOverflow(first)
        units = overflow ? (last > first ? .max : .min) : difference
    }
}
