import Foundation
import SpiglassWire
import Testing

@testable import SpiglassAnalysis
@testable import SpiglassIKE

/// Identities and attributes an attacker writes into IKE (Fixtures/hostile/generate.py): a
/// plaintext IKEv1 Aggressive Mode with ID_DER_ASN1_DN identities, a text vendor ID and a
/// Transaction with XAUTH and banner attributes, and an IKEv2 IKE_AUTH re-sealed with the
/// fixture's keys whose IDi is such a DN, IDr a KEY_ID and whose CP carries an application
/// version. They hold OSC/CSI sequences in 7-bit and C1 forms, RLO, NEL, U+2028/U+2029, a
/// ", CN=admin" inside a value and 20,000 stacked combining marks. None may reach a report raw.
@Suite struct HostileIdentityTests {
    static let ikev1 = "Fixtures/hostile/ikev1-aggressive-hostile.pcap"
    static let ikev2 = "Fixtures/hostile/ikev2-auth-hostile.pcap"
    static let ikev2Keys = "Fixtures/strongswan-ike/rekey-cbc-sha256/sa.spiglass"

    static let runs: [[String]] = [
        ["ike", "-r", ikev1], ["ike", "--json", "-r", ikev1], ["analyze", "--json", "-r", ikev1],
        ["analyze", "-r", ikev1],
        ["ike", "-r", ikev2, "-k", ikev2Keys], ["ike", "--json", "-r", ikev2, "-k", ikev2Keys],
        ["analyze", "--json", "-r", ikev2, "-k", ikev2Keys], ["analyze", "-r", ikev2, "-k", ikev2Keys],
    ]

    /// The raw code points a report may not carry (besides the newlines between its lines).
    static func rawControls(_ text: String) -> [String] {
        text.unicodeScalars.filter { $0 != "\n" && DisplayText.needsEscape($0) }.map {
            "U+" + String($0.value, radix: 16)
        }
    }

    @Test(arguments: runs)
    func noRawControlReachesAReport(_ arguments: [String]) throws {
        let run = try CLITests.run(arguments)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Self.rawControls(run.stdout).isEmpty, "\(Set(Self.rawControls(run.stdout)))")
        #expect(Self.rawControls(run.stderr).isEmpty)
        // What Python's str.splitlines() splits on, and what the records are cut by, agree.
        #expect(run.stdout.split(whereSeparator: \.isNewline).count == run.stdout.split(separator: "\n").count)
        if arguments.contains("--json") {
            for line in run.stdout.split(separator: "\n") {
                #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(line.utf8)) }
            }
        } else {
            // The 40 KB of stacked marks are clipped in text, with their length stated.
            let longest = run.stdout.split(separator: "\n").map(\.utf8.count).max() ?? 0
            #expect(longest < 2_000, "a line of \(longest) bytes")
        }
    }

    @Test func textShowsTheAttackEscapedAndTheDNUnspoofable() throws {
        let run = try CLITests.run(["ike", "-r", Self.ikev1])
        let identities = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("  identities:") })
        #expect(
            identities.contains(
                #"ID_DER_ASN1_DN C=CH, O=Evil\x1b]0\;pwned\x07\x1b[2J\u{9b}31m, OU=\u{9d}0\;owned\u{9c}\u{202e}txt.exe, OU=a\u{85}b\u{2028}c\u{2029}d\ne, CN=moon\, CN=admin (PSK)"#
            ))
        #expect(identities.contains("ID_DER_ASN1_DN C=CH, CN=Z\u{301}\u{301}\u{301}\u{301}" + #"\u{301}"#))
        #expect(identities.contains("characters in all]"))
    }

    @Test func jsonCarriesTheWholeValueEscaped() throws {
        let run = try CLITests.run(["ike", "--json", "-r", Self.ikev2, "-k", Self.ikev2Keys])
        let sa = try #require(run.stdout.split(separator: "\n").first { $0.contains(#""type":"ike_sa""#) })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(sa.utf8)) as? [String: Any])
        let initiator = try #require(object["initiator_id"] as? String)
        #expect(initiator.hasSuffix(#"CN=moon\, CN=admin"#))
        #expect(initiator.contains(#"\u{202e}"#))
        let responder = try #require(object["responder_id"] as? String)
        // Every one of the 20,000 marks is there: 4 shown, the rest escaped.
        #expect(responder.components(separatedBy: #"\u{301}"#).count - 1 == 19_996)
        let message = try #require(run.stdout.split(separator: "\n").first { $0.contains(#""name":"CP""#) })
        #expect(
            message.contains(
                #""value":"vpn\\x1b]0;pwned\\x07\\x1b[2J\\u{9b}31m\\u{202e}txt.exea\\u{85}b\\u{2028}c\\u{2029}d\\ne""#))
    }

    @Test func distinguishedNameValuesAreEscapedAsRFC4514Says() {
        func name(_ value: [UInt8], tag: UInt8 = 0x0c) -> [UInt8] {
            let attribute: [UInt8] = [0x06, 0x03, 0x55, 0x04, 0x03, tag, UInt8(value.count)] + value
            let set: [UInt8] = [0x31, UInt8(attribute.count + 2), 0x30, UInt8(attribute.count)] + attribute
            return [0x30, UInt8(set.count)] + set
        }
        #expect(IKEDistinguishedNameText.render(name(Array("moon, CN=admin".utf8))) == #"CN=moon\, CN=admin"#)
        #expect(IKEDistinguishedNameText.render(name(Array("a+b;c<d>e\"f\\g".utf8))) == #"CN=a\+b\;c\<d\>e\"f\\g"#)
        #expect(IKEDistinguishedNameText.render(name(Array("#lead trail ".utf8))) == ##"CN=\#lead trail\ "##)
        #expect(IKEDistinguishedNameText.render(name([0x61, 0x1b, 0xff])) == #"CN=a\x1b\xff"#)
        // BMPString: UTF-16BE.
        #expect(IKEDistinguishedNameText.render(name([0x00, 0x5a, 0x20, 0x2e], tag: 0x1e)) == #"CN=Z\u{202e}"#)
    }
}
