import Foundation
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

/// The Wireshark wiki's IKEv2 capture (shared corpus, when present): three IKE SAs with
/// AES-GCM-256, AES-CTR-256 + HMAC-SHA2-256-128 and AES-CBC-256 + HMAC-SHA2-256-128, all
/// on UDP 4500 (pcapng, Wireshark's `ikev2_decryption_table`).
@Suite struct IKEv2CorpusTests {
    static let directory = "wireshark-wiki/ipsec_ikev2+esp_aes-gcm,aes-ctr,aes-cbc/"

    @Test(.enabled(if: Paths.corpusPresent))
    func wiresharkWikiCaptureOpens() throws {
        let keys = try KeyFileLoader.loadKeys(path: Paths.corpus(Self.directory + "ikev2_decryption_table"))
        #expect(keys.ikeSAs.count == 3)
        let protections = try keys.ikeSAs.map { ($0, try IKEv2MessageProtection(sa: $0)) }
        let reader = try CaptureReader(path: Paths.corpus(Self.directory + "capture.pcapng"))
        let link = try #require(LinkType(dlt: reader.linkType))
        var opened = 0
        reading: while case .packet(let header) = reader.next() {
            let bytes = reader.buffer
            var wire = ByteReader(bytes, range: 0..<header.capturedLength)
            guard case .success(let info) = LinkDecoder.decode(&wire, as: link),
                case .success(let ip) = IPLayer.parse(&wire, announcedVersion: info.announcedVersion),
                ip.protocolNumber == IPProtocol.udp, ip.headerEnd + 8 + 4 + 28 <= ip.end,
                bytes[(ip.headerEnd + 8)..<(ip.headerEnd + 12)] == [0, 0, 0, 0]
            else { continue }
            let start = ip.headerEnd + 12
            let range = start..<ip.end
            guard bytes[start + 16] == 46 || bytes[start + 16] == 53 else { continue }
            let spiI = bytes[start..<(start + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let spiR = bytes[(start + 8)..<(start + 16)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard
                let protection = protections.first(where: { $0.0.initiatorSPI == spiI && $0.0.responderSPI == spiR })?.1
            else {
                Issue.record("no SA for \(String(spiI, radix: 16))/\(String(spiR, radix: 16))")
                continue
            }
            let result = protection.open(
                message: bytes, messageRange: range, encryptedPayloadOffset: start + 28,
                sentByInitiator: bytes[start + 19] & 0x08 != 0)
            guard case .success(let plaintext) = result else {
                Issue.record("corpus: \(result)")
                continue
            }
            #expect(plaintext.integrity == .ok)
            #expect(
                IKECryptoFixture.walk(
                    plaintext.payloads, first: plaintext.firstPayloadType, from: 0, to: plaintext.payloads.count) != nil
            )
            opened += 1
        }
        // The corpus README: "IKEv2 SK decrypted+ICV ok 24/24".
        #expect(opened == 24)
    }

    /// Openswan's unit-test captures (shared corpus): single IKEv2 messages with
    /// deterministic keys (corpus `openswan/derived/keypairN.ikev2_decryption_table`),
    /// AES-128-CBC with HMAC-SHA1-96 or HMAC-SHA2-256-128, and 3DES with HMAC-MD5-96. Every
    /// SK payload is tried with every SA of matching SPIs; the corpus README counts 36 that
    /// open with a good ICV, in 32 files.
    @Test(.enabled(if: Paths.corpusPresent))
    func openswanCapturesOpen() throws {
        var protections: [(IKESecurityAssociation, IKEv2MessageProtection)] = []
        for n in 0..<9 {
            // Some rows pair a 24-byte (3DES) SK_e with an AES-128 name: the loader refuses
            // them (keypair8 has the same keys as 3DES).
            guard
                let keys = try? KeyFileLoader.loadKeys(
                    path: Paths.corpus("openswan/derived/keypair\(n).ikev2_decryption_table"))
            else { continue }
            for sa in keys.ikeSAs {
                if let protection = try? IKEv2MessageProtection(sa: sa) { protections.append((sa, protection)) }
            }
        }
        let root = Paths.corpus("openswan")
        let files = (FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []).filter {
            $0.hasSuffix(".pcap")
        }.sorted()
        var opened = 0
        var openedFiles = 0
        var algorithms = Set<String>()
        for file in files {
            guard let reader = try? CaptureReader(path: root + "/" + file), let link = LinkType(dlt: reader.linkType)
            else { continue }
            var openedHere = 0
            while case .packet(let header) = reader.next() {
                let bytes = reader.buffer
                var wire = ByteReader(bytes, range: 0..<header.capturedLength)
                guard case .success(let info) = LinkDecoder.decode(&wire, as: link),
                    case .success(let ip) = IPLayer.parse(&wire, announcedVersion: info.announcedVersion),
                    ip.protocolNumber == IPProtocol.udp, ip.headerEnd + 8 <= ip.end
                else { continue }
                var start = ip.headerEnd + 8
                if bytes.be16(ip.headerEnd) == 4500 || bytes.be16(ip.headerEnd + 2) == 4500 {
                    guard start + 4 <= ip.end, bytes[start..<(start + 4)] == [0, 0, 0, 0] else { continue }
                    start += 4
                }
                guard start + 28 <= ip.end, bytes[start + 16] == 46 || bytes[start + 16] == 53 else { continue }
                let spiI = bytes[start..<(start + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let spiR = bytes[(start + 8)..<(start + 16)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let initiator = bytes[start + 19] & 0x08 != 0
                for (sa, protection) in protections where sa.initiatorSPI == spiI && sa.responderSPI == spiR {
                    if case .success(let plaintext) = protection.open(
                        message: bytes, messageRange: start..<ip.end, sentByInitiator: initiator),
                        plaintext.integrity == .ok
                    {
                        #expect(
                            IKECryptoFixture.walk(
                                plaintext.payloads, first: plaintext.firstPayloadType, from: 0,
                                to: plaintext.payloads.count) != nil, "\(file)")
                        algorithms.insert("\(sa.encryption?.name ?? "-")/\(sa.integrity?.name ?? "-")")
                        openedHere += 1
                        break
                    }
                }
            }
            opened += openedHere
            if openedHere > 0 { openedFiles += 1 }
        }
        #expect(opened == 36)
        #expect(openedFiles == 32)
        #expect(
            algorithms.contains("3des/hmac-md5-96") && algorithms.contains("aes-cbc-128/hmac-sha1-96")
                && algorithms.contains("aes-cbc-128/hmac-sha2-256-128"),
            "\(algorithms)")
    }
}
