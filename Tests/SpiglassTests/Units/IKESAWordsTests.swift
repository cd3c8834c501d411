import SpiglassAnalysis
import SpiglassSAD
import SpiglassWire
import Testing

@testable import SpiglassIKE

/// The words the reports give the story's typed failures, evidence and key notes: the same
/// text and JSON as when the story kept them as strings.
struct IKESAWordsTests {
    private let child = ChildSARecord(
        ikeSAIndex: 0, createdBy: 1, createdByType: .v2(.ikeAuth), requestedByInitiator: true, requesterSPI: 1,
        responderSPI: 2, requester: IPAddress("192.0.2.1")!, responder: IPAddress("192.0.2.2")!)

    @Test func ikeSAStatesAndFailures() {
        #expect(
            IKESAWords.state(.failed(.notify(.v2(.authenticationFailed), sentBy: .responder)))
                == "failed: AUTHENTICATION_FAILED")
        #expect(
            IKESAWords.state(.failed(.notify(.v1(.noProposalChosen), sentBy: .initiator)))
                == "failed: NO-PROPOSAL-CHOSEN")
        let incomplete = IKEv1Phase1Failure(aggressive: true, messages: 2, evidence: .none)
        #expect(IKESAWords.failure(.phase1Incomplete(incomplete)) == "phase 1 incomplete (2 of 3 messages)")
        #expect(IKESAWords.state(.noResponse) == "no response")
        #expect(
            [IKESAState.negotiating, .established, .rekeyed, .deleted].map(IKESAWords.state)
                == ["negotiating", "established", "rekeyed", "deleted"])
    }

    @Test func childSAFailures() {
        #expect(IKESAWords.failure(ChildSAFailure.notify(.tsUnacceptable)) == "TS_UNACCEPTABLE")
        #expect(IKESAWords.failure(ChildSAFailure.noSAPayloadInResponse) == "no SA payload in the response")
        #expect(IKESAWords.failure(ChildSAFailure.noResponse) == "no response")
    }

    @Test func evidence() {
        #expect(
            IKESAWords.evidence(.message(.v2(.ikeAuth), isResponse: true, frames: [4]))
                == "IKE_AUTH response, frame 4")
        #expect(
            IKESAWords.evidence(.message(.v2(.ikeAuth), isResponse: false, frames: [7, 8]))
                == "IKE_AUTH request, frames 7,8")
        #expect(
            IKESAWords.evidence(.unansweredRequest(.v2(.ikeSAInit), frame: 1, timesSent: 4))
                == "IKE_SA_INIT request, frame 1, sent 4 times")
        #expect(
            IKESAWords.evidence(.unansweredRequest(.v1(.mainMode), frame: nil, timesSent: 1))
                == "Main Mode request")
        #expect(IKESAWords.evidence(.informational(frames: [2, 3])) == "Informational, frame 2,3")
    }

    /// IKEv2 keys come from SK_d, IKEv1 keys from SKEYID_d; the rest says the same either way.
    @Test func keyNotesByVersion() {
        var pfs = child
        pfs.keyExchangeGroup = .v2(14)
        let origin = SAOrigin(file: "keys.txt", line: 3)
        #expect(IKESAWords.keying(.derived, child: child, version: .v2) == "derived from SK_d")
        #expect(IKESAWords.keying(.derived, child: child, version: .v1) == "derived from SKEYID_d")
        #expect(
            IKESAWords.keying(.noIKESAKeys, child: child, version: .v1)
                == "no key file gives this IKE SA's SKEYID_d")
        #expect(
            IKESAWords.keying(.noDerivationKey(origin: origin), child: child, version: .v2)
                == "the key file gives no SK_d for this IKE SA (\(origin))")
        #expect(
            IKESAWords.keying(.prfUnknown, child: child, version: .v2)
                == "the PRF of this IKE SA is unknown (not in the key file, IKE_SA_INIT not captured)")
        #expect(
            IKESAWords.keying(.prfUnknown, child: child, version: .v1)
                == "the IKE SA's hash is unknown (not in the key file, phase 1 not captured)")
        #expect(
            IKESAWords.keying(.perfectForwardSecrecy, child: pfs, version: .v2)
                == "created with PFS (MODP_2048): its KEYMAT needs the DH shared secret, which no capture holds")
        #expect(
            IKESAWords.keying(.perfectForwardSecrecy, child: child, version: .v1)
                == "created with PFS (KE): its KEYMAT needs the Quick Mode DH shared secret, which no capture holds")
        #expect(
            IKESAWords.keying(.unsupportedAlgorithms(nil), child: child, version: .v2)
                == "algorithms not supported: unknown")
        #expect(
            IKESAWords.keying(
                .unsupportedAlgorithms([.encryptionTransform(99), .aesKeyLength(bits: 100)]), child: child, version: .v2
            )
                == "algorithms not supported: encryption transform 99, AES key length 100")
        #expect(
            IKESAWords.keying(.notESPOrAH(protocolID: 9), child: child, version: .v2)
                == "protocol 9 is neither ESP nor AH")
    }

    @Test func groupsAndMethodsByVersion() {
        #expect(IKESAWords.group(.v2(14)) == "MODP_2048")
        #expect(IKESAWords.group(.v1(14)) == "MODP2048")
        #expect(IKESAWords.group(IKEInvalidKERequest.group(.v2(19))) == IKESAWords.group(.v2(19)))
        #expect(IKESAWords.group(IKEInvalidKERequest.unreadable) == "unknown group")
        #expect(IKESAWords.authentication(.v2(2)) == "Shared Key Message Integrity Code")
        #expect(IKESAWords.authentication(.v1(1)) == "PSK")
    }
}
