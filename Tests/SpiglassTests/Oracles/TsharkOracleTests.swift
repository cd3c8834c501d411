import Foundation
import SpiglassAnalysis
import SpiglassESP
import SpiglassWire
import Testing

/// tshark as an independent oracle: for every strongSwan fixture and every Scapy fixture with
/// an `esp_sa` file, tshark decrypts with the same `esp_sa` keys Spiglass loads, and for every
/// ESP frame tshark decrypted our plaintext must be byte-identical to tshark's
/// (`esp.contained_data`: the payload without ESP padding and trailer).
///
/// ChaCha20-Poly1305 is left out: tshark 4.0 cannot decrypt it.
@Suite(
    .enabled(
        if: Tshark.path != nil,
        "tshark is not installed (looked in PATH, /usr/bin, /usr/local/bin): oracle tests skipped"))
struct TsharkOracleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var capture: String
        var espSA: String
        var testDescription: String { name }
    }

    static let strongswanCases: [Case] = {
        let root = Paths.fixture("strongswan")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().compactMap { name in
            let dir = root + "/" + name
            guard !name.contains("chacha20"), Paths.exists(dir + "/capture.pcap"), Paths.exists(dir + "/esp_sa") else {
                return nil
            }
            return Case(name: "strongswan/\(name)", capture: dir + "/capture.pcap", espSA: dir + "/esp_sa")
        }
    }()

    static let scapyCases: [Case] = {
        let root = Paths.fixture("scapy")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { $0.hasSuffix(".esp_sa") && !$0.contains("chacha20") }.sorted().compactMap { file in
            let base = String(file.dropLast(".esp_sa".count))
            let capture = root + "/" + base + ".pcap"
            guard Paths.exists(capture) else { return nil }
            return Case(name: "scapy/\(base)", capture: capture, espSA: root + "/" + file)
        }
    }()

    @Test func fixturesAreFound() {
        // 9 strongSwan cases without ChaCha20; 14 Scapy cases with an esp_sa file without ChaCha20.
        #expect(Self.strongswanCases.count == 9)
        #expect(Self.scapyCases.count == 14)
    }

    @Test(arguments: strongswanCases + scapyCases)
    func plaintextMatchesTshark(_ c: Case) throws {
        let oracle = try Tshark.decryptESP(capture: c.capture, espSA: c.espSA)
        let result = try analyze(c.capture, keys: [c.espSA])
        #expect(!oracle.isEmpty, "\(c.name): tshark reported no ESP frame")

        var compared = Set<Int>()
        for frame in oracle {
            let where_ = "\(c.name) frame \(frame.number)"
            guard frame.number >= 1, frame.number <= result.frames.count else {
                Issue.record("\(where_): beyond our \(result.frames.count) frames")
                continue
            }
            let ours = result.frames[frame.number - 1]
            let record = ours.record
            let layer = record.esp.last
            #expect(layer != nil, "\(where_): tshark saw ESP, we say \(record.verdict.rawValue)")
            #expect(layer.map { $0.spi.description } == frame.spis.last, "\(where_) SPI")
            guard let plaintext = frame.decryptedData, let nextHeaderText = frame.nextHeader, !nextHeaderText.isEmpty
            else {
                // tshark could not decrypt (no key, pad length beyond the data, dummy...): we release nothing.
                #expect(
                    ours.inner.isEmpty,
                    "\(where_): we released plaintext tshark did not decrypt (\(record.verdict.rawValue))")
                continue
            }
            if frame.icvBad {
                #expect(
                    record.verdict == .icvFailed, "\(where_): tshark says ICV bad, we say \(record.verdict.rawValue)")
                #expect(ours.inner.isEmpty)
                continue
            }
            let nextHeader = UInt8(nextHeaderText.dropFirst(2), radix: 16)!
            let padLength = frame.padLength ?? -1
            if padLength < 0 || padLength + 2 > plaintext.count {
                #expect(
                    record.verdict == .garbled,
                    "\(where_): pad length beyond the payload; we say \(record.verdict.rawValue)")
                #expect(ours.inner.isEmpty)
                continue
            }
            // RFC 4303 default padding 1, 2, 3, ... checked on tshark's own plaintext: other bytes
            // are reported, and do not withhold these (well-formed) packets.
            let defaultPadding = plaintext[(plaintext.count - 2 - padLength)..<(plaintext.count - 2)]
                .elementsEqual((0..<padLength).map { UInt8($0 + 1) })
            #expect(record.esp.last?.defaultPadding == defaultPadding, "\(where_): default padding")
            guard let contained = frame.containedData else {
                Issue.record("\(where_): tshark decrypted but gave no contained data")
                continue
            }
            #expect(
                record.verdict == .decrypted,
                "\(where_): tshark decrypted (ICV \(frame.icvGood ? "good" : "not checked")), we say \(record.verdict.rawValue): \(layer?.detail ?? record.detail ?? "")"
            )
            guard record.verdict == .decrypted else { continue }
            #expect(layer?.nextHeader == nextHeader, "\(where_) next header")
            #expect(layer?.padLength == padLength, "\(where_) pad length")
            if frame.icvGood {
                #expect(layer?.icv == .good, "\(where_) ICV")
            } else {
                #expect(
                    layer?.icv == ICVStatus.none || layer?.icv == .unchecked,
                    "\(where_) ICV \(String(describing: layer?.icv))")
            }
            if nextHeader == IPProtocol.ipv4 || nextHeader == IPProtocol.ipv6 {
                // Tunnel mode: the inner packet exactly as carried (no TFC padding in these captures).
                #expect(layer?.tunnel == true)
                #expect(hex(ours.inner) == hex(contained), "\(where_): tunnel inner packet differs from tshark's")
            } else {
                // Transport mode: our rebuilt packet is an IP header followed by tshark's payload.
                #expect(layer?.tunnel == false)
                #expect(ours.inner.count > contained.count, "\(where_): rebuilt packet shorter than the payload")
                #expect(
                    hex(Array(ours.inner.suffix(contained.count))) == hex(contained),
                    "\(where_): transport payload differs from tshark's")
                let summary = PacketSummary.of(ours.inner, range: 0..<ours.inner.count)
                #expect(
                    summary?.protocolNumber == nextHeader,
                    "\(where_): rebuilt header does not carry the ESP next header")
                #expect(summary?.length == ours.inner.count, "\(where_): rebuilt header length field")
            }
            compared.insert(frame.number)
        }
        #expect(!compared.isEmpty, "\(c.name): no frame compared with tshark")
        // Everything we decrypted was checked against tshark.
        let decryptedByUs = Set(result.frames.filter { $0.record.verdict == .decrypted }.map(\.record.frame))
        #expect(
            decryptedByUs == compared,
            "\(c.name): decrypted by us but not compared: \(decryptedByUs.subtracting(compared).sorted()); compared but not decrypted: \(compared.subtracting(decryptedByUs).sorted())"
        )
        if c.name.hasPrefix("strongswan/") {
            // README: 26 ESP packets per capture, all decrypt with a good ICV.
            #expect(compared.count == 26, "\(c.name)")
        }
    }
}

