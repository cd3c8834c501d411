import Foundation
import SpiglassCapture
import Testing

/// Capture containers libpcap reads only in part or not by itself (Fixtures/hostile): a pcapng
/// with interfaces of two link types (read as far as libpcap allows, then a message naming the
/// limit and the workaround), and gzip'd captures (read through zlib).
@Suite struct CaptureContainerTests {
    static let mixed = "Fixtures/hostile/linktypes-mixed.pcapng"
    static let gzipped = "Fixtures/hostile/rekey-cbc-sha256.pcap.gz"
    static let plain = "Fixtures/strongswan-ike/rekey-cbc-sha256/capture.pcap"
    static let keys = "Fixtures/strongswan-ike/rekey-cbc-sha256/sa.spiglass"

    @Test func mixedLinkTypesAreReadAsFarAsLibpcapAllows() throws {
        var outputs: [String] = []
        for threads in ["1", "2"] {
            let run = try CLITests.run(["analyze", "-r", Self.mixed, "-k", Self.keys, "--threads", threads])
            #expect(run.status == 2)
            #expect(run.stdout.contains("Frames: 4 "), "\(run.stdout)")
            #expect(
                run.stdout.contains(
                    "capture read up to frame 4 only: the pcapng has an interface of LINKTYPE 101 (rawip)"))
            #expect(run.stdout.contains("libpcap reads only pcapng files whose interfaces share one link type"))
            #expect(run.stdout.contains("editcap -r -F pcap -T rawip IN.pcapng IN-N.pcap"))
            outputs.append(run.stdout)
        }
        #expect(outputs[0] == outputs[1])
        let json = try CLITests.run(["analyze", "--json", "-q", "-r", Self.mixed])
        #expect(json.stdout.contains(#""damage":"the pcapng has an interface of LINKTYPE 101"#))
    }

    static var tsharkPresent: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/editcap")
    }

    /// The workaround the message gives works: each interface's file reads whole and decrypts.
    @Test(.enabled(if: tsharkPresent, "needs tshark and editcap")) func theSuggestedSplitReadsEveryFrame() throws {
        let dir = CLITests.temporary("split")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let mixed = Paths.root + "/" + Self.mixed
        func shell(_ command: String) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return text
        }
        _ = try shell("tshark -r '\(mixed)' -Y 'frame.interface_id == 0' -F pcap -w '\(dir)/IN-0.pcap'")
        _ = try shell(
            "editcap -r -F pcap -T rawip '\(mixed)' '\(dir)/IN-1.pcap' $(tshark -r '\(mixed)' -Y 'frame.interface_id == 1' -T fields -e frame.number)"
        )
        let first = try CLITests.run(["analyze", "-q", "-r", dir + "/IN-0.pcap", "-k", Self.keys])
        let second = try CLITests.run(["analyze", "-q", "-r", dir + "/IN-1.pcap", "-k", Self.keys])
        #expect(first.status == 0 && second.status == 0, "\(first.stderr)\(second.stderr)")
        #expect(first.stdout.contains("Frames: 8 "), "\(first.stdout)")
        #expect(second.stdout.contains("Frames: 4 ") && second.stdout.contains("decrypted 4"), "\(second.stdout)")
    }

    @Test func gzippedCapturesReadLikeThePlainOnes() throws {
        for mode in [["analyze"], ["ike", "--json"]] {
            for threads in ["1", "2"] {
                let gz = try CLITests.run(mode + ["-r", Self.gzipped, "-k", Self.keys, "--threads", threads])
                let plain = try CLITests.run(mode + ["-r", Self.plain, "-k", Self.keys, "--threads", threads])
                #expect(gz.status == 0, "\(gz.stderr)")
                #expect(gz.stdout == plain.stdout, "\(mode) --threads \(threads)")
            }
        }
        // The library reads it too, frame for frame.
        let reader = try CaptureReader(path: Paths.root + "/" + Self.gzipped)
        var frames = 0
        while case .packet = reader.next() { frames += 1 }
        #expect(frames == 38)
    }

    @Test func aCutGzipIsADamagedCaptureAndNoOutputGoesOverIt() throws {
        let data = try #require(FileManager.default.contents(atPath: Paths.root + "/" + Self.gzipped))
        let cut = CLITests.temporary("cut.pcap.gz")
        try data.prefix(data.count * 2 / 3).write(to: URL(fileURLWithPath: cut))
        defer { try? FileManager.default.removeItem(atPath: cut) }
        let run = try CLITests.run(["analyze", "-q", "-r", cut, "-k", Self.keys])
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("capture damaged after frame"))
        let refused = try CLITests.run(["analyze", "-q", "-r", cut, "-w", cut])
        #expect(refused.status == 1)
        #expect(try #require(FileManager.default.contents(atPath: cut)) == data.prefix(data.count * 2 / 3))
    }
}
