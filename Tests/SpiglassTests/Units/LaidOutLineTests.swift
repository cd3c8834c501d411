import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

@testable import SpiglassAnalysis
@testable import SpiglassCapture

/// `LaidOutLine` and the lines laid out with it: on a terminal too narrow for a finding, a
/// warning, the policy totals or a packet's note, the fact on one row and labelled rows under
/// it, each within the width; piped (no width) and wherever the whole line fits, the one line
/// of before, byte for byte.
@Suite struct LaidOutLineTests {
    static let line = LaidOutLine(whole: "fact because why", headline: "fact", rows: ["cause: because why"])

    @Test func wholeWhenPipedOrWhenItFits() {
        #expect(Self.line.text(indent: "  ", width: nil) == "  fact because why\n")
        #expect(Self.line.text(indent: "  ", width: 18) == "  fact because why\n")
        #expect(Self.line.text(indent: "  ", width: 17) == "  fact\n    cause: because why\n")
        #expect(LaidOutLine("one row only").text(indent: "", width: 4) == "one row only\n")
    }

    @Test func aCauseAndItsConsequenceTakeARowEach() {
        #expect(LaidOutLine.causeRows("wrong key") == ["cause: wrong key"])
        #expect(
            LaidOutLine.causeRows("the others verify: these packets were corrupted or forged")
                == ["cause: the others verify", "so: these packets were corrupted or forged"])
    }

    /// Every weak algorithm the IKE ladder can name, in each use: the line piped is the
    /// finding's sentence of before; at 80 columns every row fits, and the rule row names the
    /// RFC's line.
    @Test func everyWeakAlgorithmFindingFitsEightyColumns() {
        let weak: [WeakAlgorithm] = [
            .des, .tripleDES, .blowfish, .cast, .idea, .tripleIDEA, .rc5, .nullEncryption, .encryptionWithoutIntegrity,
            .md5Integrity, .desMAC, .kpdkMD5, .sha1Integrity, .md5PRF, .sha1PRF, .tigerPRF, .modp768, .modp1024,
            .modp1536, .modp1024s160, .modp2048s224, .modp2048s256,
        ]
        let transform = IKEv2Transform(type: 3, id: 2)
        for algorithm in weak {
            for use in [AlgorithmUse.ikeSAProposal, .childSAProposal, .ikev1PhaseOne] {
                for subject in [IKEFindingSubject.ikeSA, .rekeyedChildSA] {
                    let finding = IKEFinding.weakAlgorithm(algorithm, use: use, subject: subject, transform: transform)
                    let line = finding.line
                    #expect(line.whole == "finding: " + finding.text)
                    let rule = AlgorithmPolicy.rule(algorithm, in: use)
                    #expect(
                        line.rows.last == "rule: " + rule
                            + (rule.contains(transform.name) ? "" : " (\(transform.name))"))
                    for row in line.laidOut(indent: "  ").split(separator: "\n") {
                        #expect(LineFitter.rowCount(String(row), width: 80) == 1, "\(row)")
                    }
                }
            }
        }
    }

    @Test func keyEvidenceNamesTheKeysOnItsOwnRow() {
        let line = IKEFinding.keysFailIntegrity(.keysSwapped(failed: 4, aead: true)).line
        #expect(line.headline == "finding: 4 encrypted message(s) fail integrity")
        #expect(
            line.rows == [
                "but: they verify with the other peer's keys",
                "cause: the key file swaps the initiator's and the responder's keys", "keys: SK_ei and SK_er",
            ])
        #expect(line.whole == "finding: " + IKEFinding.keysFailIntegrity(.keysSwapped(failed: 4, aead: true)).text)
    }

    @Test func policyTotals() throws {
        var summary = PolicySummary()
        summary.negotiatedChildSAs = 1
        summary.checked = 8
        let totals = try #require(PolicyPresentation.totals(summary))
        #expect(
            totals.text(indent: "", width: nil)
                == "Policy: 1 CHILD_SA(s) with negotiated selectors; 8 packet(s) checked after decryption, 0 outside their selectors; 0 cleartext packet(s) leaked\n"
        )
        #expect(
            totals.text(indent: "", width: 80)
                == "Policy: 1 CHILD_SA(s) with negotiated selectors\n"
                + "  checked: 8 decrypted packet(s), 0 outside their selectors\n  leaked: 0 cleartext packet(s)\n")
    }

    @Test func aListContinuesUnderItsFirstItem() {
        let items = ["decrypted 5", "icv-failed 3", "garbled 2", "dummy 1", "malformed 1", "no-sa 1", "not-ipsec 1"]
        #expect(
            TerminalRows.alignedList("Verdicts: ", items, separator: ", ", width: 80, clipsItems: false)
                == "Verdicts: decrypted 5, icv-failed 3, garbled 2, dummy 1, malformed 1, no-sa 1,\n"
                + "          not-ipsec 1")
        #expect(
            TerminalRows.alignedList("Verdicts: ", items, separator: ", ", width: nil, clipsItems: false)
                == "Verdicts: " + items.joined(separator: ", "))
        // An item wider than a row: whole, to fold, or clipped to the row.
        let wide = ["decrypted 5", String(repeating: "x", count: 90)]
        #expect(
            TerminalRows.alignedList("Verdicts: ", wide, separator: ", ", width: 80, clipsItems: false)
                == "Verdicts: decrypted 5,\n          " + wide[1])
        let clipped = TerminalRows.alignedList("Verdicts: ", wide, separator: ", ", width: 80)
        #expect(clipped.split(separator: "\n").map { TerminalRows.columns(String($0)) } == [22, 80])
        #expect(clipped.hasSuffix("…"))
    }

    @Test func policyNotesOfAPacket() {
        let mismatch = PolicyNote(
            kind: .policyMismatch, policy: "CHILD_SA #2 10.200.1.0/28[icmp] → 10.200.2.1/32[icmp]",
            reason:
                "source 10.200.1.2 udp and destination 10.200.2.1 udp are outside 10.200.1.0/28[icmp] → 10.200.2.1/32[icmp]"
        )
        #expect(
            PacketNoteRows.rows(mismatch) == [
                "policy-mismatch: source 10.200.1.2 udp and destination 10.200.2.1 udp",
                "outside: 10.200.1.0/28[icmp] → 10.200.2.1/32[icmp]",
                "policy: CHILD_SA #2 10.200.1.0/28[icmp] → 10.200.2.1/32[icmp]",
            ])
        let leak = PolicyNote(
            kind: .leak, policy: "CHILD_SA #1 10.200.1.0/28 → 10.200.2.1/32 (negotiated, both directions)", reason: nil)
        #expect(
            PacketNoteRows.rows(leak) == [
                "leak: sent in clear, but this policy protects it", "policy: CHILD_SA #1 10.200.1.0/28 → 10.200.2.1/32",
                "scope: negotiated, both directions",
            ])
    }

    /// No two times of the years 0000-9999 are more than 10,000 years apart: a packet line
    /// shows such a relative time (Int64's end, from a crafted timestamp) as "invalid".
    @Test func relativeTimesOutOfEveryValidRangeAreInvalid() {
        let start = Timestamp(seconds: 9_223_372_036_854, microseconds: 0)
        #expect(TimeFormat.elapsedText(from: start, to: Timestamp(seconds: .min, microseconds: 0)) == "invalid")
        #expect(TimeFormat.elapsedText(from: start, to: Timestamp(seconds: 0, microseconds: 0)) == "invalid")
        // Two times of a year past 9999, a second apart: a duration like any other.
        let late = Timestamp(seconds: 400_000_000_000, microseconds: 0)
        #expect(
            TimeFormat.elapsedText(from: late, to: Timestamp(seconds: 400_000_000_001, microseconds: 5)) == "1.000005")
        let year0 = Timestamp(seconds: -62_167_219_200, microseconds: 0)
        let year9999 = Timestamp(seconds: 253_402_300_799, microseconds: 999_999)
        #expect(TimeFormat.elapsedText(from: year0, to: year9999) == "315569519999.999999")
    }
}
