import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire
import Testing

/// The release rule: a decrypted packet is released only when its ICV verified (or its SA has
/// none) and its trailer and payload are the packet its next header names. A wrong encryption
/// key with the right integrity key (or no ICV) must never put garbage in -w.
@Suite struct ReleaseRuleTests {
    /// Every fixture's ESP SAs, with each encryption key changed: nothing is written.
    static let fixtures: [(capture: String, keys: [String])] = ParallelAnalysisTests.fixtures

    /// The SAs a wrong key can be given to; AH-only and IKE-only key files have none.
    static func hasESPEncryptionKey(_ sas: [SecurityAssociation]) -> Bool {
        sas.contains { $0.ipsecProtocol == .esp && $0.encryption != .null && !$0.encryptionKey.isEmpty }
    }

    static let fixturesWithESPKeys = fixtures.filter { fixture in
        hasESPEncryptionKey((try? Analyzer.loadKeySet(fixture.keys.map(Paths.fixture)).sas) ?? [])
    }

    static let corpusCasesWithESPKeys = CorpusTests.cases.filter { c in
        let inline = c.inlineKeys.flatMap { try? KeyFileLoader.parseKeys($0, file: "inline", format: nil).sas } ?? []
        return hasESPEncryptionKey(((try? Analyzer.loadKeySet(c.keys.map(Paths.corpus)).sas) ?? []) + inline)
    }

    /// The key set with every ESP encryption key altered (NULL encryption, whose plaintext a
    /// key cannot change, left out) and no IKE keys (no keys derived from SK_d either).
    static func wrongEncryptionKeys(_ paths: [String]) throws -> (SADatabase, Int) {
        let keys = try Analyzer.loadKeySet(paths)
        var altered: [SecurityAssociation] = []
        for sa in keys.sas where hasESPEncryptionKey([sa]) {
            var wrong = sa
            var index = 0
            wrong.encryptionKey = sa.encryptionKey.map { byte in
                defer { index += 1 }
                // The cipher key only: the salt or nonce (last 4 bytes of CTR/GCM/CCM keys) stays.
                return index == 0 ? byte ^ 0x5a : byte
            }
            altered.append(wrong)
        }
        return (SADatabase(altered), altered.count)
    }

