import Foundation
import SpiglassAnalysis
import Testing

/// `--spi`, `--ike-sa`, `--from`/`--to` and `-f`: what is shown keeps the capture's own frame
/// numbers and times, those of the unfiltered run and of tshark for the same file.
@Suite struct SelectionTests {
    /// One IKEv2 SA rekeyed into IKE SA #2, three CHILD_SAs, ESP in UDP 4500.
    static let folder = "Fixtures/strongswan-logs/ikev2"
    static let base = ["analyze", "-r", "\(folder)/capture.pcap", "-k", "\(folder)/A/charon.log"]

    /// The per-packet lines of a run (they start with the frame number), by frame number.
    static func packetLines(_ output: String) -> [Int: String] {
        var lines: [Int: String] = [:]
        for line in output.split(separator: "\n") {
            guard let number = line.split(separator: " ").first.flatMap({ Int($0) }) else { continue }
            lines[number] = String(line)
        }
        return lines
    }

    static func run(_ extra: [String], threads: Int = 1) throws -> CLITests.Run {
        let run = try CLITests.run(base + ["--threads", String(threads)] + extra)
        #expect(run.status == 0, "\(run.stderr)")
        return run
    }

    /// Each selection against tshark's display filter for the same packets; every line shown is
    /// the unfiltered run's line for that frame, byte for byte.
    @Test(
        .enabled(if: Tshark.path != nil),
        arguments: [
            (["--spi", "0x5405e2f2"], "esp.spi == 0x5405e2f2"),
            (["--spi", "5405E2F2", "--spi", "caa1b64e"], "esp.spi == 0x5405e2f2 || esp.spi == 0xcaa1b64e"),
            (["--spi", "8e1251b537b53c42"], "isakmp.ispi == 8e:12:51:b5:37:b5:3c:42"),
            (["--ike-sa", "2"], "isakmp.ispi == 8e:12:51:b5:37:b5:3c:42"),
            (["--from", "1.0", "--to", "1.3"], "frame.time_relative >= 1.0 && frame.time_relative <= 1.3"),
            (["--from", "3.5"], "frame.time_relative >= 3.5"),
            (["-f", "udp port 500"], "udp.port == 500"),
            (["-f", "udp port 4500 and greater 200"], "udp.port == 4500 && frame.len >= 200"),
            (["-f", "udp port 4500", "--spi", "0x0acb539a"], "esp.spi == 0x0acb539a"),
        ])
    func selectionKeepsTheCapturesFrameNumbers(options: [String], tsharkFilter: String) throws {
        let whole = Self.packetLines(try Self.run([]).stdout)
        #expect(whole.count == 76)
        let expected = try Tshark.frameNumbers(
            capture: Paths.root + "/\(Self.folder)/capture.pcap", filter: tsharkFilter)
        #expect(!expected.isEmpty)
        for threads in [1, 2] {
            let selected = try Self.run(options, threads: threads)
            let lines = Self.packetLines(selected.stdout)
            #expect(lines.keys.sorted() == expected, "\(options) with \(threads) thread(s)")
            for (number, line) in lines { #expect(line == whole[number], "frame \(number) under \(options)") }
        }
    }

    @Test func selectionNarrowsTheTablesAndSaysSo() throws {
        let spi = try Self.run(["--spi", "0x5405e2f2"]).stdout
        #expect(spi.contains("IPsec security associations seen: 1\n"))
        #expect(spi.contains("\n0x5405e2f2  ESP"))
        #expect(!spi.contains("0x0acb539a  ESP"))
        // Totals stay the capture's; the selection says what it kept.
        #expect(spi.contains("Frames: 76  ESP: 48  AH: 0  IKE: 28"))
        #expect(spi.contains("Selection: 4 of 76 frames shown;"))
        let ike = try CLITests.run([
            "ike", "-r", "\(Self.folder)/capture.pcap", "-k", "\(Self.folder)/A/charon.log", "--ike-sa", "2",
        ])
        #expect(ike.stdout.contains("IKE SA #2 "))
        #expect(!ike.stdout.contains("IKE SA #1 "))
        #expect(ike.stdout.contains("Selection: 4 of 76 frames shown;"))
        // An ESP SPI shows the IKE SA that negotiated it.
        let bySPI = try CLITests.run([
            "ike", "-q", "-r", "\(Self.folder)/capture.pcap", "-k", "\(Self.folder)/A/charon.log", "--spi", "5405e2f2",
        ])
        #expect(bySPI.stdout.contains("IKE SA #1 "))
        #expect(!bySPI.stdout.contains("IKE SA #2 "))
        let json = try Self.run(["--json", "-q", "-f", "udp port 500", "--to", "0"]).stdout
        #expect(json.contains("\"frames\":76,\"bytes\":"))
        #expect(json.contains("\"filter_excluded\":74,\"selected_frames\":1,"))
    }

    /// `-w` writes the selected packets only, whatever the format: pcap, pcapng, and pcapng with
    /// the outer headers kept (the annotated writer once wrote every packet).
    @Test func selectionNarrowsEveryWriteFormat() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spiglass-sel-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func written(_ extra: [String]) throws -> Int? {
            let summary = try Self.run(["-q"] + extra).stdout.split(separator: "\n").first { $0.hasPrefix("Frames:") }
            return summary?.components(separatedBy: "written: ").last.flatMap { Int($0.prefix { $0.isNumber }) }
        }
        let all = try written(["-w", folder + "/all.pcap"])
        let outputs = [
            ["-w", folder + "/a.pcap"], ["-w", folder + "/b.pcapng"], ["-w", folder + "/c.pcapng", "--keep-outer"],
        ]
        let selected = try outputs.map { try written(["--spi", "0x5405e2f2"] + $0) }
        #expect(all.map { $0 > 4 } == true, "\(String(describing: all))")
        #expect(selected == [4, 4, 4])
    }

