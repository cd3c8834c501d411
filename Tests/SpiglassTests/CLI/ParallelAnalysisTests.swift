import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire
import Testing

/// `--threads N` must not change a byte of the output: the same lines on standard output, the
/// same warnings on standard error, the same exit status and the same -w file, whatever N.
/// Every fixture, the shared corpus when present, and a large capture built here (several SAs,
/// ESN, replays, loss, ICV failures, fragments, RFC 8229 TCP, IKE, no-key and non-IPsec frames).
@Suite struct ParallelAnalysisTests {
    /// What a run left behind: everything that must be identical.
    struct Outcome: Equatable, CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var written: Data

        var description: String {
            "status \(status), \(stdout.count) characters out, \(written.count) bytes written\n\(stderr)"
        }
    }

    static func run(_ arguments: [String], threads: Int) throws -> Outcome {
        let out = CLITests.temporary("parallel.pcap")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try CLITests.run(arguments + ["-w", out, "--threads", String(threads)])
        let written = FileManager.default.contents(atPath: out) ?? Data()
        return Outcome(status: result.status, stdout: result.stdout, stderr: result.stderr, written: written)
    }

    /// Runs `arguments` at each thread count and requires every outcome to equal the first.
    /// Returns the single-threaded outcome.
    @discardableResult
    static func expectSameOutput(
        _ arguments: [String], threads: [Int] = [1, 2, 3],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Outcome {
        let reference = try run(arguments, threads: threads[0])
        for count in threads.dropFirst() {
            let outcome = try run(arguments, threads: count)
            #expect(
                outcome.status == reference.status, "\(arguments) --threads \(count)", sourceLocation: sourceLocation)
            #expect(
                outcome.stderr == reference.stderr, "\(arguments) --threads \(count)", sourceLocation: sourceLocation)
            #expect(
                outcome.written == reference.written, "\(arguments) --threads \(count): -w differs",
                sourceLocation: sourceLocation)
            if outcome.stdout != reference.stdout {
                let a = reference.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                let b = outcome.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                let first = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
                Issue.record(
                    "\(arguments) --threads \(count): stdout differs at line \(first + 1):\n  1: \(first < a.count ? a[first] : "<end>")\n  \(count): \(first < b.count ? b[first] : "<end>")",
                    sourceLocation: sourceLocation)
            }
        }
        return reference
    }

    static let modes: [[String]] = [["analyze"], ["analyze", "--json"], ["ike", "--json"], ["ike"]]

    // MARK: - Fixtures

    /// Every fixture capture with its keys: those the robustness tests take, and the AH ones.
    static let fixtures: [(capture: String, keys: [String])] = {
        var pairs = AnalyzerRobustnessTests.captures
        let ah = (try? FileManager.default.contentsOfDirectory(atPath: Paths.fixture("scapy-ah"))) ?? []
        for file in ah.sorted() where file.hasSuffix(".pcap") {
            pairs.append(("scapy-ah/\(file)", ["scapy-ah/\(file.dropLast(5)).spiglass"]))
        }
        return pairs
    }()

    @Test func everyFixtureIsCovered() {
        #expect(Self.fixtures.count >= 60)
    }

    @Test(arguments: fixtures)
    func fixtureOutputIsTheSameAtEveryThreadCount(_ fixture: (capture: String, keys: [String])) throws {
        let keys = fixture.keys.flatMap { ["-k", Paths.fixture($0)] }
        for mode in Self.modes {
            let reference = try Self.expectSameOutput(mode + ["-r", Paths.fixture(fixture.capture)] + keys)
            #expect(reference.status == 0, "\(fixture.capture) \(mode): \(reference.stderr)")
        }
    }

    /// The IKE fixtures with their IKE keys only: every ESP key comes from SK_d, derived by
    /// worker 0 (the one worker that follows IKE) and handed to the others through the event
    /// log, before the ESP that follows in the capture reaches them.
    static let ikeOnlyFixtures: [String] = {
        var cases: [String] = []
        for folder in ["strongswan-ike", "strongswan-ikev1"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: Paths.fixture(folder))) ?? []
            for name in names.sorted() where Paths.exists(Paths.fixture("\(folder)/\(name)/sa.spiglass")) {
                cases.append("\(folder)/\(name)")
            }
        }
        return cases
    }()

    @Test(arguments: ikeOnlyFixtures)
    func keysDerivedFromIKEReachEveryWorker(_ fixture: String) throws {
        let all = try String(contentsOfFile: Paths.fixture(fixture + "/sa.spiglass"), encoding: .utf8)
        let keys = CLITests.temporary("ike-only.keys")
        try (all.split(separator: "\n").filter { $0.hasPrefix("ike ") }.joined(separator: "\n") + "\n")
            .write(toFile: keys, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: keys) }
        for mode in [["analyze"], ["ike", "--json"]] {
            let reference = try Self.expectSameOutput(
                mode + ["-r", Paths.fixture(fixture + "/capture.pcap"), "-k", keys], threads: [1, 2, 3])
            #expect(reference.status == 0, "\(fixture): \(reference.stderr)")
        }
    }

    @Test func ikeOnlyFixturesDecryptESP() throws {
        #expect(Self.ikeOnlyFixtures.count >= 20)
        let all = try String(
            contentsOfFile: Paths.fixture("strongswan-ike/rekey-cbc-sha256/sa.spiglass"), encoding: .utf8)
        let keys = CLITests.temporary("ike-only.keys")
        try (all.split(separator: "\n").filter { $0.hasPrefix("ike ") }.joined(separator: "\n") + "\n")
            .write(toFile: keys, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let run = try Self.run(
            ["analyze", "-q", "-r", Paths.fixture("strongswan-ike/rekey-cbc-sha256/capture.pcap"), "-k", keys],
            threads: 3)
        #expect(run.stdout.contains("decrypted 24"), "\(run.stdout)")
    }

    // MARK: - The shared corpus (nested ESP, many link types and transforms)

    @Test(
        .enabled(if: Paths.corpusPresent, "the shared corpus (../shared/corpus) is not present"),
        arguments: CorpusTests.cases)
    func corpusOutputIsTheSameAtEveryThreadCount(_ c: CorpusTests.Case) throws {
        var keys = c.keys.flatMap { ["-k", Paths.corpus($0)] }
        var inline: String?
        if let text = c.inlineKeys {
            let path = CLITests.temporary("corpus.keys")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            inline = path
            keys += ["-k", path]
        }
        defer { if let inline { try? FileManager.default.removeItem(atPath: inline) } }
        for mode in [["analyze"], ["analyze", "--json"]] {
            try Self.expectSameOutput(mode + ["-r", Paths.corpus(c.capture)] + keys, threads: [1, 2])
        }
    }

    // MARK: - A large capture built here

    static func generatedDirectory() -> String { NSTemporaryDirectory() + "spiglass-parallel-\(getpid())" }

    /// The generated capture and its key file, built once for the tests below.
    static let generated: (capture: String, keys: String) = {
        let directory = generatedDirectory()
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Removed when the test process exits.
        atexit { try? FileManager.default.removeItem(atPath: ParallelAnalysisTests.generatedDirectory()) }
        let capture = directory + "/generated.pcap"
        let keys = directory + "/generated.keys"
        do {
            try GeneratedCapture.write(capture: capture, keys: keys)
        } catch {
            Issue.record("cannot build the generated capture: \(error)")
        }
        return (capture, keys)
    }()

    @Test func generatedCaptureIsTheSameAtEveryThreadCount() throws {
        let (capture, keys) = Self.generated
        let text = try Self.expectSameOutput(["analyze", "-r", capture, "-k", keys], threads: [1, 2, 4])
        #expect(text.status == 0, "\(text.stderr)")
        // The capture does exercise what it was built for.
        for word in [
            "decrypted", "icv-failed", "no-sa", "[duplicate]", "capture-duplicate", "[late]", "fragment",
            "[reassembled]", "ESP-in-UDP",
            "ESP-in-TCP", "IKEv2", "not-ipsec", "transport",
        ] {
            #expect(text.stdout.contains(word), "the generated capture has no \(word)")
        }
        #expect(text.written.count > 1_000_000)
        for mode in Self.modes.dropFirst() {
            try Self.expectSameOutput(mode + ["-r", capture, "-k", keys], threads: [1, 2, 4])
        }
        try Self.expectSameOutput(["analyze", "-q", "-r", capture, "-k", keys], threads: [1, 3])
    }

    @Test func countFilterAndNoKeysAreTheSameAtEveryThreadCount() throws {
        let (capture, keys) = Self.generated
        try Self.expectSameOutput(["analyze", "-r", capture, "-k", keys, "-c", "1234"], threads: [1, 2])
        try Self.expectSameOutput(["analyze", "--json", "-r", capture, "-k", keys, "-f", "udp"], threads: [1, 2])
        try Self.expectSameOutput(["analyze", "-r", capture], threads: [1, 2])
    }

    @Test func damagedCaptureEndsAlikeAtEveryThreadCount() throws {
        let (capture, keys) = Self.generated
        let cut = CLITests.temporary("cut.pcap")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        let whole = try #require(FileManager.default.contents(atPath: capture))
        try whole.prefix(whole.count / 2 + 7).write(to: URL(fileURLWithPath: cut))
        let text = try Self.expectSameOutput(["analyze", "-r", cut, "-k", keys], threads: [1, 2])
        #expect(text.status == 2)
        try Self.expectSameOutput(["analyze", "--json", "-r", cut, "-k", keys], threads: [1, 2])
    }

    /// The library: `ParallelAnalysis` reports what `Analyzer.run` reports, with the same flows.
    @Test func parallelAnalysisMatchesTheAnalyzer() throws {
        let (capture, keys) = Self.generated
        let reference = try OneThreadReference(capture: capture, keys: [keys])
        let (expected, analyzer) = (reference.summary, reference.analyzer)
        for threads in [2, 5] {
            let merged = StringSink()
            let parallel = try reference.parallel(threads: threads, output: merged)
            let summary = try parallel.run()
            #expect(parallel.threadCount == threads)
            #expect(merged.text == reference.text)
            #expect(summary.frames == expected.frames && summary.bytes == expected.bytes)
            #expect(summary.verdicts == expected.verdicts)
            #expect(summary.written == expected.written && summary.espPackets == expected.espPackets)
            #expect(summary.ikePackets == expected.ikePackets && summary.ahPackets == expected.ahPackets)
            #expect(summary.findings == expected.findings)
            #expect(summary.diagnostics == expected.diagnostics)
            #expect(parallel.flows.map(\.key) == analyzer.flows.map(\.key))
            #expect(parallel.flows.map(\.packets) == analyzer.flows.map(\.packets))
            #expect(parallel.flows.map(\.firstFrame) == analyzer.flows.map(\.firstFrame))
        }
    }

    @Test func threadCountIsValidated() throws {
        let zero = try CLITests.run([
            "analyze", "-r", Paths.fixture("strongswan/aes256gcm16-v4/capture.pcap"), "--threads", "0",
        ])
        #expect(zero.status != 0)
        #expect(zero.stderr.contains("--threads"))
    }

    /// Standard input is read once, so by one thread, whatever --threads says.
    @Test func standardInputIsReadByOneThread() throws {
        let capture = Paths.fixture("strongswan/aes256gcm16-v4/capture.pcap")
        let keys = Paths.fixture("strongswan/aes256gcm16-v4/sa.spiglass")
        let piped = try CLITests.run(["analyze", "-r", "-", "-k", keys, "--threads", "4"], stdin: capture)
        let file = try CLITests.run(["analyze", "-r", capture, "-k", keys, "--threads", "4"])
        #expect(piped.status == 0)
        #expect(piped.stdout == file.stdout)
    }
}

