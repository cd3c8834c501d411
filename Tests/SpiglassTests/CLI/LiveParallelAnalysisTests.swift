import Foundation
import SpiglassCapture
import SpiglassSAD
import Testing

@testable import SpiglassAnalysis

/// A live capture on several threads, without a network: `ScriptedLiveSource` plays a fixture as
/// an interface would (read timeouts, kernel drops). The frames must come out in capture order,
/// as one thread reports them; what was read before a read timeout must be reported before the
/// next read, not once a batch fills; and sequence numbers the capture lost must not be reported
/// as the network's loss.
@Suite struct LiveParallelAnalysisTests {
    static let ike = (
        capture: Paths.fixture("strongswan-ike/rekey-cbc-sha256/capture.pcap"),
        keys: Paths.fixture("strongswan-ike/rekey-cbc-sha256/sa.spiglass")
    )
    static let gcm = (
        capture: Paths.fixture("strongswan/aes256gcm16-v4/capture.pcap"),
        keys: Paths.fixture("strongswan/aes256gcm16-v4/sa.spiglass")
    )

    /// The text report of a live run of `source` on `threads` threads (one: `Analyzer.run`).
    static func report(
        _ source: ScriptedLiveSource, keys: String, threads: Int, output: OutputSink,
        stopRequested: @escaping @Sendable () -> Bool = { false }
    ) throws -> AnalysisSummary {
        let keySet = try Analyzer.loadKeySet([keys])
        var options = AnalysisOptions()
        options.flushEachPacket = true
        let sad = Analyzer.espDatabase(keySet)
        let ahSAD = Analyzer.ahDatabase(keySet)
        if threads == 1 {
            let analyzer = try Analyzer(
                sad: sad, ahSAD: ahSAD, ikeKeys: keySet.ikeSAs, options: options, output: output)
            var control = Analyzer.RunControl()
            control.stopRequested = stopRequested
            return analyzer.run(source, control: control)
        }
        let parallel = try ParallelAnalysis(
            reader: source, sad: sad, ahSAD: ahSAD, ikeKeys: keySet.ikeSAs, options: options, threads: threads,
            output: output)
        return try parallel.run(stopRequested: stopRequested)
    }

    /// A stop asked for while the ring still holds frames (they came with no read timeout
    /// between them): those frames are read and reported before the run ends.
    @Test(arguments: [1, 2])
    func aStopReadsWhatTheRingAlreadyHolds(threads: Int) throws {
        let stop = StopFlag()
        let source = try ScriptedLiveSource(Self.gcm.capture, timeoutsAfter: [32])
        source.afterPacket = { if $0 == 10 { stop.raise() } }
        let output = LockedStringSink()
        let summary = try Self.report(
            source, keys: Self.gcm.keys, threads: threads, output: output, stopRequested: { stop.raised })
        #expect(summary.frames == 32)
        #expect(output.text.contains("Verdicts: decrypted 26, ike 6"))
    }

    @Test func aStopEndsAtAnEmptyRingOnceTheLastBlockIsInOrAfterAQuarterSecond() {
        // (stop asked for, read found nothing, time): the answers after each read.
        var quiet = LiveStopDrain()
        let quietReads: [(Bool, Bool, Double)] = [
            (false, true, 0), (true, false, 1), (true, true, 1.01), (true, true, 1.06), (true, false, 1.11),
            (true, true, 1.12),
        ]
        let quietEnds = quietReads.map { quiet.ends(stop: $0.0, empty: $0.1, now: $0.2) }
        #expect(quietEnds == [false, false, false, false, false, true])
        var busy = LiveStopDrain()
        let busyReads: [Double] = [5, 5.2, 5 + LiveStopDrain.longest]
        let busyEnds = busyReads.map { busy.ends(stop: true, empty: false, now: $0) }
        #expect(busyEnds == [false, false, true])
    }

    @Test(arguments: [2, 3])
    func liveFramesComeOutInCaptureOrderAsOneThreadReportsThem(threads: Int) throws {
        // IKE, a rekey and ESP of several SAs: frames dealt to different workers, and the
        // workers that own ESP wait for worker 0's keys.
        let timeouts: Set<Int> = [1, 2, 5, 9, 10, 17, 30, 37]
        let one = StringSink()
        _ = try Self.report(
            try ScriptedLiveSource(Self.ike.capture, timeoutsAfter: timeouts), keys: Self.ike.keys, threads: 1,
            output: one)
        let several = LockedStringSink()
        _ = try Self.report(
            try ScriptedLiveSource(Self.ike.capture, timeoutsAfter: timeouts), keys: Self.ike.keys,
            threads: threads, output: several)
        #expect(one.text.contains("decrypted"))
        #expect(one.text.contains("Live capture: 38 packets received by filter"))
        #expect(several.text == one.text)
    }

