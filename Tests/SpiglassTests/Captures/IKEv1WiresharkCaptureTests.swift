import Foundation
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

/// The corpus capture `ikev1-certs.pcap`: Main Mode with RSA certificates, 3DES-CBC and MD5,
/// then Quick Mode with PFS; keyed by Wireshark's `ikev1_decryption_table` (initiator cookie,
/// encryption key). Frame 8 retransmits frame 7 (same bytes).
@Suite(.enabled(if: Paths.corpusPresent, "the shared corpus is not beside the repository"))
struct IKEv1WiresharkCaptureTests {
    static let capture = "wireshark/test/captures/ikev1-certs.pcap"
    static let table = "wireshark/test/config/ikev1_decryption_table.tmpl"

    /// tshark 4.0.17's "Decrypted IKE" bytes per frame, with the same key table: length,
    /// first 8 bytes and SHA-256. Frame 8 is tshark's own wrong result: it decrypts the
    /// retransmission with the chained IV, so its first block is garbage.
    static let tshark: [Int: (length: Int, head: String, sha256: String)] = [
        5: (1736, "0600000c01000000", "ce87f65b83fc1ecb22ef30cedf7aeaed8bd64da3362b54d8336601aad99d68ce"),
        6: (1904, "0600000c01000000", "b693b3aeec851f6c698eceb1d607d7159e66f7330357390f3333cb2f2fcc3b6c"),
        7: (248, "010000145a32e8a5", "4f77a64add474d851d9c0cf472cd0f5f34a2314920e5eb163bbbfe90ab78b9fd"),
        8: (248, "2cfacc4a646fe9b0", "0c42be544a09ef0df06be03daff3a8918b261a008c46b70412d499a0af2fd86c"),
        9: (248, "0100001469791a19", "b37267644b2d355b9f10695df9c5a7a37b7160a4400d19002bf4736b7a4b0f96"),
        10: (24, "000000140b4f60a7", "7fc9aec309ba62dc607155e97cf9541129055cef36f7ab89b4875c4a34e4c021"),
    ]

    struct Decrypted {
        var frame: Int
        var plaintext: IKEv1Plaintext
        var retransmission: Bool
        var chainedIV: [UInt8]
    }

