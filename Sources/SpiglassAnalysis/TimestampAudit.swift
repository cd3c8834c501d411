import SpiglassCapture

/// Notices the timestamps only a damaged or crafted capture holds, and says so once per run
/// for each kind: a microseconds (nanoseconds) field outside 0-999,999 (0-999,999,999) (carried into the seconds when the
/// record was read; libpcap hands a pcap's field over as a signed 32-bit number), and a time RFC 3339 cannot write (a year outside 0000-9999), which the
/// reports show as an invalid time (JSON null) and from which relative times saturate.
/// A single-threaded run audits in `Analyzer.process`, a parallel one in its reader, which sees
/// every frame, so that both raise the same warnings at the same frames.
struct TimestampAudit {
    private var carryReported = false
    private var rangeReported = false

    /// Warnings for frame `frame`, at most one of each kind per run.
    mutating func check(_ header: PacketHeader, frame: Int) -> [RunWarning] {
        guard !(carryReported && rangeReported) else { return [] }
        var warnings: [RunWarning] = []
        if !carryReported, let field = header.outOfRangeFraction {
            carryReported = true
            warnings.append(.timestampFraction(frame: frame, field: field, resolution: header.timestamp.resolution))
        }
        if !rangeReported, !header.timestamp.isRFC3339Representable {
            rangeReported = true
            warnings.append(.timestampOutOfRange(frame: frame, seconds: header.timestamp.seconds))
        }
        return warnings
    }
}
