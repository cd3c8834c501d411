import Foundation
import SpiglassCapture
import SpiglassWire
import Testing

@testable import SpiglassAnalysis

/// Timestamps only a damaged or crafted capture holds (Fixtures/hostile/generate.py): a pcapng
/// interface counting seconds (if_tsresol=0) with 64-bit values at the ends of a microsecond
/// count, and pcap microsecond fields of 1,000,000 and 0xffffffff. No mode may trap on them,
/// JSON times stay RFC 3339 (or null), and each kind of oddity is reported once.
@Suite struct HostileTimestampTests {
    static let tsresol0 = "Fixtures/hostile/timestamps-tsresol0.pcapng"
    static let usec = "Fixtures/hostile/timestamps-usec.pcap"
    static let keys = "Fixtures/strongswan-ike/rekey-cbc-sha256/sa.spiglass"

    @Test func microsecondsOutOfRangeAreCarriedIntoTheSeconds() {
        #expect(
            Timestamp.normalised(seconds: 10, microseconds: 999_999) == (
                Timestamp(seconds: 10, microseconds: 999_999), false
            ))
        #expect(
            Timestamp.normalised(seconds: 10, microseconds: 1_000_000) == (
                Timestamp(seconds: 11, microseconds: 0), true
            ))
        #expect(
            Timestamp.normalised(seconds: 10, microseconds: 4_294_967_295) == (
                Timestamp(seconds: 4_304, microseconds: 967_295), true
            ))
        // libpcap hands a pcap's 0xffffffff over as -1: a microsecond before the second.
        #expect(
            Timestamp.normalised(seconds: 10, microseconds: -1) == (Timestamp(seconds: 9, microseconds: 999_999), true))
        #expect(Timestamp.normalised(seconds: .max, microseconds: 2_000_000).timestamp.seconds == .max)
        #expect(Timestamp.normalised(seconds: .min, microseconds: -1).timestamp.seconds == .min)
    }

    @Test func derivedQuantitiesSaturate() {
        #expect(Timestamp(seconds: .max, microseconds: 999_999).totalMicroseconds == .max)
        #expect(Timestamp(seconds: Timestamp.maxWholeSeconds, microseconds: 775_807).totalMicroseconds == .max)
        #expect(
            Timestamp(seconds: Timestamp.maxWholeSeconds, microseconds: 1).totalMicroseconds == Timestamp
                .maxWholeSeconds * 1_000_000 + 1)
        #expect(Timestamp(seconds: .min, microseconds: 0).totalMicroseconds == -Timestamp.maxWholeSeconds * 1_000_000)
        #expect(CaptureTime.elapsed(from: .min, to: .max) == .max)
        #expect(CaptureTime.elapsed(from: .max, to: .min) == .min)
        #expect(CaptureTime.elapsed(from: 5, to: 3) == -2)
        #expect(Timestamp(seconds: .min, microseconds: 0) < Timestamp(seconds: .max, microseconds: 0))
        #expect(
            IKEDescribe.milliseconds(CaptureDuration(units: .max, resolution: .microseconds))
                == "9223372036854775.81 ms")
        #expect(
            IKEDescribe.milliseconds(CaptureDuration(units: .max, resolution: .nanoseconds))
                == "9223372036854.775807 ms")
        let (first, last) = (
            Timestamp(seconds: .min, nanoseconds: 0), Timestamp(seconds: .max, nanoseconds: 999_999_999)
        )
        #expect(CaptureDuration(from: first, to: last) == CaptureDuration(units: .max, resolution: .nanoseconds))
        #expect(CaptureDuration(from: last, to: first, in: .microseconds).units == .min)
    }

    @Test func rfc3339CoversTheYears0000To9999Only() {
        #expect(
            TimeFormat.iso8601(Timestamp(seconds: -62_167_219_200, microseconds: 0)) == "0000-01-01T00:00:00.000000Z")
        #expect(
            TimeFormat.iso8601(Timestamp(seconds: 253_402_300_799, microseconds: 999_999))
                == "9999-12-31T23:59:59.999999Z")
        #expect(
            TimeFormat.iso8601(Timestamp(seconds: 1_700_000_000, microseconds: 42)) == "2023-11-14T22:13:20.000042Z")
        #expect(TimeFormat.iso8601(Timestamp(seconds: -62_167_219_201, microseconds: 0)) == nil)
        #expect(TimeFormat.iso8601(Timestamp(seconds: 253_402_300_800, microseconds: 0)) == nil)
        #expect(TimeFormat.iso8601(Timestamp(seconds: .max, microseconds: 0)) == nil)
        #expect(
            TimeFormat.iso8601Text(Timestamp(seconds: .min, microseconds: 0))
                == "invalid time (-9223372036854775808 s since 1970)")
    }

    static let rfc3339 = try! NSRegularExpression(pattern: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"#)

    /// Every "time"-like string of a JSON record is RFC 3339 or null.
    static func checkTimes(_ line: Substring) throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        for key in ["time", "first_seen", "last_seen", "first_time", "last_time"] {
            guard let value = object[key], !(value is NSNull) else { continue }
            let text = try #require(value as? String, "\(key) in \(line)")
            #expect(rfc3339.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil, "\(key)=\(text)")
        }
    }

    @Test(arguments: [["analyze"], ["ike"], ["analyze", "--json"], ["ike", "--json"]])
    func noModeTrapsAndThreadsAgree(_ mode: [String]) throws {
        var outputs: [String] = []
        for threads in ["1", "2"] {
            let run = try CLITests.run(mode + ["-r", Self.tsresol0, "-k", Self.keys, "--threads", threads])
            #expect(run.status == 0, "\(mode) --threads \(threads): exit \(run.status): \(run.stderr)")
            // Text: in the summary's warnings; JSON: in the summary's diagnostics and on stderr.
            let warnings = mode.contains("--json") ? run.stderr : run.stdout
            #expect(
                warnings.components(separatedBy: "lies outside the years 0000-9999").count == 2,
                "reported once: \(warnings.suffix(2000))")
            if mode.contains("--json") {
                for line in run.stdout.split(separator: "\n") { try Self.checkTimes(line) }
            } else if mode == ["analyze"] {
                #expect(
                    run.stdout.contains(
                        "Capture: invalid time (9223372036854 s since 1970) to invalid time (-62167219201 s since 1970)"
                    ))
                #expect(run.stdout.contains("decrypted 4"))
            }
            outputs.append(run.stdout)
        }
        #expect(outputs[0] == outputs[1])
    }

    @Test func jsonTimesOfOutOfRangeMicrosecondsAreNormalised() throws {
        let run = try CLITests.run(["analyze", "--json", "-r", Self.usec])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        for line in lines { try Self.checkTimes(line) }
        #expect(lines[0].contains(#""time":"2023-11-14T22:13:21.000000Z""#))
        #expect(lines[1].contains(#""time":"2023-11-14T22:13:19.999999Z""#))
        #expect(run.stderr.components(separatedBy: "timestamp microseconds field").count == 2, "\(run.stderr)")
        #expect(run.stderr.contains("frame 1: timestamp microseconds field 1000000 is outside 0-999999"))
    }
}
