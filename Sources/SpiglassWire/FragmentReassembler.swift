/// Reassembles IPv4 and IPv6 fragments into whole datagrams, within hard bounds so that a
/// capture full of fragments cannot grow memory or time without limit.
///
/// Every fragment costs amortised O(1) besides its own datagram's pieces: datagrams wait in a
/// queue in the order they were first seen, and both the timeout and the eviction of the
/// oldest look at its head only. Time here is the latest capture time seen (a capture whose
/// timestamps go back does not make datagrams younger), so that order is also the order of
/// their first-seen times.
public final class FragmentReassembler {
    public struct Limits: Sendable {
        /// Datagrams waiting for more fragments; the oldest is evicted past this.
        public var maxPendingDatagrams = 1024
        /// Bytes held across all pending datagrams.
        public var maxPendingBytes = 16 << 20
        /// Fragments per datagram; a 64 KiB datagram in 8-byte pieces would need 8192.
        public var maxFragmentsPerDatagram = 256
        /// A datagram not completed within this much capture time is dropped (RFC 791 uses
        /// 15 s as a lower bound, Linux 30 s; 60 s tolerates slow captures).
        public var timeoutMicroseconds: Int64 = 60_000_000

        public init() {}
    }

    public enum Outcome: Equatable {
        /// Held; waiting for the rest.
        case pending
        /// The datagram is complete: a whole IP packet, fragment headers removed, and the
        /// frames its fragments came in.
        case complete([UInt8], fragments: FragmentFrames)
        /// The fragment was thrown away, with the reason.
        case dropped(String)
    }

    struct Key: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var identification: UInt32
        var protocolNumber: UInt8
        var version: UInt8

