import Glibc
import SpiglassAnalysis
import SpiglassCapture
import SpiglassSAD
import SpiglassWire

/// IP reassembly cost: a capture of N first fragments that are never answered (raw IPv4, 72
/// bytes of payload each, every one a datagram of its own), the flood that fills the
/// reassembly table and keeps it full. The whole pipeline (`analyze -q`, one thread) reads it
/// with the default bounds and with larger ones: each fragment must cost the same whatever
/// the bound (eviction takes the oldest from the head of a queue, not from a scan).
enum FragmentBench {
    static func run(count: Int, directory: String) throws {
        let path = directory + "/spiglass-bench-fragments-\(count).pcap"
        defer { unlink(path) }
        try generate(path: path, count: count)
        let bytes = Double(Bench.fileSize(path))
        print(
            "IP reassembly: \(count) unanswered first fragments (\(Int(bytes / 1e6)) MB of capture), analyze -q on one thread:"
        )
        let bounds: [(String, Int, Int)] = [
            ("default (ip-fragments=1024, ip-fragment-bytes=16M)", 1024, 16 << 20),
            ("ip-fragments=65536", 65_536, 16 << 20),
            ("ip-fragments=65536, ip-fragment-bytes=1G", 65_536, 1 << 30),
            ("ip-fragments=\(count), ip-fragment-bytes=1G (all held)", count, 1 << 30),
        ]
        for (name, datagrams, memory) in bounds {
            var options = AnalysisOptions()
            options.quiet = true
            options.fragmentLimits.maxPendingDatagrams = datagrams
            options.fragmentLimits.maxPendingBytes = memory
            let analyzer = try Analyzer(sad: SADatabase(), options: options, output: NullSink())
            let start = Bench.now()
            let summary = analyzer.run(try CaptureReader(path: path))
            let seconds = Bench.now() - start
            print(
                "  \(name): \(IKEBench.fixed(bytes / seconds / 1e6, 1)) MB/s, \(Int(Double(summary.frames) / seconds)) fragments/s (\(IKEBench.fixed(seconds, 3)) s)"
            )
            guard summary.verdicts[PacketVerdict.fragment] == count else {
                print("  FAILED: \(summary.verdicts[PacketVerdict.fragment]) of \(count) frames seen as fragments")
                exit(1)
            }
        }
        print(String(format: "peak RSS of the whole run: %.1f MiB", Double(Bench.peakRSSKiB()) / 1024))
    }

    /// First fragments (MF set, offset 0) from 10.x.y.z to 192.0.2.1, identification and
    /// source varied so that every one starts a datagram of its own.
    static func generate(path: String, count: Int) throws {
        let writer = try PcapWriter(path: path)
        var packet = [UInt8](repeating: 0, count: 20 + 72)
        packet.setBE16(6, 0x2000)
        for i in 0..<count {
            packet.setBE16(4, UInt16(truncatingIfNeeded: i))
            packet.setIPv4Header(
                totalLength: packet.count, protocolNumber: 50,
                source: 0x0a00_0000 | UInt32(truncatingIfNeeded: i >> 8) & 0x00ff_ffff, destination: 0xc000_0201)
            writer.write(
                packet, range: 0..<packet.count,
                timestamp: Timestamp(seconds: 1_700_000_000 + Int64(i / 100_000), microseconds: Int32(i % 100_000) * 10)
            )
        }
        try writer.close()
    }
}
