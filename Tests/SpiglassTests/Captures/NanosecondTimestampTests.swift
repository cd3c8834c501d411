import Foundation
import SpiglassCapture
import Testing

@testable import SpiglassAnalysis

/// Nanosecond captures (Fixtures/messy/make.sh: `editcap -F nsecpcap -t 0.000000123` of real
/// fixtures, their pcapng conversion with if_tsresol 9, and a copy merged with itself 333 ns
/// later) keep their nanoseconds from reading to every output, as tshark shows them: text and
/// JSON times, `ike` lines, `--from/--to`, and -w pcap and pcapng read back by libpcap and tshark.
@Suite struct NanosecondTimestampTests {
    static let enabled = MessyCaptures.toolsPresent && Tshark.path != nil
    static let keys = "Fixtures/strongswan/aes256gcm16-v4/sa.spiglass"
    static let fragmentationKeys = "Fixtures/strongswan-ike/fragmentation/sa.spiglass"

    /// tshark's value of `field` per frame.
    static func tshark(_ path: String, _ field: String, filter: String? = nil) throws -> [String] {
        try WrittenCaptures.fields(path, [field], options: filter.map { ["-Y", $0] } ?? []).map { $0[0] }
    }

    /// The frame number and relative time that open each packet (or IKE message) line.
    static func lineTimes(_ text: String) -> [(frame: Int, time: String, firstFrame: Int)] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            guard words.count > 2, let frame = Int(words[0]), words[1].contains(".") else { return nil }
            // An IKE message of several frames is timed by its first ("frames 3,4,5,6").
            let listed = words.firstIndex(of: "frames").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
            let first = listed.flatMap { Int($0.prefix { $0 != "," }) } ?? frame
            return (frame, String(words[1]), first)
        }
    }

    /// A JSON record's raw value of `key` (numbers as written, not through a Double).
    static func raw(_ line: Substring, _ key: String) -> String? {
        guard let start = line.range(of: "\"\(key)\":") else { return nil }
        let rest = line[start.upperBound...]
        if rest.first == "\"" { return String(rest.dropFirst().prefix { $0 != "\"" }) }
        return String(rest.prefix { $0 != "," && $0 != "}" })
    }

    /// tshark's "1795915337.818735123" as a nanosecond timestamp.
    static func timestamp(epoch: String) throws -> Timestamp {
        let parts = epoch.split(separator: ".")
        let seconds = try #require(Int64(parts[0]))
        let fraction = try #require(parts.count == 2 ? Int32(parts[1].prefix(9)) : 0)
        return Timestamp(seconds: seconds, nanoseconds: fraction)
    }

    @Test(
        .enabled(if: enabled, "editcap/mergecap and tshark are needed"),
        arguments: ["merged.pcap", "strongswan-aes256gcm16-v4.pcap", "strongswan-aes256gcm16-v4.pcapng"])
    func textAndJSONTimesAreTsharks(_ name: String) throws {
        let capture = try MessyCaptures.path("nanoseconds/" + name)
        let relative = try Self.tshark(capture, "frame.time_relative")
        let epoch = try Self.tshark(capture, "frame.time_epoch")
        #expect(relative.count > 20 && epoch.count == relative.count)
        for threads in ["1", "2"] {
            let text = try CLITests.run(["analyze", "-r", capture, "-k", Self.keys, "--threads", threads])
            let lines = Self.lineTimes(text.stdout)
            #expect(lines.map(\.frame) == Array(1...relative.count), "\(text.stdout.prefix(2000))")
            for line in lines where line.frame <= relative.count {
                #expect(line.time == relative[line.frame - 1], "text frame \(line.frame)")
            }
            let json = try CLITests.run(["analyze", "--json", "-r", capture, "-k", Self.keys, "--threads", threads])
            let packets = json.stdout.split(separator: "\n").filter { $0.hasPrefix(#"{"type":"packet""#) }
            #expect(packets.count == relative.count)
            for packet in packets {
                let frame = try #require(Self.raw(packet, "frame").flatMap(Int.init))
                #expect(Self.raw(packet, "time_relative") == relative[frame - 1], "JSON frame \(frame)")
                let expected = TimeFormat.iso8601(try Self.timestamp(epoch: epoch[frame - 1]))
                #expect(Self.raw(packet, "time") == expected, "JSON frame \(frame)")
            }
        }
    }

    /// `ike` message lines (text and JSON), a fragmented message timed by its first fragment.
    @Test(
        .enabled(if: enabled, "editcap/mergecap and tshark are needed"),
        arguments: [
            ("merged.pcap", keys), ("strongswan-ike-fragmentation.pcap", fragmentationKeys),
            ("strongswan-ike-fragmentation.pcapng", fragmentationKeys),
        ])
    func ikeMessageTimesAreTsharks(_ name: String, _ keys: String) throws {
        let capture = try MessyCaptures.path("nanoseconds/" + name)
        let relative = try Self.tshark(capture, "frame.time_relative")
        let text = try CLITests.run(["ike", "-r", capture, "-k", keys])
        let lines = Self.lineTimes(text.stdout)
        #expect(lines.count >= 6, "\(text.stdout.prefix(2000))")
        for line in lines { #expect(line.time == relative[line.firstFrame - 1], "frame \(line.frame)") }
        let json = try CLITests.run(["ike", "--json", "-r", capture, "-k", keys])
        let messages = json.stdout.split(separator: "\n").filter { $0.hasPrefix(#"{"type":"ike_message""#) }
        #expect(messages.map { Self.raw($0, "time_relative") } == lines.map(\.time))
    }

    /// -w pcap and pcapng of a nanosecond input: a nanosecond pcap (magic a1b23c4d) or
    /// interfaces of if_tsresol 9, whose times libpcap and tshark read back as the input's.
    @Test(
        .enabled(if: enabled, "editcap/mergecap and tshark are needed"),
        arguments: ["strongswan-aes256gcm16-v4.pcap", "strongswan-aes128cbc-sha256-v4.pcapng"])
    func writtenFilesKeepTheNanoseconds(_ name: String) throws {
        let capture = try MessyCaptures.path("nanoseconds/" + name)
        let keys =
            "Fixtures/\(name.hasPrefix("strongswan-aes256") ? "strongswan/aes256gcm16-v4" : "strongswan/aes128cbc-sha256-v4")/sa.spiglass"
        let expected = try Self.tshark(capture, "frame.time_epoch", filter: "esp")
        #expect(expected.count > 20 && expected.allSatisfy { !$0.hasSuffix("000") })
        for format in ["pcap", "pcapng"] {
            for threads in ["1", "2"] {
                let out = CLITests.temporary("nanoseconds." + format)
                defer { unlink(out) }
                let run = try CLITests.run([
                    "analyze", "-q", "-r", capture, "-k", keys, "-w", out, "--threads", threads,
                ])
                #expect(run.status == 0, "\(run.stderr)")
                #expect(try CaptureReader(path: out).timestampResolution == .nanoseconds, "\(format)")
                #expect(try Self.tshark(out, "frame.time_epoch") == expected, "\(format) --threads \(threads)")
                let times = try WrittenCaptures.packets(out).map(\.time)
                #expect(times == (try expected.map(Self.timestamp(epoch:))), "\(format) --threads \(threads)")
                #expect(times.allSatisfy { $0.resolution == .nanoseconds })
            }
        }
        let bytes = Array(try #require(FileManager.default.contents(atPath: capture)).prefix(4))
        #expect(name.hasSuffix(".pcapng") || bytes == [0x4D, 0x3C, 0xB2, 0xA1])
    }

    /// A microsecond input still gives microsecond files.
    @Test func microsecondInputsWriteMicrosecondFiles() throws {
        for format in ["pcap", "pcapng"] {
            let out = CLITests.temporary("microseconds." + format)
            defer { unlink(out) }
            let run = try CLITests.run([
                "analyze", "-q", "-r", "Fixtures/strongswan/aes256gcm16-v4/capture.pcap", "-k", Self.keys, "-w", out,
            ])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try CaptureReader(path: out).timestampResolution == .microseconds)
            let head = Array(try #require(FileManager.default.contents(atPath: out)))
            if format == "pcap" { #expect(Array(head.prefix(4)) == [0xD4, 0xC3, 0xB2, 0xA1]) }
        }
    }

    /// `--from/--to` select to the nanosecond: frame 2 of the merged capture is 333 ns after frame 1.
    @Test(.enabled(if: enabled, "editcap/mergecap and tshark are needed"))
    func timeRangesSelectToTheNanosecond() throws {
        let capture = try MessyCaptures.path("nanoseconds/merged.pcap")
        let first = try CLITests.run(["analyze", "-r", capture, "--to", "0.0000002"])
        #expect(Self.lineTimes(first.stdout).map(\.frame) == [1], "\(first.stdout.prefix(1000))")
        let second = try CLITests.run(["analyze", "-r", capture, "--from", "0.0000002", "--to", "0.000000333"])
        #expect(Self.lineTimes(second.stdout).map(\.frame) == [2], "\(second.stdout.prefix(1000))")
    }

    /// Standard input is read at its own resolution too (its head is read, then served again).
    @Test(.enabled(if: enabled, "editcap/mergecap and tshark are needed"))
    func standardInputKeepsTheNanoseconds() throws {
        let capture = try MessyCaptures.path("nanoseconds/merged.pcap")
        let relative = try Self.tshark(capture, "frame.time_relative")
        let run = try CLITests.run(["analyze", "-r", "-"], stdin: capture)
        #expect(Self.lineTimes(run.stdout).map(\.time) == relative, "\(run.stderr)")
    }
}
