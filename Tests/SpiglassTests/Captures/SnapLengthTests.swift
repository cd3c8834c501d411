import Foundation
import SpiglassAnalysis
import SpiglassIKE
import SpiglassWire
import Testing

/// Captures cut by a snapshot length (`editcap -s 64/96/200/1500` of real fixtures): every cut
/// ESP or AH packet is `truncated`, never an ICV failure, never fed to the wrong-key diagnosis;
/// an SA whose packets are all cut gets one finding naming the snapshot length; IKE messages
/// are read as far as they go and marked cut; packets the cut spared come out as before.
@Suite(.enabled(if: MessyCaptures.toolsPresent, "editcap/mergecap are not installed (Debian wireshark-common)"))
struct SnapLengthTests {
    static let lengths = [64, 96, 200, 1500]

    @Test(arguments: MessyCaptures.sources, lengths)
    func cutPacketsAreTruncatedNotFailed(_ source: MessyCaptures.Source, snapLength: Int) throws {
        let keys = [Paths.fixture(source.keys)]
        let whole = try analyzeStream(Paths.fixture(source.capture), keys: keys)
        let cut = try analyzeStream(try MessyCaptures.path("snaplen-\(snapLength)/\(source.name).pcap"), keys: keys)
        #expect(cut.frames.count == whole.frames.count)
        let failures: Set<PacketVerdict> = [.icvFailed, .ahICVFailed, .malformed, .garbled]
        for (index, frame) in cut.frames.enumerated() where index < whole.frames.count {
            let record = frame.record
            let before = whole.frames[index].record
            let place = "\(source.name) -s \(snapLength) frame \(record.frame)"
            if failures.contains(record.verdict) {
                #expect(
                    before.verdict == record.verdict,
                    "\(place): \(record.verdict.rawValue) (\(record.detail ?? "")), whole: \(before.verdict.rawValue)")
            }
            if record.isCut && (!record.esp.isEmpty || !record.ah.isEmpty) {
                #expect(record.verdict == .truncated, "\(place): cut ESP/AH is \(record.verdict.rawValue)")
                #expect(frame.inner.isEmpty, "\(place): a cut packet was released")
            }
            if record.verdict == .truncated {
                #expect(record.isCut, "\(place): truncated but whole")
                #expect(frame.inner.isEmpty)
                for layer in record.esp {
                    #expect(layer.detail == "captured \(record.capturedLength) of \(record.originalLength) bytes")
                }
            }
            if !record.isCut {
                // What the cut spared decrypts as before (unless its keys came from IKE
                // messages the cut made unreadable).
                #expect(
                    record.verdict == before.verdict || (record.verdict == .noSA && before.verdict == .decrypted),
                    "\(place): \(record.verdict.rawValue), whole: \(before.verdict.rawValue)")
                if record.verdict == before.verdict { #expect(frame.inner == whole.frames[index].inner, "\(place)") }
            }
        }
        let findings = cut.summary.findings
        #expect(
            findings.filter { $0.kind == .icvFailures }.count
                == whole.summary.findings.filter { $0.kind == .icvFailures }.count,
            "\(source.name) -s \(snapLength): \(findings.map(\.message))")
        for flow in cut.analyzer.flows where flow.packets > 0 {
            let truncated = findings.filter {
                $0.kind == .truncated && $0.spi == flow.key.spi && $0.source == flow.key.source
            }
            if flow.count(.truncated) == flow.packets {
                #expect(truncated.count == 1, "\(source.name) -s \(snapLength) spi \(flow.key.spi)")
                let message = truncated.first?.message ?? ""
                #expect(message.hasPrefix("all \(flow.packets) packets were cut"), "\(message)")
                #expect(message.contains("snapshot length (\(snapLength) bytes)"), "\(message)")
                #expect(message.contains("tcpdump -s 0") && message.contains("dumpcap -s 0"), "\(message)")
            } else if flow.count(.truncated) == 0 {
                #expect(truncated.isEmpty)
            }
        }
        // IKE: cut messages are marked, and a cut is never an integrity failure.
        #expect(cut.analyzer.ike.integrityFailureCount == whole.analyzer.ike.integrityFailureCount)
        for message in cut.analyzer.ike.messages where message.capturedLength != nil {
            #expect(message.integrity != .failed)
            #expect(message.capturedLength! < message.length)
            if message.decryption == .cutByCapture { #expect(message.header.isEncrypted) }
        }
        if snapLength == 1500 {
            #expect(cut.frames.allSatisfy { !$0.record.isCut })
            #expect(cut.summary.verdicts == whole.summary.verdicts)
        }
    }

    /// Cut IKE messages keep what was captured: at 200 bytes the first payloads of IKE_SA_INIT
    /// and Main Mode are there, and the payload the cut went through is named.
    @Test(arguments: ["strongswan-ike-rekey-cbc-sha256", "strongswan-ikev1-main-psk"])
    func cutIKEMessagesAreReadAsFarAsTheyGo(_ name: String) throws {
        let source = try #require(MessyCaptures.sources.first { $0.name == name })
        let result = try analyzeStream(
            try MessyCaptures.path("snaplen-200/\(name).pcap"), keys: [Paths.fixture(source.keys)])
        let cut = result.analyzer.ike.messages.filter { $0.capturedLength != nil }
        #expect(!cut.isEmpty)
        for message in cut {
            let payloads = message.payloads.count
            let problems = message.problems.filter {
                if case .parse(let problem) = $0 { problem.code == .cutByCapture } else { false }
            }
            if message.decryption == .cutByCapture {
                #expect(problems.count <= 1)
            } else {
                #expect(payloads >= 1, "\(message.header.exchangeName): nothing kept")
                #expect(problems.count == 1, "\(message.problems)")
            }
        }
        let first = try #require(result.analyzer.ike.messages.first)
        #expect(first.capturedLength != nil)
        switch first.payloads {
        case .v2(let payloads): #expect(payloads.first?.name == "SA")
        case .v1(let payloads): #expect(payloads.first?.name == "SA")
        }
    }

    @Test func textAndJSONSayTruncated() throws {
        let path = try MessyCaptures.path("snaplen-96/strongswan-aes256gcm16-v4.pcap")
        let keys = Paths.fixture("strongswan/aes256gcm16-v4/sa.spiglass")
        let text = try CLITests.run(["analyze", "-r", path, "-k", keys])
        #expect(text.status == 0)
        #expect(
            text.stdout.contains("spi=0xc19c5d01 seq=1 len=54 truncated [aes-gcm-256-16] (captured 96 of 162 bytes)"))
        #expect(text.stdout.contains("Verdicts: truncated 32"))
        #expect(!text.stdout.contains("icv-failed"))
        // The cut is said once, in the protection; the encrypted payload then shows by its name.
        let ikeAuth = try #require(text.stdout.split(separator: "\n").first { $0.contains("IKE_AUTH request mid=1") })
        #expect(ikeAuth.hasSuffix("(encrypted, not decrypted; cut by the capture: 50 of 259 bytes captured): SK"))
        let json = try CLITests.run(["analyze", "--json", "-r", path, "-k", keys])
        let record = try #require(json.stdout.split(separator: "\n").first { $0.contains("\"frame\":5,") })
        #expect(record.contains("\"length\":96,\"original_length\":162"))
        #expect(record.contains("\"verdict\":\"truncated\""))
        #expect(record.contains("\"detail\":\"captured 96 of 162 bytes\""))
        let summary = try #require(json.stdout.split(separator: "\n").last)
        #expect(summary.contains("\"kind\":\"truncated\""))
    }
}