    static func runWithWrongKeys(_ capture: String, keys: [String], sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let (sad, count) = try wrongEncryptionKeys(keys)
        try #require(count > 0, "no SA of \(keys) has an encryption key to make wrong", sourceLocation: sourceLocation)
        let reader = try CaptureReader(path: capture)
        var options = AnalysisOptions()
        options.deriveChildKeys = false
        options.quiet = true
        let analyzer = try Analyzer(sad: sad, options: options, output: StringSink())
        var released: [String] = []
        analyzer.packetObserver = { record, inner in
            if !inner.isEmpty || record.verdict == .decrypted
                || record.esp.contains(where: { $0.verdict == .decrypted })
            {
                released.append(
                    "frame \(record.frame): \(record.verdict.rawValue) \(record.esp.map { "\($0.spi.description) nh \($0.nextHeader.map(String.init) ?? "-")" })"
                )
            }
        }
        _ = analyzer.run(reader)
        #expect(
            released.isEmpty, "\(capture) with wrong encryption keys released: \(released)",
            sourceLocation: sourceLocation)
    }

    @Test(arguments: fixturesWithESPKeys)
    func aWrongEncryptionKeyWritesNothing(_ fixture: (capture: String, keys: [String])) throws {
        try Self.runWithWrongKeys(Paths.fixture(fixture.capture), keys: fixture.keys.map(Paths.fixture))
    }

    @Test(
        .enabled(if: Paths.corpusPresent, "the shared corpus (../shared/corpus) is not present"),
        arguments: corpusCasesWithESPKeys)
    func aWrongEncryptionKeyWritesNothingOnTheCorpus(_ c: CorpusTests.Case) throws {
        var keys = c.keys.map(Paths.corpus)
        var inline: String?
        if let text = c.inlineKeys {
            let path = CLITests.temporary("corpus.keys")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            inline = path
            keys.append(path)
        }
        defer { if let inline { try? FileManager.default.removeItem(atPath: inline) } }
        try Self.runWithWrongKeys(Paths.corpus(c.capture), keys: keys)
    }

    /// The same through the CLI, as the issue saw it: right integrity key, wrong encryption
    /// key on a strongSwan CBC capture: every packet garbled, the finding names the key, -w empty.
    @Test func theFindingNamesTheEncryptionKey() throws {
        let (sad, _) = try Self.wrongEncryptionKeys([Paths.fixture("strongswan/aes128cbc-sha256-v4/sa.spiglass")])
        let keys = CLITests.temporary("wrong.spiglass")
        let out = CLITests.temporary("wrong.pcap")
        defer { for path in [keys, out] { try? FileManager.default.removeItem(atPath: path) } }
        try (sad.entries.map { KeyFileWriter.nativeLine($0) }.joined(separator: "\n") + "\n").write(
            toFile: keys, atomically: true, encoding: .utf8)
        let result = try CLITests.run([
            "-q", "-r", "Fixtures/strongswan/aes128cbc-sha256-v4/capture.pcap", "-k", keys, "-w", out,
        ])
        #expect(result.status == 0)
        #expect(result.stdout.contains("written: 0"))
        #expect(result.stdout.contains("Verdicts: garbled 26, ike 6"), "\(result.stdout)")
        #expect(
            result.stdout.contains(
                "all 13 packets: the ICV verifies but the plaintext is garbled: wrong encryption key (or algorithm / key length)"
            ))
    }

    // MARK: counting

    /// "Verified" counts packets whose ICV was checked: an ICV of unknown algorithm (tcpdump's
    /// -hmac96) or none is "decrypted without integrity".
    @Test(.enabled(if: Paths.corpusPresent, "the shared corpus (../shared/corpus) is not present"))
    func verifiedCountsOnlyCheckedICVs() throws {
        let unchecked = try analyze(
            Paths.corpus("tcpdump/02-sunrise-sunset-esp.pcap"), keys: [Paths.corpus("tcpdump/derived/esp_sa.esp1")])
        #expect(unchecked.summary.count(.decrypted) == 8)
        #expect(unchecked.analyzer.flows.map(\.verified) == [0])
        #expect(unchecked.analyzer.flows.map(\.decryptedWithoutIntegrity) == [8])
        let wiki = try analyze(
            Paths.corpus("wireshark-wiki/ipsec_esp_capture_1/capture.pcap"),
            keys: [Paths.corpus("wireshark-wiki/ipsec_esp_capture_1/esp_sa")])
        #expect(wiki.summary.count(.decrypted) == 240)
        #expect(wiki.analyzer.flows.reduce(0) { $0 + $1.verified } == 160)
        #expect(wiki.analyzer.flows.reduce(0) { $0 + $1.decryptedWithoutIntegrity } == 80)
        let text = try CLITests.run([
            "-q", "-r", Paths.corpus("tcpdump/02-sunrise-sunset-esp.pcap"), "-k",
            Paths.corpus("tcpdump/derived/esp_sa.esp1"),
        ])
        let row = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix("0x12345678") })
        let cells = row.split(separator: " ", omittingEmptySubsequences: true)
        // Packets, Bytes, Verified, No-ICV, ICV-fail.
        #expect(cells[7...11].map(String.init) == ["8", "928", "0", "8", "0"], "\(row)")
    }

    /// The Scapy fixture's packets with odd padding: an authentic one is released with a note
    /// and a finding; a pad length beyond the payload is garbled.
    @Test func nonDefaultPaddingIsANoteAndAFinding() throws {
        let result = try analyze(
            Paths.fixture("scapy/bad-packets.pcap"), keys: [Paths.fixture("scapy/bad-packets.spiglass")])
        let fourth = result.frames[3]
        #expect(fourth.record.verdict == .decrypted)
        #expect(fourth.record.esp.first?.defaultPadding == false)
        #expect(!fourth.inner.isEmpty)
        #expect(result.frames[4].record.verdict == .garbled)
        #expect(result.frames[4].record.esp.first?.detail == "pad length 200 exceeds the 30-byte payload")
        let findings = result.summary.findings
        #expect(
            findings.contains {
                $0.kind == .padding && $0.spi == 0x100c
                    && $0.message.hasPrefix("1 released packet(s) carry padding bytes other than 1, 2, 3")
            })
        #expect(findings.contains { $0.kind == .garbled && $0.spi == 0x100d })
        let text = try CLITests.run([
            "-r", "Fixtures/scapy/bad-packets.pcap", "-k", "Fixtures/scapy/bad-packets.spiglass",
        ])
        #expect(
            text.stdout.contains("seq=4 len=68 decrypted [aes-cbc-128/hmac-sha1-96] transport [non-default padding]:"),
            "\(text.stdout)")
    }
}

