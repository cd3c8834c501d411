import Foundation
import SpiglassAnalysis
import SpiglassCapture
import Testing

/// `-w x.pcapng`: each decrypted packet with a comment naming its provenance, read back by
/// libpcap and by tshark (`frame.comment`); `--keep-outer`: the packet in place of its ESP
/// inside the frame's link layer and outer IP header, which tshark dissects with good
/// checksums; the same packets, in the same order, as the pcap, at every thread count.
@Suite struct PcapngOutputTests {
    static let rekey = (
        capture: Paths.fixture("strongswan-ike/rekey-cbc-sha256/capture.pcap"),
        keys: Paths.fixture("strongswan-ike/rekey-cbc-sha256/charon-A.log")
    )

    static func scapy(_ name: String) -> (capture: String, keys: String) {
        (Paths.fixture("scapy/\(name).pcap"), Paths.fixture("scapy/\(name).spiglass"))
    }

    static func scapyAH(_ name: String) -> (capture: String, keys: String) {
        (Paths.fixture("scapy-ah/\(name).pcap"), Paths.fixture("scapy-ah/\(name).spiglass"))
    }

    /// Runs `analyze -q -w path` in process; its status and standard error.
    @discardableResult
    static func write(
        _ captures: [String], keys: [String], to path: String, format: AnalysisOptions.WriteFormat,
        keepOuter: Bool = false, threads: Int = 1
    ) -> (status: AnalysisStatus, errors: String) {
        var configuration = AnalysisSession.Configuration()
        configuration.captures = captures
        configuration.keyFiles = keys
        configuration.threads = threads
        configuration.options.quiet = true
        configuration.options.writePath = path
        configuration.options.writeFormat = format
        configuration.options.keepOuter = keepOuter
        let errors = StringSink()
        let status = AnalysisSession(configuration, errors: errors) { _ in StringSink() }.run()
        return (status, errors.text)
    }

    /// The comments the written packets of `capture` must carry, stated from the analyzer's
    /// own records and IKE story (one thread, no -w).
    static func expectedComments(_ capture: String, keys: [String]) throws -> [String] {
        let keySet = try Analyzer.loadKeySet(keys)
        let analyzer = try Analyzer(
            sad: Analyzer.espDatabase(keySet), ahSAD: Analyzer.ahDatabase(keySet), ikeKeys: keySet.ikeSAs,
            options: AnalysisOptions(), output: StringSink())
        var records: [PacketRecord] = []
        analyzer.packetObserver = { record, inner in if !inner.isEmpty { records.append(record) } }
        _ = analyzer.run(try CaptureStream(paths: [capture]))
        let name = capture.split(separator: "/").last.map(String.init) ?? capture
        return records.map { record in
            var text = "Spiglass: from \(name) frame \(record.sourceFrame)"
            for layer in record.esp {
                let sa = analyzer.sad.entries[layer.saIndex!]
                text +=
                    "; ESP SPI \(layer.spi) seq \(layer.sequence) decrypted, ICV \(layer.icv.rawValue), "
                    + "\(layer.tunnel! ? "tunnel" : "transport"), \(sa.algorithmDescription)"
                if let child = layer.childSA {
                    text += ", CHILD_SA #\(child + 1) of IKE SA #\(analyzer.ike.children[child].ikeSAIndex + 1)"
                }
            }
            return text
        }
    }

