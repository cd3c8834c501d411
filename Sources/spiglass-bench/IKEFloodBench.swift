import Glibc
import SpiglassCapture
import SpiglassIKE
import SpiglassWire

/// Peak memory of an IKE_SA_INIT flood with 1, 2 and 4 threads: N requests from as many
/// initiators (distinct SPIs, a KE of 256 bytes, a nonce, NAT detection), no response, no keys:
/// what a scan or a DoS leaves in a capture, and what fills the IKE tables to their bounds.
/// Each thread count runs the `spiglass` binary beside this one (`analyze -q`), and its peak
/// RSS is read as `/usr/bin/time -v` reads it (`wait4`'s `ru_maxrss`). The bounds hold per run:
/// more threads must not mean more copies of the IKE state.
enum IKEFloodBench {
    static func run(count: Int, directory: String, keep: Bool) throws {
        let path = directory + "/spiglass-bench-ike-flood-\(count).pcap"
        defer { if !keep { unlink(path) } }
        try generate(path: path, count: count)
        let binary =
            (CommandLine.arguments[0].split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(
                separator: "/"))
            + "/spiglass"
        print(
            "IKE_SA_INIT flood: \(count) requests (\(Bench.fileSize(path) / 1_000_000) MB), `spiglass analyze -q` peak RSS:"
        )
        var first: Double? = nil
        for threads in [1, 2, 4] {
            guard let (kib, seconds) = peakRSS(binary, ["analyze", "-q", "-r", path, "--threads", String(threads)])
            else {
                print("  cannot run \(binary)")
                exit(1)
            }
            let mib = Double(kib) / 1024
            first = first ?? mib
            print(
                "  --threads \(threads): \(IKEBench.fixed(mib, 1)) MiB (\(IKEBench.fixed(mib / first!, 2))× one thread), \(IKEBench.fixed(seconds, 2)) s"
            )
        }
    }

    /// Runs `binary` with `arguments` (output discarded) and returns its peak RSS in KiB.
    static func peakRSS(_ binary: String, _ arguments: [String]) -> (Int, Double)? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let start = Bench.now()
        guard posix_spawn(&pid, binary, &actions, nil, argv, environ) == 0 else { return nil }
        var status: Int32 = 0
        var usage = rusage()
        guard wait4(pid, &status, 0, &usage) == pid else { return nil }
        return (usage.ru_maxrss, Bench.now() - start)
    }

    /// IKE_SA_INIT requests on UDP 500, raw IPv4.
    static func generate(path: String, count: Int) throws {
        let writer = try PcapWriter(path: path)
        let payload = IKEv2MessageBuilder.payload
        // One IKE proposal: AES-CBC-128, PRF-HMAC-SHA2-256, HMAC-SHA2-256-128, MODP-2048.
        let transforms: [[UInt8]] = [[1, 0, 0, 12, 0x80, 0x0e, 0, 128], [2, 0, 0, 5], [3, 0, 0, 12], [4, 0, 0, 14]]
        var proposalBody: [UInt8] = [1, 1, 0, UInt8(transforms.count)]
        for (index, transform) in transforms.enumerated() {
            let length = 4 + transform.count
            proposalBody +=
                [index == transforms.count - 1 ? 0 : 3, 0, UInt8(length >> 8), UInt8(length & 0xff)] + transform
        }
        let proposal: [UInt8] =
            [0, 0, UInt8((4 + proposalBody.count) >> 8), UInt8((4 + proposalBody.count) & 0xff)] + proposalBody
        for n in 0..<count {
            let ke = [0, 14, 0, 0] + (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) }
            let nonce = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ n &* 3) }
            let natd = [0, 0, 0x40, 0x04] + (0..<20).map { UInt8(truncatingIfNeeded: $0 &+ n) }
            let body = payload(34, proposal) + payload(40, ke) + payload(41, nonce) + payload(0, natd)
            let header = IKEv2MessageBuilder.header(
                initiatorSPI: 0x5000_0000_0000_0000 | UInt64(n), responderSPI: 0, exchange: 34,
                messageID: 0, response: false, fromInitiator: true)
            let message = IKEv2MessageBuilder.clear(header, firstPayload: 33, payloads: body)
            let packet = IKEBench.udpPacket(
                message, source: 0x0a00_0000 | UInt32(n & 0xff_ffff), destination: 0xc0a8_0001)
            writer.write(
                packet, range: 0..<packet.count,
                timestamp: Timestamp(seconds: 1_700_000_000 + Int64(n / 10_000), microseconds: Int32(n % 10_000) * 100))
        }
        try writer.close()
    }
}