/// The plaintext checks one by one, and their strength against random bytes.
@Suite struct PlaintextCheckTests {
    static let a = IPAddress("192.0.2.1")!, b = IPAddress("192.0.2.2")!
    static let transport = PlaintextCheck.Transport(source: a, destination: b, natTraversal: false)

    static func ipv4(_ payload: [UInt8], protocolNumber: UInt8 = 17) -> [UInt8] {
        var header: [UInt8] = [0x45, 0, 0, 0, 0, 1, 0, 0, 64, protocolNumber, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]
        header.setBE16(2, UInt16(20 + payload.count))
        header.setBE16(10, internetChecksum(header, 0..<20))
        return header + payload
    }

    static func udp(_ data: [UInt8], source: IPAddress = a, destination: IPAddress = b) -> [UInt8] {
        var segment: [UInt8] = [0x04, 0x57, 0x00, 0x09, 0, 0, 0, 0] + data
        segment.setBE16(4, UInt16(segment.count))
        let pseudo = InternetChecksum.pseudoHeader(
            source: source, destination: destination, protocolNumber: 17, length: segment.count)
        segment.setBE16(6, ~InternetChecksum.sum(segment, 0..<segment.count, initial: pseudo))
        return segment
    }

    @Test func realPacketsPass() {
        let datagram = Self.udp(Array("hello".utf8))
        #expect(
            PlaintextCheck.check(Self.ipv4(datagram), payloadLength: 20 + datagram.count, nextHeader: 4, transport: nil)
                == .wellFormed)
        // TFC padding after the inner packet (RFC 4303 2.7).
        let padded = Self.ipv4(datagram) + [UInt8](repeating: 0, count: 30)
        #expect(PlaintextCheck.check(padded, payloadLength: padded.count, nextHeader: 4, transport: nil) == .wellFormed)
        #expect(
            PlaintextCheck.check(datagram, payloadLength: datagram.count, nextHeader: 17, transport: Self.transport)
                == .wellFormed)
        // GRE (RFC 2784) with a key (RFC 2890), and PPTP's version 1.
        let gre: [UInt8] = [0x20, 0x00, 0x08, 0x00, 0, 0, 0, 7, 0x45]
        #expect(
            PlaintextCheck.check(gre, payloadLength: gre.count, nextHeader: 47, transport: Self.transport)
                == .wellFormed)
        let pptp: [UInt8] = [0x30, 0x81, 0x88, 0x0b, 0, 4, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0x03]
        #expect(
            PlaintextCheck.check(pptp, payloadLength: pptp.count, nextHeader: 47, transport: Self.transport)
                == .wellFormed)
        // IPv6 tunnel: the inner UDP checksum over the inner addresses.
        let six1 = IPAddress("2001:db8::1")!
        let six2 = IPAddress("2001:db8::2")!
        let inner = Self.udp([1, 2, 3], source: six1, destination: six2)
        var v6: [UInt8] = [0x60, 0, 0, 0, 0, 0, 17, 64] + six1.bytes + six2.bytes + inner
        v6.setBE16(4, UInt16(inner.count))
        #expect(PlaintextCheck.check(v6, payloadLength: v6.count, nextHeader: 41, transport: nil) == .wellFormed)
    }

    @Test func brokenPacketsDoNot() {
        var packet = Self.ipv4(Self.udp([1, 2, 3]))
        packet[11] ^= 1
        #expect(
            PlaintextCheck.check(packet, payloadLength: packet.count, nextHeader: 4, transport: nil)
                == .garbled("next header 4, but the IPv4 header checksum is wrong"))
        let datagram = Self.udp([1, 2, 3])
        var long = datagram
        long.setBE16(4, 200)
        #expect(
            PlaintextCheck.check(long, payloadLength: long.count, nextHeader: 17, transport: Self.transport)
                == .garbled("UDP length 200 in 11 bytes"))
        // A checksum that fails over NAT-T needs the padding to back it.
        var nat = datagram
        nat[7] ^= 0xff
        let natted = PlaintextCheck.Transport(source: Self.a, destination: Self.b, natTraversal: true)
        guard
            case .needsPaddingEvidence = PlaintextCheck.check(
                nat, payloadLength: nat.count, nextHeader: 17, transport: natted)
        else {
            Issue.record("a NAT-T checksum mismatch is not garbage")
            return
        }
        #expect(
            PlaintextCheck.check([0, 0, 0, 0], payloadLength: 4, nextHeader: 207, transport: Self.transport)
                == .garbled("next header 207 is no assigned protocol"))
        #expect(
            PlaintextCheck.check([0x45], payloadLength: 1, nextHeader: 4, transport: Self.transport)
                == .garbled("next header 4, but no IPv4 header"))
    }

    /// The judge: weak plaintext is released only with default padding of at least one byte.
    @Test func weakPlaintextNeedsDefaultPadding() {
        let plain: [UInt8] = [1, 2, 3, 4, 5, 6]
        let base = ESPResult(
            verdict: .decrypted, icv: .good, nextHeader: 89, padLength: 2, payloadLength: 4, detail: nil)
        #expect(PlaintextCheck.judge(base, plain: plain, transport: Self.transport).verdict == .decrypted)
        var odd = base
        odd.defaultPadding = false
        #expect(PlaintextCheck.judge(odd, plain: plain, transport: Self.transport).verdict == .garbled)
        var none = base
        none.padLength = 0
        none.payloadLength = 6
        #expect(PlaintextCheck.judge(none, plain: plain, transport: Self.transport).verdict == .garbled)
    }

    /// Random plaintext (a wrong key's) is almost never taken for a packet: over 200,000 random
    /// 32- to 1400-byte payloads with a random trailer, at most a handful pass, where the old
    /// padding-only check let about one in 300 through.
    @Test func randomBytesAreAlmostNeverReleased() {
        var state: UInt64 = 0x5eed_1234_abcd_0001
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        var released = 0
        var buffer = [UInt8](repeating: 0, count: 1402)
        for _ in 0..<200_000 {
            let count = 32 + Int(next() % 1370)
            for index in 0..<count { buffer[index] = UInt8(truncatingIfNeeded: next()) }
            let padLength = Int(buffer[count - 2])
            let nextHeader = buffer[count - 1]
            guard padLength + 2 <= count else { continue }
            let payloadLength = count - 2 - padLength
            var defaultPadding = true
            for i in 0..<padLength where buffer[payloadLength + i] != UInt8(truncatingIfNeeded: i + 1) {
                defaultPadding = false
            }
            let result = ESPResult(
                verdict: nextHeader == 59 ? .dummy : .decrypted, icv: .good, nextHeader: nextHeader,
                padLength: padLength,
                payloadLength: payloadLength, detail: nil, defaultPadding: defaultPadding)
            let transport = nextHeader == 4 || nextHeader == 41 ? nil : Self.transport
            if PlaintextCheck.judge(result, plain: buffer, transport: transport).verdict == .decrypted { released += 1 }
        }
        #expect(released <= 3, "seed 0x5eed1234abcd0001: \(released) random payloads of 200,000 passed")
    }

    @Test func checksumMatchesTheSimpleOne() {
        var state: UInt64 = 42
        for length in 0..<200 {
            var bytes = [UInt8](repeating: 0, count: length + 3)
            for index in bytes.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
            }
            for start in 0..<3 where start <= length {
                let range = start..<(start + length)
                #expect(
                    ~InternetChecksum.sum(bytes, range) == internetChecksum(bytes, range),
                    "length \(length) at \(start) (seed 42)")
            }
        }
    }
}
