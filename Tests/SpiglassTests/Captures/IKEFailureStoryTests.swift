import Foundation
import SpiglassAnalysis
import SpiglassIKE
import Testing

/// The `ike` report tells a failure with its evidence, on real strongSwan captures: what was
/// offered and proposed, who sent the notify, and one "rejected:" line saying which side
/// rejected what, only as far as the capture shows it.
@Suite struct IKEFailureStoryTests {
    /// The `ike` text report of a capture with key files.
    static func ikeText(_ capture: String, keys: [String], summary: Bool = false) throws -> String {
        var options = AnalysisOptions()
        options.report = .ike
        options.quiet = true
        options.ikeSummary = summary
        let output = StringSink()
        _ = try analyzeStream(capture, keys: keys, options: options, output: output)
        return output.text
    }

    static func fixture(_ name: String, keys: String = "sa.spiglass") throws -> String {
        try ikeText(Paths.fixture("\(name)/capture.pcap"), keys: [Paths.fixture("\(name)/\(keys)")])
    }

    /// The lines of `text` that start (after indentation) with `prefix`.
    static func lines(_ text: String, _ prefix: String) -> [String] {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix(prefix) }
    }

    @Test func noProposalChosenForTheIKESA() throws {
        let text = try Self.fixture("strongswan-ike/no-proposal")
        #expect(
            Self.lines(text, "outcome:") == [
                "outcome: failed: NO_PROPOSAL_CHOSEN (IKE_SA_INIT response, frame 2), sent by the responder 10.98.0.2"
            ])
        #expect(
            Self.lines(text, "rejected:") == [
                "rejected: the responder 10.98.0.2 rejected the only IKE proposal offered; what it would accept is not in the capture"
            ])
        #expect(
            Self.lines(text, "offered") == [
                "offered (frame 1): #1 IKE ENCR_AES_CBC_128 PRF_HMAC_SHA2_256 AUTH_HMAC_SHA2_256_128 MODP_2048; KE MODP_2048"
            ])
    }

    /// The same refusal followed by a negotiation the same peers agreed on: the transforms that
    /// no refused proposal offered are named.
    @Test(.enabled(if: MessyCaptures.toolsPresent, "editcap/mergecap are not installed (Debian wireshark-common)"))
    func aLaterAgreementNamesWhatNoRefusedProposalOffered() throws {
        let text = try Self.ikeText(
            try MessyCaptures.path("ikev2/no-proposal-then-ok.pcap"),
            keys: [Paths.fixture("strongswan-ike/pfs-gcm/sa.spiglass")])
        #expect(
            Self.lines(text, "rejected:").first
                == "rejected: the responder 10.98.0.2 rejected the only IKE proposal offered: none offered ENCR_AES_GCM_16_256, PRF_HMAC_SHA2_384, ECP_384, which IKE SA #2 later agreed on"
        )
    }

    @Test func tsUnacceptableShowsTheProposedSelectors() throws {
        let text = try Self.fixture("strongswan-ike/ts-unacceptable")
        #expect(
            Self.lines(text, "rejected:") == [
                "rejected: the responder 10.98.0.2 accepted none of the traffic selectors proposed (10.200.1.0/24 === 10.200.2.0/24); the IKE SA stays"
            ])
        #expect(Self.lines(text, "proposed (frame 3):") == ["proposed (frame 3): 10.200.1.0/24 === 10.200.2.0/24"])
        #expect(
            Self.lines(text, "offered (frame 3):") == [
                "offered (frame 3): #1 ESP spi=19190ec7 ENCR_AES_CBC_128 AUTH_HMAC_SHA2_256_128 NO_ESN"
            ])
    }

    /// A CHILD_SA whose ESP proposals the responder refused in IKE_AUTH, the IKE SA kept.
    @Test func noProposalChosenForTheChildSA() throws {
        let text = try Self.fixture("strongswan-ike/child-no-proposal")
        #expect(
            Self.lines(text, "rejected:") == [
                "rejected: the responder 10.98.0.2 rejected the only ESP proposal offered; what it would accept is not in the capture; the IKE SA stays"
            ])
        #expect(
            Self.lines(text, "offered (frame 3):") == [
                "offered (frame 3): #1 ESP spi=a7917875 ENCR_AES_CBC_128 AUTH_HMAC_SHA2_256_128 NO_ESN"
            ])
    }

    /// IKEv2 CP (never shown before) and the selectors the responder narrowed.
    @Test func configurationPayloadAndNarrowedSelectors() throws {
        let text = try Self.fixture("strongswan-ike/cp-narrow")
        #expect(
            Self.lines(text, "configuration:") == [
                "configuration: CP(CFG_REQUEST): INTERNAL_IP4_ADDRESS (frame 3); CP(CFG_REPLY): INTERNAL_IP4_ADDRESS=10.203.0.1, INTERNAL_IP4_DNS=10.203.0.53 (frame 4)"
            ])
        #expect(
            Self.lines(text, "selectors:") == [
                "selectors: proposed 10.200.0.0/16 === 10.200.2.0/24 (frame 3), narrowed to 10.200.1.0/24 === 10.200.2.0/24"
            ])
        #expect(Self.lines(text, "rejected:").isEmpty)
    }

    /// `-V` shows a certificate's subject and issuer (openssl x509 -subject -issuer reads the same).
    @Test func detailsShowCertificateSubjects() throws {
        var options = AnalysisOptions()
        options.report = .ike
        options.packetDetails = true
        let output = StringSink()
        _ = try analyzeStream(
            Paths.fixture("strongswan-ike/fragmentation/capture.pcap"),
            keys: [Paths.fixture("strongswan-ike/fragmentation/sa.spiglass")], options: options, output: output)
        #expect(
            Self.lines(output.text, "Subject:") == [
                "Subject: C=CH, O=Spiglass test, CN=a.spiglass.test",
                "Subject: C=CH, O=Spiglass test, CN=b.spiglass.test",
            ])
        #expect(Set(Self.lines(output.text, "Issuer:")) == ["Issuer: C=CH, O=Spiglass test, CN=Spiglass test CA"])
    }

    /// AUTHENTICATION_FAILED: the responder refused the initiator's AUTH; the CHILD_SA that
    /// fell with it does not say it again.
    @Test func authenticationFailedNamesTheIdentityAndMethod() throws {
        let text = try Self.fixture("strongswan-ike/wrong-psk")
        #expect(
            Self.lines(text, "rejected:") == [
                "rejected: the responder 10.98.0.2 rejected the initiator's authentication (ID_RFC822_ADDR a@spiglass.test, Shared Key Message Integrity Code): AUTHENTICATION_FAILED"
            ])
        #expect(Self.lines(text, "outcome:").first?.hasSuffix("sent by the responder 10.98.0.2") == true)
    }

    @Test func invalidKEPayloadNamesBothGroupsAndTheRetry() throws {
        let text = try Self.fixture("strongswan-ike/invalid-ke")
        #expect(
            Self.lines(text, "rejected:") == [
                "rejected: the responder 10.98.0.2 rejected the key exchange MODP_2048 and asked for ECP_256; the initiator retried with ECP_256 (frame 3)"
            ])
        // Said once: the older INVALID_KE_PAYLOAD line gives way to the refusal.
        #expect(Self.lines(text, "INVALID_KE_PAYLOAD:").isEmpty)
    }

    @Test func ikev1NoProposalCountsTheTransforms() throws {
        let text = try Self.fixture("strongswan-ikev1/no-proposal")
        #expect(
            Self.lines(text, "rejected:") == [
                "rejected: the responder 10.97.0.2 rejected the only phase-1 transform offered; what it would accept is not in the capture"
            ])
        #expect(
            Self.lines(text, "offered (frame 1):") == [
                "offered (frame 1): IKE #1 AES-CBC-128 SHA2-256 PSK MODP2048 life 15840s"
            ])
        #expect(text.contains("IKE messages: 2 (all IKEv1)"))
    }

    /// IKEv1 PSK mismatch: the outcome gives the counts, the refusal line the evidence, once.
    @Test func ikev1PreSharedKeyMismatch() throws {
        let text = try Self.fixture("strongswan-ikev1/wrong-psk")
        #expect(Self.lines(text, "outcome:") == ["outcome: failed: phase 1 incomplete (5 of 6 messages)"])
        #expect(
            Self.lines(text, "rejected:") == [
                "rejected: the responder 10.97.0.2 answered the initiator's message 5 with notifications that do not decrypt with the initiator's keys: the two sides derived different keys (with PSK authentication: the pre-shared keys differ)"
            ])
    }

    /// A negotiation that went well has no refusal; the NAT line says its caveat once.
    @Test func anEstablishedIKESAHasNoRefusal() throws {
        let text = try Self.fixture("strongswan-ike/rekey-cbc-sha256")
        #expect(Self.lines(text, "rejected:").isEmpty)
        #expect(Self.lines(text, "offered").isEmpty)
        let nat = try #require(Self.lines(text, "NAT:").first)
        #expect(nat.components(separatedBy: "faking NAT detection").count == 2, "\(nat)")
    }

    /// Without keys: the outcome is "unknown" once, and an encrypted message's line says
    /// "encrypted, no keys" once.
    @Test func noKeysSaysSoOnce() throws {
        let text = try Self.ikeText(Paths.fixture("strongswan-ike/wrong-psk/capture.pcap"), keys: [])
        #expect(Self.lines(text, "outcome:") == ["outcome: unknown: IKE_AUTH is encrypted and no keys were given"])
        var options = AnalysisOptions()
        let output = StringSink()
        options.format = .text
        _ = try analyzeStream(
            Paths.fixture("strongswan-ike/wrong-psk/capture.pcap"), keys: [], options: options, output: output)
        let line = try #require(output.lines.first { $0.contains("IKE_AUTH request") })
        #expect(line.hasSuffix("rspi=44d56d01d4757aeb (encrypted, no keys): SK"), "\(line)")
    }

    /// `ike --summary`: one line per IKE SA of a capture of seventeen, each with its outcome.
    @Test(.enabled(if: MessyCaptures.toolsPresent, "editcap/mergecap are not installed (Debian wireshark-common)"))
    func summaryHasOneLinePerIKESA() throws {
        let cases = try FileManager.default.contentsOfDirectory(atPath: Paths.fixture("strongswan-ike")).filter {
            Paths.exists(Paths.fixture("strongswan-ike/\($0)/sa.spiglass")) && $0 != "nat"
        }
        let text = try Self.ikeText(
            try MessyCaptures.path("ikev2/many-sas.pcap"),
            keys: cases.map { Paths.fixture("strongswan-ike/\($0)/sa.spiglass") }, summary: true)
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("#") }
        #expect(lines.count == 17, "\(text)")
        #expect(!text.contains("exchanges:"))
        #expect(
            lines.contains(
                "#9 v2 10.98.0.1 ⇄ 10.98.0.2  failed: NO_PROPOSAL_CHOSEN from the responder  -  CHILD_SAs: 0  messages: 2"
            ))
        #expect(
            lines.contains(
                "#11 v2 10.98.0.1 ⇄ 10.98.0.2  deleted  ENCR_AES_CBC_128 AUTH_HMAC_SHA2_256_128 PRF_HMAC_SHA2_256 MODP_2048  CHILD_SAs: 1 (1 refused: TS_UNACCEPTABLE)  messages: 6"
            ))
        #expect(
            lines.contains(
                "#10 v2 10.98.0.1 ⇄ 10.98.0.2  failed: AUTHENTICATION_FAILED from the responder  ENCR_AES_CBC_128 AUTH_HMAC_SHA2_256_128 PRF_HMAC_SHA2_256 MODP_2048  CHILD_SAs: 1 (1 refused: AUTHENTICATION_FAILED)  messages: 4"
            ))
        #expect(lines.filter { $0.contains(" deleted ") || $0.contains(" rekeyed ") }.count == 14)
    }
}
