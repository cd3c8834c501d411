import Glibc
import SpiglassAnalysis
import SpiglassCapture
import SpiglassCrypto
import SpiglassESP
import SpiglassSAD
import SpiglassWire

/// Decrypt-throughput benchmark: generates a large ESP capture per algorithm with our own
/// encryption (packets dealt in turn over `--sas` SAs, as a gateway with several tunnels
/// sees them), then measures (1) a raw loop over OpenSSL with one reused context, the bound,
/// (2) the whole `spiglass analyze -q -w` pipeline on the file on one thread, and (3) the same
/// with `--threads N` (default: all cores, at least 2). Not a test: run it with
/// `swift run -c release spiglass-bench [--packets N] [--size BYTES] [--sas K] [--threads N] [--dir DIR]`.
@main
struct Bench {
    struct Settings {
        var packets = 200_000
        var size = 1400
        var directory = "/tmp"
        var keep = false
        var sas = 4
        var threads = max(2, ParallelAnalysis.defaultThreadCount)
        /// Inner packet size of the second round (packets/s for small packets); 0: no second round.
        var smallSize = 64
        /// Packets of the capture's beginning that tshark decrypts for the comparison; 0: none.
        var tsharkPackets = 20_000
        /// Check every decrypted packet against an SPD (`policyCount` policies ahead of the one
        /// that selects it), each packet with an inner port of its own so that no packet reuses
        /// the previous one's answer: the policy check's worst case.
        var policy = false
        static let policyCount = 20
    }

    /// Any failure (a `--dir` that cannot be written, a file that cannot be made) ends the run
    /// with its message and status 1, not with a trap and a backtrace.
    static func main() {
        do {
            try measure()
        } catch {
            let message = Array("spiglass-bench: \(error)\n".utf8)
            _ = message.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            exit(1)
        }
    }

