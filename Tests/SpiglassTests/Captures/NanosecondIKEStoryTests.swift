import Foundation
import Testing

/// The IKE story of a nanosecond capture keeps its nanoseconds: exchange times and round trips in
/// `ike` text and JSON, and the report's ladder labels, round trips, SA lifetimes and time span,
/// checked against tshark's `frame.time_relative` and `frame.time_epoch`. The captures are
/// `Fixtures/messy/make.sh`'s jitter ones: every frame of a real capture moved on by its own few
/// hundred nanoseconds, so that round trips and lifetimes differ below the microsecond.
@Suite struct NanosecondIKEStoryTests {
    static let enabled = NanosecondTimestampTests.enabled
    static let rekeyKeys = "Fixtures/strongswan-ike/rekey-cbc-sha256/sa.spiglass"
    static let cases = [
        ("jitter-strongswan-ike-rekey-cbc-sha256.pcap", rekeyKeys),
        ("jitter-strongswan-ike-rekey-cbc-sha256.pcapng", rekeyKeys),
        ("jitter-strongswan-ike-fragmentation.pcap", NanosecondTimestampTests.fragmentationKeys),
    ]

    /// What tshark says of a capture's frames: each one's relative time as printed, and its
    /// time since 1970 in nanoseconds (read from the digits, not through a Double).
    struct Frames {
        var relative: [String]
        var epoch: [Int64]

        init(_ capture: String) throws {
            relative = try NanosecondTimestampTests.tshark(capture, "frame.time_relative")
            epoch = try NanosecondTimestampTests.tshark(capture, "frame.time_epoch").map { text in
                let parts = text.split(separator: ".")
                let seconds = try #require(Int64(parts[0]))
                let digits = String((parts.count == 2 ? parts[1] : "").prefix(9))
                let fraction = try #require(Int64(digits.padding(toLength: 9, withPad: "0", startingAt: 0)))
                return seconds * 1_000_000_000 + fraction
            }
            #expect(relative.count == epoch.count && relative.count > 10)
        }

        /// The frame of `frames` (1-based) the capture saw first: a fragmented message's time.
        func earliest(_ frames: [Int]) throws -> Int {
            try #require(frames.filter { $0 >= 1 && $0 <= epoch.count }.min { epoch[$0 - 1] < epoch[$1 - 1] })
        }

        /// Nanoseconds from the earliest of `from` to the earliest of `to`.
        func nanoseconds(from: [Int], to: [Int]) throws -> Int64 {
            epoch[try earliest(to) - 1] - epoch[try earliest(from) - 1]
        }
    }

    /// "0.003429389": nanoseconds as seconds with nine decimals.
    static func seconds(_ nanoseconds: Int64) -> String {
        let fraction = String(nanoseconds % 1_000_000_000)
        return "\(nanoseconds / 1_000_000_000)." + String(repeating: "0", count: 9 - fraction.count) + fraction
    }

    /// "3.429389 ms": nanoseconds as milliseconds with six decimals.
    static func milliseconds(_ nanoseconds: Int64) -> String {
        let fraction = String(nanoseconds % 1_000_000)
        return "\(nanoseconds / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction + " ms"
    }

    struct Exchange {
        var ikeSA: Int
        var requestFrames: [Int]
        var responseFrames: [Int]
        var rtt: String?
        var purpose: String?
    }