/// The parsers read a cut message up to the cut: every prefix of real messages of both
/// versions parses, with exactly one `cutByCapture` problem and the payloads before the cut.
@Suite struct CutMessageParserTests {
    @Test func everyPrefixOfAnIKEv2MessageParsesUpToTheCut() throws {
        let samples = try IKECaptureMessages.read(Paths.fixture("strongswan-ike/rekey-cbc-sha256/capture.pcap"))
        #expect(samples.count >= 6)
        for sample in samples.prefix(6) {
            let whole = try IKEv2Parser.parseMessage(sample.bytes, range: sample.range).get()
            let start = sample.range.lowerBound
            for end in (start + IKEHeader.length)..<(start + Int(whole.header.length)) {
                let message = try IKEv2Parser.parseMessage(sample.bytes, range: start..<end, cutByCapture: true).get()
                #expect(
                    message.problems.filter { $0.code == .cutByCapture }.count == 1,
                    "frame \(sample.frame) cut at \(end - start)")
                #expect(
                    message.problems.allSatisfy {
                        $0.code == .cutByCapture || $0.code == .truncatedBody || $0.code == .countMismatch
                            || $0.code == .badProposal || $0.code == .badTransform || $0.code == .badAttribute
                            || $0.code == .badLastSubstructure
                    })
                // The payloads wholly before the cut are the whole message's.
                let complete = whole.payloads.filter { $0.range.upperBound <= end }
                #expect(message.payloads.prefix(complete.count).map(\.type) == complete.map(\.type))
                #expect(throws: (any Error).self) {
                    try IKEv2Parser.parseMessage(sample.bytes, range: start..<end).get()
                }
            }
        }
    }

    @Test func everyPrefixOfAnIKEv1MessageParsesUpToTheCut() throws {
        let samples = try IKECaptureMessages.read(Paths.fixture("strongswan-ikev1/main-psk/capture.pcap"))
        #expect(samples.count >= 4)
        for sample in samples.prefix(4) {
            let whole = try IKEv1Parser.parseMessage(sample.bytes, range: sample.range).get()
            let start = sample.range.lowerBound
            for end in (start + IKEHeader.length)..<(start + Int(whole.header.length)) {
                let message = try IKEv1Parser.parseMessage(sample.bytes, range: start..<end, cutByCapture: true).get()
                #expect(
                    message.problems.filter { $0.code == .cutByCapture }.count == 1,
                    "frame \(sample.frame) cut at \(end - start)")
                let complete = whole.payloads.filter { $0.range.upperBound <= end }
                #expect(message.payloads.prefix(complete.count).map(\.type) == complete.map(\.type))
            }
        }
    }
}
