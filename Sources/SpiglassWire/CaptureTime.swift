/// Arithmetic on capture times (microseconds since 1970). They come from capture files anyone
/// can write, so differences saturate at the ends of Int64 instead of trapping.
public enum CaptureTime {
    /// `end - start`, saturated.
    @inline(__always)
    public static func elapsed(from start: Int64, to end: Int64) -> Int64 {
        let (difference, overflow) = end.subtractingReportingOverflow(start)
        guard overflow else { return difference }
        return end > start ? .max : .min
    }
}