    static func measure() throws {
        var settings = Settings()
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--packets": settings.packets = Int(arguments.popFirst() ?? "") ?? settings.packets
            case "--size": settings.size = Int(arguments.popFirst() ?? "") ?? settings.size
            case "--dir": settings.directory = arguments.popFirst() ?? settings.directory
            case "--keep": settings.keep = true
            case "--sas": settings.sas = max(1, Int(arguments.popFirst() ?? "") ?? settings.sas)
            case "--threads": settings.threads = max(1, Int(arguments.popFirst() ?? "") ?? settings.threads)
            case "--small": settings.smallSize = max(0, Int(arguments.popFirst() ?? "") ?? settings.smallSize)
            case "--tshark": settings.tsharkPackets = max(0, Int(arguments.popFirst() ?? "") ?? settings.tsharkPackets)
            case "--ike-flood":
                // Peak memory of an IKE_SA_INIT flood at 1, 2 and 4 threads.
                let count = arguments.first.flatMap { Int($0) } ?? 200_000
                try IKEFloodBench.run(count: count, directory: settings.directory, keep: settings.keep)
                return
            case "--fragments":
                // IP reassembly only: unanswered first fragments at several bounds.
                let count = arguments.first.flatMap { Int($0) } ?? 1_000_000
                try FragmentBench.run(count: count, directory: settings.directory)
                return
            case "--policy": settings.policy = true
            case "--ike":
                // IKE reconstruction only: messages/s at two capture sizes (linearity).
                let count = arguments.first.flatMap { Int($0) } ?? 2000
                try IKEBench.run(sizes: [count, 4 * count], directory: settings.directory)
                return
            default:
                print(
                    "usage: spiglass-bench [--packets N] [--size INNER_BYTES] [--small INNER_BYTES] [--sas K] [--threads N] [--tshark PACKETS] [--policy] [--dir DIR] [--keep] | --ike [IKE_SAS] | --ike-flood [REQUESTS] | --fragments [COUNT]"
                )
                exit(2)
            }
        }
        let suites: [(String, SecurityAssociation)] = [
            (
                "aes-gcm-128-16",
                SecurityAssociation(
                    spi: 0x1000_0001, encryption: .aesGCM(icvLength: 16),
                    encryptionKey: Array(0..<20).map { UInt8($0) })
            ),
            (
                "aes-cbc-128/hmac-sha2-256-128",
                SecurityAssociation(
                    spi: 0x1000_0002, encryption: .aesCBC,
                    encryptionKey: Array(0..<16).map { UInt8($0) },
                    integrity: .hmacSHA256_128,
                    integrityKey: Array(0..<32).map { UInt8($0 + 100) })
            ),
        ]
        print(
            "spiglass-bench: \(settings.packets) packets of \(settings.size)-byte inner IPv4 per algorithm over \(settings.sas) SA(s); one thread, then \(settings.threads) (\(ParallelAnalysis.defaultThreadCount) core(s))"
        )
        if settings.policy {
            print(
                "every decrypted packet checked against \(Settings.policyCount + 1) policies (both directions), a new inner port each"
            )
        }
        for (name, sa) in suites {
            try run(name: name, sa: sa, settings: settings)
        }
        if settings.smallSize > 0 && settings.smallSize != settings.size {
            // Small packets: the per-packet costs (read, dissection, lookup, OpenSSL calls)
            // outweigh the bytes; packets/s is the figure that matters.
            var small = settings
            small.size = settings.smallSize
            small.tsharkPackets = 0
            print("\(settings.smallSize)-byte inner packets:")
            for (name, sa) in suites {
                try run(name: name, sa: sa, settings: small)
            }
        }
        print(String(format: "peak RSS of the whole run: %.1f MiB", Double(peakRSSKiB()) / 1024))
    }

    /// `count` SAs like `sa`: SPIs 0x100 apart, keys varied per SA.
    static func family(of sa: SecurityAssociation, count: Int) -> [SecurityAssociation] {
        (0..<count).map { k in
            var member = sa
            member.spi = SPI(sa.spi!.rawValue &+ UInt32(k) &* 0x100)
            member.encryptionKey = sa.encryptionKey.map { $0 &+ UInt8(truncatingIfNeeded: k) }
            member.integrityKey = sa.integrityKey.map { $0 &+ UInt8(truncatingIfNeeded: k) }
            return member
        }
    }

    static func run(name: String, sa: SecurityAssociation, settings: Settings) throws {
        let path = "\(settings.directory)/spiglass-bench-\(sa.spi!).pcap"
        let keyPath = "\(settings.directory)/spiglass-bench-\(sa.spi!).spiglass"
        let sas = family(of: sa, count: settings.sas)
        let slicePath = "\(settings.directory)/spiglass-bench-\(sa.spi!)-slice.pcap"
        let (sample, sliceBytes) = try generate(
            path: path, sas: sas, settings: settings,
            slice: settings.tsharkPackets > 0 && TsharkTiming.path != nil ? slicePath : nil)
        try writeKeyFile(keyPath, sas: sas, policies: settings.policy)
        defer {
            if !settings.keep {
                unlink(path)
                unlink(keyPath)
            }
            unlink(slicePath)
        }
        let fileBytes = fileSize(path)

        // The bound: decrypt + verify the same packets with one reused OpenSSL context.
        let bound = try rawLoop(sa: sa, packets: sample, repeats: max(1, settings.packets / sample.count))
        // The pipeline: read, dissect, look up, verify, decrypt, write -w.
        var options = AnalysisOptions()
        options.quiet = true
        options.writePath = "/dev/null"
        let keys = try Analyzer.loadKeySet([keyPath])
        let sad = Analyzer.espDatabase(keys)
        let analyzer = try Analyzer(sad: sad, policies: keys.policies, options: options, output: NullSink())
        let reader = try CaptureReader(path: path)
        let start = now()
        let summary = analyzer.run(reader)
        let elapsed = now() - start
        let espBytes = Double(summary.bytes - summary.frames * 20)
        let mbps = espBytes / elapsed / 1e6
        print("\(name):")
        print(String(format: "  raw EVP loop (bound):  %8.1f MB/s  %10.0f packets/s", bound.mbps, bound.pps))
        print(
            String(
                format:
                    "  pipeline, 1 thread:    %8.1f MB/s  %10.0f packets/s  (%.0f%% of bound; %.1f MB file in %.2f s; decrypted %d/%d)",
                mbps, Double(summary.frames) / elapsed, 100 * mbps / bound.mbps, Double(fileBytes) / 1e6, elapsed,
                summary.count(.decrypted), summary.frames))
        try printBreakdown(path: path, options: options, settings: settings, elapsed: elapsed, bound: bound)
        // The same with --threads N: what `spiglass analyze --threads N` runs on a file.
        let parallel = try ParallelAnalysis(
            path: path, sad: sad, policies: keys.policies, options: options, threads: settings.threads,
            output: NullSink())
        let parallelStart = now()
        let parallelSummary = try parallel.run()
        let parallelElapsed = now() - parallelStart
        let parallelMBps = espBytes / parallelElapsed / 1e6
        print(
            String(
                format:
                    "  pipeline, %d threads:   %8.1f MB/s  %10.0f packets/s  (%.2f× one thread; %.2f s; decrypted %d/%d)",
                settings.threads, parallelMBps, Double(parallelSummary.frames) / parallelElapsed,
                elapsed / parallelElapsed,
                parallelElapsed, parallelSummary.count(.decrypted), parallelSummary.frames))
        checkEveryPacket([summary, parallelSummary], settings: settings)
        if sliceBytes > 0, let tshark = try TsharkTiming.run(capture: slicePath, sas: sas) {
            let count = min(settings.tsharkPackets, settings.packets)
            let tsharkMBps = Double(sliceBytes) / tshark.seconds / 1e6
            print(
                String(
                    format:
                        "  tshark, first %d packets: %6.1f MB/s  %10.0f packets/s  (decrypted %d/%d; Spiglass on one thread is %.0f× faster)",
                    count, tsharkMBps, Double(count) / tshark.seconds, tshark.decrypted, count, mbps / tsharkMBps))
        }
    }

    /// Where the time goes, per packet: reading alone, then reading and dissecting with no
    /// key (lookup, flow accounting and reporting, no decryption, no -w), against the bound.
    static func printBreakdown(
        path: String, options: AnalysisOptions, settings: Settings, elapsed: Double, bound: (mbps: Double, pps: Double)
    ) throws {
        let readOnly = try timeReading(path)
        var keyless = options
        keyless.writePath = nil
        keyless.espNullHeuristic = false
        let dissectStart = now()
        _ = try Analyzer(sad: SADatabase(), options: keyless, output: NullSink()).run(try CaptureReader(path: path))
        let dissected = now() - dissectStart
        let perPacket = { (seconds: Double) in seconds / Double(settings.packets) * 1e9 }
        let boundNs = 1e9 / bound.pps
        print(
            String(
                format:
                    "  per packet, 1 thread:  %.0f ns = read %.0f + dissect/lookup/account %.0f + decrypt (bound) %.0f + the rest %.0f (-w, copies, trailer)",
                perPacket(elapsed), perPacket(readOnly), perPacket(dissected - readOnly), boundNs,
                perPacket(elapsed) - perPacket(dissected) - boundNs))
    }

    /// Exits non-zero unless every run decrypted (and, with --policy, checked) every packet.
    static func checkEveryPacket(_ results: [AnalysisSummary], settings: Settings) {
        for result in results
        where result.count(.decrypted) != result.frames || result.frames != settings.packets {
            print("  ERROR: not every packet decrypted")
            exit(1)
        }
        for result in results
        where settings.policy && (result.policy.checked != settings.packets || result.policy.mismatches != 0) {
            print("  ERROR: the policy check saw \(result.policy.checked) packets, \(result.policy.mismatches) outside")
            exit(1)
        }
    }

    /// Reads every packet of the capture through `CaptureReader` and does nothing with it.
    static func timeReading(_ path: String) throws -> Double {
        let reader = try CaptureReader(path: path)
        let start = now()
        loop: while true {
            switch reader.next() {
            case .packet: continue
            default: break loop
            }
        }
        return now() - start
    }

    /// Writes the capture through libpcap as raw IPv4 + ESP, streaming (no packet array kept
    /// except a small sample for the raw loop).
    /// With `slice`, the first `settings.tsharkPackets` packets also go to that file; returns
    /// their ESP bytes (0 without a slice).
    static func generate(path: String, sas: [SecurityAssociation], settings: Settings, slice: String?) throws -> (
        [[UInt8]], Int
    ) {
        let builders = try sas.map { try ESPPacketBuilder(sa: $0) }
        let writer = try PcapWriter(path: path)
        let sliceWriter = try slice.map { try PcapWriter(path: $0) }
        var sliceBytes = 0
        var inner = [UInt8](repeating: 0xab, count: max(settings.size, 28))
        // UDP from 10.171.171.1 to 10.171.171.2 (the filler in the other fields); with --policy a
        // whole datagram from 10.0.0.1 to 10.0.0.2, which the SPD's last policy selects. A real
        // header: the release rule checks its checksum.
        if settings.policy { inner.setBE16(6, 0) }
        inner.setIPv4Header(
            totalLength: inner.count, protocolNumber: 17, source: settings.policy ? 0x0a00_0001 : 0x0aab_ab01,
            destination: settings.policy ? 0x0a00_0002 : 0x0aab_ab02)
        var sample: [[UInt8]] = []
        let iv = [UInt8](repeating: 7, count: sas[0].encryption.ivLength)
        for i in 0..<settings.packets {
            // Packets dealt to the SAs in turn; each SA numbers its own from 1.
            let sa = sas[i % sas.count]
            if settings.policy { inner.setBE16(20, UInt16(10_000 + i % 50_000)) }  // clear of 500 and 4500
            let esp = try builders[i % sas.count].build(
                spi: sa.spi!, sequence: UInt64(i / sas.count + 1), payload: inner, nextHeader: 4,
                iv: iv.isEmpty
                    ? nil
                    : iv.enumerated().map {
                        UInt8(truncatingIfNeeded: $0.element &+ UInt8(truncatingIfNeeded: i &+ $0.offset))
                    })
            var packet = [UInt8](repeating: 0, count: 20)
            packet.setIPv4Header(
                totalLength: 20 + esp.count, protocolNumber: 50, source: 0xc000_0201, destination: 0xc000_0202)
            packet += esp
            let timestamp = Timestamp(seconds: 1_700_000_000 + Int64(i / 1000), microseconds: Int32(i % 1000))
            writer.write(packet, range: 0..<packet.count, timestamp: timestamp)
            if let sliceWriter, i < settings.tsharkPackets {
                sliceWriter.write(packet, range: 0..<packet.count, timestamp: timestamp)
                sliceBytes += packet.count - 20
            }
            if i % sas.count == 0 && sample.count < 1000 { sample.append(packet) }
        }
        // Put in place (files are written beside their path until complete).
        try writer.close()
        try sliceWriter?.close()
        return (sample, sliceBytes)
    }

    /// Decrypts and verifies the sample packets `repeats` times with one reused context per
    /// SA, with no parsing or lookup: what OpenSSL alone can do on this machine.
    static func rawLoop(sa: SecurityAssociation, packets: [[UInt8]], repeats: Int) throws -> (mbps: Double, pps: Double)
    {
        let state = try ESPCryptoState(sa: sa)
        var output = [UInt8](repeating: 0, count: 70_000)
        var bytes = 0
        var count = 0
        let start = now()
        for _ in 0..<repeats {
            for packet in packets {
                let result = ESPDecryptor.decrypt(
                    packet, esp: 20..<packet.count, state: state, sequenceHigh: 0, output: &output)
                guard result.verdict == .decrypted else { throw CryptoError(.openssl, "raw loop failed: \(result)") }
                bytes += packet.count - 20
                count += 1
            }
        }
        let elapsed = now() - start
        return (Double(bytes) / elapsed / 1e6, Double(count) / elapsed)
    }

    static func writeKeyFile(_ path: String, sas: [SecurityAssociation], policies: Bool = false) throws {
        guard let file = fopen(path, "w") else { throw CryptoError(.openssl, "cannot write \(path)") }
        for sa in sas {
            var line = "esp spi=\(sa.spi!) enc=\(sa.encryption.name) enc-key=0x\(Hex.encode(sa.encryptionKey))"
            if sa.integrity != .null { line += " auth=\(sa.integrity.name) auth-key=0x\(Hex.encode(sa.integrityKey))" }
            fputs(line + "\n", file)
        }
        if policies {
            // Policies looked at first that do not select the traffic, then the one that does.
            for n in 0..<Settings.policyCount {
                fputs(
                    "policy src=172.16.\(n).0/24 dst=10.0.0.0/24 proto=udp tunnel-src=192.0.2.1 tunnel-dst=192.0.2.2 priority=1\n",
                    file)
            }
            fputs(
                "policy src=10.0.0.0/24 dst=10.0.0.0/24 proto=udp tunnel-src=192.0.2.1 tunnel-dst=192.0.2.2 priority=100\n",
                file)
        }
        fclose(file)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    static func peakRSSKiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }
}

final class NullSink: OutputSink {
    func write(_ text: String) {}
    func flush() {}
}
