import SpiglassCapture
import Testing

@testable import SpiglassAnalysis

/// `Timestamp` with nanoseconds: as small as it was, carried and saturated like microseconds,
/// equal across resolutions, and shown with the decimals of its resolution.
@Suite struct TimestampTests {
    @Test func sizeIsUnchanged() {
        // Seconds, nanoseconds and the resolution byte fit in the 16 bytes seconds and
        // microseconds took.
        #expect(MemoryLayout<Timestamp>.stride == 16)
    }

    @Test func nanosecondsOutOfRangeAreCarriedIntoTheSeconds() {
        #expect(
            Timestamp.normalised(seconds: 10, nanoseconds: 999_999_999)
                == (Timestamp(seconds: 10, nanoseconds: 999_999_999), false))
        #expect(
            Timestamp.normalised(seconds: 10, nanoseconds: 4_294_967_295)
                == (Timestamp(seconds: 14, nanoseconds: 294_967_295), true))
        #expect(
            Timestamp.normalised(seconds: 10, nanoseconds: -1) == (
                Timestamp(seconds: 9, nanoseconds: 999_999_999), true
            ))
        #expect(Timestamp.normalised(seconds: .max, nanoseconds: 2_000_000_000).timestamp.seconds == .max)
        #expect(Timestamp.normalised(seconds: 10, nanoseconds: 5).timestamp.resolution == .nanoseconds)
    }

    @Test func totalsSaturate() {
        let t = Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789)
        #expect(t.totalNanoseconds == 1_700_000_000_123_456_789)
        #expect(t.totalMicroseconds == 1_700_000_000_123_456)
        #expect(t.microseconds == 123_456)
        // Seconds beyond the last whole second that fits count as that second, as for microseconds.
        #expect(Timestamp(seconds: 9_223_372_037, nanoseconds: 0).totalNanoseconds == 9_223_372_036_000_000_000)
        #expect(Timestamp(seconds: -9_223_372_037, nanoseconds: 0).totalNanoseconds == -9_223_372_036_000_000_000)
        #expect(Timestamp(seconds: .max, nanoseconds: 999_999_999).totalNanoseconds == .max)
        #expect(t.total(in: .microseconds) == t.totalMicroseconds && t.total(in: .nanoseconds) == t.totalNanoseconds)
    }

    @Test func theSameInstantIsEqualAtEitherResolution() {
        let micro = Timestamp(seconds: 5, microseconds: 7)
        let nano = Timestamp(seconds: 5, nanoseconds: 7_000)
        #expect(micro == nano && micro.hashValue == nano.hashValue)
        #expect(micro < Timestamp(seconds: 5, nanoseconds: 7_001))
        #expect(micro.resolution == .microseconds && nano.resolution == .nanoseconds)
    }

    @Test func timesShowTheirResolutionsDecimals() {
        let micro = Timestamp(seconds: 1_700_000_000, microseconds: 42)
        let nano = Timestamp(seconds: 1_700_000_000, nanoseconds: 42_001)
        #expect(TimeFormat.iso8601(micro) == "2023-11-14T22:13:20.000042Z")
        #expect(TimeFormat.iso8601(nano) == "2023-11-14T22:13:20.000042001Z")
        #expect(TimeFormat.elapsed(from: micro, to: Timestamp(seconds: 1_700_000_001, microseconds: 0)) == "0.999958")
        #expect(TimeFormat.elapsed(from: micro, to: nano) == "0.000000001")
        #expect(TimeFormat.elapsed(from: nano, to: micro) == "-0.000000001")
        #expect(
            TimeFormat.elapsed(from: micro, to: Timestamp(seconds: 1_700_000_000, nanoseconds: 45_005)) == "0.000003005"
        )
        #expect(
            TimeFormat.elapsed(from: micro, to: Timestamp(seconds: .max, nanoseconds: 999_999_999))
                == "7523372036.854733807")
    }
}
