import SpiglassWire
import Testing

@Suite struct FragmentReassemblerTests {
    /// IPv4 fragment carrying `data` at byte `offset` of the datagram's payload.
    static func fragment(id: UInt16, offset: Int, more: Bool, data: [UInt8]) -> [UInt8] {
        var p: [UInt8] = [0x45, 0, 0, 0, 0, 0, 0, 0, 64, 50, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]
        p.setBE16(2, UInt16(20 + data.count))
        p.setBE16(4, id)
        p.setBE16(6, UInt16(offset / 8) | (more ? 0x2000 : 0))
        p.setBE16(10, internetChecksum(p, 0..<20))
        return p + data
    }

    static func add(_ r: FragmentReassembler, _ p: [UInt8], time: Int64 = 0) -> FragmentReassembler.Outcome {
        var reader = ByteReader(p)
        let ip = try! IPLayer.parse(&reader).get()
        return r.add(p, ip: ip, time: time)
    }

    /// A completed datagram names the frames of its fragments in arrival order: the first
    /// `FragmentFrames.maxListed` of them and the count; an identical retransmission is not
    /// counted, and a slot used again starts empty.
    @Test func theFramesOfTheFragmentsAreKeptBounded() throws {
        let r = FragmentReassembler()
        func add(_ packet: [UInt8], frame: Int) throws -> FragmentReassembler.Outcome {
            var reader = ByteReader(packet)
            return r.add(packet, ip: try IPLayer.parse(&reader).get(), time: 0, frame: frame)
        }
        let pieces = (0..<12).map {
            Self.fragment(id: 9, offset: $0 * 8, more: $0 < 11, data: Array(repeating: 1, count: 8))
        }
        for (index, piece) in pieces.dropLast().enumerated() { #expect(try add(piece, frame: 100 + index) == .pending) }
        #expect(try add(pieces[0], frame: 200) == .pending)
        guard case .complete(_, let frames) = try add(pieces[11], frame: 111) else {
            Issue.record("expected completion")
            return
        }
        #expect(frames.listed == Array(100..<108) && frames.count == 12)
        #expect(try add(Self.fragment(id: 10, offset: 8, more: false, data: [2, 2]), frame: 6) == .pending)
        guard
            case .complete(_, let next) = try add(
                Self.fragment(id: 10, offset: 0, more: true, data: [3, 3, 3, 3, 3, 3, 3, 3]), frame: 5)
        else {
            Issue.record("expected completion")
            return
        }
        #expect(next.listed == [6, 5] && next.count == 2)
    }

    @Test func outOfOrderFragmentsReassemble() throws {
        let payload = (0..<40).map { UInt8($0) }
        let r = FragmentReassembler()
        #expect(Self.add(r, Self.fragment(id: 7, offset: 24, more: false, data: Array(payload[24...]))) == .pending)
        #expect(Self.add(r, Self.fragment(id: 7, offset: 0, more: true, data: Array(payload[0..<16]))) == .pending)
        guard
            case .complete(let whole, _) = Self.add(
                r, Self.fragment(id: 7, offset: 16, more: true, data: Array(payload[16..<24])))
        else {
            Issue.record("expected completion")
            return
        }
        #expect(Array(whole[20...]) == payload)
        var reader = ByteReader(whole)
        let ip = try IPLayer.parse(&reader).get()
        #expect(ip.fragment == nil)
        #expect(ip.end == 60)
        #expect(internetChecksum(whole, 0..<20) == 0)
        #expect(r.pendingCount == 0)
    }

    @Test func overlapsDropTheDatagramButDuplicatesAreIgnored() {
        let r = FragmentReassembler()
        let first = Self.fragment(id: 1, offset: 0, more: true, data: [UInt8](repeating: 1, count: 16))
        #expect(Self.add(r, first) == .pending)
        #expect(Self.add(r, first) == .pending)
        guard
            case .dropped = Self.add(
                r, Self.fragment(id: 1, offset: 8, more: false, data: [UInt8](repeating: 2, count: 16)))
        else {
            Issue.record("overlap must drop")
            return
        }
        #expect(r.pendingCount == 0)
    }

    @Test func boundsAndTimeoutsHold() {
        var limits = FragmentReassembler.Limits()
        limits.maxPendingDatagrams = 10
        limits.timeoutMicroseconds = 1_000_000
        let r = FragmentReassembler(limits: limits)
        for id in 0..<100 {
            _ = Self.add(
                r, Self.fragment(id: UInt16(id), offset: 0, more: true, data: [UInt8](repeating: 0, count: 8)), time: 0)
        }
        #expect(r.pendingCount == 10)
        _ = Self.add(
            r, Self.fragment(id: 500, offset: 0, more: true, data: [UInt8](repeating: 0, count: 8)), time: 5_000_000)
        #expect(r.pendingCount == 1)
        guard
            case .dropped = Self.add(
                r, Self.fragment(id: 9, offset: 65_528, more: true, data: [UInt8](repeating: 0, count: 64)))
        else {
            Issue.record("a fragment past 64 KiB must drop")
            return
        }
    }

    /// The queue of datagrams in first-seen order: the oldest goes first when the bound is
    /// reached, a completed or dropped datagram leaves no trace in it, a key seen again later
    /// starts a new datagram, and time going backwards does not make a datagram younger.
    @Test func evictionFollowsFirstSeenOrder() {
        var limits = FragmentReassembler.Limits()
        limits.maxPendingDatagrams = 3
        limits.timeoutMicroseconds = 10
        let r = FragmentReassembler(limits: limits)
        let eight = [UInt8](repeating: 0, count: 8)
        func first(_ id: UInt16, _ time: Int64) -> FragmentReassembler.Outcome {
            Self.add(r, Self.fragment(id: id, offset: 0, more: true, data: eight), time: time)
        }
        func last(_ id: UInt16, _ time: Int64) -> FragmentReassembler.Outcome {
            Self.add(r, Self.fragment(id: id, offset: 8, more: false, data: eight), time: time)
        }
        #expect(first(1, 0) == .pending)
        #expect(first(2, 1) == .pending)
        guard case .complete = last(1, 2) else {
            Issue.record("1 completes")
            return
        }
        #expect(first(3, 3) == .pending)
        #expect(first(4, 4) == .pending)
        #expect(r.pendingCount == 3)
        // Bound reached: 2 is the oldest pending (1 completed), so 2 goes.
        #expect(first(5, 5) == .pending)
        #expect(r.droppedDatagrams == 1)
        guard case .complete = last(3, 5) else {
            Issue.record("3 is still there")
            return
        }
        #expect(last(2, 5) == .pending, "2 was evicted: its last fragment starts a new datagram")
        // A time from the past counts as the latest seen (5); at 16, everything first seen at 5
        // or before (2, 4, 5) is past the 10 µs timeout.
        #expect(first(6, 0) == .pending)
        #expect(r.pendingCount == 3)
        #expect(first(7, 16) == .pending)
        #expect(r.pendingCount == 1)
        // Many datagrams that complete at once leave the queue small.
        for id in 100..<20_000 {
            _ = first(UInt16(id), 16)
            _ = last(UInt16(id), 16)
        }
        #expect(r.pendingCount == 1)
    }
}
