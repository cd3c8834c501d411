/// How finely an input counts time: a pcap's magic (a1b2c3d4 microseconds, a1b23c4d
/// nanoseconds), a pcapng interface's if_tsresol, or what libpcap gives a live capture. Spiglass
/// keeps what the capture holds and no more: inputs coarser than a microsecond count as
/// microseconds (as they always did), finer ones as nanoseconds (libpcap's finest).
public enum TimestampResolution: UInt8, Sendable, Comparable {
    case microseconds
    case nanoseconds

    /// Decimals a time of this resolution is shown with: 6 or 9, as tshark shows them.
    public var digits: Int { self == .microseconds ? 6 : 9 }

    /// Units of this resolution in a second: the one place the two counts are written.
    public var unitsPerSecond: Int64 { self == .microseconds ? 1_000_000 : 1_000_000_000 }

    /// The finer of the two: what a time computed from both is known to.
    public static func finer(_ a: TimestampResolution, _ b: TimestampResolution) -> TimestampResolution { max(a, b) }

    /// The resolution of a pcapng if_tsresol value: units of 10^-n seconds, or of 2^-n with the
    /// top bit set. Finer than a microsecond is nanoseconds (2^-20 s is 0.95 µs).
    public init(pcapngTimestampResolution value: UInt8) {
        let exponent = value & 0x7F
        let finer = value & 0x80 == 0 ? exponent > 6 : exponent >= 20
        self = finer ? .nanoseconds : .microseconds
    }

    public static func < (a: TimestampResolution, b: TimestampResolution) -> Bool { a.rawValue < b.rawValue }
}

extension [CaptureStream.Source] {
    /// The finest resolution among the inputs: a -w file of theirs keeps every input's times.
    public var finestTimestampResolution: TimestampResolution {
        lazy.map(\.timestampResolution).max() ?? .microseconds
    }
}
