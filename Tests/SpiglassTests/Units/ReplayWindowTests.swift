import SpiglassESP
import Testing

@Suite struct ReplayWindowTests {
    @Test func duplicatesLateTooOldAndLoss() {
        var window = ReplayWindow(size: 64)
        var sequence: [UInt64] = [1, 2, 3, 3, 5, 4]
        sequence += Array(6...100)
        sequence += [30, 102, 101]
        let outcomes = sequence.map { window.record($0) }
        #expect(outcomes[3] == .duplicate)
        #expect(outcomes[5] == .late)
        #expect(outcomes[outcomes.count - 3] == .tooOld)
        #expect(outcomes.last == .late)
        #expect(window.duplicates == 1)
        #expect(window.late == 2)
        #expect(window.tooOld == 1)
        #expect(window.lost == 0)
        #expect(window.maxReorderDepth == 1)
        #expect(window.accepted == 100)
    }

    @Test func gapsLeavingTheWindowAreLost() {
        var window = ReplayWindow(size: 64)
        for s: UInt64 in [1, 2, 3, 100] { _ = window.record(s) }
        #expect(window.record(10) == .tooOld)
        #expect(window.lost == 96)
        var far = ReplayWindow(size: 64)
        _ = far.record(1)
        _ = far.record(200)
        #expect(far.lost == 198)
    }

    @Test func extendedSequenceNumbersAcrossTheWrap() {
        var window = ReplayWindow(size: 64)
        for s: UInt64 in [0xffff_fffe, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0001] { #expect(window.record(s) == .ok) }
        #expect(window.record(0x1_0000_0000) == .duplicate)
        #expect(window.lost == 0)
    }

    /// Against a model that remembers every sequence number, for windows spanning several
    /// bitmap words and shifts of every size.
    @Test(.seeded(0), arguments: [1, 32, 64, 65, 130, 1000])
    func matchesAnUnboundedModel(size: Int) {
        var generator = SplitMix64(seed: TestSeed.current.value &+ UInt64(size))
        var window = ReplayWindow(size: size)
        var seen = Set<UInt64>()
        var first: UInt64? = nil
        var highest: UInt64 = 0
        var next: UInt64 = 1_000
        for _ in 0..<5_000 {
            let roll = generator.next() % 100
            let sequence: UInt64
            switch roll {
            case 0..<60:
                next += 1 + generator.next() % 3
                sequence = next
            case 60..<75:
                next += generator.next() % UInt64(2 * size + 2)
                sequence = next
            default: sequence = next >= 2 * UInt64(size) ? next - generator.next() % (2 * UInt64(size)) : next
            }
            let expected: ReplayWindow.Outcome
            if first == nil || sequence > highest {
                expected = .ok
            } else if highest - sequence >= UInt64(size) {
                expected = .tooOld
            } else if seen.contains(sequence) {
                expected = .duplicate
            } else {
                expected = .late
            }
            if expected == .ok || expected == .late { seen.insert(sequence) }
            if first == nil { first = sequence }
            highest = max(highest, sequence)
            #expect(window.record(sequence) == expected, "size \(size) sequence \(sequence)")
        }
        // Packets from before the first one seen (late arrivals below it) fill no gap.
        let lost = Int(highest - first! + 1) - seen.filter { $0 >= first! }.count
        #expect(window.lost == lost)
    }
}