extension TsharkOracleTests {
    /// Public corpus captures whose SAs use algorithms Spiglass implements (DES-only captures,
    /// Blowfish and Twofish are left out; mixed ones are kept and only the supported SAs compared).
    static let corpusCases: [Case] = {
        let list: [(String, String)] =
            [
                ("tcpdump/02-sunrise-sunset-esp.pcap", "tcpdump/derived/esp_sa.esp1"),
                ("tcpdump/08-sunrise-sunset-aes.pcap", "tcpdump/derived/esp_sa.esp2"),
                ("tcpdump/08-sunrise-sunset-esp2.pcap", "tcpdump/derived/esp_sa.esp2"),
                ("tcpdump/espudp1.pcap", "tcpdump/derived/esp_sa.esp1"),
                ("wireshark-wiki/ipsec_esp_capture_1/capture.pcap", "wireshark-wiki/ipsec_esp_capture_1/esp_sa"),
                ("wireshark-wiki/ipsec_esp_capture_2/capture.pcap", "wireshark-wiki/ipsec_esp_capture_2/esp_sa"),
                (
                    "wireshark-wiki/ipsec_ikev2+esp_aes-gcm,aes-ctr,aes-cbc/capture.pcapng",
                    "wireshark-wiki/ipsec_ikev2+esp_aes-gcm,aes-ctr,aes-cbc/esp_sa"
                ),
                ("zeek/testing/btest/Traces/ip6_esp.pcap", "wireshark-wiki/ipsec_esp_capture_1/esp_sa"),
                ("arkime/tests/pcap/wireshark-esp.pcap", "wireshark-wiki/ipsec_esp_capture_1/esp_sa"),
            ]
            + [
                "3des-cbc_hmac-sha1", "3des-cbc_null", "aes-cbc_hmac-sha1", "aes192-cbc_hmac-sha1",
                "aes256-cbc_hmac-sha1", "null_hmac-md5",
            ].map {
                ("ipdecap/unit_tests/esp/\($0)/\($0).cap", "ipdecap/derived/\($0).esp_sa")
            }
            + ["esp4-cbc", "esp4-ctr-hmac", "esp4-gcm", "esp-tfc"].map {
                ("packetgen-plugin-ipsec/spec/\($0).pcapng", "packetgen-plugin-ipsec/derived/\($0).esp_sa")
            }
        return list.map { Case(name: $0.0, capture: Paths.corpus($0.0), espSA: Paths.corpus($0.1)) }
    }()

