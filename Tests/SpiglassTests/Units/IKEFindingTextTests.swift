import SpiglassAnalysis
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

/// The words of the IKE findings that are not weak algorithms (those are pinned in
/// AlgorithmPolicyTests): the reports print them as they were when the model held strings.
@Suite struct IKEFindingTextTests {
    @Test func childSAWithoutPFS() {
        let finding = IKEFinding.childSAWithoutPFS(
            rekeyed: false, requesterSPI: SPI(0xc19c_5d01), responderSPI: SPI(0x4218_b56d))
        #expect(finding.text == "CHILD_SA c19c5d01/4218b56d created without PFS")
        let rekeyed = IKEFinding.childSAWithoutPFS(rekeyed: true, requesterSPI: SPI(0x0000_0001), responderSPI: nil)
        #expect(rekeyed.text == "rekeyed CHILD_SA 00000001/? created without PFS")
    }

    @Test func ikev1Findings() {
        #expect(IKEFinding.xauthFailed.text == "XAUTH failed")
        #expect(IKEFinding.ikev1Deprecated.text == "IKE SA: IKEv1 is deprecated (RFC 9395)")
        #expect(
            IKEFinding.keysFailIntegrity(.hashCheckFailed(failed: 3)).text
                == "3 encrypted message(s) fail their HASH check: SKEYID_a is wrong, or the peers' pre-shared keys differ"
        )
    }

    /// Each IKEv2 key diagnosis names the keys to blame: SK_e alone with an AEAD cipher.
    @Test func ikev2KeyEvidence() {
        #expect(
            IKEFinding.keysFailIntegrity(.keysSwapped(failed: 4, aead: true)).text
                == "4 encrypted message(s) fail integrity but verify with the other peer's keys: the key file has"
                + " the initiator's and the responder's keys (SK_ei and SK_er) the wrong way round")
        #expect(
            IKEFinding.keysFailIntegrity(
                .onePeerFails(.responder, failed: 2, total: 5, othersVerify: true, aead: false)
            ).text == "messages from the responder fail integrity (2 of 5); the initiator's verify: SK_ar/SK_er wrong")
        #expect(
            IKEFinding.keysFailIntegrity(
                .onePeerFails(.initiator, failed: 1, total: 1, othersVerify: false, aead: true)
            ).text == "messages from the initiator fail integrity (1 of 1): SK_ei wrong")
        #expect(
            IKEFinding.keysFailIntegrity(.bothPeersFail(failed: 6)).text
                == "messages from both peers fail integrity (6): the keys given are wrong, or belong to another IKE SA")
    }
}
