import SpiglassWire

/// Recognises, within one ESP or AH flow, the second copy of a packet that the capture itself
/// saw twice: the same packet on two interfaces, a SPAN port that mirrors both directions, a
/// capture merged with itself. Such a copy has the same bytes at (nearly) the same instant; a
/// real replay comes later and is left to the anti-replay window.
///
/// A packet is known by its sequence number, length and last 16 bytes (for an SA with an ICV,
/// the ICV, which covers everything before it; otherwise the end of the ciphertext): its flow
/// already fixes the SPI and addresses. The last packets are kept in 8 slots chosen by the
/// sequence number, so the check costs a few compares and no allocation after the first; a
/// copy that comes after 8 or more newer packets of its flow is left to the anti-replay window.
/// Per flow, so that a parallel run (where a flow's packets all reach one worker) judges
/// exactly as a single thread does.
struct CaptureDuplicateFilter: Sendable {
    private struct Entry: Sendable {
        var sequence: UInt32 = 0
        var length = 0
        /// The packet's last 16 bytes, as two words.
        var tail: (UInt64, UInt64) = (0, 0)
        var time: Int64 = 0
        /// 0: empty.
        var frame = 0
    }

    static let slots = 8
    /// Made on the flow's first packet.
    private var entries: [Entry] = []

    /// The frame that already held this packet less than `window` microseconds away (0 turns
    /// the check off); nil for a first sighting (then remembered). `bytes[range]` is the ESP
    /// packet, or the AH header and what follows it.
    mutating func original(
        of bytes: [UInt8], range: Range<Int>, sequence: UInt32, time: Int64, frame: Int, window: Int64
    ) -> Int? {
        // Time 0 (the epoch, as test captures stripped of their times carry) says nothing about
        // when: such copies are left to the anti-replay window.
        guard window > 0, time != 0, range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        if entries.isEmpty { entries = [Entry](repeating: Entry(), count: CaptureDuplicateFilter.slots) }
        let tail = CaptureDuplicateFilter.tail(bytes, range)
        let slot = Int(sequence % UInt32(CaptureDuplicateFilter.slots))
        let entry = entries[slot]
        if entry.frame != 0 && entry.sequence == sequence && entry.length == range.count && entry.tail == tail {
            let apart = time &- entry.time
            // A copy does not replace what it copies: a third copy is the first one's too.
            if apart < window && apart > -window { return entry.frame }
        }
        entries[slot] = Entry(sequence: sequence, length: range.count, tail: tail, time: time, frame: frame)
        return nil
    }

    /// The last 16 bytes of `bytes[range]` (zeros before a shorter range's bytes).
    private static func tail(_ bytes: [UInt8], _ range: Range<Int>) -> (UInt64, UInt64) {
        if range.count >= 16 {
            return bytes.withUnsafeBytes { raw in
                (
                    raw.loadUnaligned(fromByteOffset: range.upperBound - 16, as: UInt64.self),
                    raw.loadUnaligned(fromByteOffset: range.upperBound - 8, as: UInt64.self)
                )
            }
        }
        var words: (UInt64, UInt64) = (0, 0)
        for index in range {
            let position = index - range.lowerBound
            if position < 8 {
                words.0 |= UInt64(bytes[index]) << (8 * position)
            } else {
                words.1 |= UInt64(bytes[index]) << (8 * (position - 8))
            }
        }
        return words
    }
}
