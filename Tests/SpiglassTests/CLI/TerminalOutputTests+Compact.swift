import Foundation
import Testing

/// Packet and IKE message lines on a terminal take their compact form: at 80 columns an ESP
/// line of an IPv4 tunnel is one row and an IKE message line two laid-out rows (the message,
/// then its IKE SPIs and payloads), failures keep their words; at 200 columns ESP lines that
/// fit stay whole. Refusal stories, policy notes, held IKE fragments and `ike --summary` too. Checked against golden outputs
/// (`Tests/Golden/terminal`; `SPIGLASS_UPDATE_GOLDEN=1` rewrites the terminal ones), and
/// piped or `--wide` output against the lines the binary wrote before the compact form
/// existed (`*.piped.txt`, written by main's 96e8005).
extension TerminalOutputTests {
    static let golden = Paths.root + "/Tests/Golden/terminal/"

    /// strongSwan captures (GCM, CBC, IPv6, IKEv1, failures, a refused CHILD_SA, packets outside
    /// their selectors, IKE fragments, narrowed selectors and a configuration payload), Scapy's
    /// bad packets and hostile identities.
    static let compactRuns: [(name: String, arguments: [String])] = [
        ("gcm", ["analyze"] + capture(gcm, key: "charon-A.log")),
        ("cbc", ["analyze"] + capture("Fixtures/strongswan/aes128cbc-sha256-v4/", key: "charon-A.log")),
        ("ipv6", ["analyze"] + capture("Fixtures/strongswan/aes128gcm16-v6/", key: "charon-A.log")),
        ("ikev1", ["analyze"] + capture("Fixtures/strongswan-ikev1/main-psk/", key: "sa.spiglass")),
        ("ikev1-wrong-psk", ["ike"] + capture("Fixtures/strongswan-ikev1/wrong-psk/", key: "sa.spiglass")),
        ("auth-failed", ["ike"] + capture("Fixtures/strongswan-ike/wrong-psk/", key: "sa.spiglass")),
        ("no-proposal", ["ike"] + capture("Fixtures/strongswan-ike/no-proposal/", key: nil)),
        (
            "bad-packets",
            ["analyze", "-r", "Fixtures/scapy/bad-packets.pcap", "-k", "Fixtures/scapy/bad-packets.spiglass"]
        ),
        ("child-refused", ["ike"] + capture("Fixtures/strongswan-ike/child-no-proposal/", key: "charon-A.log")),
        ("policy-notes", ["analyze"] + capture("Fixtures/strongswan-policy/narrowed/", key: "charon-A.log")),
        ("fragments", ["analyze"] + capture("Fixtures/strongswan-ike/fragmentation/", key: nil)),
        ("summary", ["ike", "--summary"] + capture("Fixtures/strongswan-ike/child-no-proposal/", key: "charon-A.log")),
        ("cp-narrow", ["ike"] + capture("Fixtures/strongswan-ike/cp-narrow/", key: "charon-A.log")),
        ("hostile-identities", ["ike", "-r", "Fixtures/hostile/ikev1-aggressive-hostile.pcap"]),
        // Findings with their rule and risk rows, policy notes and a leak on labelled rows, an
        // outcome too long for the peers' row, a derived SA's keys on a row of their own.
        ("ike-findings", ["ike"] + capture("Fixtures/strongswan-ikev1/aggressive-psk/", key: "charon-A.log")),
        ("policy-ports", ["analyze"] + capture("Fixtures/strongswan-policy/ports/", key: "charon-A.log")),
        (
            "summary-outcome",
            ["ike", "--summary"] + capture("Fixtures/strongswan-ikev1/wrong-psk/", key: "charon-A.log")
        ),
        ("derived-keys", ["analyze"] + capture("Fixtures/strongswan-ike/nat/", key: "charon-A.log")),
    ]

    /// "-r DIR/capture.pcap -k DIR/KEY".
    static func capture(_ directory: String, key: String?) -> [String] {
        ["-r", directory + "capture.pcap"] + (key.map { ["-k", directory + $0] } ?? [])
    }

    static let compactCases = compactRuns.indices.flatMap { index in [80, 200].map { (index, $0) } }

    static func compactText(_ run: Int, columns: Int) throws -> String {
        Self.plain(try Self.terminal(compactRuns[run].arguments, columns: columns, ["NO_COLOR": "1"]))
    }

