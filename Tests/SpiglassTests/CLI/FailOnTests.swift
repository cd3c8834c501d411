import Foundation
import Testing

/// `--fail-on KIND,…`: exit status 4 when an event asked for happened, and the policy files on
/// the command line (`-k`, `keys check`) as the binary sees them.
@Suite struct FailOnTests {
    static let narrowed = "Fixtures/strongswan-policy/narrowed"

    @Test func exitsFourWhenAnEventAskedForHappened() throws {
        let base = ["analyze", "-q", "-r", "\(Self.narrowed)/capture.pcap", "-k", "\(Self.narrowed)/sa.spiglass"]
        let mismatch = try CLITests.run(base + ["--fail-on", "policy-mismatch"])
        #expect(mismatch.status == 4)
        #expect(mismatch.stderr.contains("spiglass: --fail-on: policy-mismatch (4)"))
        // Several kinds, comma-separated or repeated; only those that happened are named.
        let several = try CLITests.run(base + ["--fail-on", "icv,leak", "--fail-on", "policy-mismatch"])
        #expect(several.status == 4)
        #expect(several.stderr.contains("--fail-on: leak (2), policy-mismatch (4)"))
        // The report is written all the same.
        #expect(several.stdout.contains("Policy: 1 CHILD_SA(s) with negotiated selectors"))
        let quiet = try CLITests.run(base + ["--fail-on", "icv,replay,loss,weak-algorithm,ike-failure"])
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(try CLITests.run(base).status == 0)
        let json = try CLITests.run(base + ["--json", "--fail-on", "leak"])
        #expect(json.status == 4)
        #expect(
            json.stdout.contains(
                "\"events\":{\"icv\":0,\"replay\":0,\"loss\":0,\"weak-algorithm\":0,\"ike-failure\":0,\"policy-mismatch\":4,\"leak\":2}"
            ))
    }

    @Test func otherEventKinds() throws {
        let bad = try CLITests.run([
            "analyze", "-q", "-r", "Fixtures/scapy/bad-packets.pcap", "-k", "Fixtures/scapy/bad-packets.spiglass",
            "--fail-on", "icv",
        ])
        #expect(bad.status == 4)
        #expect(bad.stderr.contains("--fail-on: icv ("))
        let refused = try CLITests.run([
            "ike", "-q", "-r", "Fixtures/strongswan-ike/ts-unacceptable/capture.pcap", "-k",
            "Fixtures/strongswan-ike/ts-unacceptable/sa.spiglass", "--fail-on", "ike-failure",
        ])
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("--fail-on: ike-failure (1)"))
        let weak = try CLITests.run([
            "analyze", "-q", "-r", "Fixtures/strongswan/3des-md5-v4/capture.pcap", "-k",
            "Fixtures/strongswan/3des-md5-v4/sa.spiglass", "--fail-on", "weak-algorithm",
        ])
        #expect(weak.status == 4)
    }

    @Test func aDamagedCaptureStillExitsTwo() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Paths.root + "/\(Self.narrowed)/capture.pcap"))
        let cut = CLITests.temporary("cut.pcap")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        try data.prefix(data.count - 20).write(to: URL(fileURLWithPath: cut))
        let result = try CLITests.run([
            "analyze", "-q", "-r", cut, "-k", "\(Self.narrowed)/sa.spiglass", "--fail-on", "policy-mismatch,leak",
        ])
        #expect(result.status == 2)
    }

    @Test func unknownKindsAreUsageErrors() throws {
        let result = try CLITests.run(["analyze", "-r", "\(Self.narrowed)/capture.pcap", "--fail-on", "leak,leaks"])
        #expect(result.status != 0 && result.status != 4)
        #expect(
            result.stderr.contains(
                "--fail-on: 'leaks' is not one of icv, replay, loss, weak-algorithm, ike-failure, policy-mismatch, leak"
            ))
    }

    @Test func keysCheckShowsPoliciesAndTheirErrors() throws {
        let path = CLITests.temporary("policies.spiglass")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        policy src=10.200.1.0/24 dst=10.200.2.0/24 tunnel-src=10.97.0.1 tunnel-dst=10.97.0.2
        policy src=10.200.1.0/24 dst=10.200.2.0/24 proto=udp dport=5353-5300
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CLITests.run(["keys", "check", path, "\(Self.narrowed)/list-conns-A.txt"])
        #expect(result.status == 1)
        #expect(
            result.stdout.contains(
                "\(path):1: understood: policy 10.200.1.0/24 → 10.200.2.0/24 both directions protect esp tunnel 10.97.0.1 → 10.97.0.2"
            ))
        #expect(result.stdout.contains("\(path):2:54: error: field 'dport': '<9 characters>' is not a port"))
        #expect(result.stdout.contains("0 IPsec SA(s), 0 IKE SA(s), 2 SPD entries, 1 error(s)"))
        #expect(result.stdout.contains("list-conns-A.txt: format swanctl-list"))
        #expect(
            result.stdout.contains(
                "list-conns-A.txt:8: understood: CHILD_SA gw.net: 10.200.1.0/24 → 10.200.2.0/24 protect esp tunnel 10.97.0.1 → 10.97.0.2"
            ))
        // Policies alone hold no secret: no warning about who may read them (the files are 0644)...
        #expect(!result.stdout.contains("readable by other users"))
        // ...but swanctl.conf has its secrets section.
        let conf = try CLITests.run(["keys", "check", "\(Self.narrowed)/config/swanctl-A.conf"])
        #expect(conf.stdout.contains("swanctl-A.conf' is readable by other users"))
        // A policy file alone decides what leaks: without IKE keys, the negotiated selectors are unknown.
        let run = try CLITests.run([
            "analyze", "-q", "-r", "\(Self.narrowed)/capture.pcap", "-k", "\(Self.narrowed)/list-conns-A.txt",
            "--fail-on", "leak",
        ])
        #expect(run.status == 4)
        #expect(run.stderr.contains("--fail-on: leak (5)"))
    }
}
