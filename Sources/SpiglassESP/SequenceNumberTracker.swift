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

    /// Records an authenticated packet's full sequence number.
    public mutating func accept(_ sequence: UInt64) {
        if highest == nil || sequence > highest! { highest = sequence }
    }
}
