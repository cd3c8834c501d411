import Foundation
import SpiglassAnalysis
import SpiglassCapture
import Testing

/// Every frame of the fixtures, cut at every length, goes through the whole pipeline with the
/// right keys: nothing traps, and nothing is released from a frame cut short of its ESP.
@Suite struct AnalyzerRobustnessTests {
    /// Every fixture capture with its key files (IKE keys too, so IKE decryption and the
    /// exchange reconstruction take the same beating).
    static let captures: [(capture: String, keys: [String])] = {
        var pairs: [(String, [String])] = []
        let fm = FileManager.default
        let strongswan = (try? fm.contentsOfDirectory(atPath: Paths.fixture("strongswan"))) ?? []
        for name in strongswan.sorted() where fm.fileExists(atPath: Paths.fixture("strongswan/\(name)/capture.pcap")) {
            pairs.append(
                (
                    "strongswan/\(name)/capture.pcap",
                    ["strongswan/\(name)/sa.spiglass", "strongswan/\(name)/ikev2_decryption_table"]
                ))
        }
        for folder in ["strongswan-ike", "strongswan-ikev1", "strongswan-policy"] {
            let cases = (try? fm.contentsOfDirectory(atPath: Paths.fixture(folder))) ?? []
            for name in cases.sorted() where fm.fileExists(atPath: Paths.fixture("\(folder)/\(name)/capture.pcap")) {
                pairs.append(("\(folder)/\(name)/capture.pcap", ["\(folder)/\(name)/sa.spiglass"]))
            }
        }
        let scapy = (try? fm.contentsOfDirectory(atPath: Paths.fixture("scapy"))) ?? []
        for file in scapy.sorted() where file.hasSuffix(".pcap") || file.hasSuffix(".pcapng") {
            let base = file.hasSuffix(".pcapng") ? String(file.dropLast(7)) : String(file.dropLast(5))
            pairs.append(("scapy/\(file)", ["scapy/\(base).spiglass"]))
        }
        return pairs
    }()

    @Test func everyFixtureIsCovered() {
        #expect(Self.captures.count >= 50)
    }

    @Test(arguments: captures)
    func truncatedAtEveryOffset(_ pair: (capture: String, keys: [String])) throws {
        let (capture, keys) = pair
        let reader = try CaptureReader(path: Paths.fixture(capture))
        var frames: [([UInt8], PacketHeader)] = []
        while case .packet(let header) = reader.next() {
            frames.append((Array(reader.buffer[0..<header.capturedLength]), header))
        }
        #expect(!frames.isEmpty)
        let keySet = try Analyzer.loadKeySet(keys.map(Paths.fixture))
        var options = AnalysisOptions()
        options.quiet = true
        let analyzer = try Analyzer(
            sad: Analyzer.espDatabase(keySet), ikeKeys: keySet.ikeSAs, options: options, output: StringSink())
        analyzer.setLinkType(dlt: reader.linkType, name: reader.linkTypeName)
        var lastInner: [UInt8] = []
        var lastVerdict = PacketVerdict.notIPsec
        analyzer.packetObserver = { record, inner in
            lastInner = Array(inner)
            lastVerdict = record.verdict
        }
        var processed = 0
        var releasedFromCuts = 0
        for (bytes, header) in frames where header.capturedLength > 0 {
            // The whole frame first: the reference for what may ever be released from it.
            analyzer.process(bytes, header: header)
            let reference = lastInner
            for cut in 0..<bytes.count {
                var h = header
                h.capturedLength = cut
                analyzer.process(Array(bytes[0..<cut]), header: h)
                processed += 1
                if !lastInner.isEmpty {
                    // Only a cut that removed nothing but link-layer padding can still verify,
                    // and then it must release exactly what the whole frame did.
                    releasedFromCuts += 1
                    #expect(lastInner == reference, "\(capture): cut at \(cut) released different bytes")
                    #expect(lastVerdict == .decrypted)
                }
            }
        }
        #expect(processed == frames.reduce(0) { $0 + $1.0.count })
        #expect(releasedFromCuts < processed / 10)
        analyzer.finish()
    }

    /// Random byte corruption of every fixture frame (fixed seed, so failures reproduce):
    /// the pipeline never traps, and whatever it releases from a corrupted frame comes from a
    /// packet whose ICV verified, i.e. the corruption missed the authenticated part.
    @Test(.seeded(0x5eed), arguments: captures)
    func randomCorruptionNeverTraps(_ pair: (capture: String, keys: [String])) throws {
        let reader = try CaptureReader(path: Paths.fixture(pair.capture))
        var frames: [([UInt8], PacketHeader)] = []
        while case .packet(let header) = reader.next() {
            frames.append((Array(reader.buffer[0..<header.capturedLength]), header))
        }
        let keySet = try Analyzer.loadKeySet(pair.keys.map(Paths.fixture))
        var options = AnalysisOptions()
        options.quiet = true
        let analyzer = try Analyzer(
            sad: Analyzer.espDatabase(keySet), ikeKeys: keySet.ikeSAs, options: options, output: StringSink())
        analyzer.setLinkType(dlt: reader.linkType, name: reader.linkTypeName)
        var generator = TestSeed.current.generator
        var runs = 0
        for (bytes, header) in frames where !bytes.isEmpty {
            for _ in 0..<40 {
                var mutated = bytes
                let flips = 1 + Int(generator.next() % 4)
                for _ in 0..<flips {
                    let position = Int(generator.next() % UInt64(mutated.count))
                    mutated[position] = UInt8(truncatingIfNeeded: generator.next())
                }
                analyzer.process(mutated, header: header)
                runs += 1
            }
        }
        analyzer.finish()
        #expect(runs == frames.filter { !$0.0.isEmpty }.count * 40)
    }
}
