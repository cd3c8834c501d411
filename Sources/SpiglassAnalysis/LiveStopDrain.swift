/// How a live capture ends once a stop is asked for (a signal, `--duration`): what the kernel
/// already holds is still read. libpcap's TPACKET_V3 ring hands frames over in blocks that the
/// kernel retires when full or after the read timeout, so ending the reading at once would lose
/// the frames of the last tens of milliseconds, which the summary's "received by filter" counts.
/// The reading ends after three empty reads in a row (the ring found empty, then empty again
/// after waiting a read timeout for the last block), or after `longest` seconds on a link that
/// never falls quiet.
struct LiveStopDrain {
    static let longest = 0.25

    private var until: Double?
    private var emptyReads = 0

    /// Between two reads: whether the reading ends now. `stop` says a stop was asked for or the
    /// deadline passed; `empty` that the last read found no frame.
    mutating func ends(stop: Bool, empty: Bool, now: Double = ProgressReporter.now()) -> Bool {
        guard let until else {
            if stop { self.until = now + Self.longest }
            emptyReads = empty ? 1 : 0
            return false
        }
        emptyReads = empty ? emptyReads + 1 : 0
        return emptyReads >= 3 || now >= until
    }
}
