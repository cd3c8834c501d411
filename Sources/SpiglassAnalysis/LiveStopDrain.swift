/// How a live capture ends once a stop is asked for (a signal, `--duration`): what the kernel
/// already holds is still read. libpcap's TPACKET_V3 ring hands frames over in blocks that the
/// kernel retires when full or after the read timeout (50 ms), so ending the reading at once
/// would lose the frames of the last tens of milliseconds, which the summary's "received by
/// filter" counts. The reading ends at the first read that finds the ring empty once `quiet`
/// has passed since the stop (two read timeouts: the last block has been handed over by then),
/// or after `longest` on a link that never falls quiet.
struct LiveStopDrain {
    static let quiet = 0.1
    static let longest = 0.25

    private var stoppedAt: Double?

    /// Between two reads: whether the reading ends now. `stop` says a stop was asked for or the
    /// deadline passed; `empty` that the last read found no frame.
    mutating func ends(stop: Bool, empty: Bool, now: Double = ProgressReporter.now()) -> Bool {
        guard let stoppedAt else {
            if stop { self.stoppedAt = now }
            return false
        }
        let waited = now - stoppedAt
        return waited >= Self.longest || (empty && waited >= Self.quiet)
    }
}
