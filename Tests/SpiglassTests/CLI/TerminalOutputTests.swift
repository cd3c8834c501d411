import Foundation
import Testing

/// Text reports on a terminal (a pseudo-terminal) fit its width, at 80 and 200 columns, keep
/// their content, and are coloured by --color and NO_COLOR; piped output keeps whole lines and
/// no colour; a hostile capture cannot put its own escape sequences on the terminal.
@Suite(.enabled(if: PseudoTerminal.usable)) struct TerminalOutputTests {
    static let gcm = "Fixtures/strongswan/aes256gcm16-v4/"
    static let runs: [[String]] = [
        ["analyze", "-r", gcm + "capture.pcap", "-k", gcm + "charon-A.log"],
        ["analyze", "-r", gcm + "capture.pcap"],
        ["ike", "-r", gcm + "capture.pcap", "-k", gcm + "charon-A.log"],
        ["analyze", "-r", "Fixtures/strongswan-ike/ts-unacceptable/capture.pcap"],
        ["ike", "-r", "Fixtures/strongswan-ike/no-proposal/capture.pcap"],
        [
            "analyze", "-r", "Fixtures/strongswan/aes256cbc-sha512-v6/capture.pcap", "-k",
            "Fixtures/strongswan/aes256cbc-sha512-v6/sa.spiglass",
        ],
    ]

    static let sgr = try! NSRegularExpression(pattern: "\u{1B}\\[[0-9;]*m")

    /// The text without SGR sequences.
    static func plain(_ text: String) -> String {
        sgr.stringByReplacingMatches(
            in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "")
    }

    /// Columns of a line as a terminal shows it (every character here is one column).
    static func columns(_ line: Substring) -> Int {
        line.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }.count
    }

    static func terminal(_ arguments: [String], columns: Int, _ more: [String: String?] = [:]) throws -> String {
        var environment: [String: String?] = ["COLUMNS": String(columns), "TERM": "xterm", "NO_COLOR": nil]
        for (name, value) in more { environment[name] = value }
        return try PseudoTerminal.run(arguments + ["--no-progress", "--threads", "1"], environment: environment)
    }

    @Test(arguments: [80, 200])
    func everyLineFitsTheTerminal(columns: Int) throws {
        for arguments in Self.runs {
            let text = Self.plain(try Self.terminal(arguments, columns: columns))
            #expect(!text.isEmpty)
            for line in text.split(separator: "\n") {
                #expect(Self.columns(line) <= columns, "\(arguments): \(line)")
            }
        }
    }

    /// At 80 columns the facts are all there: every frame, both SPIs, the counts and verdicts.
    @Test func narrowOutputKeepsTheContent() throws {
        let text = Self.plain(try Self.terminal(Self.runs[0], columns: 80, ["NO_COLOR": "1"]))
        let lines = text.split(separator: "\n")
        for frame in 1...32 {
            #expect(
                lines.contains { $0.hasPrefix(String(repeating: " ", count: 5 - String(frame).count) + "\(frame) ") })
        }
        for fact in [
            "0xc19c5d01 ESP/udp 10.99.0.1 → 10.99.0.2", "0x4218b56d ESP/udp 10.99.0.2 → 10.99.0.1",
            "aes-gcm-256-16 (charon-A.log:333)", "13 packets, 1464 bytes; 13 verified; seq 1-13",
            "Verdicts: decrypted 26, ike 6", "Frames: 32  ESP: 26  AH: 0  IKE: 6",
        ] {
            #expect(text.contains(fact), "\(fact)")
        }
        // The absolute times are in the summary line only; the SA lines give start and duration.
        #expect(!text.contains("2026-11-29T01:22:18.334365Z"))
        #expect(text.contains("from 0.515 s for 2.217 s"))
    }

    @Test func twoHundredColumnsShowTheShortTable() throws {
        let text = Self.plain(try Self.terminal(Self.runs[0], columns: 200))
        #expect(text.contains("SPI         Proto    Source     Destination  Algorithms      Key"))
        #expect(text.contains("0xc19c5d01  ESP/udp  10.99.0.1  10.99.0.2    aes-gcm-256-16  charon-A.log:333  13"))
        #expect(!text.contains("Lost"))
    }

    /// Piped output is what the reports make, whole; `--wide` on a terminal gives the same lines.
    @Test(arguments: runs)
    func pipedOutputIsWholeAndWideMatchesIt(arguments: [String]) throws {
        let piped = try CLITests.run(arguments + ["--no-progress", "--threads", "1"])
        #expect(!piped.stdout.contains("\u{1B}"))
        let wide = try Self.terminal(arguments + ["--wide", "--color", "never", "--only", "all"], columns: 80)
        #expect(wide == piped.stdout)
        if arguments[0] == "analyze" && arguments.contains("-k") {
            #expect(piped.stdout.contains("Seq first-last  Lost  Dup  Late  Old  Reorder  Cap-dup  First seen"))
        }
    }

    @Test func colourFollowsTheOptionNoColorTermAndThePipe() throws {
        let arguments = Self.runs[0]
        #expect(try Self.terminal(arguments, columns: 80).contains("\u{1B}[32mdecrypted"))
        #expect(!(try Self.terminal(arguments, columns: 80, ["NO_COLOR": "1"])).contains("\u{1B}"))
        #expect(!(try Self.terminal(arguments, columns: 80, ["TERM": "dumb"])).contains("\u{1B}"))
        #expect(!(try Self.terminal(arguments + ["--color", "never"], columns: 80)).contains("\u{1B}"))
        #expect(
            try Self.terminal(arguments + ["--color", "always"], columns: 80, ["NO_COLOR": "1"]).contains("\u{1B}[32m"))
        #expect(try CLITests.run(arguments + ["--color", "always"]).stdout.contains("\u{1B}[32mdecrypted"))
        #expect(!(try CLITests.run(arguments)).stdout.contains("\u{1B}"))
        let json = try Self.terminal(arguments + ["--json", "--color", "always"], columns: 80)
        #expect(!json.contains("\u{1B}"))
        #expect(json.split(separator: "\n").contains { $0.count > 80 })
    }

    /// The hostile captures' identities, vendor IDs and banners carry OSC, CSI (also in C1
    /// form), NEL and bidi overrides: coloured at 80 columns, the only escape sequences that
    /// reach the terminal are our SGR colours.
    @Test(arguments: [
        [
            "ike", "-r", "Fixtures/hostile/ikev2-auth-hostile.pcap", "-k",
            "Fixtures/strongswan-ike/rekey-cbc-sha256/sa.spiglass",
        ],
        ["analyze", "-r", "Fixtures/hostile/ikev1-aggressive-hostile.pcap"],
        ["ike", "-r", "Fixtures/hostile/ikev1-aggressive-hostile.pcap"],
    ])
    func hostileStringsCannotInjectEscapes(arguments: [String]) throws {
        let text = try Self.terminal(arguments + ["--color", "always"], columns: 80)
        if arguments[0] == "ike" { #expect(text.contains("\\x1b")) }
        let left = Self.plain(text)
        #expect(!left.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7f...0x9f).contains($0.value) })
        #expect(!left.unicodeScalars.contains { (0x202a...0x202e).contains($0.value) || $0.value == 0x2028 })
        for line in left.split(separator: "\n") { #expect(Self.columns(line) <= 80, "\(line)") }
    }

    /// A terminal hides the frames that are not IPsec and says how many; `--only all` and a pipe
    /// show them.
    @Test(.enabled(if: Paths.corpusPresent)) func nonIPsecFramesAreHiddenOnATerminal() throws {
        let arguments = ["analyze", "-r", Paths.corpus("tcpdump/isakmp4500.pcap")]
        let hidden = Self.plain(try Self.terminal(arguments, columns: 200))
        #expect(!hidden.contains(" ARP "))
        #expect(hidden.contains("(8 frames not IPsec hidden; --only all shows them)"))
        #expect(hidden.contains("    3 0.000000"))
        let shown = Self.plain(try Self.terminal(arguments + ["--only", "all"], columns: 200))
        #expect(
            shown.contains(
                "    1 0.000000 10:00:00:de:ad:ba → ff:ff:ff:ff:ff:ff ARP Who has 192.1.2.23? Tell 192.1.2.254"))
        #expect(!shown.contains("hidden"))
        let piped = try CLITests.run(arguments).stdout
        #expect(piped.contains(" ARP Who has 192.1.2.23? Tell 192.1.2.254"))
        #expect(!(try CLITests.run(arguments + ["--only", "ipsec"])).stdout.contains(" ARP "))
    }
}