    /// The `ike_exchange` records of `ike --json`, in order.
    static func exchanges(_ json: String) throws -> [Exchange] {
        try json.split(separator: "\n").filter { $0.hasPrefix(#"{"type":"ike_exchange""#) }.map { line in
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let rtt = NanosecondTimestampTests.raw(line, "rtt")
            return Exchange(
                ikeSA: try #require(object["ike_sa_index"] as? Int),
                requestFrames: try #require(object["request_frames"] as? [Int]),
                responseFrames: try #require(object["response_frames"] as? [Int]), rtt: rtt == "null" ? nil : rtt,
                purpose: object["purpose"] as? String)
        }
    }

    /// `ike` text: each exchange's "at +" time and "rtt", in order.
    static func exchangeLines(_ text: String) -> [(at: String?, rtt: String?)] {
        // Not the message lines, which open with a frame number.
        text.split(separator: "\n").filter { $0.hasPrefix("    ") && $0.dropFirst(4).first?.isLetter == true }
            .filter { $0.contains(" mid=") }.map { line in
                func after(_ marker: String, upTo end: Character) -> String? {
                    line.range(of: marker).map { String(line[$0.upperBound...].prefix { $0 != end }) }
                }
                let rtt = line.range(of: ", rtt ").map { String(line[$0.upperBound...].prefix { $0 != "," }) }
                return (after(" at +", upTo: " ").map { $0.hasSuffix(":") ? String($0.dropLast()) : $0 }, rtt)
            }
    }

    @Test(.enabled(if: enabled, "editcap/mergecap and tshark are needed"), arguments: cases)
    func exchangeTimesAndRoundTripsAreTsharks(_ name: String, _ keys: String) throws {
        let capture = try MessyCaptures.path("nanoseconds/" + name)
        let frames = try Frames(capture)
        for threads in ["1", "2"] {
            let json = try CLITests.run(["ike", "--json", "-r", capture, "-k", keys, "--threads", threads])
            let exchanges = try Self.exchanges(json.stdout)
            #expect(exchanges.count >= 3, "\(json.stderr)")
            var belowMicrosecond = 0
            for exchange in exchanges where !exchange.responseFrames.isEmpty {
                let rtt = try frames.nanoseconds(from: exchange.requestFrames, to: exchange.responseFrames)
                if rtt % 1000 != 0 { belowMicrosecond += 1 }
                #expect(exchange.rtt == Self.seconds(rtt), "JSON rtt of frames \(exchange.requestFrames)")
            }
            #expect(belowMicrosecond >= 3, "the capture's round trips should differ below the microsecond")
            let text = try CLITests.run(["ike", "-r", capture, "-k", keys, "--threads", threads])
            let lines = Self.exchangeLines(text.stdout)
            #expect(lines.count == exchanges.count, "\(text.stdout.suffix(3000))")
            for (line, exchange) in zip(lines, exchanges) {
                let request = try frames.earliest(exchange.requestFrames)
                #expect(line.at == frames.relative[request - 1], "text time of frame \(request)")
                guard !exchange.responseFrames.isEmpty else { continue }
                let rtt = try frames.nanoseconds(from: exchange.requestFrames, to: exchange.responseFrames)
                #expect(line.rtt == Self.milliseconds(rtt), "text rtt of frame \(request)")
            }
        }
    }

    /// `--from` one nanosecond after IKE SA #1's last message leaves it out; at that message it is in
    /// (counted in microseconds, both bounds fell in the message's microsecond and kept it).
    @Test(.enabled(if: enabled, "editcap/mergecap and tshark are needed"))
    func ikeSAsAreSelectedToTheNanosecond() throws {
        let capture = try MessyCaptures.path("nanoseconds/" + Self.cases[0].0)
        let frames = try Frames(capture)
        let exchanges = try Self.exchanges(
            try CLITests.run(["ike", "--json", "-r", capture, "-k", Self.rekeyKeys]).stdout)
        let last = try exchanges.filter { $0.ikeSA == 1 }.flatMap { [$0.requestFrames, $0.responseFrames] }
            .filter { !$0.isEmpty }.map { frames.epoch[try frames.earliest($0) - 1] - frames.epoch[0] }.max()
        let end = try #require(last)
        for (from, shown) in [(end, ["#1", "#2"]), (end + 1, ["#2"])] {
            let run = try CLITests.run([
                "ike", "--summary", "-r", capture, "-k", Self.rekeyKeys, "--from", Self.seconds(from),
            ])
            let listed = run.stdout.split(separator: "\n").filter { $0.hasPrefix("#") }.map { String($0.prefix(2)) }
            #expect(listed == shown, "--from \(Self.seconds(from))")
        }
    }

    @Test(.enabled(if: enabled, "editcap/mergecap and tshark are needed"), arguments: cases)
    func reportTimesAreTsharks(_ name: String, _ keys: String) throws {
        let capture = try MessyCaptures.path("nanoseconds/" + name)
        let frames = try Frames(capture)
        let exchanges = try Self.exchanges(try CLITests.run(["ike", "--json", "-r", capture, "-k", keys]).stdout)
        for threads in ["1", "2"] {
            let page = try ReportCommandTests.report(
                ["-r", capture, "-k", keys, "--threads", threads], name: "nanoseconds-\(threads)")
            defer { try? FileManager.default.removeItem(atPath: page) }
            let html = try String(contentsOfFile: page, encoding: .utf8)
            let span = try #require(frames.epoch.last) - frames.epoch[0]
            #expect(html.contains("(\(Self.seconds(span)) s)</dd>"), "the overview's time span")
            // The timeline's last tick is the end of the capture.
            #expect(html.contains(">+\(Self.seconds(span)) s</text>"), "the timeline's last tick")
            var messagesBySA: [Int: [[Int]]] = [:]
            for exchange in exchanges {
                for message in [exchange.requestFrames, exchange.responseFrames] where !message.isEmpty {
                    messagesBySA[exchange.ikeSA, default: []].append(message)
                    // The ladder's arrow: its time at the left, its frames (and a response's rtt) at the right.
                    let first = try frames.earliest(message)
                    #expect(html.contains(">+\(frames.relative[first - 1]) s</text>"), "ladder time of frame \(first)")
                }
                if !exchange.responseFrames.isEmpty {
                    let rtt = try frames.nanoseconds(from: exchange.requestFrames, to: exchange.responseFrames)
                    #expect(html.contains("rtt \(Self.milliseconds(rtt))</text>"), "ladder rtt \(exchange)")
                }
            }
            // An IKE SA's bar runs from its first message to its last (none is up at the end); one
            // that a rekey made starts at the rekey's response, in the old IKE SA's exchange.
            for (index, messages) in messagesBySA {
                let times = try messages.map { frames.epoch[try frames.earliest($0) - 1] - frames.epoch[0] }
                let (from, to) = (try #require(times.min()), try #require(times.max()))
                let end = " s to +\(Self.seconds(to)) s ("
                #expect(html.contains(end), "IKE SA #\(index): \(end)")
                guard index == 1 else { continue }
                let lifetime = "+\(Self.seconds(from))\(end)\(Self.seconds(to - from)) s)</title>"
                #expect(html.contains(lifetime), "IKE SA #\(index): \(lifetime)")
            }
            // A flow's line names its algorithms on hover, as the CHILD_SA's bar does.
            #expect(html.contains("10.98.0.1 → 10.98.0.2 (aes-cbc-"), "a flow's algorithms")
            // A CHILD_SA's bar ends at its Delete (the rekey capture deletes CHILD_SA #1 after its last packet).
            if let delete = exchanges.first(where: { $0.purpose == "delete CHILD_SA" }) {
                let ended = frames.relative[try frames.earliest(delete.requestFrames) - 1]
                let bar = try #require(html.range(of: "<title>CHILD_SA #1 "), "no CHILD_SA #1 bar")
                let title = html[bar.upperBound...].prefix { $0 != "<" }
                #expect(title.contains(" s to +\(ended) s ("), "CHILD_SA #1 ends at its Delete: \(title)")
            }
        }
    }
}