/// Builds a capture that exercises every per-flow state a parallel run must keep with one
/// worker: six ESP SAs (GCM, CBC+HMAC, ChaCha20 in UDP, GCM with ESN across 2^32, CBC+SHA-1 in
/// transport mode, one without a key) and one in an RFC 8229 TCP stream, interleaved in a
/// pseudo-random order, with duplicates, reordering, gaps, corrupted ICVs, fragmented outer
/// packets, IKE headers and plain UDP.
enum GeneratedCapture {
    struct Flow {
        var sa: SecurityAssociation
        var source: [UInt8]
        var destination: [UInt8]
        var udp: Bool = false
        var transport: Bool = false
        var keyed = true
        var sequence: UInt64 = 1
    }

    static func key(_ count: Int, _ seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
    }

    static func write(capture: String, keys: String) throws {
        var esn = SecurityAssociation(
            spi: 0xd000_0004, encryption: .aesGCM(icvLength: 16), encryptionKey: key(20, 4),
            extendedSequenceNumbers: true)
        esn.initialSequenceHigh = 0
        var flows: [Flow] = [
            Flow(
                sa: SecurityAssociation(
                    spi: 0xa000_0001, encryption: .aesGCM(icvLength: 16), encryptionKey: key(20, 1)),
                source: [10, 1, 0, 1], destination: [10, 1, 0, 2]),
            Flow(
                sa: SecurityAssociation(
                    spi: 0xb000_0002, encryption: .aesCBC, encryptionKey: key(16, 2),
                    integrity: .hmacSHA256_128, integrityKey: key(32, 22)),
                source: [10, 1, 0, 2], destination: [10, 1, 0, 1]),
            Flow(
                sa: SecurityAssociation(spi: 0xc000_0003, encryption: .chaCha20Poly1305, encryptionKey: key(36, 3)),
                source: [10, 2, 0, 1], destination: [10, 2, 0, 2], udp: true),
            Flow(sa: esn, source: [10, 3, 0, 1], destination: [10, 3, 0, 2], sequence: 0xffff_fe00),
            Flow(
                sa: SecurityAssociation(
                    spi: 0xf000_0006, encryption: .aesCBC, encryptionKey: key(16, 6),
                    integrity: .hmacSHA1_96, integrityKey: key(20, 26)),
                source: [10, 4, 0, 1], destination: [10, 4, 0, 2], transport: true),
            Flow(
                sa: SecurityAssociation(
                    spi: 0xe000_0005, encryption: .aesGCM(icvLength: 16), encryptionKey: key(20, 5)),
                source: [10, 5, 0, 1], destination: [10, 5, 0, 2], keyed: false),
        ]
        let tcpSA = SecurityAssociation(spi: 0x7000_0007, encryption: .aesGCM(icvLength: 16), encryptionKey: key(20, 7))
        let builders = try flows.map { try ESPPacketBuilder(sa: $0.sa) }
        let tcpBuilder = try ESPPacketBuilder(sa: tcpSA)

        let writer = try PcapWriter(path: capture)
        var time: Int64 = 0
        func emit(_ packet: [UInt8]) {
            time += 137
            writer.write(
                packet, range: 0..<packet.count,
                timestamp: Timestamp(
                    seconds: 1_700_000_000 + time / 1_000_000,
                    microseconds: Int32(time % 1_000_000)))
        }
        var random: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next(_ bound: Int) -> Int {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((random >> 33) % UInt64(bound))
        }
        var held: [[UInt8]] = []
        var identifier: UInt16 = 1
        var tcpSequence: UInt32 = 5000
        var tcpMessages = 0

        for step in 0..<6000 {
            let choice = next(100)
            if choice < 2 {
                // An IKEv2 INFORMATIONAL header, on UDP 500.
                var ike = [UInt8](repeating: 0, count: 28)
                ike[0] = 0x11
                ike[8] = 0x22
                ike[17] = 0x20
                ike[18] = 37
                ike[19] = 0x08
                ike.setBE32(20, UInt32(step))
                ike.setBE32(24, 28)
                emit(ipv4([10, 9, 0, 1], [10, 9, 0, 2], protocol: 17, udp(500, 500, ike), id: &identifier))
                continue
            }
            if choice < 5 {
                emit(
                    ipv4(
                        [192, 0, 2, 1], [192, 0, 2, 53], protocol: 17, udp(40000, 53, key(40 + step % 50, 9)),
                        id: &identifier))
                continue
            }
            if choice < 8 {
                // RFC 8229: one or two ESP messages per segment (a prefix first).
                var payload: [UInt8] = tcpMessages == 0 ? Array("IKETCP".utf8) : []
                for _ in 0..<(1 + next(2)) {
                    tcpMessages += 1
                    let esp = try tcpBuilder.build(
                        spi: 0x7000_0007, sequence: UInt64(tcpMessages), payload: inner(tcpMessages, 80), nextHeader: 4)
                    var length: [UInt8] = [0, 0]
                    length.setBE16(0, UInt16(esp.count + 2))
                    payload += length + esp
                }
                emit(
                    ipv4(
                        [10, 7, 0, 1], [10, 7, 0, 2], protocol: 6, tcp(sequence: tcpSequence, payload: payload),
                        id: &identifier))
                tcpSequence &+= UInt32(payload.count)
                continue
            }
            let index = next(flows.count)
            let flow = flows[index]
            flows[index].sequence += 1
            // Loss: a sequence number now and then never makes it.
            if next(50) == 0 { flows[index].sequence += 1 }
            let size = 60 + next(1300)
            var esp = try builders[index].build(
                spi: flow.sa.spi!, sequence: flow.sequence,
                payload: flow.transport ? udpPayload(size) : inner(step, size),
                nextHeader: flow.transport ? 17 : 4)
            if index == 1 && next(40) == 0 { esp[esp.count - 1] ^= 0x55 }  // a corrupted ICV
            let body = flow.udp ? udp(4500, 4500, esp) : esp
            let packet = ipv4(flow.source, flow.destination, protocol: flow.udp ? 17 : 50, body, id: &identifier)
            switch next(40) {
            case 0:
                // Fragmented on the way: two IPv4 fragments.
                for fragment in fragments(packet) { emit(fragment) }
            case 1:
                emit(packet)
                time += 5_000
                emit(packet)  // a replay, 5 ms later
            case 3:
                emit(packet)
                time -= 137
                emit(packet)  // the capture's own copy, at the same instant
            case 2:
                held.append(packet)  // arrives later: reordered
            default:
                emit(packet)
            }
            if held.count > 3 || (!held.isEmpty && next(10) == 0) { emit(held.removeFirst()) }
        }
        for packet in held { emit(packet) }
        try writer.close()

        var lines = flows.filter(\.keyed).map { KeyFileWriter.nativeLine($0.sa) }
        lines.append(KeyFileWriter.nativeLine(tcpSA))
        try (lines.joined(separator: "\n") + "\n").write(toFile: keys, atomically: true, encoding: .utf8)
    }

