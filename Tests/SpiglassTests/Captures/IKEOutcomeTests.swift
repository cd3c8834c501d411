import Foundation
import SpiglassAnalysis
import SpiglassIKE
import Testing

/// IKE outcomes that match the frames, in both versions, each failure naming its evidence:
/// a Quick Mode whose responder keeps sending message 2, phase 1 answered by a notification,
/// a likely pre-shared-key mismatch, IKE_SA_INIT answered afresh with new SPIs, Aggressive
/// Mode's hashes.
@Suite struct IKEOutcomeTests {
    static func keysWithoutESP(_ path: String) throws -> String {
        let text = try String(contentsOfFile: Paths.fixture(path), encoding: .utf8)
        let out = CLITests.temporary("ike-only.spiglass")
        try text.split(separator: "\n").filter { !$0.hasPrefix("esp") }.joined(separator: "\n").write(
            toFile: out, atomically: true, encoding: .utf8)
        return out
    }

    /// tcpdump's isakmp4500.pcap: the responder sent Quick Mode message 2 again three times
    /// after message 3 (all frames at time 0, so none is a capture duplicate).
    @Test(.enabled(if: Paths.corpusPresent, "the shared corpus (../shared/corpus) is not present"))
    func aQuickModeWhoseResponderKeepsResendingIsIncomplete() throws {
        let result = try analyzeStream(Paths.corpus("tcpdump/isakmp4500.pcap"), keys: [])
        #expect(result.summary.count(.captureDuplicate) == 0)
        let sa = try #require(result.analyzer.ike.ikeSAs.first)
        let quickMode = try #require(sa.exchanges.first { $0.type == .v1(.quickMode) })
        #expect(quickMode.outcome == .quickModeUnconfirmed(resentFrames: [15, 20, 30]))
        #expect(
            IKEExchangeWords.outcome(quickMode.outcome)
                == "incomplete: the responder sent message 2 again 3× (frames 15, 20, 30) after message 3, which therefore never reached it or was not accepted"
        )
        #expect(!quickMode.succeeded)
        #expect(quickMode.responseRetransmissions == 3)
    }

    @Test(.enabled(if: MessyCaptures.toolsPresent, "editcap/mergecap are not installed (Debian wireshark-common)"))
    func theSameFromAStrongSwanCapture() throws {
        let result = try analyzeStream(
            try MessyCaptures.path("ikev1/qm-resend.pcap"),
            keys: [Paths.fixture("strongswan-ikev1/main-psk/sa.spiglass")])
        let quickMode = try #require(result.analyzer.ike.ikeSAs.first?.exchanges.first { $0.type == .v1(.quickMode) })
        #expect(quickMode.outcome == .quickModeUnconfirmed(resentFrames: [10, 11]))
        // The whole capture's Quick Mode is fine.
        let whole = try analyzeStream(
            Paths.fixture("strongswan-ikev1/main-psk/capture.pcap"),
            keys: [Paths.fixture("strongswan-ikev1/main-psk/sa.spiglass")])
        #expect(whole.analyzer.ike.ikeSAs.first?.exchanges.first { $0.type == .v1(.quickMode) }?.outcome == .ok)
    }

    /// Main Mode answered by an Informational NO-PROPOSAL-CHOSEN: the exchange says so.
    @Test func phaseOneAnsweredByANotification() throws {
        let result = try analyzeStream(Paths.fixture("strongswan-ikev1/no-proposal/capture.pcap"), keys: [])
        let sa = try #require(result.analyzer.ike.ikeSAs.first)
        #expect(sa.state == .failed(.notify(.v1(.noProposalChosen), sentBy: .responder)))
        #expect(IKESAWords.state(sa.state) == "failed: NO-PROPOSAL-CHOSEN")
        #expect(sa.failureEvidence == .informational(frames: [2]))
        #expect(sa.failureEvidence.map { IKESAWords.evidence($0) } == "Informational, frame 2")
        #expect(sa.exchanges.first?.outcome == .refusedInInformational(.noProposalChosen, frame: 2))
        #expect(
            sa.exchanges.first.map { IKEExchangeWords.outcome($0.outcome) }
                == "NO-PROPOSAL-CHOSEN (in an Informational exchange, frame 2)")
        let text = try CLITests.run(["ike", "-r", "Fixtures/strongswan-ikev1/no-proposal/capture.pcap"])
        #expect(!text.stdout.contains("no response"), "\(text.stdout)")
    }

    /// A responder that answers an undecryptable message 5 by sending message 4 again.
    @Test(.enabled(if: MessyCaptures.toolsPresent, "editcap/mergecap are not installed (Debian wireshark-common)"))
    func aResponderResendingMessageFourPointsAtThePreSharedKey() throws {
        let result = try analyzeStream(
            try MessyCaptures.path("ikev1/psk-resend.pcap"),
            keys: [Paths.fixture("strongswan-ikev1/wrong-psk/sa.spiglass")])
        guard case .failed(let failure) = try #require(result.analyzer.ike.ikeSAs.first).state else {
            Issue.record("not failed")
            return
        }
        #expect(
            IKESAWords.failure(failure)
                == "phase 1 incomplete (5 of 6 messages): the responder sent its message 4 again 2× (frames 7, 8) after the initiator's message 5 (frame 5), so it could not decrypt or verify that message: the peers' pre-shared keys most likely differ"
        )
    }

    /// IKE_SA_INIT answered afresh for each copy of the request, first with another responder
    /// SPI and nonce: one IKE SA, the other answer counted apart (not as a retransmission), and
    /// the SPI and nonce of the answer IKE_AUTH went on with, as the ESP keyed from SK_d shows.
    @Test(.enabled(if: MessyCaptures.toolsPresent, "editcap/mergecap are not installed (Debian wireshark-common)"))
    func freshAnswersWithNewResponderSPIsAreNotRetransmissions() throws {
        let keys = try Self.keysWithoutESP("strongswan-ike/rekey-cbc-sha256/sa.spiglass")
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let fresh = try analyzeStream(try MessyCaptures.path("ikev2/fresh-answers.pcap"), keys: [keys])
        let whole = try analyzeStream(Paths.fixture("strongswan-ike/rekey-cbc-sha256/capture.pcap"), keys: [keys])
        #expect(fresh.analyzer.ike.ikeSAs.count == whole.analyzer.ike.ikeSAs.count)
        let sa = try #require(fresh.analyzer.ike.ikeSAs.first)
        #expect(sa.spis.responder == whole.analyzer.ike.ikeSAs.first?.spis.responder)
        let initExchange = try #require(sa.exchanges.first)
        #expect(initExchange.requestRetransmissions == 1)
        #expect(initExchange.responseRetransmissions == 0)
        #expect(initExchange.otherResponses == [4])
        #expect(whole.summary.count(.decrypted) > 0)
        #expect(fresh.summary.count(.decrypted) == whole.summary.count(.decrypted))
        let text = try CLITests.run(["ike", "-r", try MessyCaptures.path("ikev2/fresh-answers.pcap"), "-k", keys])
        #expect(
            text.stdout.contains("request retransmitted 1×, 1 other answer(s) to retransmitted requests (frames 4)"))
        #expect(!text.stdout.contains("response retransmitted"))
    }

    /// Aggressive Mode: HASH_R (message 2, in the clear) and HASH_I (message 3, which carries
    /// no ID payload: the initiator's from message 1 counts) are checked.
    @Test func aggressiveModeHashesAreChecked() throws {
        let result = try analyzeStream(
            Paths.fixture("strongswan-ikev1/aggressive-psk/capture.pcap"),
            keys: [Paths.fixture("strongswan-ikev1/aggressive-psk/sa.spiglass")])
        let phase1 = result.analyzer.ike.messages.filter { $0.header.exchangeType == .v1(.aggressiveMode) }
        #expect(phase1.count == 3)
        #expect(phase1.map(\.integrity) == [.unchecked, .ok, .ok])
        // A wrong SKEYID fails both.
        let text = try String(
            contentsOfFile: Paths.fixture("strongswan-ikev1/aggressive-psk/sa.spiglass"), encoding: .utf8)
        let wrong = CLITests.temporary("wrong-skeyid.spiglass")
        defer { try? FileManager.default.removeItem(atPath: wrong) }
        // SKEYID's first hex digit, changed.
        let marker = try #require(text.range(of: " skeyid=0x"))
        let digit = text[marker.upperBound]
        var edited = text
        edited.replaceSubrange(marker.upperBound...marker.upperBound, with: digit == "0" ? "1" : "0")
        try edited.write(toFile: wrong, atomically: true, encoding: .utf8)
        let failed = try analyzeStream(Paths.fixture("strongswan-ikev1/aggressive-psk/capture.pcap"), keys: [wrong])
        #expect(
            failed.analyzer.ike.messages.filter { $0.header.exchangeType == .v1(.aggressiveMode) }.map(\.integrity) == [
                .unchecked, .failed, .failed,
            ])
        #expect(
            failed.analyzer.ike.ikeSAs.first?.findings.contains(.keysFailIntegrity(.hashCheckFailed(failed: 2))) == true
        )
    }

    /// Each failure names its evidence.
    @Test func failuresNameTheirFrames() throws {
        let wrongPSK = try analyzeStream(
            Paths.fixture("strongswan-ike/wrong-psk/capture.pcap"),
            keys: [Paths.fixture("strongswan-ike/wrong-psk/sa.spiglass")])
        let wrongPSKEvidence = wrongPSK.analyzer.ike.ikeSAs.first?.failureEvidence
        #expect(wrongPSKEvidence == .message(.v2(.ikeAuth), isResponse: true, frames: [4]))
        #expect(wrongPSKEvidence.map { IKESAWords.evidence($0) } == "IKE_AUTH response, frame 4")
        let silent = try analyzeStream(Paths.fixture("strongswan-ike/no-response/capture.pcap"), keys: [])
        #expect(silent.analyzer.ike.ikeSAs.first?.state == .noResponse)
        let silentEvidence = silent.analyzer.ike.ikeSAs.first?.failureEvidence
        #expect(silentEvidence == .unansweredRequest(.v2(.ikeSAInit), frame: 1, timesSent: 4))
        #expect(
            silentEvidence.map { IKESAWords.evidence($0) } == "IKE_SA_INIT request, frame 1, sent 4 times")
        let json = try CLITests.run([
            "ike", "--json", "-q", "-r", "Fixtures/strongswan-ike/wrong-psk/capture.pcap", "-k",
            "Fixtures/strongswan-ike/wrong-psk/sa.spiglass",
        ])
        #expect(
            json.stdout.contains(
                "\"failure\":\"AUTHENTICATION_FAILED\",\"failure_evidence\":\"IKE_AUTH response, frame 4\""))
    }
}
