import SpiglassAnalysis
import Testing

@testable import SpiglassIKE

/// The words the reports give each exchange's outcome and purpose and each unsupported CHILD_SA
/// algorithm: the same text, JSON and HTML as when SpiglassIKE worded them itself.
struct IKEExchangeWordsTests {
    @Test func everyOutcome() {
        let words: [(IKEExchangeOutcome, String)] = [
            (.noResponse, "no response"),
            (.requestNotCaptured, "request not captured"),
            (.ok, "ok"),
            (.notify(.v2(.noProposalChosen)), "NO_PROPOSAL_CHOSEN"),
            (.notify(.v1(.noProposalChosen)), "NO-PROPOSAL-CHOSEN"),
            (.responseNotDecrypted(.noKeys), "response not decrypted (no-keys)"),
            (
                .childSARefused([.tsUnacceptable, .noProposalChosen]),
                "IKE SA established, CHILD_SA refused: TS_UNACCEPTABLE, NO_PROPOSAL_CHOSEN"
            ),
            (.noSAPayloadInResponse, "no SA payload in the response"),
            (
                .refusedInInformational(.noProposalChosen, frame: nil),
                "NO-PROPOSAL-CHOSEN (in an Informational exchange)"
            ),
            (
                .refusedInInformational(.noProposalChosen, frame: 2),
                "NO-PROPOSAL-CHOSEN (in an Informational exchange, frame 2)"
            ),
            (.oneWay, "one-way"),
            (.noDPDAck, "no R-U-THERE-ACK"),
            (
                .phase1Incomplete(IKEv1Phase1Failure(aggressive: true, messages: 2, evidence: .none)),
                "phase 1 incomplete (2 of 3 messages)"
            ),
            (
                .quickModeUnconfirmed(resentFrames: [15, 20, 30]),
                "incomplete: the responder sent message 2 again 3× (frames 15, 20, 30) after message 3, which therefore never reached it or was not accepted"
            ),
            (.xauth(succeeded: true), "XAUTH ok"),
            (.xauth(succeeded: false), "XAUTH failed"),
        ]
        for (outcome, expected) in words {
            #expect(IKEExchangeWords.outcome(outcome) == expected)
        }
    }

    @Test func phase1IncompleteWithItsEvidence() {
        let resent = IKEv1Phase1Failure(
            aggressive: false, messages: 5, evidence: .responderResent(frames: Array(1...8), after: 9))
        #expect(
            IKEExchangeWords.phase1Incomplete(resent)
                == "phase 1 incomplete (5 of 6 messages): the responder sent its message 4 again 8× (frames 1, 2, 3, 4, 5, 6, …) after the initiator's message 5 (frame 9), so it could not decrypt or verify that message: the peers' pre-shared keys most likely differ"
        )
        #expect(
            IKEExchangeWords.phase1Incomplete(resent, withEvidence: false) == "phase 1 incomplete (5 of 6 messages)")
        let aggressive = IKEv1Phase1Failure(
            aggressive: true, messages: 2, evidence: .responderResent(frames: [4, 6], after: 3))
        #expect(
            IKEExchangeWords.phase1Incomplete(aggressive)
                == "phase 1 incomplete (2 of 3 messages): the responder sent its message 2 again 2× (frames 4, 6) after the initiator's message 3 (frame 3), so it could not decrypt or verify that message: the peers' pre-shared keys most likely differ"
        )
        let undecryptable = IKEv1Phase1Failure(aggressive: false, messages: 6, evidence: .notificationsUndecryptable)
        #expect(
            IKEExchangeWords.outcome(.phase1Incomplete(undecryptable))
                == "phase 1 incomplete (6 of 6 messages); the responder's notifications do not decrypt with these keys: the peers derived different keys (pre-shared keys differ?)"
        )
    }

    @Test func everyPurpose() {
        let words: [(IKEExchangePurpose, String)] = [
            (.newChildSA, "new CHILD_SA"),
            (.rekeyChildSA, "rekey CHILD_SA"),
            (.rekeyIKESA, "rekey IKE SA"),
            (.createChildSAWithoutSA, "CREATE_CHILD_SA without SA payload"),
            (.livenessCheck, "liveness check"),
            (.informational([]), "informational"),
            (
                .informational([.notify(.v2(.initialContact)), .deleteChildSA, .deleteChildSA]),
                "INITIAL_CONTACT, delete CHILD_SA"
            ),
            (.unreadInformational(.failed(.keysUnusable(nil))), "informational (failed)"),
            (.unreadInformational(.noKeys), "informational (no-keys)"),
            (.transaction(xauth: true, internalAddress: nil), "XAUTH"),
            (.transaction(xauth: false, internalAddress: [10, 0, 0, 2]), "Mode Config 10.0.0.2"),
        ]
        for (purpose, expected) in words {
            #expect(IKEExchangeWords.purpose(purpose) == expected)
        }
    }

    @Test func everyInformationalContent() {
        let words: [(IKEInformationalContent, String)] = [
            (.deleteIKESA, "delete IKE SA"),
            (.deleteChildSA, "delete CHILD_SA"),
            (.mobikeAddressUpdate, "MOBIKE address update"),
            (.configuration, "configuration"),
            (.dpdRequest, "DPD R-U-THERE"),
            (.dpdAck, "DPD R-U-THERE-ACK"),
            (.notify(.v1(.rUThere)), "R-U-THERE"),
        ]
        for (content, expected) in words {
            #expect(IKEExchangeWords.informational(content) == expected)
        }
    }

    /// The mapping keeps the numbers as negotiated; the words name them as before.
    @Test func unsupportedChildAlgorithms() {
        let v2 = NegotiatedChildAlgorithms(transforms: [
            (type: 1, id: 12, keyBits: 100), (type: 3, id: 77, keyBits: nil),
        ])
        #expect(v2.unsupported == [.aesKeyLength(bits: 100), .integrityTransform(77)])
        let unknown = NegotiatedChildAlgorithms(transforms: [(type: 1, id: 99, keyBits: nil)])
        #expect(unknown.unsupported == [.encryptionTransform(99)])
        let esp = NegotiatedChildAlgorithms(
            ikev1: IKEv1Transform(number: 1, transformID: 250, attributes: [], protocolID: IKEv1Names.protoESP))
        #expect(esp.unsupported == [.espTransform(250)])
        let ah = NegotiatedChildAlgorithms(
            ikev1: IKEv1Transform(number: 1, transformID: 2, attributes: [], protocolID: IKEv1Names.protoAH))
        #expect(ah.unsupported == [.ahWithoutAuthentication])
        let words: [(UnsupportedChildAlgorithm, String)] = [
            (.encryptionTransform(99), "encryption transform 99"),
            (.integrityTransform(77), "integrity transform 77"),
            (.aesKeyLength(bits: 100), "AES key length 100"),
            (.espTransform(250), "ESP transform 250"),
            (.authenticationAlgorithm(8), "authentication algorithm 8"),
            (.ahWithoutAuthentication, "AH transform without an authentication algorithm"),
        ]
        for (algorithm, expected) in words {
            #expect(IKEExchangeWords.unsupported(algorithm) == expected)
        }
    }
}