    @Test(.enabled(if: Tshark.path != nil, "tshark is not installed"), arguments: [1, 2])
    func eachPacketCarriesItsProvenance(threads: Int) throws {
        let directory = CLITests.temporary("pcapng")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (pcap, pcapng) = (directory + "/out.pcap", directory + "/out.pcapng")
        #expect(Self.write([Self.rekey.capture], keys: [Self.rekey.keys], to: pcap, format: .pcap).status == .completed)
        let run = Self.write(
            [Self.rekey.capture], keys: [Self.rekey.keys], to: pcapng, format: .pcapng, threads: threads)
        #expect(run.status == .completed, "\(run.errors)")
        // libpcap reads it: the packets of the pcap, in its order, with its timestamps.
        let plain = try WrittenCaptures.packets(pcap)
        #expect(plain.count == 24)
        #expect(try WrittenCaptures.packets(pcapng) == plain)
        let comments = try WrittenCaptures.fields(pcapng, ["frame.comment"]).map { $0[0] }
        let expected = try Self.expectedComments(Self.rekey.capture, keys: [Self.rekey.keys])
        #expect(comments == expected)
        // The rekey: packets of both CHILD_SAs are named.
        #expect(comments.contains { $0.hasSuffix("CHILD_SA #1 of IKE SA #1") })
        #expect(comments.contains { $0.hasSuffix("CHILD_SA #2 of IKE SA #1") })
        #expect(
            comments.first
                == "Spiglass: from capture.pcap frame 5; ESP SPI 0x5e9909d5 seq 1 decrypted, ICV good, tunnel, aes-cbc-128/hmac-sha2-256-128, CHILD_SA #1 of IKE SA #1"
        )
    }

    /// The high half of an ESN sequence number is named as inferred; AH layers are named too.
    @Test(.enabled(if: Tshark.path != nil, "tshark is not installed"))
    func esnAndAHLayersAreNamed() throws {
        let out = CLITests.temporary("esn.pcapng")
        defer { unlink(out) }
        let esn = Self.scapy("esn-cbc-sha256")
        #expect(Self.write([esn.capture], keys: [esn.keys], to: out, format: .pcapng).status == .completed)
        let comments = try WrittenCaptures.fields(out, ["frame.comment"]).map { $0[0] }
        #expect(comments.contains { $0.contains("seq 4294967293 (ESN high 0 inferred) decrypted") }, "\(comments)")
        #expect(
            comments.contains { $0.contains("seq 1 (ESN high 1 inferred: 4294967297) decrypted") }, "\(comments)")
        let bundle = Self.scapyAH("ah-esp-bundle")
        #expect(Self.write([bundle.capture], keys: [bundle.keys], to: out, format: .pcapng).status == .completed)
        let first = try #require(try WrittenCaptures.fields(out, ["frame.comment"]).first?.first)
        #expect(
            first
                == "Spiglass: from ah-esp-bundle.pcap frame 1; AH SPI 0x0000200d seq 1 ah-verified, hmac-sha1-96; ESP SPI 0x0000100d seq 1 decrypted, ICV none, transport, aes-cbc-128/null"
        )
    }

    /// The same bytes whatever the thread count, for pcapng, pcapng with the outer headers
    /// and pcap with them; and the same packets as the plain pcap.
    @Test(arguments: [("rekey", false), ("fragmented", true), ("udp-encap", true)])
    func sameFileAtEveryThreadCount(fixture: String, scapy: Bool) throws {
        let (capture, keys) = scapy ? Self.scapy(fixture) : Self.rekey
        let directory = CLITests.temporary("threads")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plain = directory + "/plain.pcap"
        Self.write([capture], keys: [keys], to: plain, format: .pcap)
        for (format, keepOuter) in [(AnalysisOptions.WriteFormat.pcapng, false), (.pcapng, true), (.pcap, true)] {
            var files: [Data] = []
            for threads in [1, 2, 3] {
                let path = directory + "/\(threads)-\(keepOuter).\(format.rawValue)"
                let run = Self.write(
                    [capture], keys: [keys], to: path, format: format, keepOuter: keepOuter, threads: threads)
                #expect(run.status == .completed, "\(run.errors)")
                files.append(try #require(FileManager.default.contents(atPath: path)))
            }
            #expect(files[0] == files[1] && files[1] == files[2], "\(fixture) \(format) keep-outer \(keepOuter)")
            let written = try WrittenCaptures.packets(directory + "/1-\(keepOuter).\(format.rawValue)")
            let expected = try WrittenCaptures.packets(plain)
            #expect(written.count == expected.count && !expected.isEmpty)
            for (packet, inner) in zip(written, expected) {
                #expect(packet.time == inner.time)
                // With the outer headers the decrypted packet ends the frame.
                #expect(
                    keepOuter
                        ? packet.bytes.count > inner.bytes.count
                            && packet.bytes.suffix(inner.bytes.count).elementsEqual(inner.bytes)
                        : packet.bytes == inner.bytes)
            }
        }
    }
}

/// `--keep-outer` as tshark sees it, on captures of every shape: IP-in-IP (or the rebuilt
/// transport packet) after the frame's own link layer, every IPv4 header checksum good, the UDP
/// of NAT traversal and the AH of a bundle gone, AH alone left as it came.
@Suite struct KeepOuterTests {
    /// Each fixture, whether it is an AH one, and its link layer as tshark names it and its length.
    static let cases: [(name: String, ah: Bool, link: String, linkLength: Int)] = [
        ("udp-encap", false, "eth:ethertype:", 14),
        ("transport-v4-cbc-sha1", false, "eth:ethertype:", 14),
        ("transport-v6-gcm", false, "eth:ethertype:", 14),
        ("tunnel-v6-in-v4-ctr", false, "eth:ethertype:", 14),
        ("fragmented", false, "eth:ethertype:", 14),
        ("esn-gcm", false, "eth:ethertype:", 14),
        ("linktypes-sll2", false, "sll:ethertype:", 20),
        ("linktypes-null", false, "null:", 4),
        ("linktypes-raw", false, "raw:", 0),
        ("linktypes-qinq", false, "eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:", 22),
        ("ah-v4-tunnel", true, "eth:ethertype:", 14),
        ("ah-v4-transport", true, "eth:ethertype:", 14),
        ("ah-esp-bundle", true, "eth:ethertype:", 14),
    ]

