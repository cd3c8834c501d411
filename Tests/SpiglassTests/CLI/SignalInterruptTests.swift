import Foundation
import SpiglassCapture
import Testing

/// SIGINT and SIGTERM while a file is read (with -w, on one thread or several) stop the run at a
/// record boundary: the outputs are finished, the summary printed, the exit status 128 + the
/// signal. Signalled at random moments (seeded; the seed is in every failure message), the -w
/// file is the previous one, or a complete pcap (no record cut short), never a partial one.
@Suite(.serialized) struct SignalInterruptTests {
    /// A capture of about 100,000 frames (the fixture repeated), written once per test run.
    static let bigCapture: String? = {
        let path = CLITests.temporary("signals.pcap")
        guard
            let original = FileManager.default.contents(
                atPath: Paths.root + "/Fixtures/strongswan/aes256gcm16-v4/capture.pcap")
        else { return nil }
        var data = original
        let records = original.dropFirst(24)
        for _ in 0..<3000 { data.append(records) }
        return FileManager.default.createFile(atPath: path, contents: data) ? path : nil
    }()

    static let keys = "Fixtures/strongswan/aes256gcm16-v4/sa.spiglass"

    /// Reads a pcap to its end: nil when libpcap calls it damaged (a record cut short).
    static func completeRecords(_ path: String) -> Int? {
        guard let reader = try? CaptureReader(path: path) else { return nil }
        var count = 0
        while true {
            switch reader.next() {
            case .packet: count += 1
            case .end: return count
            default: return nil
            }
        }
    }

    static func tsharkSaysCutShort(_ path: String) -> Bool {
        let tshark = "/usr/bin/tshark"
        guard FileManager.default.isExecutableFile(atPath: tshark) else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tshark)
        process.arguments = ["-r", path, "-q"]
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        guard (try? process.run()) != nil else { return false }
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.contains("cut short") || process.terminationStatus != 0
    }

    @Test func signalsAtRandomMomentsLeaveThePreviousOrACompleteFile() throws {
        let capture = try #require(Self.bigCapture)
        defer { try? FileManager.default.removeItem(atPath: capture) }
        let seed =
            UInt64(ProcessInfo.processInfo.environment["SPIGLASS_SIGNAL_SEED"] ?? "")
            ?? UInt64.random(in: 1...UInt64(UInt32.max))
        var random = seed
        func next(_ bound: UInt64) -> UInt64 {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (random >> 33) % bound
        }
        let dir = CLITests.temporary("signals")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/out.pcap"
        let previous = Data("previous\n".utf8)
        // How long a whole run takes here: the moments are drawn from 0 to 1.2 times that, so
        // that some signals come before the handlers, most during the run, some after it.
        let started = Date()
        let whole = try CLITests.run(["analyze", "-q", "-r", capture, "-k", Self.keys, "-w", out])
        let duration = Date().timeIntervalSince(started)
        #expect(whole.status == 0, "\(whole.stderr)")
        // The repeated fixture's copies carry the same timestamps, so some are capture
        // duplicates and not written: a finished run writes what the whole run wrote.
        let wholeRecords = try #require(Self.completeRecords(out))
        #expect(wholeRecords > 50_000)
        var outcomes: [String] = []
        for trial in 0..<10 {
            let threads = trial % 2 == 0 ? "1" : "2"
            let signal = trial % 4 < 2 ? SIGINT : SIGTERM
            let delay = trial == 0 ? 0 : Double(next(1_000)) / 1000 * duration * 1.2
            let context =
                "seed \(seed) (SPIGLASS_SIGNAL_SEED), trial \(trial): signal \(signal) after \(delay) s, --threads \(threads)"
            try previous.write(to: URL(fileURLWithPath: out))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLITests.binary)
            process.arguments = ["analyze", "-q", "-r", capture, "-k", Self.keys, "-w", out, "--threads", threads]
            process.currentDirectoryURL = URL(fileURLWithPath: Paths.root)
            let stdout = Pipe()
            let stderr = Pipe()
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, signal)
            let report = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let written = FileManager.default.contents(atPath: out)
            let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
                $0 != "out.pcap"
            }
            if process.terminationReason == .uncaughtSignal {
                // Before the handlers were installed: nothing was written yet.
                #expect(written == previous, "\(context): killed, yet the file changed")
                #expect(leftovers.isEmpty, "\(context): \(leftovers)")
                outcomes.append("killed")
                continue
            }
            #expect(leftovers.isEmpty, "\(context): \(leftovers)")
            switch process.terminationStatus {
            case 0:
                outcomes.append("finished")
                #expect(Self.completeRecords(out) == wholeRecords, "\(context): \(errors)")
            case 128 + signal:
                outcomes.append("stopped")
                #expect(report.contains("Frames: "), "\(context): no summary")
                #expect(report.contains("reading stopped by a signal after frame"), "\(context)")
                let records = Self.completeRecords(out)
                #expect(records != nil, "\(context): the -w file is damaged")
                if let records, let line = report.split(separator: "\n").first(where: { $0.hasPrefix("Frames: ") }) {
                    #expect(line.contains("written: \(records)"), "\(context): \(line) but \(records) records")
                }
            default:
                Issue.record("\(context): exit \(process.terminationStatus): \(errors)")
            }
            #expect(!Self.tsharkSaysCutShort(out), "\(context)")
        }
        // The seed and what each trial met, for the log.
        print("signal trials, seed \(seed): \(outcomes.joined(separator: ", "))")
    }
}
