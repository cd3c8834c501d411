import Foundation
import Testing

/// The `ike` report on a terminal: outcomes, refusals and error notifies in colour, the
/// ladders' IKE SPIs shortened to prefixes that stay unique and the message lines' to 8
/// digits; piped, the same report is whole.
extension TerminalOutputTests {
    static let red = "\u{1B}[1;31m"

    @Test func ikeFailuresAreRedOnAColourTerminal() throws {
        let refused = ["ike", "-r", "Fixtures/strongswan-ike/no-proposal/capture.pcap"]
        let text = try Self.terminal(refused + ["--color", "always"], columns: 200)
        #expect(text.contains("outcome: \(Self.red)failed"))
        #expect(text.contains("\(Self.red)rejected:"))
        #expect(text.contains("N(\(Self.red)NO_PROPOSAL_CHOSEN"))
        let tsFixture = "Fixtures/strongswan-ike/ts-unacceptable/"
        let child = ["ike", "-r", tsFixture + "capture.pcap", "-k", tsFixture + "sa.spiglass"]
        let childText = try Self.terminal(child + ["--color", "always"], columns: 200)
        #expect(childText.contains("\(Self.red)not established: TS_UNACCEPTABLE"))
        // Status notifies (NAT detection) stay uncoloured.
        #expect(childText.contains("N(NAT_DETECTION_SOURCE_IP)"))
        let established = ["ike", "-r", Self.gcm + "capture.pcap", "-k", Self.gcm + "charon-A.log"]
        let good = try Self.terminal(established + ["--color", "always"], columns: 200)
        #expect(good.contains("outcome: \u{1B}[32mdeleted"))
        #expect(!(try CLITests.run(refused)).stdout.contains("\u{1B}"))
    }

    /// At 80 columns each IKE SA's SPIs are the shortest prefix (8 digits or more) no other
    /// SPI of the run shares; piped, they are whole.
    @Test func ikeSPIsAreShortenedToUniquePrefixes() throws {
        let arguments = [
            "ike", "-r", "Fixtures/strongswan-ike/rekey-cbc-sha256/capture.pcap", "-k",
            "Fixtures/strongswan-ike/rekey-cbc-sha256/sa.spiglass",
        ]
        let piped = try CLITests.run(arguments + ["--no-progress", "--threads", "1"]).stdout
        let narrow = Self.plain(try Self.terminal(arguments, columns: 80))
        let whole = Self.ikeSAHeaders(piped)
        let short = Self.ikeSAHeaders(narrow)
        #expect(whole.count >= 2)
        #expect(short.count == whole.count)
        let everySPI = Set(whole.flatMap { $0 })
        #expect(everySPI.allSatisfy { $0.count == 16 && !$0.hasSuffix("…") })
        for (full, shown) in zip(whole, short) {
            for (spi, text) in zip(full, shown) {
                #expect(text.hasSuffix("…"), "\(text)")
                let prefix = String(text.dropLast())
                #expect(prefix.count >= 8 && prefix.count < 16)
                #expect(spi.hasPrefix(prefix))
                #expect(everySPI.filter { $0.hasPrefix(prefix) } == [spi], "\(prefix)")
            }
        }
        // The message lines stream before every SPI is known: they show a fixed prefix of 8
        // digits, and the whole SPI only piped.
        #expect(narrow.contains(" \(whole[0][0].prefix(8))…/0:"))
        #expect(!narrow.contains(whole[0][0]))
        #expect(piped.contains(whole[0][0]))
        let wide = try Self.terminal(arguments + ["--wide", "--color", "never"], columns: 80)
        #expect(Self.ikeSAHeaders(wide) == whole)
    }

    /// The initiator and responder SPIs of each "IKE SA #n  I_i R_r" line.
    static func ikeSAHeaders(_ text: String) -> [[String]] {
        text.split(separator: "\n").filter { $0.hasPrefix("IKE SA #") }.map { line in
            line.split(separator: " ").filter { $0.hasSuffix("_i") || $0.hasSuffix("_r") }.map {
                String($0.dropLast(2))
            }
        }
    }
}
