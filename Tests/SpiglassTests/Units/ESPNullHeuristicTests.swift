import Foundation
import SpiglassAnalysis
import Testing

/// NULL-encrypted ESP is recognised without keys, and encrypted ESP never is.
@Suite struct ESPNullHeuristicTests {
    static let nullCapture = Paths.corpus("ipdecap/unit_tests/esp/null_hmac-md5/null_hmac-md5.cap")

    @Test(.enabled(if: Paths.exists(nullCapture), "the shared corpus (../shared/corpus) is not present"))
    func nullEncryptionIsRecognisedWithoutKeys() throws {
        let capture = Self.nullCapture
        let withoutKeys = try analyze(capture, keys: [])
        let withKeys = try analyze(capture, keys: [Paths.corpus("ipdecap/derived/null_hmac-md5.esp_sa")])
        #expect(withoutKeys.summary.count(.espNull) == 248)
        #expect(withKeys.summary.count(.decrypted) == 248)
        for (a, b) in zip(withoutKeys.frames, withKeys.frames) where b.record.verdict == .decrypted {
            #expect(a.record.verdict == .espNull)
            #expect(
                a.record.inner == b.record.inner,
                "frame \(a.record.frame): the unverified view shows what the keys show")
            #expect(a.inner.isEmpty, "unauthenticated payloads are not written")
        }
    }

    @Test func scapyNullSAIsRecognised() throws {
        let result = try analyze(Paths.fixture("scapy/sha384-sha512-md5.pcap"), keys: [])
        #expect(result.summary.count(.espNull) == 2)
    }

    /// No false positives on encrypted traffic: every encrypted fixture, without keys.
    @Test func encryptedTrafficIsNeverTakenForNull() throws {
        var checked = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: Paths.fixture("strongswan")).sorted()
        where Paths.exists(Paths.fixture("strongswan/\(name)/capture.pcap")) {
            let result = try analyze(Paths.fixture("strongswan/\(name)/capture.pcap"), keys: [])
            #expect(result.summary.count(.espNull) == 0, "\(name)")
            #expect(result.summary.count(.noSA) == 26)
            checked += 1
        }
        #expect(checked >= 10)
    }

    @Test func heuristicCanBeTurnedOff() throws {
        var options = AnalysisOptions()
        options.espNullHeuristic = false
        let result = try analyze(Paths.fixture("scapy/sha384-sha512-md5.pcap"), keys: [], options: options)
        #expect(result.summary.count(.espNull) == 0)
    }
}