    /// For every frame we decrypted (possibly several nested layers), our innermost plaintext is
    /// tshark's plaintext of the same layer; TFC padding (esp-tfc) is what tshark keeps after the
    /// inner packet's own length and we drop.
    @Test(
        .enabled(if: Paths.exists(Paths.corpus("README.md")), "the shared corpus (../shared/corpus) is not present"),
        arguments: corpusCases)
    func corpusPlaintextMatchesTshark(_ c: Case) throws {
        let oracle = Dictionary(try Tshark.decryptESP(capture: c.capture, espSA: c.espSA).map { ($0.number, $0) }) {
            a, _ in a
        }
        let result = try analyze(c.capture, keys: [c.espSA])
        var compared = 0
        for frame in result.frames {
            let layers = frame.record.esp.prefix { $0.verdict == .decrypted }
            guard let last = layers.last else { continue }
            let where_ = "\(c.name) frame \(frame.record.frame)"
            guard let tshark = oracle[frame.record.frame], tshark.containedLayers.count >= layers.count else {
                Issue.record("\(where_): we decrypted \(layers.count) layer(s), tshark fewer")
                continue
            }
            let contained = tshark.containedLayers[layers.count - 1]
            if last.tunnel == true {
                if contained.count > frame.inner.count {
                    // Only TFC padding may follow the inner packet.
                    #expect(
                        frame.record.inner?.length == frame.inner.count,
                        "\(where_): inner packet trimmed to other than its IP length")
                    #expect(
                        hex(frame.inner) == hex(Array(contained.prefix(frame.inner.count))),
                        "\(where_): tunnel inner packet differs from tshark's")
                } else {
                    #expect(hex(frame.inner) == hex(contained), "\(where_): tunnel inner packet differs from tshark's")
                }
            } else {
                #expect(frame.inner.count > contained.count)
                #expect(
                    hex(Array(frame.inner.suffix(contained.count))) == hex(contained),
                    "\(where_): transport payload differs from tshark's")
            }
            compared += 1
        }
        #expect(compared > 0, "\(c.name): no frame compared with tshark")
    }
}