    /// Decrypts every encrypted message as an analyzer would: phase-1 IV from the KE
    /// payloads, the attributes from the responder's SA, retransmissions (same bytes as an
    /// earlier message) with the IV of their first copy.
    static func decryptAll() throws -> (
        messages: [IKEv1CryptoWire.Message], decrypted: [Decrypted], protection: IKEv1MessageProtection
    ) {
        let messages = try IKEv1CryptoWire.messages(capture: Paths.corpus(capture))
        let keys = try KeyFileLoader.loadKeys(path: Paths.corpus(table))
        let sa = try #require(keys.ikeSAs.first { $0.initiatorSPI == 0xfafa_eb49_382a_763c })
        #expect(sa.version == .v1 && sa.encryption == nil)
        let initiator = messages[0].source
        var attributes: [UInt16: UInt16] = [:]
        var keI: [UInt8]?
        var keR: [UInt8]?
        for message in messages where !message.encrypted {
            let payloads = try #require(IKEv1CryptoWire.clearPayloads(message.bytes))
            let fromInitiator = message.source == initiator
            if !fromInitiator, attributes.isEmpty, let saPayload = IKEv1CryptoWire.first(1, in: payloads) {
                attributes = try #require(IKEv1CryptoWire.transformAttributes(saPayload.body))
            }
            if let ke = IKEv1CryptoWire.first(4, in: payloads) {
                if fromInitiator { keI = keI ?? ke.body } else { keR = keR ?? ke.body }
            }
        }
        let hash = try #require(IKEv1Hash(attribute: attributes[2] ?? 0))
        let encryption = try #require(
            IKEv1KeyDerivation.encryptionAlgorithm(attribute: attributes[1] ?? 0, keyLengthBits: attributes[14]))
        #expect(hash == .md5 && encryption == .tripleDES && attributes[3] == 3)  // RSA signatures
        let protection = try IKEv1MessageProtection(sa: sa, encryption: encryption, hash: hash)
        var state = try IKEv1IVState(
            hash: hash, keInitiator: try #require(keI), keResponder: try #require(keR),
            blockSize: protection.blockSize)
        var seen: Set<[UInt8]> = []
        var decrypted: [Decrypted] = []
        for message in messages where message.encrypted {
            let bytes = message.bytes
            let mid = message.messageID
            let chained = try state.ivForExchange(messageID: mid)
            let last = try protection.lastCiphertextBlock(message: bytes, messageRange: 0..<bytes.count).get()
            let retransmission = seen.contains(bytes)
            let iv =
                retransmission ? try #require(state.retransmissionIV(messageID: mid, lastBlock: last)) : chained
            let plaintext = try protection.decrypt(message: bytes, messageRange: 0..<bytes.count, iv: iv).get()
            if !retransmission {
                try state.exchangeMessageDecrypted(messageID: mid, lastBlock: plaintext.lastCiphertextBlock)
                seen.insert(bytes)
            }
            decrypted.append(
                Decrypted(
                    frame: message.frame, plaintext: plaintext, retransmission: retransmission, chainedIV: chained))
        }
        return (messages, decrypted, protection)
    }

    @Test func decryptsEveryEncryptedMessage() throws {
        let (_, decrypted, protection) = try Self.decryptAll()
        #expect(decrypted.map(\.frame) == [5, 6, 7, 8, 9, 10])
        #expect(decrypted.map(\.retransmission) == [false, false, false, true, false, false])
        let chains = try decrypted.map { try #require(IKEv1CryptoWire.payloads($0.plaintext)).map(\.type) }
        #expect(
            chains == [
                [5, 6, 7, 9], [5, 6, 9], [8, 1, 10, 4, 5, 5], [8, 1, 10, 4, 5, 5], [8, 1, 10, 4, 5, 5], [8],
            ])
        #expect(decrypted.map { $0.plaintext.padding.count } == [7, 2, 0, 0, 0, 4])
        for d in decrypted {
            #expect(d.plaintext.padding.allSatisfy { $0 == 0 }, "frame \(d.frame) padding")
            let expected = try #require(Self.tshark[d.frame])
            let bytes = d.plaintext.decrypted
            #expect(bytes.count == expected.length)
            if d.frame == 8 {
                // Ours is frame 7's plaintext; tshark's differs in the first block alone.
                #expect(bytes == decrypted[2].plaintext.decrypted)
                #expect(hex(Array(bytes.prefix(8))) != expected.head)
                continue
            }
            #expect(hex(Array(bytes.prefix(8))) == expected.head, "frame \(d.frame)")
            #expect(hex(try Digest.hash(.sha256, bytes)) == expected.sha256, "frame \(d.frame)")
        }
        // Quick Mode and Informational IVs: no SKEYID_a in Wireshark's table, so no HASH check.
        #expect(try protection.verifyHash(kind: .quickMode1, plaintext: decrypted[2].plaintext) == .unchecked)
    }

    /// The retransmission under the chained IV (what tshark does) garbles its first block;
    /// we refuse it, and raw CBC with that IV gives tshark's bytes.
    @Test func retransmissionWithTheChainedIVFails() throws {
        let (messages, decrypted, protection) = try Self.decryptAll()
        let frame8 = try #require(messages.first { $0.frame == 8 }).bytes
        let chained = decrypted[3].chainedIV
        #expect(chained == decrypted[2].plaintext.lastCiphertextBlock)
        #expect(
            protection.decrypt(message: frame8, messageRange: 0..<frame8.count, iv: chained).v1Code
                == .malformedPlaintext)
        let key = try #require(KeyFileLoader.loadKeys(path: Paths.corpus(Self.table)).ikeSAs.first)
            .ikev1EncryptionKey
        let context = try CipherContext(.tripleDESCBC, key: key)
        var raw = [UInt8](repeating: 0, count: frame8.count - 28)
        _ = try context.run(
            iv: chained, ivRange: 0..<8, input: frame8, inputRange: 28..<frame8.count, output: &raw, outputOffset: 0
        )
        #expect(hex(Array(raw.prefix(8))) == Self.tshark[8]!.head)
        #expect(hex(try Digest.hash(.sha256, raw)) == Self.tshark[8]!.sha256)
        #expect(raw[8...] == decrypted[3].plaintext.decrypted[8...])
    }

    /// tshark itself, when installed: every frame it decrypts matches ours, except the
    /// retransmission, where it is wrong in the first block.
    @Test(.enabled(if: Tshark.path != nil, "tshark is not installed"))
    func matchesTsharkLive() throws {
        let output = try Tshark.output(
            ["-r", Paths.corpus(Self.capture), "-x"], files: ["ikev1_decryption_table": Paths.corpus(Self.table)])
        // One block of hex panes per frame, separated by blank lines; the decrypted pane is
        // introduced by "Decrypted IKE (N bytes):".
        let frames = output.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        var oracle: [Int: [UInt8]] = [:]
        for (index, text) in frames.enumerated() {
            guard let start = text.range(of: "Decrypted IKE (") else { continue }
            var bytes: [UInt8] = []
            for line in text[start.upperBound...].split(separator: "\n").dropFirst() {
                guard line.count > 6 else { continue }
                let hexPart = line.dropFirst(6).prefix(47)
                bytes += hexPart.split(separator: " ").compactMap { UInt8($0, radix: 16) }
            }
            oracle[index + 1] = bytes
        }
        let (_, decrypted, _) = try Self.decryptAll()
        #expect(Set(oracle.keys) == Set(decrypted.map(\.frame)))
        for d in decrypted {
            let theirs = try #require(oracle[d.frame])
            if d.retransmission {
                #expect(theirs.count == d.plaintext.decrypted.count)
                #expect(theirs[8...] == d.plaintext.decrypted[8...])
                #expect(theirs.prefix(8) != d.plaintext.decrypted.prefix(8))
            } else {
                #expect(theirs == d.plaintext.decrypted, "frame \(d.frame)")
            }
        }
    }
}