    @Test(arguments: compactCases)
    func compactLinesMatchTheirGoldenOutput(run: Int, columns: Int) throws {
        let text = try Self.compactText(run, columns: columns)
        let path = Self.golden + "\(Self.compactRuns[run].name).\(columns).txt"
        if ProcessInfo.processInfo.environment["SPIGLASS_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        #expect(text == (try String(contentsOfFile: path, encoding: .utf8)), "\(path)")
        for row in text.split(separator: "\n") { #expect(Self.columns(row) <= columns, "\(row)") }
    }

    /// Piped, and with `--wide` on a terminal, the lines are those of the binary before the
    /// compact form, byte for byte.
    @Test(arguments: compactRuns.indices)
    func pipedAndWideOutputAreTheWholeLinesOfBefore(run: Int) throws {
        let arguments = Self.compactRuns[run].arguments + ["--no-progress", "--threads", "1"]
        let before = try String(
            contentsOfFile: Self.golden + "\(Self.compactRuns[run].name).piped.txt", encoding: .utf8)
        #expect(try CLITests.run(arguments).stdout == before)
        let wide = try Self.terminal(
            Self.compactRuns[run].arguments + ["--wide", "--color", "never", "--only", "all"], columns: 80)
        #expect(wide == before)
    }

    /// The rows of each packet or message line: a line starts with its frame number, its
    /// continuation rows are indented.
    static func records(_ text: String) -> [[Substring]] {
        var records: [[Substring]] = []
        for row in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let start = row.prefix(6).trimmingCharacters(in: .whitespaces)
            if !start.isEmpty && start.allSatisfy(\.isNumber) && row.count > 6 {
                records.append([row])
            } else if row.hasPrefix("      "), !records.isEmpty {
                records[records.count - 1].append(row)
            } else if !records.isEmpty {
                break
            }
        }
        return records
    }

    /// At 80 columns, in the common case: an ESP line (IPv4 outer and inner) is one row and
    /// says its SPI, sequence number and verdict; an IKE message line two rows at most.
    @Test(arguments: ["gcm", "cbc", "ikev1"])
    func eightyColumnsTakeOneRowPerESPPacketAndTwoPerIKEMessage(name: String) throws {
        let run = Self.compactRuns.firstIndex { $0.name == name }!
        let records = Self.records(try Self.compactText(run, columns: 80))
        let esp = records.filter { $0[0].contains(" ESP ") }
        let ike = records.filter { !$0[0].contains(" ESP ") }
        #expect(esp.count >= 8)
        #expect(ike.count >= 4)
        for record in esp {
            #expect(record.count == 1, "\(record)")
            #expect(record[0].contains(#/ ESP [0-9a-f]{8} seq=[0-9]+ ok 10\.20[01]\./#), "\(record)")
        }
        for record in ike {
            #expect(record.count <= 2, "\(record)")
            #expect(record.joined().contains(#/ [0-9a-f]{8}…\/(0|[0-9a-f]{8}…)[ :]/#), "\(record)")
        }
    }

    /// At 80 columns an item too long for one row is laid out, not folded: an inner packet's
    /// summary whole on a row of its own (an ICMPv6 echo request is not cut, a padding note
    /// does not split it), a failure's detail whole on its row, an IKE message's SPIs and
    /// payloads on its second row, a refused proposal on a row under its label.
    @Test func eightyColumnsLayOutWhatDoesNotFitOneRow() throws {
        func rows(_ name: String) throws -> [String] {
            let run = Self.compactRuns.firstIndex { $0.name == name }!
            return try Self.compactText(run, columns: 80).split(separator: "\n").map(String.init)
        }
        let ipv6 = try rows("ipv6")
        #expect(ipv6.contains("              fd00:201::1 → fd00:202::1 ICMPv6 echo request"))
        #expect(!ipv6.contains { $0.contains("ICMPv6 …") })
        let bad = try rows("bad-packets")
        #expect(bad.contains("    4 0.003000 ESP 0000100c seq=4 ok [non-default padding]"))
        #expect(bad.contains("              192.0.2.1 → 192.0.2.2 UDP 1111 → 9"))
        #expect(bad.contains("              (pad length 200 exceeds the 30-byte payload)"))
        for name in ["gcm", "ipv6", "child-refused"] {
            for record in Self.records(try rows(name).joined(separator: "\n")) where !record[0].contains(" ESP ") {
                #expect(record.count == 2, "\(record)")
                #expect(record[1].contains(#/^ {14}[0-9a-f]{8}…\/(0|[0-9a-f]{8}…): /#), "\(record)")
            }
        }
        let refused = try rows("child-refused")
        #expect(refused.contains("    offered (frame 3):"))
        #expect(refused.contains("      #1 ESP spi=a7917875 ENCR_AES_CBC_128 AUTH_HMAC_SHA2_256_128 NO_ESN"))
        #expect(refused.contains("  peers: 10.98.0.1:500 (initiator) ⇄ 10.98.0.2:500 (responder)"))
        #expect(try rows("summary").contains("  CHILD_SAs: 1 (1 refused: NO_PROPOSAL_CHOSEN)  messages: 6"))
    }

    /// Failures keep their full words at 80 columns, whatever rows they take.
    @Test func failuresKeepTheirWordsAtEightyColumns() throws {
        func joined(_ name: String) throws -> String {
            let run = Self.compactRuns.firstIndex { $0.name == name }!
            return Self.records(try Self.compactText(run, columns: 80)).map {
                $0.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            }.joined(separator: "\n")
        }
        let bad = try joined("bad-packets")
        #expect(bad.contains("ESP 0000100c seq=2 icv-failed (ICV mismatch)"))
        #expect(bad.contains("ESP 0000100c seq=5 garbled (pad length 200 exceeds the 30-byte payload)"))
        #expect(bad.contains("ESP 0000100d seq=2 icv-failed (AEAD tag mismatch)"))
        #expect(bad.contains("ESP 0000100c seq=4 ok [non-default padding] 192.0.2.1 → 192.0.2.2"))
        #expect(bad.contains("ESP 0000dead seq=1 no-sa"))
        #expect(try joined("auth-failed").contains(": SK{N(AUTHENTICATION_FAILED)}"))
        #expect(try joined("no-proposal").contains(": N(NO_PROPOSAL_CHOSEN)"))
        #expect(
            try joined("ikev1-wrong-psk").contains(
                "(not decrypted): E why: payload of type 8 at plaintext offset 0 declares 24074 bytes; 64 remain"))
    }

