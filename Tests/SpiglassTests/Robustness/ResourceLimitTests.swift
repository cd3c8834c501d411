import Foundation
import SpiglassAnalysis
import Testing

/// `--limit NAME=VALUE`: every named bound reaches the part it bounds, bad settings are
/// refused with a message that says why, and a lowered bound is hit with a warning while the
/// run goes on.
@Suite struct ResourceLimitTests {
    @Test func everyLimitIsSetAndReadBack() throws {
        for (offset, limit) in ResourceLimit.allCases.enumerated() {
            var options = AnalysisOptions()
            let before = limit.value(in: options)
            let wanted = 7 + offset
            try ResourceLimit.apply("\(limit.rawValue)=\(wanted)", to: &options)
            #expect(limit.value(in: options) == wanted, "\(limit.rawValue)")
            #expect(before != wanted, "\(limit.rawValue): the default should differ from the test value")
            // Setting one limit leaves the others alone.
            for other in ResourceLimit.allCases where other != limit {
                #expect(
                    other.value(in: options) == other.value(in: AnalysisOptions()),
                    "\(limit.rawValue) moved \(other.rawValue)")
            }
        }
    }

    @Test func suffixesScaleCountsByThousandsAndBytesByKibibytes() throws {
        var options = AnalysisOptions()
        try ResourceLimit.apply("flows=2M", to: &options)
        #expect(options.maxTrackedFlows == 2_000_000)
        try ResourceLimit.apply("ip-fragment-bytes=64M", to: &options)
        #expect(options.fragmentLimits.maxPendingBytes == 64 << 20)
        try ResourceLimit.apply("ike-message-bytes=512k", to: &options)
        #expect(options.ikeLimits.maxMessageBytesKept == 512 << 10)
    }

    @Test(arguments: [
        ("flows", "is not NAME=VALUE"),
        ("nonsense=3", "unknown limit 'nonsense'"),
        ("flows=0", "from 1 to"),
        ("flows=-5", "from 1 to"),
        ("flows=abc", "from 1 to"),
        ("flows=", "from 1 to"),
        ("flows=99999999999999999999", "from 1 to"),
        ("flows=9999999999G", "from 1 to"),
        ("ike-sas=1e6", "from 1 to"),
    ])
    func badSettingsAreRefused(setting: String, message: String) {
        var options = AnalysisOptions()
        #expect {
            try ResourceLimit.apply(setting, to: &options)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func theCommandLineAppliesLimitsAndWarnsWhenOneIsHit() throws {
        let capture = "Fixtures/strongswan/aes256gcm16-v4/capture.pcap"
        let keys = "Fixtures/strongswan/aes256gcm16-v4/sa.spiglass"
        // Two ESP flows in this capture: with room for one, the second is counted apart.
        let limited = try CLITests.run([
            "analyze", "-q", "--threads", "1", "-r", capture, "-k", keys, "--limit", "flows=1",
        ])
        #expect(limited.status == 0)
        #expect(limited.stdout.contains("IPsec security associations seen: 1"))
        #expect(limited.stdout.contains("ESP packets in flows past the tracking limit: 13"))
        #expect(limited.stdout.contains("more than 1 ESP flows"))
        #expect(limited.stdout.contains("Verdicts: decrypted 26"), "packets past the limit are still decrypted")
        let unlimited = try CLITests.run(["analyze", "-q", "--threads", "1", "-r", capture, "-k", keys])
        #expect(unlimited.stdout.contains("IPsec security associations seen: 2"))
        let refused = try CLITests.run(["analyze", "-q", "-r", capture, "--limit", "ike-sas=none"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--limit: ike-sas takes a whole number"))
    }

    @Test func ikeLimitsReachTheReconstruction() throws {
        // The IKE SA rekey capture has two IKE SAs: with room for one, the new one is not
        // tracked and a warning says so.
        let capture = "Fixtures/strongswan-ike/rekey-cbc-sha256/capture.pcap"
        let keys = "Fixtures/strongswan-ike/rekey-cbc-sha256/sa.spiglass"
        let limited = try CLITests.run([
            "ike", "-q", "--threads", "1", "-r", capture, "-k", keys, "--limit", "ike-sas=1",
        ])
        let full = try CLITests.run(["ike", "-q", "--threads", "1", "-r", capture, "-k", keys])
        #expect(limited.status == 0 && full.status == 0)
        #expect((limited.stdout + limited.stderr).contains("more than 1 IKE SAs"))
        #expect(!(full.stdout + full.stderr).contains("more than"))
    }
}