    @Test(.enabled(if: Tshark.path != nil, "tshark is not installed"), arguments: cases)
    func tsharkDissectsTheFrames(name: String, ah: Bool, link: String, linkLength: Int) throws {
        let (capture, keys) = ah ? PcapngOutputTests.scapyAH(name) : PcapngOutputTests.scapy(name)
        let directory = CLITests.temporary("keep-outer")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (plain, kept) = (directory + "/plain.pcap", directory + "/kept.pcapng")
        PcapngOutputTests.write([capture], keys: [keys], to: plain, format: .pcap)
        let run = PcapngOutputTests.write([capture], keys: [keys], to: kept, format: .pcapng, keepOuter: true)
        #expect(run.status == .completed, "\(run.errors)")
        let frames = try WrittenCaptures.fields(
            kept, ["frame.protocols", "ip.checksum.status", "_ws.malformed", "_ws.expert.severity"],
            options: ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"])
        let written = try WrittenCaptures.packets(kept)
        let inner = try WrittenCaptures.packets(plain)
        #expect(frames.count == inner.count && written.count == inner.count && !inner.isEmpty)
        let ahAlone = name.hasPrefix("ah-v4")
        for (frame, (packet, plainPacket)) in zip(frames, zip(written, inner)) {
            let protocols = frame[0]
            #expect(protocols.hasPrefix(link + "ip:") || protocols.hasPrefix(link + "ipv6"), "\(name): \(frame)")
            // tshark's IPv4 header checksum status: 1 is good; none may be bad (2).
            #expect(frame[1].split(separator: ",").allSatisfy { $0 == "1" }, "\(name): \(frame)")
            #expect(frame[2].isEmpty && !frame[3].contains("Warn") && !frame[3].contains("Error"), "\(name): \(frame)")
            // No ESP remains; AH only where it was alone.
            #expect(!protocols.contains("esp") && protocols.contains(":ah:") == ahAlone, "\(name): \(frame)")
            guard !ahAlone else { continue }
            // The decrypted packet ends the frame, after the link layer and (tunnel) the outer header.
            #expect(packet.bytes.suffix(plainPacket.bytes.count).elementsEqual(plainPacket.bytes), "\(name)")
            let tunnel = packet.bytes.count > linkLength + plainPacket.bytes.count
            let afterLink = protocols.dropFirst(link.count)
            let ipInIP = ["ip:ip:", "ip:ipv6:", "ipv6:ip:", "ipv6:ipv6:"].contains { afterLink.hasPrefix($0) }
            #expect(tunnel == ipInIP, "\(name): \(frame)")
        }
        guard ahAlone else { return }
        // AH alone: the frame as it came (its ICV still verifies).
        let original = try WrittenCaptures.packets(capture)
        for packet in written {
            #expect(original.contains { $0.time == packet.time && $0.bytes.starts(with: packet.bytes) }, "\(name)")
        }
    }

    /// Captures of two link types: the pcapng has an interface for each, tshark reads it, and
    /// each comment names its file; a pcap cannot hold both, so that run is refused at once.
    @Test(.enabled(if: Tshark.path != nil, "tshark is not installed"))
    func inputsOfSeveralLinkTypes() throws {
        let sll2 = (capture: PcapngOutputTests.rekey.capture, keys: PcapngOutputTests.rekey.keys)
        let null = PcapngOutputTests.scapy("linktypes-null")
        let out = CLITests.temporary("mixed.pcapng")
        defer { unlink(out) }
        for threads in [1, 2] {
            let run = PcapngOutputTests.write(
                [sll2.capture, null.capture], keys: [sll2.keys, null.keys], to: out, format: .pcapng, keepOuter: true,
                threads: threads)
            #expect(run.status == .completed, "\(run.errors)")
            let frames = try WrittenCaptures.fields(out, ["frame.interface_id", "frame.encap_type", "frame.comment"])
            // Interfaces numbered as their types first appear: the null capture's frames come first.
            #expect(frames.count == 28)
            #expect(frames.first?[0] == "0" && frames.first?[1] == "15", "\(frames)")
            #expect(Set(frames.map { $0[0] + "/" + $0[1] }) == ["0/15", "1/1"], "\(frames)")
            #expect(frames.filter { $0[2].contains("from capture.pcap frame") && $0[0] == "1" }.count == 24)
            #expect(frames.filter { $0[2].contains("from linktypes-null.pcap frame") && $0[0] == "0" }.count == 4)
        }
        // Without --keep-outer every packet is raw IP: one interface, which libpcap reads too.
        #expect(
            PcapngOutputTests.write(
                [sll2.capture, null.capture], keys: [sll2.keys, null.keys], to: out, format: .pcapng
            ).status == .completed)
        #expect(try WrittenCaptures.packets(out).count == 28)
        let bytes = try #require(FileManager.default.contents(atPath: out))
        let blocks = try #require(WrittenCaptures.pcapngBlocks(Array(bytes)))
        #expect(blocks.filter { $0.type == 1 }.count == 1)
        let pcap = CLITests.temporary("mixed.pcap")
        let refused = PcapngOutputTests.write(
            [sll2.capture, null.capture], keys: [sll2.keys, null.keys], to: pcap, format: .pcap, keepOuter: true)
        #expect(refused.status != .completed)
        #expect(refused.errors.contains("--keep-outer: a pcap file holds one link type"), "\(refused.errors)")
        #expect(!FileManager.default.fileExists(atPath: pcap))
    }
}
