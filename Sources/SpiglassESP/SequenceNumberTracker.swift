/// Infers the high 32 bits of extended sequence numbers from the low 32 on the wire, as in
/// RFC 4303 Appendix A2.2, and keeps the highest authenticated number seen.
public struct SequenceNumberTracker: Sendable, Equatable {
    /// Anti-replay window size the inference assumes (RFC 4303 suggests 64 as the default).
    public var window: UInt32
    /// Highest sequence number authenticated so far (T in the RFC), or nil before the first.
    public private(set) var highest: UInt64?

    public init(initialHigh: UInt32 = 0, window: UInt32 = 64) {
        self.window = max(window, 1)
        self.highest = initialHigh == 0 ? nil : UInt64(initialHigh) << 32
    }

    /// The high 32 bits to try for low bits `low`, most likely first: the RFC's choice, then
    /// its neighbours, for captures that start mid-stream or lose many packets.
    public func candidates(low: UInt32) -> (UInt32, UInt32, UInt32) {
        guard let t = highest else { return (0, 1, 0) }
        let th = UInt32(t >> 32)
        let tl = UInt32(truncatingIfNeeded: t)
        let w = window
        let guess: UInt32
        if tl >= w - 1 {
            // Case A: the window lies within one high half.
            guess = low >= tl &- w &+ 1 ? th : th &+ 1
        } else {
            // Case B: the window spans a wrap of the low half.
            guess = low >= tl &- w &+ 1 ? th &- 1 : th
        }
        return (guess, guess &+ 1, guess &- 1)
    }

    /// The high half of the ESN of a packet whose low half is `low`: each candidate in turn,
    /// the RFC's guess first, until `verifies` says the ICV checks under it (RFC 4303 2.2.1 and
    /// RFC 4302 2.5.1 put the high half in the ICV only, so only the ICV can tell). Returns the
    /// candidate that verified, or the RFC's guess with `verified` false. ESP and AH both search
    /// this way; the caller accepts the number once it is authenticated.
    public func searchHigh(low: UInt32, verifies: (UInt32) -> Bool) -> (high: UInt32, verified: Bool) {
        let (first, second, third) = candidates(low: low)
        if verifies(first) { return (first, true) }
        if second != first && verifies(second) { return (second, true) }
        if third != first && third != second && verifies(third) { return (third, true) }
        return (first, false)
    }

    /// Records an authenticated packet's full sequence number.
    public mutating func accept(_ sequence: UInt64) {
        if highest == nil || sequence > highest! { highest = sequence }
    }
}
