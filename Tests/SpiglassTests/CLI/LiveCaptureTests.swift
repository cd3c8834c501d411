import Foundation
import SpiglassCapture
import Testing

enum LiveCaptureEnvironment {
    static let ip = FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip"
    static let usable: Bool = getuid() == 0 && FileManager.default.isExecutableFile(atPath: ip)
}

/// Live capture on a veth pair between two network namespaces made for the test: fixture frames
/// are sent from one end while `spiglass analyze -i` listens on the other. Needs root (CI runs
/// as root); skipped otherwise.
@Suite(
    .serialized, .enabled(if: LiveCaptureEnvironment.usable, "needs root, iproute2 and python3 to build a test network")
)
struct LiveCaptureTests {
    static let ip = LiveCaptureEnvironment.ip

    /// Two namespaces joined by a veth pair; removed (with the veth) when the test ends.
    final class TestNetwork {
        let sender: String
        let listener: String
        let senderInterface: String
        let listenerInterface: String

        init(tag: String) throws {
            let id = "\(getpid() % 100_000)\(tag)"
            // Namespaces are machine-wide: people testing side by side each set their own prefix.
            let prefix = ProcessInfo.processInfo.environment["SPIGLASS_TEST_NETNS_PREFIX"] ?? "spg"
            sender = "\(prefix)S\(id)"
            listener = "\(prefix)L\(id)"
            senderInterface = "vs\(id)"
            listenerInterface = "vl\(id)"
            TestNetwork.teardown(sender, listener)
            try TestNetwork.sh(LiveCaptureTests.ip, "netns", "add", sender)
            try TestNetwork.sh(LiveCaptureTests.ip, "netns", "add", listener)
            try TestNetwork.sh(
                LiveCaptureTests.ip, "link", "add", senderInterface, "netns", sender, "type", "veth", "peer", "name",
                listenerInterface, "netns", listener)
            for (ns, interface) in [(sender, senderInterface), (listener, listenerInterface)] {
                // No IPv6 autoconfiguration chatter on the test link.
                _ = try? TestNetwork.sh(
                    LiveCaptureTests.ip, "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1")
                try TestNetwork.sh(LiveCaptureTests.ip, "-n", ns, "link", "set", interface, "up")
            }
        }

        deinit { TestNetwork.teardown(sender, listener) }

        static func teardown(_ names: String...) {
            for name in names { _ = try? sh(LiveCaptureTests.ip, "netns", "del", name) }
        }

