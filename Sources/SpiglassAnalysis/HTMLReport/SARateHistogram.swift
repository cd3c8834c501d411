import SpiglassCapture
import SpiglassESP

/// An SA's packets over time in a fixed number of buckets, for the report's sparklines: the
/// buckets start `initialWidth` wide from the SA's first packet, and when a packet falls past the
/// last bucket, neighbours merge pairwise and the width doubles, as often as needed. Its size never
/// grows with the capture; a packet costs an addition or two.
struct SARateHistogram {
    static let bucketCount = 48
    /// One millisecond, in units of `resolution`: a capture of a tenth of a second still shows
    /// its shape (a day takes 21 doublings).
    static func initialWidth(_ resolution: TimestampResolution) -> Int64 { resolution.unitsPerSecond / 1000 }

    struct Bucket {
        var packets: UInt32 = 0
        var bytes: UInt64 = 0
        /// ICV failures (ESP and AH).
        var failures: UInt32 = 0
        /// Packets a receiver's anti-replay window would drop as seen before.
        var replays: UInt32 = 0
        /// Packets that arrived after a later one (reordered), or too old for the window.
        var late: UInt32 = 0
        /// Sequence numbers skipped before a packet of this bucket (lost, or not captured).
        var skipped: UInt64 = 0

        mutating func add(_ other: Bucket) {
            packets &+= other.packets
            bytes &+= other.bytes
            failures &+= other.failures
            replays &+= other.replays
            late &+= other.late
            skipped &+= other.skipped
        }
    }

    /// The first packet's time, and the width of a bucket in units of `resolution` (the run's).
    let start: Timestamp
    let resolution: TimestampResolution
    private(set) var width: Int64
    private(set) var buckets = [Bucket](repeating: Bucket(), count: bucketCount)

    init(start: Timestamp, resolution: TimestampResolution) {
        self.start = start
        self.resolution = resolution
        width = SARateHistogram.initialWidth(resolution)
    }

    /// The bucket of `time`, after widening the buckets until it fits; a time before `start`
    /// (a capture whose clock went back) goes to the first.
    mutating func bucket(at time: Timestamp) -> Int {
        let offset = CaptureDuration(from: start, to: time, in: resolution).units
        guard offset > 0 else { return 0 }
        while offset / width >= Int64(SARateHistogram.bucketCount) {
            // Past the capture's possible span (2^63 units) there is nothing left to widen to.
            guard width <= Int64.max / 2 else { return SARateHistogram.bucketCount - 1 }
            merge()
        }
        return Int(offset / width)
    }

    private mutating func merge() {
        let half = SARateHistogram.bucketCount / 2
        for index in 0..<half {
            var pair = buckets[2 * index]
            pair.add(buckets[2 * index + 1])
            buckets[index] = pair
        }
        for index in half..<SARateHistogram.bucketCount { buckets[index] = Bucket() }
        width *= 2
    }

    mutating func add(at time: Timestamp, bytes: Int, failed: Bool, replay: ReplayWindow.Outcome?, skipped: UInt64) {
        let index = bucket(at: time)
        buckets[index].skipped &+= skipped
        buckets[index].packets &+= 1
        buckets[index].bytes &+= UInt64(max(bytes, 0))
        if failed { buckets[index].failures &+= 1 }
        switch replay {
        case .duplicate: buckets[index].replays &+= 1
        case .late, .tooOld: buckets[index].late &+= 1
        case .ok, nil: break
        }
    }
}
