/// The datagrams of the last moments, byte for byte, to recognise one that a capture holds
/// twice (two interfaces, a SPAN port, a capture merged with itself): the same bytes at (nearly)
/// the same instant. For the rare kinds of datagram (IKE messages, IP fragments); ESP and AH
/// are recognised per flow. Both the count and the bytes held are bounded: past them the
/// oldest is forgotten, and a copy of it then passes for a new datagram, as if this did not
/// exist.
public struct RecentCopies: Sendable {
    private struct Entry: Sendable {
        var time: Int64
        var frame: Int
        var bytes: [UInt8]
    }

    public static let maxEntries = 256
    public static let maxBytes = 1 << 20

    private var entries: [Entry] = []
    private var bytesHeld = 0

    public init() {}

    /// The frame that held the same `identity` and `bytes[range]` less than `window`
    /// microseconds from `time` (0 turns the check off), or nil (and then this one is remembered). `identity` holds
    /// what must match besides the bytes (addresses, IDs): the caller's choice.
    public mutating func original(
        identity: [UInt8], bytes: [UInt8], range: Range<Int>, time: Int64, frame: Int, window: Int64
    ) -> Int? {
        // Time 0 (the epoch, as test captures stripped of their times carry) says nothing about
        // when: identical datagrams there are not taken for copies.
        guard window >= 0, time != 0, range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        // Older than the window behind this one: gone for good (times barely go backwards).
        entries.removeAll { entry in
            let stale = entry.time < time &- window
            if stale { bytesHeld -= entry.bytes.count }
            return stale
        }
        let size = identity.count + range.count
        for entry in entries
        where entry.bytes.count == size && entry.bytes[..<identity.count].elementsEqual(identity)
            && entry.bytes[identity.count...].elementsEqual(bytes[range])
        {
            let apart = time &- entry.time
            if apart < window && apart > -window { return entry.frame }
        }
        guard size <= RecentCopies.maxBytes else { return nil }
        while !entries.isEmpty && (entries.count >= RecentCopies.maxEntries || bytesHeld + size > RecentCopies.maxBytes)
        {
            bytesHeld -= entries.removeFirst().bytes.count
        }
        // A copy of the datagram alone: `bytes` may be a whole reused frame buffer.
        var copy = identity
        copy.append(contentsOf: bytes[range])
        entries.append(Entry(time: time, frame: frame, bytes: copy))
        bytesHeld += size
        return nil
    }
}

extension RecentCopies {
    /// What makes an IP fragment the same fragment besides its payload: addresses, ID, offset,
    /// more-fragments flag and protocol (not the TTL or checksum, which a router between two
    /// capture points changes).
    public static func fragmentIdentity(_ ip: IPLayer, _ fragment: FragmentInfo) -> [UInt8] {
        var identity = ip.source.bytes + ip.destination.bytes
        withUnsafeBytes(of: fragment.identification.bigEndian) { identity.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: fragment.offset).bigEndian) { identity.append(contentsOf: $0) }
        identity.append(fragment.moreFragments ? 1 : 0)
        identity.append(fragment.payloadProtocol)
        return identity
    }

    /// The frame that already held this IP fragment, within `window`; see `original`.
    public mutating func original(fragment ip: IPLayer, bytes: [UInt8], time: Int64, frame: Int, window: Int64) -> Int?
    {
        guard let fragment = ip.fragment else { return nil }
        return original(
            identity: RecentCopies.fragmentIdentity(ip, fragment), bytes: bytes, range: ip.headerEnd..<ip.end,
            time: time,
            frame: frame, window: window)
    }
}