        @discardableResult
        static func sh(_ arguments: String...) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw CaptureError(
                    .cannotOpen, "command failed (\(process.terminationStatus)): \(arguments.joined(separator: " "))")
            }
            return process.terminationStatus
        }

        /// Sends the frames `first..<last` (0-based) of a pcap out of the sender's interface.
        func replay(_ capture: String, frames: Range<Int>) throws {
            let script = """
                import socket, struct, sys, time
                path, iface, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
                data = open(path, 'rb').read()
                endian = '<' if data[:4] == b'\\xd4\\xc3\\xb2\\xa1' else '>'
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
                s.bind((iface, 0))
                offset, index = 24, 0
                while offset + 16 <= len(data):
                    _, _, caplen, _ = struct.unpack(endian + 'IIII', data[offset:offset + 16])
                    frame = data[offset + 16:offset + 16 + caplen]
                    offset += 16 + caplen
                    if first <= index < last:
                        s.send(frame)
                        time.sleep(0.002)
                    index += 1
                """
            try TestNetwork.sh(
                LiveCaptureTests.ip, "netns", "exec", sender, "python3", "-c", script, capture, senderInterface,
                String(frames.lowerBound), String(frames.upperBound))
        }
    }

    /// A running `spiglass analyze -i` in the listener namespace.
    final class Listener {
        let process = Process()
        let stdoutPath: String
        let stderrPath: String

        init(network: TestNetwork, command: String = "analyze", arguments: [String]) throws {
            let base = NSTemporaryDirectory() + "spiglass-live-\(getpid())-\(UUID().uuidString)"
            stdoutPath = base + ".out"
            stderrPath = base + ".err"
            _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: LiveCaptureTests.ip)
            process.arguments =
                ["netns", "exec", network.listener, CLITests.binary, command, "-i", network.listenerInterface]
                + arguments
            process.currentDirectoryURL = URL(fileURLWithPath: Paths.root)
            process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
            process.standardError = FileHandle(forWritingAtPath: stderrPath)
            try process.run()
            try waitForStderr("listening on")
        }

        deinit {
            if process.isRunning { process.terminate() }
            try? FileManager.default.removeItem(atPath: stdoutPath)
            try? FileManager.default.removeItem(atPath: stderrPath)
        }

        var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }

        /// Waits until `--json` output holds `count` packet records.
        func waitForPackets(_ count: Int, seconds: Double = 20) throws {
            guard
                waitWhileRunning(
                    seconds, until: { stdout.components(separatedBy: "\"type\":\"packet\"").count > count })
            else {
                throw CaptureError(
                    .readFailed, "spiglass never reported \(count) packets; stdout ends: \(stdout.suffix(400))")
            }
        }

        var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

        func waitForStderr(_ text: String, seconds: Double = 20) throws {
            guard waitWhileRunning(seconds, until: { stderr.contains(text) }) else {
                throw CaptureError(.readFailed, "spiglass never said '\(text)'; stderr: \(stderr)")
            }
        }

        /// Polls `condition` until it holds (true), the process exits or `seconds` pass (false).
        private func waitWhileRunning(_ seconds: Double, until condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return true }
                if !process.isRunning { return false }
                usleep(20_000)
            }
            return false
        }

        func waitForExit(seconds: Double = 20) -> Int32? {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning {
                process.terminate()
                return nil
            }
            return process.terminationStatus
        }
    }

    static let fixture = "strongswan/aes128cbc-sha256-v4"
    static let filter = "udp port 500 or udp port 4500 or esp"

    /// The per-packet JSON records, minus what differs between a file and a live capture
    /// (times, frame lengths of padded Ethernet frames are equal anyway).
    static func packetRecords(_ jsonLines: String) throws -> [String] {
        try jsonLines.split(separator: "\n").compactMap { line -> String? in
            var object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            guard object["type"] as? String == "packet" else { return nil }
            object["time"] = nil
            object["time_relative"] = nil
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }

    static func writtenPackets(_ path: String) throws -> [[UInt8]] {
        let reader = try CaptureReader(path: path)
        var packets: [[UInt8]] = []
        while case .packet(let header) = reader.next() {
            packets.append(Array(reader.buffer[0..<header.capturedLength]))
        }
        return packets
    }

    @Test func liveCaptureDecryptsLikeTheFile() throws {
        let network = try TestNetwork(tag: "a")
        let liveOut = NSTemporaryDirectory() + "spiglass-live-\(getpid())-a.pcap"
        let fileOut = NSTemporaryDirectory() + "spiglass-file-\(getpid())-a.pcap"
        defer {
            try? FileManager.default.removeItem(atPath: liveOut)
            try? FileManager.default.removeItem(atPath: fileOut)
        }
        let keys = "Fixtures/\(Self.fixture)/sa.spiglass"
        let listener = try Listener(
            network: network, arguments: ["-k", keys, "--json", "-f", Self.filter, "-c", "32", "-w", liveOut])
        try network.replay(Paths.fixture("\(Self.fixture)/capture.pcap"), frames: 0..<32)
        let status = listener.waitForExit()
        #expect(status == 0, "stderr: \(listener.stderr)")
        let fromFile = try CLITests.run([
            "analyze", "--json", "-r", "Fixtures/\(Self.fixture)/capture.pcap", "-k", keys, "-w", fileOut,
        ])
        let live = try Self.packetRecords(listener.stdout)
        let file = try Self.packetRecords(fromFile.stdout)
        #expect(live.count == 32)
        #expect(live == file)
        let livePackets = try Self.writtenPackets(liveOut)
        #expect(livePackets.count == 26)
        #expect(livePackets == (try Self.writtenPackets(fileOut)))
        // Linux stamps live packets in nanoseconds: the times and the -w file keep them.
        #expect(listener.stdout.contains(#/"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"/#))
        #expect(try CaptureReader(path: liveOut).timestampResolution == .nanoseconds)
        #expect(listener.stderr.contains("packets received by filter"))
        #expect(listener.stdout.contains("\"capture\":{\"received\":"))
    }

    /// `spiglass ike -i`: the IKE story live, ESP keys derived from SK_d as the CHILD_SAs appear.
    @Test func liveIKEReconstructionMatchesTheFile() throws {
        let network = try TestNetwork(tag: "i")
        let directory = "Fixtures/strongswan-ike/rekey-cbc-sha256"
        let keys = NSTemporaryDirectory() + "spiglass-live-\(getpid())-ike.spiglass"
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let text = try String(contentsOfFile: Paths.root + "/" + directory + "/sa.spiglass", encoding: .utf8)
        try text.split(separator: "\n").filter { $0.hasPrefix("ike ") }.joined(separator: "\n").write(
            toFile: keys, atomically: true, encoding: .utf8)
        let listener = try Listener(
            network: network, command: "ike", arguments: ["-k", keys, "--json", "-f", Self.filter, "-c", "38"])
        try network.replay(Paths.root + "/" + directory + "/capture.pcap", frames: 0..<38)
        #expect(listener.waitForExit() == 0, "stderr: \(listener.stderr)")
        let fromFile = try CLITests.run(["ike", "--json", "-r", directory + "/capture.pcap", "-k", keys])
        func records(_ lines: String) throws -> [String] {
            try lines.split(separator: "\n").compactMap { line -> String? in
                var object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                guard let type = object["type"] as? String, type != "summary" else { return nil }
                object["time_relative"] = nil
                object["rtt"] = nil
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                return String(decoding: data, as: UTF8.self)
            }
        }
        let live = try records(listener.stdout)
        #expect(live.filter { $0.contains("\"type\":\"ike_message\"") }.count == 14)
        #expect(live == (try records(fromFile.stdout)))
        #expect(listener.stdout.contains("\"decrypted\":24"))
    }

    @Test func interruptEndsCleanlyWithAValidPcap() throws {
        let network = try TestNetwork(tag: "b")
        let out = NSTemporaryDirectory() + "spiglass-live-\(getpid())-b.pcap"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let listener = try Listener(
            network: network, arguments: ["-k", "Fixtures/\(Self.fixture)/sa.spiglass", "-f", Self.filter, "-w", out])
        try network.replay(Paths.fixture("\(Self.fixture)/capture.pcap"), frames: 0..<14)
        // Every line is written as its packet is processed, before the capture ends.
        let deadline = Date().addingTimeInterval(10)
        while listener.stdout.split(separator: "\n").count < 14 && Date() < deadline { usleep(20_000) }
        #expect(listener.stdout.split(separator: "\n").count >= 14)
        // -w is flushed per packet: another tool can read it while the capture runs.
        #expect(try Self.writtenPackets(out).count == 10)
        kill(listener.process.processIdentifier, SIGINT)
        let status = listener.waitForExit()
        #expect(status == 0, "stderr: \(listener.stderr)")
        #expect(listener.stdout.contains("Verdicts: decrypted 10, ike 4"))
        #expect(listener.stdout.contains("Live capture: "))
        #expect(try Self.writtenPackets(out).count == 10)
    }

    @Test func hangupReloadsKeysWithoutStopping() throws {
        let network = try TestNetwork(tag: "c")
        let keyFile = NSTemporaryDirectory() + "spiglass-live-\(getpid())-c.keys"
        try "# keys arrive later\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        let listener = try Listener(
            network: network, arguments: ["-k", keyFile, "--json", "-f", Self.filter, "--duration", "60"])
        try network.replay(Paths.fixture("\(Self.fixture)/capture.pcap"), frames: 0..<8)
        // The ring hands frames over in blocks (up to its 50 ms timeout): wait until the first 8 are
        // reported, so that the reload comes after them rather than before they are read.
        try listener.waitForPackets(8)
        try String(contentsOfFile: Paths.fixture("\(Self.fixture)/sa.spiglass"), encoding: .utf8).write(
            toFile: keyFile, atomically: true, encoding: .utf8)
        kill(listener.process.processIdentifier, SIGHUP)
        try listener.waitForStderr("keys reloaded: 2 ESP SA(s)")
        try network.replay(Paths.fixture("\(Self.fixture)/capture.pcap"), frames: 8..<32)
        kill(listener.process.processIdentifier, SIGTERM)
        #expect(listener.waitForExit() == 0)
        let records = listener.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let verdicts = records.filter { $0["type"] as? String == "packet" }.compactMap { $0["verdict"] as? String }
        #expect(verdicts.count == 32)
        #expect(verdicts.prefix(8).filter { $0 == "no-sa" }.count == 4)
        #expect(verdicts.dropFirst(8).filter { $0 == "decrypted" }.count == 22)
    }

    /// The policy checks live: decrypted packets against their CHILD_SA's negotiated
    /// selectors as the exchanges come, leaks against a policy file that SIGHUP loads mid-run.
    @Test func livePolicyChecksAndPolicyReload() throws {
        let network = try TestNetwork(tag: "p")
        let directory = "Fixtures/strongswan-policy/narrowed"
        let policyFile = NSTemporaryDirectory() + "spiglass-live-\(getpid())-p.conf"
        try "# policies arrive later\n".write(toFile: policyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: policyFile) }
        let listener = try Listener(
            network: network,
            arguments: [
                "-k", directory + "/sa.spiglass", "-k", policyFile, "--json",
                "--duration", "60",
            ])
        // Up to the first cleartext leak (frame 14), before any policy file: only the CHILD_SA's selectors.
        try network.replay(Paths.root + "/" + directory + "/capture.pcap", frames: 0..<14)
        try String(contentsOfFile: Paths.root + "/" + directory + "/config/swanctl-A.conf", encoding: .utf8)
            .write(toFile: policyFile, atomically: true, encoding: .utf8)
        let deadline = Date().addingTimeInterval(10)
        while listener.stdout.split(separator: "\n").count < 14 && Date() < deadline { usleep(20_000) }
        kill(listener.process.processIdentifier, SIGHUP)
        try listener.waitForStderr("policies reloaded: 2 SPD entries")
        try network.replay(Paths.root + "/" + directory + "/capture.pcap", frames: 14..<33)
        // A stop ends the reading at once: wait until the ring has handed over the last frames.
        try listener.waitForPackets(33)
        kill(listener.process.processIdentifier, SIGTERM)
        #expect(listener.waitForExit() == 0, "stderr: \(listener.stderr)")
        let records = listener.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let packets = records.filter { $0["type"] as? String == "packet" }
        try #require(packets.count == 33)
        let checks = packets.map { ($0["policy"] as? [String: Any])?["check"] as? String }
        // Frame 1 is cleartext before the CHILD_SA: no policy yet says it leaked.
        #expect(checks[0] == nil)
        #expect(checks.filter { $0 == "policy-mismatch" }.count == 4)
        // After the reload, A's configuration flags the cleartext outside the negotiated /28 and after the delete.
        #expect(checks.filter { $0 == "leak" }.count == 4)
        #expect(checks[32] == "leak")
    }

    @Test func clearErrorsForMissingInterface() throws {
        let result = try CLITests.run(["analyze", "-i", "spgnosuch0"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no such interface 'spgnosuch0'"))
    }
}
