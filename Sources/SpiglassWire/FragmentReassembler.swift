/// Reassembles IPv4 and IPv6 fragments into whole datagrams, within hard bounds so that a
/// capture full of fragments cannot grow memory or time without limit.
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
        /// The datagram is complete: a whole IP packet, fragment headers removed.
        case complete([UInt8])
        /// The fragment was thrown away, with the reason.
        case dropped(String)
    }

    struct Key: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var identification: UInt32
        var protocolNumber: UInt8
        var version: UInt8
    }

    struct Piece {
        var offset: Int
        var bytes: [UInt8]
        var end: Int { offset + bytes.count }
    }

    struct Pending {
        var firstSeen: Int64
        var pieces: [Piece] = []
        var totalLength: Int? = nil
        /// IP header of the offset-0 fragment (for IPv6, the unfragmentable part with the
        /// next-header field already pointing past the fragment header).
        var header: [UInt8]? = nil
        var byteCount = 0
    }

    public let limits: Limits
    private var pending: [Key: Pending] = [:]
    private var pendingBytes = 0
    public private(set) var droppedDatagrams = 0

    public init(limits: Limits = Limits()) { self.limits = limits }

    public var pendingCount: Int { pending.count }

    /// Maximum reassembled size: the IPv4 total length field, or the IPv6 payload length
    /// plus its header, bounds a datagram.
    static let maxDatagram = 65_535 + 40

    /// Adds the fragment `ip` found in `bytes`, at capture time `time` (microseconds).
    public func add(_ bytes: [UInt8], ip: IPLayer, time: Int64) -> Outcome {
        guard let fragment = ip.fragment else { return .dropped("not a fragment") }
        expire(now: time)
        let key = Key(source: ip.source, destination: ip.destination, identification: fragment.identification,
                      protocolNumber: ip.version == 4 ? fragment.payloadProtocol : 0, version: ip.version)
        let dataStart = ip.headerEnd
        let dataEnd = ip.end
        guard !ip.truncated else { return .dropped("fragment truncated by the capture") }
        let data = Array(bytes[dataStart..<dataEnd])
        guard fragment.offset + data.count <= FragmentReassembler.maxDatagram else {
            pending[key].map { pendingBytes -= $0.byteCount }
            pending[key] = nil
            droppedDatagrams += 1
            return .dropped("fragment ends at \(fragment.offset + data.count), past the largest datagram")
        }
        if fragment.moreFragments && data.count % 8 != 0 {
            return .dropped("non-final fragment of \(data.count) bytes is not a multiple of 8")
        }
        var entry = pending[key] ?? Pending(firstSeen: time)
        if pending[key] == nil && pending.count >= limits.maxPendingDatagrams {
            evictOldest()
        }
        // Identical retransmitted fragments are ignored; any other overlap poisons the datagram
        // (RFC 5722 requires that for IPv6, and overlaps are a known evasion trick for IPv4).
        for piece in entry.pieces where piece.offset < fragment.offset + data.count && fragment.offset < piece.end {
            if piece.offset == fragment.offset && piece.bytes == data { return .pending }
            pendingBytes -= entry.byteCount
            pending[key] = nil
            droppedDatagrams += 1
            return .dropped("overlapping fragment at offset \(fragment.offset)")
        }
        guard entry.pieces.count < limits.maxFragmentsPerDatagram else {
            pendingBytes -= entry.byteCount
            pending[key] = nil
            droppedDatagrams += 1
            return .dropped("more than \(limits.maxFragmentsPerDatagram) fragments in one datagram")
        }
        if !fragment.moreFragments {
            let total = fragment.offset + data.count
            if let known = entry.totalLength, known != total {
                pendingBytes -= entry.byteCount
                pending[key] = nil
                droppedDatagrams += 1
                return .dropped("two final fragments disagree on the length (\(known) and \(total))")
            }
            entry.totalLength = total
        }
        if fragment.offset == 0 {
            entry.header = headerForReassembly(bytes, ip: ip, fragment: fragment)
        }
        entry.pieces.append(Piece(offset: fragment.offset, bytes: data))
        entry.byteCount += data.count
        pendingBytes += data.count
        if let complete = assemble(entry, version: ip.version) {
            pendingBytes -= entry.byteCount
            pending[key] = nil
            return .complete(complete)
        }
        pending[key] = entry
        while pendingBytes > limits.maxPendingBytes, !pending.isEmpty { evictOldest() }
        return .pending
    }

    private func headerForReassembly(_ bytes: [UInt8], ip: IPLayer, fragment: FragmentInfo) -> [UInt8] {
        if ip.version == 4 {
            return Array(bytes[ip.headerStart..<ip.headerEnd])
        }
        let fragmentHeader = fragment.ipv6FragmentHeaderOffset ?? ip.headerEnd
        var header = Array(bytes[ip.headerStart..<fragmentHeader])
        if let field = fragment.ipv6PreviousNextHeaderOffset, field - ip.headerStart < header.count {
            header[field - ip.headerStart] = fragment.payloadProtocol
        }
        return header
    }

    private func assemble(_ entry: Pending, version: UInt8) -> [UInt8]? {
        guard let total = entry.totalLength, let header = entry.header else { return nil }
        let sorted = entry.pieces.sorted { $0.offset < $1.offset }
        var covered = 0
        for piece in sorted {
            guard piece.offset == covered else { return nil }
            covered = piece.end
        }
        guard covered == total else { return nil }
        var packet = header
        packet.reserveCapacity(header.count + total)
        for piece in sorted { packet.append(contentsOf: piece.bytes) }
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

    private func expire(now: Int64) {
        guard !pending.isEmpty else { return }
        let stale = pending.filter { CaptureTime.elapsed(from: $0.value.firstSeen, to: now) > limits.timeoutMicroseconds }
        for (key, entry) in stale {
            pendingBytes -= entry.byteCount
            pending[key] = nil
            droppedDatagrams += 1
        }
    }

    private func evictOldest() {
        guard let oldest = pending.min(by: { $0.value.firstSeen < $1.value.firstSeen }) else { return }
        pendingBytes -= oldest.value.byteCount
        pending[oldest.key] = nil
        droppedDatagrams += 1
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
