import Foundation
import SpiglassAnalysis
import Testing

/// `-V` against tshark's packet details on the same decrypted IKE_AUTH request: the transforms
/// (type, ID, key length), the traffic selectors (addresses and ports), the identities and the
/// AUTH method must be the ones tshark reads with the fixture's ikev2_decryption_table.
@Suite struct IKEDetailsTsharkTests {
    static let fixture = "strongswan-ike/ts-unacceptable"

    /// tshark -V of one frame with an IKEv2 decryption table, in a private profile.
    static func tsharkDetails(frame: Int) throws -> String {
        try Tshark.output(
            ["-r", Paths.fixture("\(fixture)/capture.pcap"), "-n", "-V", "-Y", "frame.number==\(frame)"],
            files: ["ikev2_decryption_table": Paths.fixture("\(fixture)/ikev2_decryption_table")])
    }

    /// Our `ike -V` lines under the message of `frame`.
    static func ourDetails(frame: Int) throws -> String {
        var options = AnalysisOptions()
        options.report = .ike
        options.packetDetails = true
        let output = StringSink()
        _ = try analyzeStream(
            Paths.fixture("\(fixture)/capture.pcap"), keys: [Paths.fixture("\(fixture)/sa.spiglass")], options: options,
            output: output)
        var block: [Substring] = []
        var inside = false
        for line in output.lines {
            if line.range(of: #"^ *\d+ "#, options: .regularExpression) != nil {
                inside = line.trimmingCharacters(in: .whitespaces).hasPrefix("\(frame) ")
                continue
            }
            if inside { block.append(line) }
        }
        return block.joined(separator: "\n")
    }

    static func matches(_ pattern: String, in text: String) throws -> [[String]] {
        let regex = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).map { match in
            (1..<match.numberOfRanges).map { i in
                Range(match.range(at: i), in: text).map { String(text[$0]) } ?? ""
            }
        }
    }

    @Test(.enabled(if: Tshark.path != nil, "tshark is not installed"))
    func decryptedIKEAuthAgreesWithTshark() throws {
        let theirs = try Self.tsharkDetails(frame: 3)
        let ours = try Self.ourDetails(frame: 3)
        #expect(theirs.contains("Decrypted Data"), "tshark did not decrypt frame 3")

        // Transforms: the ID numbers in order, and the key lengths.
        let theirIDs = try Self.matches(#"Transform ID \([^)]*\): .* \((\d+)\)$"#, in: theirs).map { $0[0] }
        let ourIDs = try Self.matches(#"Transform \w+ \(\d+\): \S+ \((\d+)\)"#, in: ours).map { $0[0] }
        #expect(!ourIDs.isEmpty && ourIDs == theirIDs, "ours \(ourIDs), tshark \(theirIDs)")
        let theirKeyLengths = try Self.matches(#"^\s+Key Length: (\d+)$"#, in: theirs).map { $0[0] }
        let ourKeyLengths = try Self.matches(#"Key Length: (\d+)"#, in: ours).map { $0[0] }
        #expect(ourKeyLengths == theirKeyLengths)

        // Traffic selectors: start and end addresses and ports.
        let starts = try Self.matches(#"Starting Addr: (\S+)$"#, in: theirs).map { $0[0] }
        let ends = try Self.matches(#"Ending Addr: (\S+)$"#, in: theirs).map { $0[0] }
        let startPorts = try Self.matches(#"Start Port: (\d+)$"#, in: theirs).map { $0[0] }
        let endPorts = try Self.matches(#"End Port: (\d+)$"#, in: theirs).map { $0[0] }
        let selectors = try Self.matches(#"ports (\d+)-(\d+), (\S+) - (\S+)$"#, in: ours)
        #expect(selectors.count == 2)
        #expect(selectors.map { $0[2] } == starts && selectors.map { $0[3] } == ends)
        #expect(selectors.map { $0[0] } == startPorts && selectors.map { $0[1] } == endPorts)

        // Identities and the AUTH method.
        let identities = try Self.matches(#"Identification Data:(\S+)$"#, in: theirs).map { $0[0] }
        let ourIdentities = try Self.matches(#"ID[ir]: \S+ (\S+)$"#, in: ours).map { $0[0] }
        #expect(!identities.isEmpty && ourIdentities == identities)
        let method = try Self.matches(#"Authentication Method: (.*) \(\d+\)$"#, in: theirs).map { $0[0] }
        #expect(try Self.matches(#"AUTH: (.*)$"#, in: ours).map { $0[0] } == method)

        // Notify types by number, in order.
        let theirNotifies = try Self.matches(#"Notify Message Type: \S+ \((\d+)\)$"#, in: theirs).map { $0[0] }
        let ourNotifies = try Self.matches(#"Notify Message Type: \S+ \((\d+)\)"#, in: ours).map { $0[0] }
        #expect(!ourNotifies.isEmpty && ourNotifies == theirNotifies)
    }
}
