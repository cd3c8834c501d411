import Foundation
import Testing

/// Frames that are not IPsec are named as tshark's one-line summary names them: the protocol
/// column and the start of the info column (tshark adds what needs state across frames, such as
/// relative TCP sequence numbers and "request in 5", which Spiglass leaves out).
@Suite(
    .enabled(if: Tshark.path != nil && Paths.corpusPresent, "tshark or the shared corpus is missing")
) struct FrameSummaryOracleTests {
    /// Captures with ARP, ICMP errors quoting ESP, ICMPv6 neighbour discovery, TCP, UDP and STP.
    static let captures = [
        "tcpdump/isakmp4500.pcap", "wireshark-wiki/ipsec_esp_capture_2/capture.pcap",
        "ipdecap/unit_tests/esp/aes-cbc_hmac-sha1/aes-cbc_hmac-sha1.cap", "wireshark-wiki/SampleCaptures/ipsec.cap",
        "zeek/testing/btest/Traces/ipv6_zero_len_ah.pcap",
        "suricata-verify/tests/ipv6-evasion/ipv6-dos-with-ext-headers-5/denial6-5.pcap",
        "packetgen-plugin-ipsec/spec/ipv6_tcp.pcapng",
    ]
    static let named: Set<String> = ["ARP", "ICMP", "ICMPv6", "TCP", "UDP", "STP"]

    /// Frame number → (protocol, info) of tshark's summary, spaces collapsed.
    static func tshark(_ capture: String) throws -> [Int: (String, String)] {
        let data = try ProcessOutput.run(
            Tshark.path!,
            [
                "-n", "-r", capture, "-T", "fields", "-E", "separator=/t", "-e", "frame.number", "-e",
                "_ws.col.Protocol", "-e", "_ws.col.Info",
            ])
        var frames: [Int: (String, String)] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, let number = Int(fields[0]) else { continue }
            frames[number] = (fields[1], collapse(fields[2]))
        }
        return frames
    }

    static func collapse(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    @Test(arguments: captures)
    func namesMatchTshark(capture: String) throws {
        let path = Paths.corpus(capture)
        let expected = try Self.tshark(path)
        let ours = try CLITests.run(["analyze", "-r", path, "--only", "all", "--threads", "1"]).stdout
        var compared = 0
        for line in ours.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            // "frame time source → destination PROTOCOL info…"
            guard words.count >= 6, let frame = Int(words[0]), Self.named.contains(String(words[5])) else { continue }
            guard let (protocolName, info) = expected[frame], Self.named.contains(protocolName) else { continue }
            #expect(String(words[5]) == protocolName, "frame \(frame)")
            let ourInfo = words.dropFirst(6).joined(separator: " ")
            let checked = ourInfo.components(separatedBy: ", quoting ").first ?? ourInfo
            switch protocolName {
            case "TCP":
                // Ports and flags as tshark has them; Win and Len among its fields.
                let head = checked.prefix { $0 != "]" }
                #expect(info.hasPrefix(head + "]"), "frame \(frame): \(checked) / \(info)")
                for field in checked.split(separator: " ").filter({ $0.hasPrefix("Win=") || $0.hasPrefix("Len=") }) {
                    #expect(info.split(separator: " ").contains(field), "frame \(frame): \(field) / \(info)")
                }
            case "STP":
                #expect(!checked.isEmpty)
            default:
                #expect(info.hasPrefix(checked), "frame \(frame): \(checked) / \(info)")
            }
            compared += 1
        }
        #expect(compared > 0)
    }

    /// An ICMP error quoting an ESP packet says which SA it was about.
    @Test func icmpErrorsNameTheQuotedSPI() throws {
        let path = Paths.corpus("wireshark-wiki/ipsec_esp_capture_2/capture.pcap")
        let ours = try CLITests.run(["analyze", "-r", path, "--threads", "1"]).stdout
        #expect(
            ours.contains(
                "    2 0.000009 10.0.0.2 → 10.0.0.1 ICMP Destination unreachable (Protocol unreachable), quoting ESP spi=0x0000000a seq=240 10.0.0.1 → 10.0.0.2"
            ))
    }
}