    @Test func framesReadBeforeAReadTimeoutAreReportedBeforeTheNextRead() throws {
        // Without the hand-over at a timeout, nothing is reported before 512 frames are read
        // (this capture has 38): every wait below would time out.
        let source = try ScriptedLiveSource(Self.ike.capture, timeoutsAfter: [3, 4, 20, 21, 33])
        let output = LockedStringSink()
        var waits: [(frames: Int, reported: Bool)] = []
        source.afterTimeout = { frames in
            waits.append((frames, output.waitForLines(frames, seconds: 5)))
        }
        _ = try Self.report(source, keys: Self.ike.keys, threads: 2, output: output)
        #expect(waits.map(\.frames) == [3, 4, 20, 21, 33])
        for wait in waits { #expect(wait.reported, "frames 1-\(wait.frames) not reported at the timeout after them") }
    }

    /// The -w file of a live capture gets what was read before a read timeout before the next
    /// read, as the report does, on several threads as on one (which writes each packet as it
    /// comes): the workers merge and write in turns, with no merging thread to wake.
    @Test(arguments: [2, 3])
    func packetsReadBeforeAReadTimeoutAreWrittenBeforeTheNextRead(threads: Int) throws {
        let directory = CLITests.temporary("live-write")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let timeouts: Set<Int> = [3, 4, 9, 20, 21, 33]
        let keySet = try Analyzer.loadKeySet([Self.ike.keys])
        // How many packets the -w file at `path` holds: whole records after the file header.
        func records(_ path: String) -> Int {
            let bytes = Array(FileManager.default.contents(atPath: path) ?? Data())
            var (offset, count) = (24, 0)
            while offset + 16 <= bytes.count {
                let length = bytes[offset + 8..<offset + 12].reversed().reduce(0) { $0 << 8 | Int($1) }
                guard offset + 16 + length <= bytes.count else { break }
                offset += 16 + length
                count += 1
            }
            return count
        }
        func run(_ path: String, threads: Int, atTimeout: @escaping (Int) -> Void) throws {
            var options = AnalysisOptions()
            options.flushEachPacket = true
            options.quiet = true
            options.writePath = path
            let source = try ScriptedLiveSource(Self.ike.capture, timeoutsAfter: timeouts)
            source.afterTimeout = atTimeout
            let (sad, ahSAD) = (Analyzer.espDatabase(keySet), Analyzer.ahDatabase(keySet))
            if threads == 1 {
                let analyzer = try Analyzer(
                    sad: sad, ahSAD: ahSAD, ikeKeys: keySet.ikeSAs, options: options, output: StringSink())
                _ = analyzer.run(source)
            } else {
                _ = try ParallelAnalysis(
                    reader: source, sad: sad, ahSAD: ahSAD, ikeKeys: keySet.ikeSAs, options: options, threads: threads,
                    output: StringSink()
                ).run()
            }
        }
        let one = directory + "/one.pcap"
        nonisolated(unsafe) var expected: [Int] = []
        try run(one, threads: 1) { _ in expected.append(records(one)) }
        #expect(expected.count == timeouts.count && expected.last! > 10, "\(expected)")
        let several = directory + "/several.pcap"
        nonisolated(unsafe) var waits: [(frames: Int, written: Bool)] = []
        try run(several, threads: threads) { frames in
            let want = expected[waits.count]
            let deadline = Date().addingTimeInterval(5)
            while records(several) < want && Date() < deadline { usleep(2000) }
            waits.append((frames, records(several) >= want))
        }
        #expect(waits.map(\.frames) == timeouts.sorted())
        for wait in waits {
            #expect(wait.written, "packets of frames 1-\(wait.frames) not written at the timeout after them")
        }
        #expect(FileManager.default.contents(atPath: several) == FileManager.default.contents(atPath: one))
    }

    /// Frames 11 and 12 carry sequence number 4 of each of the two SAs.
    static let droppedESP: Set<Int> = [11, 12]

    @Test(arguments: [1, 2])
    func sequenceNumbersTheKernelDroppedAreNotNetworkLoss(threads: Int) throws {
        let output = LockedStringSink()
        let summary = try Self.report(
            try ScriptedLiveSource(Self.gcm.capture, dropped: Self.droppedESP), keys: Self.gcm.keys,
            threads: threads, output: output)
        let loss = summary.findings.filter { $0.kind == .loss }
        #expect(loss.count == 2)
        for finding in loss {
            #expect(
                finding.message
                    == "1 sequence number(s) missing between 1 and 13, an upper bound on this SA's loss: the capture dropped 2 packet(s) of the run (2 by the kernel, 0 by the interface), which may be among them (at least 0 never reached the capture or were not intact)"
            )
        }
        #expect(
            output.text.contains(
                "Capture loss: 2 packets were dropped before analysis (a larger ring, -B, or more --threads help); sequence numbers missing per SA include them and are upper bounds\n"
            ))
    }

    @Test func sequenceNumbersMissingWithNoCaptureDropsAreLoss() throws {
        let output = LockedStringSink()
        let summary = try Self.report(
            try ScriptedLiveSource(Self.gcm.capture, dropped: Self.droppedESP, countDrops: false),
            keys: Self.gcm.keys, threads: 2, output: output)
        let loss = summary.findings.filter { $0.kind == .loss }.map(\.message)
        #expect(
            loss
                == Array(
                    repeating: "1 sequence number(s) missing (never received, or not intact) between 1 and 13", count: 2
                ))
        #expect(!output.text.contains("Capture loss:"))
    }

    @Test(.enabled(if: MessyCaptures.toolsPresent, "needs editcap and mergecap"))
    func sequenceNumbersOfCutPacketsAreNotNetworkLoss() throws {
        // Frames 9-12 cut at 96 bytes: sequence numbers 3 and 4 of each SA.
        let path = try MessyCaptures.path("snaplen-partial/strongswan-aes256gcm16-v4.pcap")
        let (_, summary, _) = try analyzeStream(path, keys: [Self.gcm.keys])
        let loss = summary.findings.filter { $0.kind == .loss }.map(\.message)
        #expect(
            loss
                == Array(
                    repeating:
                        "2 sequence number(s) missing between 1 and 13, an upper bound on this SA's loss: the snapshot length cut 2 of this SA's packets, which may be among them (at least 0 never reached the capture or were not intact)",
                    count: 2))
    }

    @Test func ringDefaultIsAHundredMillisecondsOfTheLink() {
        #expect(LiveCaptureBuffer.bytes(megabitsPerSecond: 10_000) == 125_000_000)
        #expect(LiveCaptureBuffer.bytes(megabitsPerSecond: 25_000) == LiveCaptureBuffer.maximumDefault)
        #expect(LiveCaptureBuffer.bytes(megabitsPerSecond: 1000) == LiveCaptureBuffer.minimumDefault)
        #expect(LiveCaptureBuffer.bytes(megabitsPerSecond: 0) == LiveCaptureBuffer.unknownSpeedDefault)
        #expect(LiveCaptureBuffer.bytes(megabitsPerSecond: .max) == LiveCaptureBuffer.maximumDefault)
        #expect(LiveCaptureBuffer.defaultBytes(interface: "../../etc") == LiveCaptureBuffer.unknownSpeedDefault)
        #expect(
            LiveCaptureBuffer.defaultBytes(interface: "no-such-interface0") == LiveCaptureBuffer.unknownSpeedDefault)
    }

    @Test func bufferSizeIsForLiveCapturesAndInRange() throws {
        let file = try CLITests.run(["analyze", "-r", "Fixtures/strongswan/aes256gcm16-v4/capture.pcap", "-B", "4096"])
        #expect(file.status == 64)
        #expect(file.stderr.contains("-B applies to live captures (-i)"))
        for size in ["0", "2097152", "-5"] {
            let bad = try CLITests.run(["analyze", "-i", "lo", "--buffer-size", size])
            #expect(bad.status == 64, "-B \(size)")
            #expect(bad.stderr.contains("-B must be between 1 and 2097151 KiB") || size == "-5", "-B \(size)")
        }
    }
}

/// A stop request raised on one thread and polled on another.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func raise() { lock.withLock { value = true } }
    var raised: Bool { lock.withLock { value } }
}