    /// Bounds are inclusive, to the microsecond, relative or absolute (frame 19 is at 1.007621 s,
    /// the first frame at 2026-12-06T20:09:52.873708Z).
    @Test func timeRangeEdges() throws {
        func frames(_ options: [String]) throws -> [Int] {
            Self.packetLines(try Self.run(options).stdout).keys.sorted()
        }
        #expect(try frames(["--from", "1.007621", "--to", "1.007945"]) == [19, 20])
        #expect(try frames(["--from", "1.007622", "--to", "1.007944"]) == [])
        #expect(try frames(["--from", "2026-12-06T20:09:53.881329Z", "--to", "1.007945"]) == [19, 20])
        #expect(try frames(["--from", "2026-12-06 21:09:53.881330+01:00", "--to", "1.007945"]) == [20])
        #expect(try frames(["--to", "0"]) == [1])
        let bad = try CLITests.run(Self.base + ["--from", "yesterday"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--from: 'yesterday' is neither seconds"))
        let badSPI = try CLITests.run(Self.base + ["--spi", "0x12345678901234567"])
        #expect(badSPI.status == 64)
    }

    /// `-c` counts the frames the filter kept, as tcpdump's does.
    @Test func countCountsFramesTheFilterKept() throws {
        for threads in [1, 2] {
            let lines = Self.packetLines(try Self.run(["-f", "udp port 500", "-c", "1"], threads: threads).stdout)
            #expect(lines.keys.sorted() == [1])
            let later = Self.packetLines(
                try Self.run(["-f", "udp port 4500 and greater 200", "-c", "2"], threads: threads).stdout)
            #expect(later.keys.sorted() == [3, 4])
        }
    }

    @Test func spiAndTimeWords() {
        var selection = ReportSelection()
        #expect(selection.addSPI("0xC0FFEE01") == nil)
        #expect(selection.addSPI("1") == nil)
        #expect(selection.addSPI("00c0ffee12345678") == nil)
        #expect(selection.spis.map(\.rawValue).sorted() == [1, 0xc0ff_ee01])
        #expect(selection.ikeSPIs == [0x00c0_ffee_1234_5678])
        #expect(selection.addSPI("0x") != nil)
        #expect(selection.addSPI("xyz") != nil)
        #expect(selection.addSPI("12345678901234567") != nil)
        typealias Bound = ReportSelection.TimeBound
        #expect(Bound.parse("12") == .relative(seconds: 12, nanoseconds: 0))
        #expect(Bound.parse("0.0000019") == .relative(seconds: 0, nanoseconds: 1900))
        #expect(Bound.parse("1.0000000019") == .relative(seconds: 1, nanoseconds: 1))
        #expect(Bound.parse("1970-01-01T00:00:01Z") == .absolute(.init(seconds: 1, microseconds: 0)))
        #expect(Bound.parse("2000-02-29") == .absolute(.init(seconds: 951_782_400, microseconds: 0)))
        #expect(
            Bound.parse("2000-03-01T00:00:00.5-0130") == .absolute(.init(seconds: 951_874_200, microseconds: 500_000)))
        for bad in [
            "", "-1", "1.", ".5", "2001-02-29", "2000-13-01", "2000-01-01T24:00", "2000-01-01T10:00Q",
            "2000-01-01T10:00+1",
        ] {
            #expect(Bound.parse(bad) == nil, "\(bad)")
        }
    }
}
