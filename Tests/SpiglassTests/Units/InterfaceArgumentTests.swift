import Foundation
import SpiglassCapture
import Testing

/// `-i`: a name, or the interface's number in `spiglass interfaces`, as tcpdump -i takes them.
@Suite struct InterfaceArgumentTests {
    static let names = ["eth0", "3", "any", "lo"]

    @Test func namesWinAndAllDigitsCountFromOne() throws {
        #expect(try InterfaceArgument.resolve("lo", among: Self.names) == "lo")
        // An interface named "3" is that interface (tcpdump 4.99 opens the name first)...
        #expect(try InterfaceArgument.resolve("3", among: Self.names) == "3")
        // ...and other numbers are positions in the list.
        #expect(try InterfaceArgument.resolve("1", among: Self.names) == "eth0")
        #expect(try InterfaceArgument.resolve("4", among: Self.names) == "lo")
        #expect(try InterfaceArgument.resolve("04", among: Self.names) == "lo")
        // Names libpcap may open though it does not list them pass through.
        #expect(try InterfaceArgument.resolve("wlan7", among: Self.names) == "wlan7")
        #expect(try InterfaceArgument.resolve("3a", among: Self.names) == "3a")
    }

    @Test func numbersOutsideTheListAreRefused() {
        for bad in ["0", "5", "99999999999999999999999"] {
            #expect(throws: CaptureError.self) { try InterfaceArgument.resolve(bad, among: Self.names) }
        }
        do {
            _ = try InterfaceArgument.resolve("7", among: Self.names)
        } catch {
            #expect("\(error)".contains("no interface number 7: 'spiglass interfaces' lists 4"))
        }
    }

    /// `-i N` captures on the N-th interface `spiglass interfaces` lists (here the loopback).
    @Test(.enabled(if: LiveCaptureEnvironment.usable, "needs root"))
    func liveCaptureByNumber() throws {
        let listing = try CLITests.run(["interfaces"])
        let line = try #require(
            listing.stdout.split(separator: "\n").first { $0.contains(".lo ") || $0.hasSuffix(".lo") })
        let number = String(line.prefix { $0 != "." })
        let run = try CLITests.run(["analyze", "-q", "-i", number, "--duration", "0.3"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("spiglass: listening on lo, link-type EN10MB"), "\(run.stderr)")
        let beyond = try CLITests.run(["analyze", "-q", "-i", "100000", "--duration", "0.3"])
        #expect(beyond.status == 1)
        #expect(beyond.stderr.contains("no interface number 100000"))
    }
}
