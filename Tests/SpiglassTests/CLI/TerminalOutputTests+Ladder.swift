import Foundation
import Testing

/// The `ike` ladder at 80 columns is laid out, not folded: an exchange's headline says its
/// outcome, what does not fit follows on labelled sub-rows (`rtt:`, `evidence:`); lists
/// (identities, vendor IDs, a configuration) break between their items under their first one;
/// a refusal says who on its label's row and what under it. Wide terminals keep each line
/// whole; hostile identities are clipped with "…" on a terminal and whole when piped.
extension TerminalOutputTests {
    static func ladder(_ name: String, columns: Int) throws -> [String] {
        let run = Self.compactRuns.firstIndex { $0.name == name }!
        return try Self.compactText(run, columns: columns).split(separator: "\n").map(String.init)
    }

    @Test func eightyColumnsLayTheLadderOutOnLabelledSubRows() throws {
        let psk = try Self.ladder("ikev1-wrong-psk", columns: 80)
        let headline = "    Main Mode mid=0x00000000 I→R +0.000000: incomplete (5 of 6 messages)"
        let start = try #require(psk.firstIndex(of: headline))
        #expect(
            Array(psk[(start + 1)...].prefix(4)) == [
                "      evidence: the responder's notifications do not decrypt with these keys",
                "      likely: the peers derived different keys (pre-shared keys differ?)",
                "      rtt: 1.35 ms",
                "      retransmitted: request 1×",
            ])
        #expect(psk.contains("    Informational mid=0xc93cadde R→I +0.011624 (failed): one-way"))
        #expect(psk.contains("              draft-ietf-ipsec-nat-t-ike-02\\n"))
        let refused = try Self.ladder("no-proposal", columns: 80)
        #expect(refused.contains("  rejected: by the responder 10.98.0.2"))
        #expect(refused.contains("            what it would accept is not in the capture"))
        #expect(refused.contains("    sent by: the responder 10.98.0.2"))
        let narrowed = try Self.ladder("cp-narrow", columns: 80)
        #expect(narrowed.contains("              ⇄ ID_RFC822_ADDR b@spiglass.test (PSK)"))
        #expect(narrowed.contains("                 INTERNAL_IP4_DNS=10.203.0.53 (frame 4)"))
        #expect(narrowed.contains("      narrowed to 10.200.1.0/24 === 10.200.2.0/24"))
        for name in ["ikev1-wrong-psk", "no-proposal", "cp-narrow", "child-refused", "auth-failed"] {
            for row in try Self.ladder(name, columns: 80) { #expect(Self.columns(row[...]) <= 80, "\(row)") }
        }
    }

    /// At 200 columns the sub-rows join their headline; piped, the ladder keeps its sentences.
    @Test func wideTerminalsJoinTheSubRowsToTheirHeadline() throws {
        let psk = try Self.ladder("ikev1-wrong-psk", columns: 200)
        #expect(
            psk.contains(
                "    Main Mode mid=0x00000000 I→R +0.000000: incomplete (5 of 6 messages); the responder's notifications do not decrypt (PSKs differ?), rtt 1.35 ms, request retransmitted 1×"
            ))
        let run = Self.compactRuns.firstIndex { $0.name == "ikev1-wrong-psk" }!
        let piped = try CLITests.run(Self.compactRuns[run].arguments).stdout
        #expect(piped.contains("I→R at +0.000000: phase 1 incomplete (5 of 6 messages); the responder's notifications"))
    }

    /// A hostile DN of 140,001 characters and one full of escapes: on a terminal each is
    /// clipped with "…" to leave its authentication method on the row; piped, the first is
    /// whole and the second is cut only at 200 characters, as before.
    @Test func hostileIdentitiesAreClippedOnATerminalAndWholeWhenPiped() throws {
        let rows = try Self.ladder("hostile-identities", columns: 80)
        let start = try #require(rows.firstIndex { $0.hasPrefix("  identities: ") })
        let initiator = rows[start]
        let responder = rows[start + 1]
        #expect(initiator.hasPrefix("  identities: ID_DER_ASN1_DN C=CH, O=Evil\\x1b]0\\;pwned"))
        #expect(initiator.hasSuffix("… (PSK)"))
        #expect(!initiator.contains("CN=admin"))
        #expect(responder.hasPrefix("              ⇄ ID_DER_ASN1_DN C=CH, CN="))
        #expect(responder.hasSuffix("… (PSK)"))
        for row in [initiator, responder] {
            #expect(Self.columns(row[...]) <= 80, "\(row)")
            #expect(!row.contains("\u{1B}"))
        }
        let run = Self.compactRuns.firstIndex { $0.name == "hostile-identities" }!
        let piped = try CLITests.run(Self.compactRuns[run].arguments).stdout
        #expect(piped.contains("OU=a\\u{85}b\\u{2028}c\\u{2029}d\\ne, CN=moon\\, CN=admin (PSK) ⇄ ID_DER_ASN1_DN C=CH"))
        #expect(piped.contains("…[140001 characters in all] (PSK)"))
    }
}
