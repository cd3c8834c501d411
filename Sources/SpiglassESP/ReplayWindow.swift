/// RFC 4303 3.4.3 anti-replay window, run as an observer: it classifies every sequence number
/// the way a receiver with this window would, and counts what the capture shows about the
/// path (duplicates, reordering, loss) without dropping anything.
public struct ReplayWindow: Sendable, Equatable {
    public enum Outcome: String, Sendable, Equatable {
        /// Higher than anything seen: the window moves forward.
        case ok
        /// Below the highest seen, inside the window, not seen before: reordered on the path.
        case late
        /// Seen before: a replay or a duplicated packet.
        case duplicate
        /// Below the window's left edge: a receiver would drop it unseen.
        case tooOld = "too-old"
    }

    /// Window size in packets (RFC 4303 recommends at least 32, default 64).
    public let size: Int
    /// Largest window accepted; bounds the bitmap whatever the user asks for.
    public static let maxSize = 4096

    public private(set) var first: UInt64?
    public private(set) var highest: UInt64 = 0
    /// Bit i of the bitmap set: sequence number `highest - i` was seen.
    private var bitmap: [UInt64]

    public private(set) var accepted = 0
    public private(set) var late = 0
    public private(set) var duplicates = 0
    public private(set) var tooOld = 0
    /// Gaps that left the window unfilled: packets that never arrived.
    public private(set) var lostBehindWindow = 0
    public private(set) var maxReorderDepth: UInt64 = 0

    public init(size: Int = 64) {
        self.size = min(max(size, 1), ReplayWindow.maxSize)
        bitmap = [UInt64](repeating: 0, count: (self.size + 63) / 64)
    }

    private func isSet(_ offset: UInt64) -> Bool {
        let index = Int(offset)
        return bitmap[index / 64] & (1 << UInt64(index % 64)) != 0
    }

    private mutating func set(_ offset: UInt64) {
        let index = Int(offset)
        bitmap[index / 64] |= 1 << UInt64(index % 64)
    }

    /// Number of positions `offset` in the window that are not set and lie at or after `first`.
    private func holes(from lowOffset: Int, through highOffset: Int) -> Int {
        guard let first, lowOffset <= highOffset else { return 0 }
        var count = 0
        for offset in lowOffset...highOffset {
            let sequence = highest &- UInt64(offset)
            if sequence >= first && sequence <= highest && !isSet(UInt64(offset)) { count += 1 }
            if UInt64(offset) >= highest { break }
        }
        return count
    }

    /// Shifts the window forward by `distance`, counting the holes that fall off its end.
    private mutating func advance(by distance: UInt64) {
        if distance >= UInt64(size) {
            lostBehindWindow += holes(from: 0, through: size - 1)
            // Sequence numbers skipped entirely (never inside the window) are lost too.
            lostBehindWindow += Int(min(distance - UInt64(size), UInt64(Int.max / 2)))
            for i in bitmap.indices { bitmap[i] = 0 }
            return
        }
        let shift = Int(distance)
        if bitmap.count == 1 {
            advanceOneWord(by: shift)
            return
        }
        lostBehindWindow += holes(from: size - shift, through: size - 1)
        // Shift the multi-word bitmap left by `shift` bits (bit 0 = highest).
        let words = shift / 64
        let bits = shift % 64
        for i in stride(from: bitmap.count - 1, through: 0, by: -1) {
            var value: UInt64 = 0
            if i - words >= 0 {
                value = bitmap[i - words] << UInt64(bits)
                if bits > 0 && i - words - 1 >= 0 { value |= bitmap[i - words - 1] >> UInt64(64 - bits) }
            }
            bitmap[i] = value
        }
        // Clear the bits past the window size.
        let excess = bitmap.count * 64 - size
        if excess > 0 { bitmap[bitmap.count - 1] &= ~UInt64(0) >> UInt64(excess) }
    }

    /// `advance` for a window of at most 64 (the default), whose bitmap is one word: the holes
    /// that fall off are counted with one mask instead of bit by bit, on every packet that
    /// moves the window. `shift` is below `size`.
    private mutating func advanceOneWord(by shift: Int) {
        let word = bitmap[0]
        // Positions size - shift ... size - 1 fall off; those past `highest - first` are
        // before the first packet and no hole.
        let last = UInt64(size - 1)
        let reach = min(last, highest &- (first ?? highest))
        let low = UInt64(size - shift)
        if low <= reach {
            let width = reach - low + 1
            let mask = (width == 64 ? ~UInt64(0) : (UInt64(1) << width) - 1) << low
            // Most packets leave no hole: the count (no popcnt in the baseline ISA) only then.
            let missing = ~word & mask
            if missing != 0 { lostBehindWindow += missing.nonzeroBitCount }
        }
        let kept = size == 64 ? ~UInt64(0) : (UInt64(1) << UInt64(size)) - 1
        bitmap[0] = (word << UInt64(shift)) & kept
    }

    /// Classifies `sequence` and updates the window as a receiver would after the packet
    /// authenticated.
    public mutating func record(_ sequence: UInt64) -> Outcome {
        guard first != nil else {
            first = sequence
            highest = sequence
            set(0)
            accepted += 1
            return .ok
        }
        if sequence > highest {
            advance(by: sequence - highest)
            highest = sequence
            set(0)
            accepted += 1
            return .ok
        }
        let offset = highest - sequence
        if offset >= UInt64(size) {
            tooOld += 1
            return .tooOld
        }
        if isSet(offset) {
            duplicates += 1
            return .duplicate
        }
        set(offset)
        late += 1
        maxReorderDepth = max(maxReorderDepth, offset)
        return .late
    }

    /// Sequence numbers between the first and the highest that never arrived: the holes that
    /// left the window plus those still open in it.
    public var lost: Int {
        lostBehindWindow + holes(from: 0, through: size - 1)
    }
}
