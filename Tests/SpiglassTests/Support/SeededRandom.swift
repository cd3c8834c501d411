import Foundation
import SpiglassWire
import Testing

/// A small deterministic generator (SplitMix64) so corruption tests reproduce exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` bytes from the generator: keys, IVs and payloads a failure can replay.
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<max(0, count)).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}

/// The seed of a randomised test, given by its `.seeded(…)` trait. Every run draws the same values,
/// and every issue the test records names the seed. `SPIGLASS_TEST_SEED=N` (decimal or 0x hex) runs
/// every seeded test with seed N instead, to replay a seed a failure printed or to explore;
/// `SPIGLASS_TEST_SEED=random` draws a new seed for each test and prints it before the test starts,
/// so that even a trap, which records no issue, leaves it on standard error.
struct TestSeed: Sendable, CustomStringConvertible {
    static let variable = "SPIGLASS_TEST_SEED"

    let value: UInt64

    /// The test's own seed unless the environment replaces it.
    init(fixed: UInt64, environment: [String: String] = ProcessInfo.processInfo.environment) {
        switch environment[Self.variable]?.lowercased() {
        case nil, "": value = fixed
        case "random": value = UInt64.random(in: 1...UInt64.max)
        case let text?:
            let parsed = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
            value = parsed ?? fixed
        }
    }

    var generator: SplitMix64 { SplitMix64(seed: value) }

    var description: String {
        let hex = "0x" + String(value, radix: 16)
        return "seed \(hex) (replay with \(Self.variable)=\(hex))"
    }

    @TaskLocal static var scoped: TestSeed?

    /// The seed of the running test; a test without the trait records an issue and gets seed 0.
    static var current: TestSeed {
        if let scoped { return scoped }
        Issue.record("a randomised test needs the .seeded(…) trait")
        return TestSeed(fixed: 0, environment: [:])
    }
}

/// `@Test(.seeded(0x5eed))`: the test draws from `TestSeed.current`, and each issue it records
/// carries the seed as a comment.
struct SeededTrait: TestTrait, TestScoping {
    var fixed: UInt64

    func provideScope(
        for test: Test, testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        let seed = TestSeed(fixed: fixed)
        if seed.value != fixed {
            FileHandle.standardError.write(Data("\(test.name): \(seed)\n".utf8))
        }
        let naming = IssueHandlingTrait.compactMapIssues { issue in
            var issue = issue
            issue.comments.append(Comment(rawValue: seed.description))
            return issue
        }
        try await TestSeed.$scoped.withValue(seed) {
            try await naming.provideScope(for: test, testCase: testCase, performing: function)
        }
    }
}

extension Trait where Self == SeededTrait {
    static func seeded(_ fixed: UInt64) -> Self { SeededTrait(fixed: fixed) }
}

extension SplitMix64 {
    /// One to six edits of an IKE message the way its parser's bugs hide: bytes overwritten or
    /// flipped, a 16-bit length or count set to 0, small or huge values, bytes cut or inserted.
    mutating func mutateMessage(_ bytes: inout [UInt8]) {
        let edits = 1 + Int(next() % 6)
        for _ in 0..<edits {
            guard !bytes.isEmpty else { break }
            let offset = Int(next() % UInt64(bytes.count))
            switch next() % 6 {
            case 0, 1: bytes[offset] = UInt8(truncatingIfNeeded: next())
            case 2: bytes[offset] ^= UInt8(1) << UInt8(next() % 8)
            case 3:
                // A length or count field: small, zero or huge values.
                if offset + 1 < bytes.count {
                    let values: [UInt16] = [
                        0, 1, 3, 4, 5, 8, 0x7fff, 0xffff, UInt16(truncatingIfNeeded: next()),
                    ]
                    bytes.setBE16(offset, values[Int(next() % UInt64(values.count))])
                }
            case 4: bytes.removeSubrange(offset..<min(bytes.count, offset + 1 + Int(next() % 16)))
            default:
                bytes.insert(
                    contentsOf: (0..<(1 + next() % 8)).map { _ in UInt8(truncatingIfNeeded: next()) },
                    at: offset)
            }
        }
    }
}
