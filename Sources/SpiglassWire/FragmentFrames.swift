/// The frames a reassembled datagram was rebuilt from, as its fragments arrived: the first
/// `maxListed` frame numbers and how many fragments there were, so that a datagram of hundreds
/// of fragments costs no more to carry than one of a few.
public struct FragmentFrames: Sendable, Equatable {
    /// Frame numbers of the first fragments, in arrival order (at most `maxListed`).
    public private(set) var listed: [Int] = []
    /// Fragments in all (each counted once: an identical retransmission is not one more).
    public private(set) var count = 0

    public static let maxListed = 8

    public init() {}

    public mutating func add(_ frame: Int) {
        count += 1
        if listed.count < FragmentFrames.maxListed { listed.append(frame) }
    }

    /// Empties it, keeping the storage for the next datagram.
    mutating func removeAll() {
        listed.removeAll(keepingCapacity: true)
        count = 0
    }
}