    /// At 200 columns an ESP line that fits stays whole; IKE message lines still show short SPIs.
    @Test func twoHundredColumnsKeepWholeESPLines() throws {
        let text = try Self.compactText(0, columns: 200)
        #expect(
            text.contains(
                "    5 0.515630 10.99.0.1 → 10.99.0.2 ESP-in-UDP 4500→4500 spi=0xc19c5d01 seq=1 len=120 decrypted [aes-gcm-256-16] tunnel [CHILD_SA #1]: 10.200.1.1 → 10.200.2.1 ICMP echo request len=84"
            ))
        #expect(text.contains("IKE_AUTH response mid=1 [R] d7a49cfd…/fb1a20fc…: SK{IDr AUTH SA TSi TSr}"))
        #expect(!text.contains("d7a49cfd15f3cf40"))
    }

    /// A second IKE SA whose initiator SPI shares the first 12 digits of the capture's (its
    /// IKE_SA_INIT copied a second later, the SPI's last bytes changed): the compact message
    /// lines cannot tell the two apart, and the report says so at the end; piped, whole SPIs
    /// need no note.
    @Test func aSharedIKESPIPrefixIsNoted() throws {
        let capture = try Self.twinIKESACapture()
        defer { try? FileManager.default.removeItem(atPath: capture) }
        for command in ["ike", "analyze"] {
            let text = Self.plain(try Self.terminal([command, "-r", capture], columns: 80))
            #expect(text.contains("0bc5c74e…/0:"))
            #expect(
                text.contains(
                    "Note: IKE SPIs above show their first 8 hex digits\n"
                        + "  shared: 0bc5c74e… stands for more than one IKE SPI of this capture\n"
                        + "  whole: -V, --wide or piped output shows them\n"), "\(text)")
            #expect(!(try CLITests.run([command, "-r", capture])).stdout.contains("Note:"))
            let alone = ["-r", "Fixtures/strongswan-ike/no-proposal/capture.pcap"]
            #expect(!Self.plain(try Self.terminal([command] + alone, columns: 80)).contains("Note:"))
        }
    }

    /// The no-proposal capture followed by its frames again, a second later, with the
    /// initiator's IKE SPI 0bc5c74eb20d3567 made 0bc5c74eb20dffff.
    static func twinIKESACapture() throws -> String {
        let path = Paths.root + "/Fixtures/strongswan-ike/no-proposal/capture.pcap"
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // A little-endian pcap (magic d4 c3 b2 a1): record headers are ts_sec, ts_usec, caplen, len.
        #expect(Array(bytes[0..<4]) == [0xd4, 0xc3, 0xb2, 0xa1])
        let spi: [UInt8] = [0x0b, 0xc5, 0xc7, 0x4e, 0xb2, 0x0d, 0x35, 0x67]
        var copies: [UInt8] = []
        var offset = 24
        while offset + 16 <= bytes.count {
            let length = (0..<4).reduce(0) { $0 | Int(bytes[offset + 8 + $1]) << (8 * $1) }
            var record = Array(bytes[offset..<min(offset + 16 + length, bytes.count)])
            record[0] &+= 1
            for start in 16..<max(16, record.count - 7) where Array(record[start..<(start + 8)]) == spi {
                record[start + 6] = 0xff
                record[start + 7] = 0xff
            }
            copies += record
            offset += 16 + length
        }
        let twin = FileManager.default.temporaryDirectory.appendingPathComponent("twin-\(UUID().uuidString).pcap")
        try Data(bytes + copies).write(to: twin)
        return twin.path
    }
}