    static func ipv4(
        _ source: [UInt8], _ destination: [UInt8], protocol proto: UInt8, _ payload: [UInt8], id: inout UInt16
    ) -> [UInt8] {
        var header: [UInt8] = [0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0] + source + destination
        header.setBE16(2, UInt16(20 + payload.count))
        header.setBE16(4, id)
        id &+= 1
        header.setBE16(10, internetChecksum(header, 0..<20))
        return header + payload
    }

    /// The packet cut in two IPv4 fragments (the first carrying a multiple of 8 bytes).
    static func fragments(_ packet: [UInt8]) -> [[UInt8]] {
        let payload = Array(packet[20...])
        let cut = max(8, payload.count / 2 / 8 * 8)
        func fragment(_ part: ArraySlice<UInt8>, flags: UInt16) -> [UInt8] {
            var header = Array(packet[0..<20])
            header.setBE16(2, UInt16(20 + part.count))
            header.setBE16(6, flags)
            header.setBE16(10, 0)
            header.setBE16(10, internetChecksum(header, 0..<20))
            return header + part
        }
        // More fragments, then the rest at its offset (in 8-byte units).
        return [fragment(payload[0..<cut], flags: 0x2000), fragment(payload[cut...], flags: UInt16(cut / 8))]
    }

    static func udp(_ source: UInt16, _ destination: UInt16, _ payload: [UInt8]) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 8)
        header.setBE16(0, source)
        header.setBE16(2, destination)
        header.setBE16(4, UInt16(8 + payload.count))
        return header + payload
    }

    static func tcp(sequence: UInt32, payload: [UInt8]) -> [UInt8] {
        var header: [UInt8] = [0xc3, 0x50, 0x11, 0x94, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]
        header.setBE32(4, sequence)
        return header + payload
    }

    /// A UDP datagram of `size` bytes (transport mode's payload).
    static func udpPayload(_ size: Int) -> [UInt8] { udp(1234, 5678, key(max(0, size - 8), 11)) }

    /// An inner IPv4/UDP packet of about `size` bytes (tunnel mode's payload).
    static func inner(_ n: Int, _ size: Int) -> [UInt8] {
        var id: UInt16 = UInt16(truncatingIfNeeded: n)
        return ipv4(
            [172, 16, 0, 1], [172, 16, 0, 2], protocol: 17,
            udp(1000, 2000, key(max(0, size - 28), UInt8(truncatingIfNeeded: n))), id: &id)
    }
}
