import Foundation
import Testing

/// `spiglass report -i` on one and on two threads: a real strongSwan exchange (IKE_SA_INIT,
/// IKE_AUTH, a CHILD_SA rekey, an IKE SA rekey, deletes, ESP on four SPIs) sent over a veth pair
/// while the report listens on the other end, with only the IKE keys given, so that every ESP key
/// is derived live (on two threads, worker 0 hands them to the worker that owns the ESP). The page
/// must show what the same frames read from the file show, apart from the times, and open in
/// headless Chromium without an error.
@Suite(
    .serialized,
    .enabled(
        if: LiveCaptureEnvironment.usable && HeadlessChromium.available,
        "needs root, iproute2 and python3 to build a test network, and chromium")
)
struct LiveReportTests {
    static let directory = "Fixtures/strongswan-ike/rekey-cbc-sha256"
    static let frames = 38

    /// What a page says that does not depend on when the frames came: the SA table without its
    /// first/last seen, the ladders' labels, the timeline's rows, the packets its sparklines count
    /// and the overview's frames.
    struct Facts: Equatable, CustomStringConvertible {
        var table: [[String]]
        var ladder: [String]
        var timeline: [String]
        var sparklinePackets: Int
        var frames: [String]

        init(_ page: String) throws {
            func all(_ pattern: String, in text: String) throws -> [[String]] {
                let regex = try NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
                return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
                    (1..<match.numberOfRanges).map { String(text[Range(match.range(at: $0), in: text)!]) }
                }
            }
            table = try all(#"<tr id="flow-\d+">(.*?)</tr>"#, in: page).map { row in
                try all(#"<td[^>]*>(.*?)</td>"#, in: row[0]).map { $0[0] }.dropLast(2)
            }
            ladder = try all(#"<text x="430" y="[^"]*" text-anchor="middle" class="[^"]*">([^<]*)</text>"#, in: page)
                .map { $0[0] }
            timeline = try all(##"<a href="#([^"]+)"><text x="\d+" y="[^"]*">([^<]*)</text></a>"##, in: page)
                .map { $0.joined(separator: " ") }
            sparklinePackets = try all(#"<rect class="spark"[^>]*><title>[^<]*: (\d+) packets"#, in: page)
                .reduce(0) { $0 + (Int($1[0]) ?? 0) }
            frames = try all(#"<dt>Frames</dt><dd>([^<]*)"#, in: page).map { $0[0] }
        }

        var description: String { "table \(table)\nladder \(ladder)\ntimeline \(timeline)\nframes \(frames)" }
    }

    @Test(arguments: [1, 2])
    func liveReportShowsWhatTheFileShows(threads: Int) throws {
        let network = try LiveCaptureTests.TestNetwork(tag: "r\(threads)")
        let base = NSTemporaryDirectory() + "spiglass-live-report-\(getpid())-\(threads)"
        let (keys, livePage) = (base + ".spiglass", base + ".html")
        defer { for file in [keys, livePage] { try? FileManager.default.removeItem(atPath: file) } }
        let text = try String(contentsOfFile: Paths.root + "/" + Self.directory + "/sa.spiglass", encoding: .utf8)
        try text.split(separator: "\n").filter { $0.hasPrefix("ike ") }.joined(separator: "\n").write(
            toFile: keys, atomically: true, encoding: .utf8)
        let listener = try LiveCaptureTests.Listener(
            network: network, command: "report",
            arguments: [
                "-k", keys, "-f", LiveCaptureTests.filter, "-c", String(Self.frames), "--threads", String(threads),
                "-o", livePage,
            ])
        try network.replay(Paths.root + "/" + Self.directory + "/capture.pcap", frames: 0..<Self.frames)
        #expect(listener.waitForExit() == 0, "stderr: \(listener.stderr)")
        let filePage = try ReportCommandTests.report(
            ["-r", Self.directory + "/capture.pcap", "-k", keys], name: "live-report-file-\(threads)")
        defer { try? FileManager.default.removeItem(atPath: filePage) }
        let live = try Facts(try String(contentsOfFile: livePage, encoding: .utf8))
        let file = try Facts(try String(contentsOfFile: filePage, encoding: .utf8))
        #expect(live == file)
        // What the file's page shows, so that equal pages are not two empty ones.
        #expect(file.table.count == 4 && file.table.allSatisfy { $0[5].hasPrefix("derived from IKE SA") })
        #expect(file.table.map { $0[10] } == ["4", "4", "8", "8"], "decrypted per SA")
        #expect(file.ladder.count == 2 * 14 && file.ladder.contains("CREATE_CHILD_SA request mid=4 [I]"))
        #expect(file.timeline.filter { $0.hasPrefix("flow-") }.count == 4)
        #expect(file.sparklinePackets == 24)
        #expect(file.frames == ["38 (8116 bytes)"])
        let load = try HeadlessChromium.load(livePage)
        ReportCommandTests.checkLoaded(load, "live report on \(threads) threads")
        #expect(load.dom.contains("IKE SA #2"))
    }
}