        /// The fields packed into as few words as keep them distinct (two for IPv4), so that
        /// hashing costs little; the synthesized hash walks the enums field by field.
        func hash(into hasher: inout Hasher) {
            let tail = UInt64(identification) << 16 | UInt64(protocolNumber) << 8 | UInt64(version)
            switch (source, destination) {
            case (.v4(let s), .v4(let d)):
                hasher.combine(UInt64(s) << 32 | UInt64(d))
            case (.v6(let sh, let sl), .v6(let dh, let dl)):
                hasher.combine(sh)
                hasher.combine(sl)
                hasher.combine(dh)
                hasher.combine(dl)
            default:
                hasher.combine(source)
                hasher.combine(destination)
            }
            hasher.combine(tail)
        }
    }

    /// One datagram being put together, in a slot of `slots` that is reused once it is done (its
    /// buffers keep their capacity, so a flood of fragments does not allocate per datagram).
    struct Slot {
        var key: Key
        /// Unique per datagram: an entry of `order` whose ticket differs belongs to an earlier one.
        var ticket = 0
        var live = false
        var firstSeen: Int64 = 0
        /// The fragments' data and the IP header, end to end in arrival order, in one buffer;
        /// where each piece sits in the datagram and in `data` (the first one inline: most
        /// datagrams wait with one fragment, and need no second allocation), and the header.
        var data: [UInt8] = []
        var firstPiece: Piece? = nil
        var morePieces: [Piece] = []
        var totalLength: Int? = nil
        /// Where the IP header of the offset-0 fragment sits in `data` (for IPv6, the
        /// unfragmentable part with the next-header field already pointing past the fragment
        /// header); nil until it comes.
        var header: Range<Int>? = nil
        /// Bytes of fragment data (not counting the header).
        var byteCount = 0
        /// The frames the fragments came in.
        var frames = FragmentFrames()

        /// Buffers larger than this are freed with the datagram instead of kept for the next one.
        static let keptCapacity = 2048

        var pieceCount: Int { firstPiece == nil ? 0 : 1 + morePieces.count }

        /// The pieces, first included.
        var pieces: [Piece] { firstPiece.map { [$0] + morePieces } ?? [] }

        /// The first piece that overlaps `count` bytes at `offset`, if any.
        func overlap(offset: Int, count: Int) -> Piece? {
            guard let first = firstPiece else { return nil }
            func overlaps(_ piece: Piece) -> Bool { piece.offset < offset + count && offset < piece.end }
            if overlaps(first) { return first }
            return morePieces.first(where: overlaps)
        }

        mutating func append(_ piece: Piece) {
            if firstPiece == nil { firstPiece = piece } else { morePieces.append(piece) }
        }

        mutating func reset(key: Key, ticket: Int, firstSeen: Int64) {
            self.key = key
            self.ticket = ticket
            self.live = true
            self.firstSeen = firstSeen
            if data.capacity > Slot.keptCapacity { data = [] } else { data.removeAll(keepingCapacity: true) }
            firstPiece = nil
            morePieces.removeAll(keepingCapacity: morePieces.capacity <= 16)
            totalLength = nil
            header = nil
            byteCount = 0
            frames.removeAll()
        }
    }

    /// A fragment's data: at `offset` in the datagram, at `start` in its slot's `data`.
    struct Piece {
        var offset: Int
        var start: Int
        var count: Int
        var end: Int { offset + count }
    }

    public let limits: Limits
    /// Slot of each datagram pending.
    private var index: [Key: Int] = [:]
    @exclusivity(unchecked) private var slots: [Slot] = []
    private var freeSlots: [Int] = []
    private var pendingBytes = 0
    public private(set) var droppedDatagrams = 0
    /// Datagrams in the order they were first seen, from `orderHead` on, as (slot, ticket):
    /// entries whose datagram has gone (completed, dropped) are skipped when they reach the head,
    /// and the array is compacted when they outnumber the live ones.
    @exclusivity(unchecked) private var order: [(slot: Int, ticket: Int)] = []
    private var orderHead = 0
    private var nextTicket = 1
    /// The latest capture time seen.
    private var now = Int64.min

    public init(limits: Limits = Limits()) { self.limits = limits }

    public var pendingCount: Int { index.count }

    /// Maximum reassembled size: the IPv4 total length field, or the IPv6 payload length
    /// plus its header, bounds a datagram.
    static let maxDatagram = 65_535 + 40

    /// Adds the fragment `ip` found in `bytes`, at capture time `time` (microseconds), which
    /// came in frame number `frame`.
    public func add(_ bytes: [UInt8], ip: IPLayer, time: Int64, frame: Int = 0) -> Outcome {
        guard let fragment = ip.fragment else { return .dropped("not a fragment") }
        now = max(now, time)
        expire()
        let key = Key(
            source: ip.source, destination: ip.destination, identification: fragment.identification,
            protocolNumber: ip.version == 4 ? fragment.payloadProtocol : 0, version: ip.version)
        let dataStart = ip.headerEnd
        let dataEnd = ip.end
        guard !ip.truncated else { return .dropped("fragment truncated by the capture") }
        let count = dataEnd - dataStart
        let known = index[key]
        guard fragment.offset + count <= FragmentReassembler.maxDatagram else {
            if let known { drop(known) }
            return .dropped("fragment ends at \(fragment.offset + count), past the largest datagram")
        }
        if fragment.moreFragments && count % 8 != 0 {
            return .dropped("non-final fragment of \(count) bytes is not a multiple of 8")
        }
        let slot: Int
        if let known {
            slot = known
        } else {
            if index.count >= limits.maxPendingDatagrams { evictOldest() }
            slot = allocateSlot(key)
        }
        // (`known` and `allocateSlot` hash the key twice for a new datagram; Dictionary offers
        // no insert-if-absent that returns the slot, and a miss costs one probe.)
        // Identical retransmitted fragments are ignored; any other overlap poisons the datagram
        // (RFC 5722 requires that for IPv6, and overlaps are a known evasion trick for IPv4).
        if let piece = slots[slot].overlap(offset: fragment.offset, count: count) {
            if piece.offset == fragment.offset && piece.count == count
                && slots[slot].data[piece.start..<(piece.start + count)].elementsEqual(bytes[dataStart..<dataEnd])
            {
                return .pending
            }
            drop(slot)
            return .dropped("overlapping fragment at offset \(fragment.offset)")
        }
        guard slots[slot].pieceCount < limits.maxFragmentsPerDatagram else {
            drop(slot)
            return .dropped("more than \(limits.maxFragmentsPerDatagram) fragments in one datagram")
        }
        if !fragment.moreFragments {
            let total = fragment.offset + count
            if let known = slots[slot].totalLength, known != total {
                drop(slot)
                return .dropped("two final fragments disagree on the length (\(known) and \(total))")
            }
            slots[slot].totalLength = total
        }
        if fragment.offset == 0 {
            setHeader(of: slot, bytes, ip: ip, fragment: fragment)
        }
        slots[slot].append(Piece(offset: fragment.offset, start: slots[slot].data.count, count: count))
        bytes.withUnsafeBufferPointer {
            slots[slot].data.append(contentsOf: UnsafeBufferPointer(rebasing: $0[dataStart..<dataEnd]))
        }
        slots[slot].byteCount += count
        slots[slot].frames.add(frame)
        pendingBytes += count
        if let complete = assemble(slots[slot], version: ip.version) {
            release(slot)
            return .complete(complete, fragments: slots[slot].frames)
        }
        if known == nil { order.append((slot, slots[slot].ticket)) }
        while pendingBytes > limits.maxPendingBytes, !index.isEmpty { evictOldest() }
        compactOrder()
        return .pending
    }

    /// A slot for a new datagram: a free one (its buffers reused) or a new one.
    private func allocateSlot(_ key: Key) -> Int {
        let ticket = nextTicket
        nextTicket += 1
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot].reset(key: key, ticket: ticket, firstSeen: now)
        } else {
            slot = slots.count
            var fresh = Slot(key: key)
            fresh.reset(key: key, ticket: ticket, firstSeen: now)
            slots.append(fresh)
        }
        index[key] = slot
        return slot
    }

    /// The datagram in `slot` is done (completed or dropped): its bytes leave the count and the
    /// slot is free for the next one.
    private func release(_ slot: Int) {
        pendingBytes -= slots[slot].byteCount
        index[slots[slot].key] = nil
        slots[slot].live = false
        freeSlots.append(slot)
    }

    /// Throws a datagram away, counted as dropped.
    private func drop(_ slot: Int) {
        release(slot)
        droppedDatagrams += 1
    }

    /// Keeps the IP header of the offset-0 fragment (in the slot's buffer, after what it holds).
    private func setHeader(of slot: Int, _ bytes: [UInt8], ip: IPLayer, fragment: FragmentInfo) {
        let start = slots[slot].data.count
        let end = ip.version == 4 ? ip.headerEnd : (fragment.ipv6FragmentHeaderOffset ?? ip.headerEnd)
        bytes.withUnsafeBufferPointer {
            slots[slot].data.append(contentsOf: UnsafeBufferPointer(rebasing: $0[ip.headerStart..<end]))
        }
        slots[slot].header = start..<slots[slot].data.count
        if ip.version == 6, let field = fragment.ipv6PreviousNextHeaderOffset,
            field - ip.headerStart < end - ip.headerStart
        {
            slots[slot].data[start + field - ip.headerStart] = fragment.payloadProtocol
        }
    }

    private func assemble(_ entry: Slot, version: UInt8) -> [UInt8]? {
        guard let total = entry.totalLength, let header = entry.header else { return nil }
        let sorted = entry.pieces.sorted { $0.offset < $1.offset }
        var covered = 0
        for piece in sorted {
            guard piece.offset == covered else { return nil }
            covered = piece.end
        }
        guard covered == total else { return nil }
        var packet = Array(entry.data[header])
        packet.reserveCapacity(header.count + total)
        for piece in sorted { packet.append(contentsOf: entry.data[piece.start..<(piece.start + piece.count)]) }
        if version == 4 {
            guard packet.count <= 65_535 else { return nil }
            packet.setBE16(2, UInt16(packet.count))
            packet.setBE16(6, packet.be16(6) & 0x4000)  // keep DF, clear MF and offset
            packet.setBE16(10, 0)
            packet.setBE16(10, internetChecksum(packet, 0..<header.count))
        } else {
            let payloadLength = packet.count - 40
            guard payloadLength <= 65_535 else { return nil }
            packet.setBE16(4, UInt16(payloadLength))
        }
        return packet
    }

    /// The slot of the oldest datagram still pending (skipping stale entries of `order`).
    private func oldest() -> Int? {
        while orderHead < order.count {
            let (slot, ticket) = order[orderHead]
            if slots[slot].live && slots[slot].ticket == ticket { return slot }
            orderHead += 1
        }
        return nil
    }

    /// Drops the datagrams first seen more than the timeout before `now`: the oldest first.
    private func expire() {
        while let slot = oldest(),
            CaptureTime.elapsed(from: slots[slot].firstSeen, to: now) > limits.timeoutMicroseconds
        {
            drop(slot)
            orderHead += 1
        }
    }

    private func evictOldest() {
        guard let slot = oldest() else { return }
        drop(slot)
        orderHead += 1
    }

    /// Keeps `order` within twice the live datagrams (plus a little), amortised O(1) per
    /// datagram: the consumed head is cut off once it is half the array, and when stale entries
    /// (datagrams completed or dropped out of turn) outnumber the live ones they are filtered out.
    private func compactOrder() {
        if order.count - orderHead > 2 * index.count + 64 {
            order = order[orderHead...].filter { slots[$0.slot].live && slots[$0.slot].ticket == $0.ticket }
            orderHead = 0
        } else if orderHead > 64 && orderHead > order.count / 2 {
            order.removeFirst(orderHead)
            orderHead = 0
        }
    }
}

/// RFC 1071 Internet checksum over `bytes[range]`.
public func internetChecksum(_ bytes: [UInt8], _ range: Range<Int>) -> UInt16 {
    var sum: UInt32 = 0
    var i = range.lowerBound
    while i + 1 < range.upperBound {
        sum &+= UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
        i += 2
    }
    if i < range.upperBound { sum &+= UInt32(bytes[i]) << 8 }
    while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
    return ~UInt16(sum)
}
