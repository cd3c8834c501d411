import Foundation
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

// MARK: - Helpers: a minimal ISAKMP walk (the real IKEv1 parser lives in PayloadsV1)

/// Just enough ISAKMP for these tests: payload chains, SA transform attributes, messages of a
/// capture (UDP 500/4500, IKEv1 fragments reassembled) and charon's key dumps.
enum IKEv1CryptoWire {
    struct Payload {
        var type: UInt8
        /// After the 4-byte generic header.
        var body: [UInt8]
        var offset: Int
        var length: Int
    }

    struct Message {
        var frame: Int
        var source: [UInt8]
        var bytes: [UInt8]
        var encrypted: Bool { bytes.count >= 28 && bytes[19] & 1 != 0 }
        var messageID: UInt32 { be32(bytes, 20) }
        var exchangeType: UInt8 { bytes[18] }
    }

    static func be32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
    }

    static func be64(_ b: [UInt8], _ o: Int) -> UInt64 { UInt64(be32(b, o)) << 32 | UInt64(be32(b, o + 4)) }

    /// The chain `bytes[start..<end]` whose first payload is `first`; nil if it does not fit.
    static func payloads(_ bytes: [UInt8], from start: Int, to end: Int, first: UInt8) -> [Payload]? {
        var type = first
        var offset = start
        var out: [Payload] = []
        while type != 0 {
            guard offset + 4 <= end, out.count < 100 else { return nil }
            let length = Int(bytes.be16(offset + 2))
            guard length >= 4, offset + length <= end else { return nil }
            out.append(
                Payload(
                    type: type, body: Array(bytes[(offset + 4)..<(offset + length)]), offset: offset, length: length))
            type = bytes[offset]
            offset += length
        }
        return out
    }

    /// The clear payloads of an unencrypted message.
    static func clearPayloads(_ message: [UInt8]) -> [Payload]? {
        guard message.count >= 28 else { return nil }
        let declared = Int(be32(message, 24))
        return payloads(message, from: 28, to: min(declared, message.count), first: message[16])
    }

    /// The payloads of a decrypted message, padding excluded.
    static func payloads(_ plaintext: IKEv1Plaintext) -> [Payload]? {
        payloads(plaintext.decrypted, from: 0, to: plaintext.payloadsLength, first: plaintext.firstPayloadType)
    }

    static func first(_ type: UInt8, in payloads: [Payload]) -> Payload? { payloads.first { $0.type == type } }

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The first payload of `type`; throws when there is none.
    static func need(_ type: UInt8, in payloads: [Payload]) throws -> Payload {
        guard let payload = first(type, in: payloads) else {
            throw Missing(description: "no payload of type \(type) in \(payloads.map(\.type))")
        }
        return payload
    }

    /// Protocol-Id and SPI of the first proposal of an SA payload body (RFC 2408 3.4, 3.5).
    static func proposalSPI(_ saBody: [UInt8]) -> (protocolID: UInt8, spi: [UInt8])? {
        guard saBody.count >= 16 else { return nil }
        let spiSize = Int(saBody[14])
        guard saBody.count >= 16 + spiSize else { return nil }
        return (saBody[13], Array(saBody[16..<(16 + spiSize)]))
    }

    /// The basic (TV) attributes of the first transform of the first proposal of an SA body.
    static func transformAttributes(_ saBody: [UInt8]) -> [UInt16: UInt16]? {
        guard saBody.count >= 16 else { return nil }
        let transform = 16 + Int(saBody[14])
        guard saBody.count >= transform + 8 else { return nil }
        let end = min(saBody.count, transform + Int(saBody.be16(transform + 2)))
        var offset = transform + 8
        var attributes: [UInt16: UInt16] = [:]
        while offset + 4 <= end {
            let type = saBody.be16(offset)
            if type & 0x8000 != 0 {
                attributes[type & 0x7fff] = saBody.be16(offset + 2)
                offset += 4
            } else {
                offset += 4 + Int(saBody.be16(offset + 2))
            }
        }
        return attributes
    }

    /// The ISAKMP messages of an Ethernet/IPv4 capture in frame order; on port 4500 the
    /// non-ESP marker is removed and ESP skipped. IKEv1 fragments (payload 132: ID (2),
    /// number (1), flags (1, bit 0 = last), data) are reassembled into the message they carry,
    /// reported at the frame of the last fragment.
    static func messages(capture path: String) throws -> [Message] {
        let reader = try CaptureReader(path: path)
        var frame = 0
        var out: [Message] = []
        var fragments: [UInt16: [UInt8: [UInt8]]] = [:]
        while case .packet(let header) = reader.next() {
            frame += 1
            let bytes = Array(reader.buffer[0..<min(header.capturedLength, reader.buffer.count)])
            guard bytes.count >= 42, bytes[12] == 0x08, bytes[13] == 0x00, bytes[23] == 17 else { continue }
            let udp = 14 + Int(bytes[14] & 0x0f) * 4
            guard bytes.count >= udp + 8 else { continue }
            let ports = [bytes.be16(udp), bytes.be16(udp + 2)]
            var start = udp + 8
            let end = min(bytes.count, udp + Int(bytes.be16(udp + 4)))
            if ports.contains(4500) {
                guard end - start >= 4, bytes[start..<(start + 4)].allSatisfy({ $0 == 0 }) else { continue }
                start += 4
            } else if !ports.contains(500) {
                continue
            }
            guard end - start >= 28 else { continue }
            let message = Array(bytes[start..<end])
            let source = Array(bytes[26..<30])
            if message[16] == 132, message.count >= 36 {
                let length = Int(message.be16(30))
                guard length >= 8, 28 + length <= message.count else { continue }
                let id = message.be16(32)
                fragments[id, default: [:]][message[34]] = Array(message[36..<(28 + length)])
                if message[35] & 1 != 0, let pieces = fragments.removeValue(forKey: id) {
                    out.append(
                        Message(frame: frame, source: source, bytes: pieces.keys.sorted().flatMap { pieces[$0]! }))
                }
                continue
            }
            out.append(Message(frame: frame, source: source, bytes: message))
        }
        return out
    }

    /// charon's `NAME => N bytes @ 0x...` dumps (ike/chd level 4), by name, in log order.
    static func charonDumps(_ path: String) throws -> [String: [[UInt8]]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var dumps: [String: [[UInt8]]] = [:]
        var current: (name: String, bytes: [UInt8])?
        func flush() {
            if let current { dumps[current.name, default: []].append(current.bytes) }
            current = nil
        }
        for line in text.split(separator: "\n") {
            guard let marker = line.range(of: "[IKE] ") ?? line.range(of: "[CHD] ") else {
                flush()
                continue
            }
            let rest = line[marker.upperBound...]
            if let arrow = rest.range(of: " => "), rest.contains(" bytes @ ") {
                flush()
                current = (String(rest[..<arrow.lowerBound]), [])
                continue
            }
            let trimmed = rest.drop(while: { $0 == " " })
            guard current != nil, let colon = trimmed.firstIndex(of: ":"), trimmed[..<colon].allSatisfy(\.isNumber)
            else {
                flush()
                continue
            }
            let hexPart = trimmed[trimmed.index(after: colon)...].prefix(49)
            for token in hexPart.split(separator: " ") where token.count == 2 {
                guard let byte = UInt8(token, radix: 16) else { break }
                current!.bytes.append(byte)
            }
        }
        flush()
        return dumps
    }
}

private func v1Code(_ body: () throws -> Void) -> IKEv1ProtectionCode? {
    do {
        try body()
        return nil
    } catch let error as IKEv1ProtectionError {
        return error.code
    } catch {
        return nil
    }
}

private func derivationCode(_ body: () throws -> Void) -> IKEKeyDerivationError.Code? {
    do {
        try body()
        return nil
    } catch let error as IKEKeyDerivationError {
        return error.code
    } catch {
        return nil
    }
}

extension Result where Failure == IKEv1ProtectionError {
    fileprivate var v1Code: IKEv1ProtectionCode? {
        if case .failure(let error) = self { return error.code }
        return nil
    }
}

private func v1SA(initiator: UInt64, responder: UInt64? = nil) -> IKESecurityAssociation {
    IKESecurityAssociation(
        version: .v1, initiatorSPI: initiator, responderSPI: responder, origin: SAOrigin(file: "test", line: 1))
}

/// IKEv1 (RFC 2409) key derivation, IV chains and message protection.
@Suite struct IKEv1CryptoTests {}

// MARK: - Hash, PRF and key derivation

extension IKEv1CryptoTests {
    @Suite struct KeyDerivation {
        @Test func hashAttributes() {
            // RFC 2409 Appendix A class 2; 4-6 from RFC 4868 / IANA; 3 is Tiger.
            #expect(IKEv1Hash(attribute: 1) == .md5)
            #expect(IKEv1Hash(attribute: 2) == .sha1)
            #expect(IKEv1Hash(attribute: 3) == nil)
            #expect(IKEv1Hash(attribute: 4) == .sha256)
            #expect(IKEv1Hash(attribute: 5) == .sha384)
            #expect(IKEv1Hash(attribute: 6) == .sha512)
            #expect(IKEv1Hash(attribute: 0) == nil)
            #expect(IKEv1Hash(attribute: 0xffff) == nil)
            for hash in IKEv1Hash.allCases {
                #expect(IKEv1Hash(attribute: hash.attributeValue) == hash)
                #expect(IKEv1Hash(prf: hash.prf) == hash)
            }
            #expect(IKEv1Hash(prf: .aesXCBC) == nil)
            #expect(IKEv1Hash.allCases.map(\.digestLength) == [16, 20, 32, 48, 64])
            #expect(IKEv1Hash.allCases.map(\.blockLength) == [64, 64, 64, 128, 128])
        }

        @Test func encryptionAttributes() {
            typealias D = IKEv1KeyDerivation
            #expect(D.encryptionAlgorithm(attribute: 1) == .des)
            #expect(D.encryptionAlgorithm(attribute: 5) == .tripleDES)
            #expect(D.encryptionAlgorithm(attribute: 7, keyLengthBits: 256) == .aesCBC(keyBits: 256))
            #expect(D.encryptionAlgorithm(attribute: 7) == nil)
            #expect(D.encryptionAlgorithm(attribute: 7, keyLengthBits: 100) == nil)
            #expect(D.encryptionAlgorithm(attribute: 3) == nil)
        }

        /// Values from the unit tests of RUB-NDS IPsec-StateMachineExtractor
        /// (`IKEv1HandshakeSessionSecretsTest`, Apache-2.0), an independent IKEv1 implementation
        /// tested against real peers: PSK "AAAA", HMAC-SHA1, AES-128, MODP-1024.
        struct RUBVector: Sendable, CustomTestStringConvertible {
            var name: String
            var cookieI: UInt64
            var cookieR: UInt64
            var ni: String
            var nr: String
            var gxi: String
            var gxr: String
            var gxy: String
            var skeyid: String
            var d: String
            var a: String
            var e: String
            var ka: String
            var iv0: String
            var hashR: String
            var testDescription: String { name }
        }

        static let saBody =
            "00000001000000010000002c01010001000000240101000080010007800e0080800200028004000280030001800b0001800c7080"
        static let idrBody = "010000000a00030a"

        static let rubVectors: [RUBVector] = [
            RUBVector(
                name: "testComputeSecretKeys", cookieI: 0x7116_900a_a5c2_880d, cookieR: 0x047a_d6f8_b3d0_abb7,
                ni: "4654fdd74594982a", nr: "3673e64987b4956dbb8b933399251a5abf88f557a723b802b345f838667e9a4e",
                gxi:
                    "75fb75db0749d4b15d9bb067b63399f790246dd7919d0c0a88fc34dd76eb9ad204e162b261914c0966a2d32d05178d4c0f0ec3817692fca675678f2fd2a6869188b943e33ad44cc859a5af98d6d5332c538cff4174ee737c8624de910cc40bd953f7940d1b2d8a681cee03c85199fbe773bfa100ffea5fcb82eed25a399b0b3e",
                gxr:
                    "2096a31ff922e5224d9d19f06a41e2d9aebe1180d4e5cbc3d6ea166e2b8810d5ddd048375025ae9bf895ad40c508cd8b9398bded0d00ae7e77c1a1eb31930495106892630152a926a45037606cda4651340082fc10558786b4d8c4e6d72222d580d9a30d9c3b7fe9c348a6eadc5e79a24fe4b4364297b5ff71914ef8a6980e73",
                gxy:
                    "19B67B23EB5F792EC9D7E11D16501CA20F2A2D0B230D525CD824DFB16867B515DC2CE9560B20B2149BFB360C1662C26A5AD7FE1FAA86E66213238C80B2ED46CCB821BF5043093027EB6E32C71685A093306DF20C24190C7F93947FA21E56D10E4C5B7063B2B4DC1747F1DF0BD46975D1825EEDE335E3ACBAD71A063CECF866C7",
                skeyid: "49856BC53F30DB8CE55F5BEFAE9E42431279550C", d: "E5D7368180A8766F09C90CC9AC15182D3CD492EE",
                a: "92DE109FE83047C95812B600820F1476CD24AA49", e: "DE5D24679AD21491E63E2D7173017769CD7B9BC5",
                ka: "DE5D24679AD21491E63E2D7173017769", iv0: "139568606DF1337CBCBC8FA7D201C8A8",
                hashR: "BA8C49CFD796BDC78E63FF6B5A858FC289DAD933"),
            RUBVector(
                name: "testComputeSecretKeysInformationalExchange", cookieI: 0xdc3f_1d74_52b2_c376,
                cookieR: 0x5f17_9692_62b7_829b,
                ni: "18eeeee5b29ef938", nr: "cf6306dcc088a94c1983462f97a3128ecdefbe4a1925cffddedd526215648099",
                gxi:
                    "a8b04c567a6bb3ab17da6a07f3f1667e6c70fb992ffe0a01dccc0877214c1936cc13a66aa97e4cd9ebfd61f6a7119859bba763255b54364d37a59f969d230f877cce6d77ca843e5f0cb24e354d51a429aabf75238f5a17ef5801f3b02d9f35dcd3562c35e6aeff67e9c71961f9313b6306c2c1adb428d6e70e713f894d9b7eda",
                gxr:
                    "7947cdf90ed5f07ca325c9c9e6de95a82e5728b2e1daf44866100723ad2bed0f09e8383cf89c7645c805c2942d4aebfa1b6c351a9666faa1f4988c3a557cb411a3b73fd3e094144e646ef5eb85118a61f06c6359e0f19b43a99720b49ae322155d462004be5e09140cfc843e0622c6735bc90ab730577fc311b23b25a8d283fa",
                gxy:
                    "9FC4267E99D40EE7AA19492615990548621EBED0AE925A0810C2F4BF30A100F6B13201BAC4595281E5F2FB6FAF56F9CDA292991B40B41A48CFBA7713140DE1784DBD525C0CB88A4D3B4B46D7CABD539CDD1E79EDE000420CFFE9ED8BCA0B2FE09208D9D3145F55F68CE0E3C6C479616B64F3EB451CD4CE268310BCDC766BA8A2",
                skeyid: "505E91CA4127FE30D9CAD15F6176E8C504D2D612", d: "571D06B00EDA6D375310377F3B3E0994A936E0F2",
                a: "1DE7B88B63DEEA0BB41374C6F9514F64B894E083", e: "84FAF4DF7DCEC32AC45F13A485E732632160F596",
                ka: "84FAF4DF7DCEC32AC45F13A485E73263", iv0: "0E09ED33BAC3584D1D10762A9BD026C1",
                hashR: "DDB2CF1067913E83EA6633B8B174BC8CE559B9D1"),
        ]

        @Test(arguments: rubVectors)
        func rubNDSVector(_ v: RUBVector) throws {
            typealias D = IKEv1KeyDerivation
            let skeyid = try D.skeyid(
                hash: .sha1, authentication: .preSharedKey(SecretBytes("AAAA".utf8)), nonceInitiator: unhex(v.ni),
                nonceResponder: unhex(v.nr), sharedSecret: unhex(v.gxy), initiatorCookie: v.cookieI,
                responderCookie: v.cookieR)
            #expect(hex(skeyid) == v.skeyid.lowercased())
            let keys = try D.skeyidKeys(
                hash: .sha1, skeyid: skeyid, sharedSecret: unhex(v.gxy), initiatorCookie: v.cookieI,
                responderCookie: v.cookieR)
            #expect(hex(keys.d) == v.d.lowercased())
            #expect(hex(keys.a) == v.a.lowercased())
            #expect(hex(keys.e) == v.e.lowercased())
            // AES-128 needs 16 bytes; a 20-byte SKEYID_e is long enough: no Appendix B expansion.
            #expect(hex(try D.encryptionKey(hash: .sha1, skeyidE: keys.e, length: 16)) == v.ka.lowercased())
            let state = try IKEv1IVState(
                hash: .sha1, keInitiator: unhex(v.gxi), keResponder: unhex(v.gxr), blockSize: 16)
            #expect(hex(state.ivForPhase1()) == v.iv0.lowercased())
            let hashR = try D.phase1Hash(
                hash: .sha1, skeyid: skeyid, sentByInitiator: false, keInitiator: unhex(v.gxi),
                keResponder: unhex(v.gxr),
                initiatorCookie: v.cookieI, responderCookie: v.cookieR,
                saInitiatorBody: unhex(Self.saBody), identityBody: unhex(Self.idrBody))
            #expect(hex(hashR) == v.hashR.lowercased())
            if v.name.contains("Informational") {
                // getIV(d8029d42): hash(phase-1 IV | M-ID), nothing encrypted yet.
                #expect(hex(try state.ivForExchange(messageID: 0xd802_9d42)) == "0bf60ed4c34fea8a12077a204dfd413f")
            }
        }

        /// SKEYID for signatures and public key encryption, against the RFC 2409 5 formulas
        /// built from the HMAC and digest primitives directly.
        @Test func skeyidVariants() throws {
            let ni = unhex("0102030405060708")
            let nr = unhex("a1a2a3a4a5a6a7a8a9")
            let gxy = [UInt8](repeating: 0x5a, count: 32)
            let signature = try IKEv1KeyDerivation.skeyid(
                hash: .sha256, authentication: .signature, nonceInitiator: ni, nonceResponder: nr,
                sharedSecret: gxy, initiatorCookie: 1, responderCookie: 2)
            let expectedSignature = try HMACContext(.sha256, key: ni + nr).fullMAC(
                data: gxy, range: 0..<gxy.count, trailer: [], trailerRange: 0..<0)
            #expect(signature == Array(expectedSignature.prefix(32)))
            let pke = try IKEv1KeyDerivation.skeyid(
                hash: .md5, authentication: .publicKeyEncryption, nonceInitiator: ni, nonceResponder: nr,
                sharedSecret: gxy, initiatorCookie: 0x0102_0304_0506_0708, responderCookie: 0x1112_1314_1516_1718)
            let cookies = unhex("01020304050607081112131415161718")
            let expectedPKE = try HMACContext(.md5, key: Digest.hash(.md5, ni + nr)).fullMAC(
                data: cookies, range: 0..<16, trailer: [], trailerRange: 0..<0)
            #expect(pke == Array(expectedPKE.prefix(16)))
        }

        /// RFC 2409 Appendix B: Ka = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e,
        /// Kn-1). Expected values computed with Python's hmac from the RFC text (SKEYID_e of the
        /// recorded handshake below), and rebuilt here from HMACContext.
        @Test func appendixBExpansion() throws {
            let skeyidE = unhex("6c40f4ee0189ebbfcdb7a4630732e95d6df312ab")
            let md5E = Array(skeyidE.prefix(16))
            // 3DES with MD5: 16 bytes of SKEYID_e for a 24-byte key.
            let tripleDES = try IKEv1KeyDerivation.encryptionKey(hash: .md5, skeyidE: md5E, length: 24)
            #expect(hex(tripleDES) == "f5d9cfaf163511b3520c29400f1ca132a6cabf8c1051f23c")
            let k1 = try HMACContext(.md5, key: md5E).fullMAC(data: [0], range: 0..<1, trailer: [], trailerRange: 0..<0)
                .prefix(16)
            let k2 = try HMACContext(.md5, key: md5E).fullMAC(
                data: Array(k1), range: 0..<16, trailer: [], trailerRange: 0..<0
            ).prefix(16)
            #expect(tripleDES == Array((k1 + k2).prefix(24)))
            // AES-256 and AES-192 with SHA-1 (20 bytes of SKEYID_e).
            #expect(
                hex(try IKEv1KeyDerivation.encryptionKey(hash: .sha1, skeyidE: skeyidE, length: 32))
                    == "5c654cf0a61590560da13fdd1854debe948d47f287670cfb6ec9d83bb134b5ad")
            #expect(
                hex(try IKEv1KeyDerivation.encryptionKey(hash: .sha1, skeyidE: skeyidE, length: 24))
                    == "5c654cf0a61590560da13fdd1854debe948d47f287670cfb")
            // Long enough: cut, not expanded.
            #expect(
                try IKEv1KeyDerivation.encryptionKey(hash: .sha1, skeyidE: skeyidE, length: 16)
                    == Array(skeyidE.prefix(16)))
            #expect(try IKEv1KeyDerivation.encryptionKey(hash: .sha1, skeyidE: skeyidE, length: 20) == skeyidE)
            #expect(try IKEv1KeyDerivation.encryptionKey(hash: .sha1, skeyidE: skeyidE, length: 0) == [])
        }

        /// RFC 2409 5.5 KEYMAT for the Quick Mode of the recorded handshake below (SKEYID_d,
        /// SPIs and nonces from its decrypted messages). Expected values computed with Python's
        /// hmac; the logged strongSwan keys in `StrongSwanFixtures` are the independent check.
        @Test func quickModeKeyMaterial() throws {
            let skeyidD = unhex("b24528d5c7857890c540b0bb67d472fcadb26133")
            let ni = unhex("695346ebcf35ab90")
            let nr = unhex("f7f30d166c81bbaec75d2d24cb08ffbdd99ae2c530699ca607f701af00fb69a4")
            func keymat(_ spi: String, _ g: [UInt8]? = nil) throws -> String {
                hex(
                    try IKEv1KeyDerivation.quickModeKeyMaterial(
                        hash: .sha1, skeyidD: skeyidD, protocolID: 3, spi: unhex(spi),
                        nonceInitiator: ni, nonceResponder: nr, sharedSecret: g, length: 36))
            }
            #expect(
                try keymat("b75ad16c") == "ee2d6de38f33b3705cc34cc0ce363db1bdd4116f6260e980f891dca5498d421d19ad66e5")
            #expect(
                try keymat("c6bf8b4d") == "7b37d7732a9d29267d354445dc11073e94b2d2b4b021c21a0073435ed53748f333332d42")
            #expect(
                try keymat("b75ad16c", [1, 2, 3])
                    == "a4e5bb743c996add42baa26f5a034dd72403df4302982de98b4500334937e5b822528524")
            // Shorter outputs are prefixes; the split puts the encryption key first.
            let full = try keymat("b75ad16c")
            #expect(
                hex(
                    try IKEv1KeyDerivation.quickModeKeyMaterial(
                        hash: .sha1, skeyidD: skeyidD, protocolID: 3, spi: unhex("b75ad16c"),
                        nonceInitiator: ni, nonceResponder: nr, length: 7)) == String(full.prefix(14)))
            let keys = try IKEv1KeyDerivation.quickModeKeys(
                hash: .sha1, skeyidD: skeyidD, protocolID: 3, spi: unhex("b75ad16c"),
                nonceInitiator: ni, nonceResponder: nr, encryptionKeyLength: 16, integrityKeyLength: 20)
            #expect(hex(keys.encryption) + hex(keys.integrity) == full)
            #expect(keys.encryption.count == 16 && keys.integrity.count == 20)
            #expect(
                try IKEv1KeyDerivation.quickModeKeyMaterial(
                    hash: .sha1, skeyidD: skeyidD, protocolID: 3, spi: [], nonceInitiator: ni,
                    nonceResponder: nr, length: 0) == [])
        }

        @Test func badLengthsAreTypedErrors() {
            typealias D = IKEv1KeyDerivation
            #expect(derivationCode { _ = try D.encryptionKey(hash: .md5, skeyidE: [1], length: -1) } == .invalidLength)
            #expect(
                derivationCode { _ = try D.encryptionKey(hash: .md5, skeyidE: [1], length: D.maxKeyMaterialLength + 1) }
                    == .invalidLength)
            #expect(
                derivationCode { _ = try D.encryptionKey(hash: .md5, skeyidE: [1], length: Int.max) } == .invalidLength)
            #expect(
                derivationCode {
                    _ = try D.quickModeKeyMaterial(
                        hash: .sha1, skeyidD: [1], protocolID: 3, spi: [], nonceInitiator: [],
                        nonceResponder: [], length: -5)
                } == .invalidLength)
            #expect(
                derivationCode {
                    _ = try D.quickModeKeys(
                        hash: .sha1, skeyidD: [1], protocolID: 3, spi: [], nonceInitiator: [], nonceResponder: [],
                        encryptionKeyLength: D.maxKeyMaterialLength, integrityKeyLength: 1)
                } == .invalidLength)
            #expect(
                derivationCode {
                    _ = try D.quickModeKeys(
                        hash: .sha1, skeyidD: [1], protocolID: 3, spi: [], nonceInitiator: [], nonceResponder: [],
                        encryptionKeyLength: Int.max, integrityKeyLength: Int.max)
                } == .invalidLength)
            #expect(
                derivationCode {
                    _ = try D.quickModeKeys(
                        hash: .sha1, skeyidD: [1], protocolID: 3, spi: [], nonceInitiator: [], nonceResponder: [],
                        encryptionKeyLength: -1, integrityKeyLength: 20)
                } == .invalidLength)
            // The longest allowed output works, with an empty key too.
            #expect(
                (try? D.encryptionKey(hash: .md5, skeyidE: [], length: D.maxKeyMaterialLength))?.count
                    == D.maxKeyMaterialLength)
        }
    }
}

// MARK: - IV state machine

extension IKEv1CryptoTests {
    @Suite struct IVState {
        static let keI = [UInt8](repeating: 0x11, count: 128)
        static let keR = [UInt8](repeating: 0x22, count: 128)

        func block(_ byte: UInt8, _ size: Int = 16) -> [UInt8] { [UInt8](repeating: byte, count: size) }

        @Test func chainsAsRFC2409AppendixBSays() throws {
            var state = try IKEv1IVState(hash: .sha256, keInitiator: Self.keI, keResponder: Self.keR, blockSize: 16)
            let initial = Array(try Digest.hash(.sha256, Self.keI + Self.keR).prefix(16))
            #expect(state.ivForPhase1() == initial)
            #expect(try state.ivForExchange(messageID: 0) == initial)
            try state.phase1MessageDecrypted(lastBlock: block(1))
            #expect(state.ivForPhase1() == block(1))
            try state.exchangeMessageDecrypted(messageID: 0, lastBlock: block(2))
            #expect(state.ivForPhase1() == block(2))
            // A phase-2 exchange starts at hash(last phase-1 block | M-ID), then chains.
            let mid: UInt32 = 0x0102_0304
            let start = Array(try Digest.hash(.sha256, block(2) + [1, 2, 3, 4]).prefix(16))
            #expect(try state.ivForExchange(messageID: mid) == start)
            try state.exchangeMessageDecrypted(messageID: mid, lastBlock: block(3))
            #expect(try state.ivForExchange(messageID: mid) == block(3))
            try state.exchangeMessageDecrypted(messageID: mid, lastBlock: block(4))
            #expect(try state.ivForExchange(messageID: mid) == block(4))
            // Another exchange is independent, and still starts from the last phase-1 block.
            #expect(
                try state.ivForExchange(messageID: 7)
                    == Array(try Digest.hash(.sha256, block(2) + [0, 0, 0, 7]).prefix(16)))
            #expect(state.ivForPhase1() == block(2))
            #expect(state.rememberedExchanges == [mid])
        }

        @Test func retransmissionsGetTheIVOfTheirFirstCopy() throws {
            var state = try IKEv1IVState(hash: .md5, keInitiator: Self.keI, keResponder: Self.keR, blockSize: 8)
            let mid: UInt32 = 42
            let iv1 = try state.ivForExchange(messageID: mid)
            try state.exchangeMessageDecrypted(messageID: mid, lastBlock: block(0xa1, 8))
            let iv2 = try state.ivForExchange(messageID: mid)
            try state.exchangeMessageDecrypted(messageID: mid, lastBlock: block(0xa2, 8))
            #expect(state.retransmissionIV(messageID: mid, lastBlock: block(0xa1, 8)) == iv1)
            #expect(state.retransmissionIV(messageID: mid, lastBlock: block(0xa2, 8)) == iv2)
            #expect(state.retransmissionIV(messageID: mid, lastBlock: block(0xa3, 8)) == nil)
            #expect(state.retransmissionIV(messageID: 43, lastBlock: block(0xa1, 8)) == nil)
            // Looking up does not advance anything.
            #expect(try state.ivForExchange(messageID: mid) == block(0xa2, 8))
            // Phase 1 too.
            let p1 = state.ivForPhase1()
            try state.phase1MessageDecrypted(lastBlock: block(0xb1, 8))
            #expect(state.retransmissionIV(messageID: 0, lastBlock: block(0xb1, 8)) == p1)
            // Advancing over a retransmission of the latest message leaves the chain where it was.
            try state.phase1MessageDecrypted(lastBlock: block(0xb1, 8))
            #expect(state.ivForPhase1() == block(0xb1, 8))
        }

        @Test func memoryIsBounded() throws {
            var state = try IKEv1IVState(hash: .sha1, keInitiator: Self.keI, keResponder: Self.keR, blockSize: 16)
            let count = IKEv1IVState.maxExchanges + 3
            for mid in 1...UInt32(count) {
                try state.exchangeMessageDecrypted(messageID: mid, lastBlock: block(UInt8(mid)))
            }
            #expect(state.rememberedExchanges == Array(4...UInt32(count)))
            // The forgotten exchange starts afresh; a kept one continues its chain.
            #expect(
                try state.ivForExchange(messageID: 1)
                    == Array(try Digest.hash(.sha1, state.ivForPhase1() + [0, 0, 0, 1]).prefix(16)))
            #expect(try state.ivForExchange(messageID: 4) == block(4))
            // Using an exchange makes it the most recent.
            try state.exchangeMessageDecrypted(messageID: 4, lastBlock: block(0xee))
            #expect(state.rememberedExchanges.last == 4)
            // Each chain remembers a bounded number of messages for retransmissions.
            for i in 0..<(IKEv1IVState.maxRememberedMessages + 2) {
                try state.phase1MessageDecrypted(lastBlock: block(0x80 + UInt8(i)))
            }
            #expect(state.retransmissionIV(messageID: 0, lastBlock: block(0x80)) == nil)
            #expect(state.retransmissionIV(messageID: 0, lastBlock: block(0x81)) == nil)
            #expect(state.retransmissionIV(messageID: 0, lastBlock: block(0x82)) == block(0x81))
        }

        @Test func badSizesAreTypedErrors() throws {
            #expect(
                v1Code { _ = try IKEv1IVState(hash: .md5, keInitiator: [], keResponder: [], blockSize: 0) }
                    == .badBlockSize)
            #expect(
                v1Code { _ = try IKEv1IVState(hash: .md5, keInitiator: [], keResponder: [], blockSize: -8) }
                    == .badBlockSize)
            #expect(
                v1Code { _ = try IKEv1IVState(hash: .md5, keInitiator: [], keResponder: [], blockSize: 17) }
                    == .badBlockSize)
            #expect(v1Code { _ = try IKEv1IVState(hash: .md5, phase1IV: []) } == .badBlockSize)
            #expect(
                v1Code { _ = try IKEv1IVState(hash: .md5, phase1IV: [UInt8](repeating: 0, count: 20)) } == .badBlockSize
            )
            var state = try IKEv1IVState(hash: .md5, phase1IV: block(9, 8))
            #expect(state.blockSize == 8)
            #expect(v1Code { try state.phase1MessageDecrypted(lastBlock: block(1, 16)) } == .badIVLength)
            #expect(v1Code { try state.exchangeMessageDecrypted(messageID: 5, lastBlock: []) } == .badIVLength)
            #expect(v1Code { try state.exchangeMessageDecrypted(messageID: 0, lastBlock: block(1, 7)) } == .badIVLength)
            // Nothing moved.
            #expect(state.ivForPhase1() == block(9, 8))
            #expect(state.rememberedExchanges.isEmpty)
        }
    }
}

// MARK: - A recorded Main Mode PSK handshake with a real responder

extension IKEv1CryptoTests {
    /// The Main Mode pre-shared-key handshake ("AAAA", AES-128-CBC, SHA-1, MODP-1024) and Quick
    /// Mode that RUB-NDS IPsec-StateMachineExtractor recorded against a real IKEv1 responder and
    /// replays in its `IKEv1HandshakeIT.testMainModePSKHandshake` (Apache-2.0). The initiator's
    /// DH private key is in that test; g^xy below was computed from it and the responder's KE
    /// (g^x of the private key equals the KE of message 3). The responder's HASH_R and HASH(2)
    /// were made by the real peer: matching them checks SKEYID, SKEYID_a, SKEYID_e, the phase-1
    /// IV, CBC chaining across directions and the phase-2 IV.
    @Suite struct RecordedHandshake {
        static let m1 = unhex(
            "59cedc5dcea558fe00000000000000000110020000000000000000540000003800000001000000010000002c00010001000000240001000080010007800e0080800200028004000280030001800b0001800c7080"
        )
        static let m2 = unhex(
            "59cedc5dcea558fe9e169842364452570110020000000000000000740d00003800000001000000010000002c00010001000000240101000080010007800e0080800200028004000280030001800b0001800c70800d00000c09002689dfd6b71200000014afcad71368a1f1c96b8696fc77570100"
        )
        static let m3 = unhex(
            "59cedc5dcea558fe9e169842364452570410020000000000000000ac0a000084b5fcea14e2593ee937054b98886ca43b00472167db154ff074e158e8b7fcae77ac35cef073698bfe63c99c6dd64ae25a95d55800a845a5db0640d1c3ea5bb8596cb0ffa5d4db0fd01e1875941b14ad4ac492fb5f6381db934664ad8493fe95aab7f1ff8976f329b5ea0f9ede244e906fb419353e878f2fa92ccd533ba33d79ee0000000c32ae9db36e7418a7"
        )
        static let m4 = unhex(
            "59cedc5dcea558fe9e169842364452570410020000000000000000c40a00008424bb23e799283854458c53d6d735ee8c099008c743c89900b312264d3d372e4ff3986d5890d43e5aa7f2c6adb910b302cddcdf773b74921f8ce0376a338a28d7569fb8d4dab85a799cc753bd7d2fd9a65d4e4b016ea9742349c0d8cb6271061e21f5d6af924fddf05fa3a0c83ce7a22074e779c4fee154a728a4c0d6488adbb300000024ce2b9ff5f8519260b6c8f153529bc5a43121e3aa57a3de7d0d63baba86679e57"
        )
        static let m5 = unhex(
            "59cedc5dcea558fe9e1698423644525705100201000000000000004cfabd2d66f56237c7810b25e185b0186559632459fde4ebb654970a62e83cdd47c9201aad89e40e9500d264aeaa968647"
        )
        static let m6 = unhex(
            "59cedc5dcea558fe9e1698423644525705100201000000000000004c56e985c35cd53530527480fcf20a9faa5a3d45465a20f67d48d3e9c55b09b72253d9030fe2f2cf3a3fa1eae37e3fccaa"
        )
        static let qm1 = unhex(
            "59cedc5dcea558fe9e1698423644525708102001259cf1330000009ce47a7db59b674dbad6139dd85fa848ed708f401a6d3a5f51cb2c7a536f5d66423c8f836ac940ae79ac8de022830196d280c0552a11d68afaceb75855fa45195c35332ffaef8e2bf2d43361b1d6e560927b67651ea2cab184dc27cb20c138e76529b62655bc127f196969fe16cb3229f049b07af51d3bf0c000747cd944c32e12"
        )
        static let qm2 = unhex(
            "59cedc5dcea558fe9e1698423644525708102001259cf133000000ac65d4e7d4b983b417b1e567e10fdec60810585f0954817b8192d9501141c458567ac84c42360176d59e7591ac45c4de7dad738657d49bbca9034247f7ab96dac4f43c3d6cccdeeeae62742cb5c79b5a4db4949504f21e96d38a0f75342b421688a1b62b7157ee7a154f2a0a7eef69138db52361827b50a3b62ce53347aee835bcea1a1ef0b1cc04ec7a167ccec3b4cd36"
        )
        static let qm3 = unhex(
            "59cedc5dcea558fe9e1698423644525708102001259cf1330000003cf0fa3ae90bfec0179ffa8592af60cf2febe9f682f629e83e497b8644ae726c1c"
        )
        static let gxy = unhex(
            "00e029653a38618eb495ddb60cc745aafca3233c4058a5988aa9cf57dec9a601a808af1fa6cc4dd49b12f4d991e9488805dd36483d26223c46b5061f279d1b808f4d84abae6c3a0773dfb552e05e85e64de96c36e298a00513a67df5c34508138d2c150607fb1636ef6832d93812ea77dcf0935b6e91de94c063a66b4bb184d6"
        )

        /// Everything the handshake needs, derived from the messages and g^xy.
        struct Session {
            var protection: IKEv1MessageProtection
            var state: IKEv1IVState
            var keI: [UInt8]
            var keR: [UInt8]
            var saI: [UInt8]
            var hash: IKEv1Hash
        }

        static func session() throws -> Session {
            let cookieI = IKEv1CryptoWire.be64(m1, 0)
            let cookieR = IKEv1CryptoWire.be64(m2, 8)
            let p1 = try #require(IKEv1CryptoWire.clearPayloads(m1))
            let p2 = try #require(IKEv1CryptoWire.clearPayloads(m2))
            let p3 = try #require(IKEv1CryptoWire.clearPayloads(m3))
            let p4 = try #require(IKEv1CryptoWire.clearPayloads(m4))
            // The negotiated attributes, from the responder's SA.
            let attributes = try #require(IKEv1CryptoWire.transformAttributes(try IKEv1CryptoWire.need(1, in: p2).body))
            let hash = try #require(IKEv1Hash(attribute: attributes[2] ?? 0))
            let encryption = try #require(
                IKEv1KeyDerivation.encryptionAlgorithm(attribute: attributes[1] ?? 0, keyLengthBits: attributes[14]))
            #expect(hash == .sha1)
            #expect(encryption == .aesCBC(keyBits: 128))
            #expect(attributes[3] == 1)  // pre-shared key
            let keI = try IKEv1CryptoWire.need(4, in: p3).body
            let keR = try IKEv1CryptoWire.need(4, in: p4).body
            let ni = try IKEv1CryptoWire.need(10, in: p3).body
            let nr = try IKEv1CryptoWire.need(10, in: p4).body
            let skeyid = try IKEv1KeyDerivation.skeyid(
                hash: hash, authentication: .preSharedKey(SecretBytes("AAAA".utf8)), nonceInitiator: ni,
                nonceResponder: nr, sharedSecret: gxy, initiatorCookie: cookieI, responderCookie: cookieR)
            let keys = try IKEv1KeyDerivation.skeyidKeys(
                hash: hash, skeyid: skeyid, sharedSecret: gxy, initiatorCookie: cookieI, responderCookie: cookieR)
            #expect(hex(skeyid) == "aafa545facee66f62e9492f83a131a30899231a9")
            var sa = v1SA(initiator: cookieI, responder: cookieR)
            sa.skeyid = skeyid
            sa.skeyidD = keys.d
            sa.skeyidA = keys.a
            sa.skeyidE = keys.e
            // The SA has no algorithms (as from a key file without them): taken from the attributes.
            let protection = try IKEv1MessageProtection(sa: sa, encryption: encryption, hash: hash)
            let state = try IKEv1IVState(
                hash: hash, keInitiator: keI, keResponder: keR, blockSize: protection.blockSize)
            return Session(
                protection: protection, state: state, keI: keI, keR: keR, saI: try IKEv1CryptoWire.need(1, in: p1).body,
                hash: hash)
        }

        @Test func mainModeAndQuickModeDecryptAndVerify() throws {
            var s = try Self.session()
            let p = s.protection
            // Main Mode 5 (initiator) and 6 (responder): one CBC chain across both directions.
            let mm5 = try p.decrypt(message: Self.m5, messageRange: 0..<Self.m5.count, iv: s.state.ivForPhase1()).get()
            try s.state.phase1MessageDecrypted(lastBlock: mm5.lastCiphertextBlock)
            let mm6 = try p.decrypt(message: Self.m6, messageRange: 0..<Self.m6.count, iv: s.state.ivForPhase1()).get()
            try s.state.phase1MessageDecrypted(lastBlock: mm6.lastCiphertextBlock)
            #expect(mm5.lastCiphertextBlock == Array(Self.m5.suffix(16)))
            for (plaintext, fromInitiator) in [(mm5, true), (mm6, false)] {
                let payloads = try #require(IKEv1CryptoWire.payloads(plaintext))
                #expect(payloads.map(\.type) == [5, 8])
                #expect(plaintext.padding.allSatisfy { $0 == 0 } && plaintext.padding.count == 12)
                let id = payloads[0].body
                let received = payloads[1].body
                let computed = try p.phase1Hash(
                    sentByInitiator: fromInitiator, keInitiator: s.keI, keResponder: s.keR,
                    saInitiatorBody: s.saI, identityBody: id)
                #expect(
                    IKEv1MessageProtection.hashesMatch(computed, received[...]), "HASH_\(fromInitiator ? "I" : "R")")
            }
            // Quick Mode: the IV of M-ID 0x259cf133 comes from MM6's last block.
            let mid = IKEv1CryptoWire.be32(Self.qm1, 20)
            #expect(
                try s.state.ivForExchange(messageID: mid)
                    == Array(try Digest.hash(.sha1, mm6.lastCiphertextBlock + [0x25, 0x9c, 0xf1, 0x33]).prefix(16)))
            var plaintexts: [IKEv1Plaintext] = []
            for message in [Self.qm1, Self.qm2, Self.qm3] {
                let plaintext = try p.decrypt(
                    message: message, messageRange: 0..<message.count, iv: try s.state.ivForExchange(messageID: mid)
                ).get()
                try s.state.exchangeMessageDecrypted(messageID: mid, lastBlock: plaintext.lastCiphertextBlock)
                #expect(plaintext.messageID == mid)
                plaintexts.append(plaintext)
            }
            let q1 = try #require(IKEv1CryptoWire.payloads(plaintexts[0]))
            let q2 = try #require(IKEv1CryptoWire.payloads(plaintexts[1]))
            #expect(q1.map(\.type) == [8, 1, 10, 5, 5])
            #expect(q2.map(\.type) == [8, 1, 10, 5, 5])
            #expect(try #require(IKEv1CryptoWire.payloads(plaintexts[2])).map(\.type) == [8])
            let ni = try IKEv1CryptoWire.need(10, in: q1).body
            let nr = try IKEv1CryptoWire.need(10, in: q2).body
            #expect(try p.verifyHash(kind: .quickMode1, plaintext: plaintexts[0]) == .ok)
            #expect(try p.verifyHash(kind: .quickMode2, plaintext: plaintexts[1], nonceInitiator: ni) == .ok)
            #expect(
                try p.verifyHash(kind: .quickMode3, plaintext: plaintexts[2], nonceInitiator: ni, nonceResponder: nr)
                    == .ok)
            // The wrong kind, nonce or message ID fails.
            #expect(v1Code { _ = try p.verifyHash(kind: .quickMode1, plaintext: plaintexts[1]) } == .hashMismatch)
            #expect(
                v1Code {
                    _ = try p.verifyHash(
                        kind: .quickMode3, plaintext: plaintexts[2], nonceInitiator: nr, nonceResponder: ni)
                } == .hashMismatch)
            var otherID = plaintexts[0]
            otherID.messageID ^= 1
            #expect(v1Code { _ = try p.verifyHash(kind: .quickMode1, plaintext: otherID) } == .hashMismatch)
            // The SPIs the two sides chose, and the KEYMAT of each (see quickModeKeyMaterial).
            let spiI = try #require(IKEv1CryptoWire.proposalSPI(try IKEv1CryptoWire.need(1, in: q1).body))
            let spiR = try #require(IKEv1CryptoWire.proposalSPI(try IKEv1CryptoWire.need(1, in: q2).body))
            #expect(hex(spiI.spi) == "b75ad16c" && spiI.protocolID == 3)
            #expect(hex(spiR.spi) == "c6bf8b4d" && spiR.protocolID == 3)
            #expect(hex(ni) == "695346ebcf35ab90")
            #expect(hex(p.sa.skeyidD) == "b24528d5c7857890c540b0bb67d472fcadb26133")
        }

        @Test func aSecondProtectionDerivesTheSameKeyFromTheEncryptionKey() throws {
            let s = try Self.session()
            // A key file that gives the phase-1 encryption key (as Wireshark's table does).
            var sa = v1SA(initiator: s.protection.sa.initiatorSPI)
            sa.ikev1EncryptionKey = try IKEv1KeyDerivation.encryptionKey(
                hash: .sha1, skeyidE: s.protection.sa.skeyidE, length: 16)
            sa.encryption = .aesCBC(keyBits: 128)
            let direct = try IKEv1MessageProtection(sa: sa)
            #expect(direct.hash == nil)
            let viaSKEYID = try s.protection.decrypt(
                message: Self.m5, messageRange: 0..<Self.m5.count, iv: s.state.ivForPhase1()
            ).get()
            #expect(
                try direct.decrypt(message: Self.m5, messageRange: 0..<Self.m5.count, iv: s.state.ivForPhase1()).get()
                    == viaSKEYID)
            // Without SKEYID_a or a hash, HASH payloads are unchecked (and cannot be computed).
            #expect(
                v1Code { _ = try direct.quickModeHash(kind: .quickMode1, messageID: 1, payloadsAfterHash: []) }
                    == .missingKeys)
            #expect(
                v1Code {
                    _ = try direct.phase1Hash(
                        sentByInitiator: true, keInitiator: [], keResponder: [], saInitiatorBody: [], identityBody: [])
                } == .missingKeys)
        }

        /// The IVs the handshake's encrypted messages were decrypted with, in order (MM5, MM6,
        /// QM1-3), and the Quick Mode nonces.
        static func ivs(_ s: inout Session) throws -> (ivs: [[UInt8]], nonces: [[UInt8]]) {
            var ivs: [[UInt8]] = []
            var nonces: [[UInt8]] = []
            let mid = IKEv1CryptoWire.be32(qm1, 20)
            for message in [m5, m6, qm1, qm2, qm3] {
                let messageID = IKEv1CryptoWire.be32(message, 20)
                let iv = try s.state.ivForExchange(messageID: messageID)
                ivs.append(iv)
                let plaintext = try s.protection.decrypt(message: message, messageRange: 0..<message.count, iv: iv)
                    .get()
                if messageID == mid,
                    let nonce = IKEv1CryptoWire.payloads(plaintext).flatMap({ IKEv1CryptoWire.first(10, in: $0) })
                {
                    nonces.append(nonce.body)
                }
                try s.state.exchangeMessageDecrypted(messageID: messageID, lastBlock: plaintext.lastCiphertextBlock)
            }
            return (ivs, nonces)
        }

        /// Every corruption of a Quick Mode ciphertext byte is caught: the chain no longer fits,
        /// or the HASH does not match. Nothing traps.
        @Test func everyCiphertextByteFlipIsDetected() throws {
            var s = try Self.session()
            let (ivs, nonces) = try Self.ivs(&s)
            let kinds: [IKEv1HashKind] = [.quickMode1, .quickMode2, .quickMode3]
            var outcomes: [IKEv1ProtectionCode: Int] = [:]
            for (index, message) in [Self.qm1, Self.qm2, Self.qm3].enumerated() {
                for offset in 28..<message.count {
                    var damaged = message
                    damaged[offset] ^= 0x01
                    switch s.protection.decrypt(message: damaged, messageRange: 0..<damaged.count, iv: ivs[2 + index]) {
                    case .failure(let error):
                        #expect(error.code == .malformedPlaintext)
                        outcomes[error.code, default: 0] += 1
                    case .success(let plaintext):
                        let code = v1Code {
                            _ = try s.protection.verifyHash(
                                kind: kinds[index], plaintext: plaintext,
                                nonceInitiator: nonces[0], nonceResponder: nonces[1])
                        }
                        #expect(code == .hashMismatch || code == .noHashPayload, "offset \(offset) of QM\(index + 1)")
                        outcomes[code ?? .crypto, default: 0] += 1
                    }
                }
            }
            #expect(outcomes[.crypto] == nil)
            #expect((outcomes[.hashMismatch] ?? 0) > 0 && (outcomes[.malformedPlaintext] ?? 0) > 0)
        }

        /// Truncating a message at every length, with the header's Length left alone or fixed
        /// up, gives the specific error for that length.
        @Test func truncationAtEveryLength() throws {
            var s = try Self.session()
            let (ivs, _) = try Self.ivs(&s)
            for (message, iv) in [(Self.m5, ivs[0]), (Self.qm1, ivs[2]), (Self.qm3, ivs[4])] {
                for length in 0..<message.count {
                    let cut = Array(message.prefix(length))
                    let result = s.protection.decrypt(message: cut, messageRange: 0..<cut.count, iv: iv)
                    #expect(
                        result.v1Code == (length < 28 ? .messageTruncated : .headerLengthMismatch), "length \(length)")
                    #expect(
                        s.protection.lastCiphertextBlock(message: cut, messageRange: 0..<cut.count).v1Code
                            == result.v1Code)
                    guard length >= 28 else { continue }
                    var fixed = cut
                    fixed.setBE32(24, UInt32(length))
                    // A cut on a block boundary decrypts, but the payload chain no longer fits.
                    let expected: IKEv1ProtectionCode =
                        length == 28
                        ? .noCiphertext
                        : (length - 28) % 16 != 0 ? .notBlockAligned : .malformedPlaintext
                    #expect(
                        s.protection.decrypt(message: fixed, messageRange: 0..<fixed.count, iv: iv).v1Code == expected,
                        "fixed length \(length)")
                }
            }
        }

        @Test func headerChecks() throws {
            let s = try Self.session()
            let p = s.protection
            let iv = s.state.ivForPhase1()
            let m = Self.m5
            #expect(p.decrypt(message: m, messageRange: 0..<(m.count + 1), iv: iv).v1Code == .badRange)
            #expect(p.decrypt(message: m, messageRange: -1..<m.count, iv: iv).v1Code == .badRange)
            var v2 = m
            v2[17] = 0x20
            #expect(p.decrypt(message: v2, messageRange: 0..<v2.count, iv: iv).v1Code == .badVersion)
            var clear = m
            clear[19] = 0
            #expect(p.decrypt(message: clear, messageRange: 0..<clear.count, iv: iv).v1Code == .notEncrypted)
            var short = m
            short.setBE32(24, 27)
            #expect(p.decrypt(message: short, messageRange: 0..<short.count, iv: iv).v1Code == .headerLengthMismatch)
            var long = m
            long.setBE32(24, UInt32.max)
            #expect(p.decrypt(message: long, messageRange: 0..<long.count, iv: iv).v1Code == .headerLengthMismatch)
            for badIV in [[], [UInt8](repeating: 0, count: 8), [UInt8](repeating: 0, count: 17)] {
                #expect(p.decrypt(message: m, messageRange: 0..<m.count, iv: badIV).v1Code == .badIVLength)
            }
            // Bytes past the header's Length are ignored (strongSwan's reassembled fragments carry
            // some); a message inside a larger buffer is found by its range.
            let padded = [0xee, 0xee] + m + [1, 2, 3]
            let inside = try p.decrypt(message: padded, messageRange: 2..<padded.count, iv: iv).get()
            #expect(inside == (try p.decrypt(message: m, messageRange: 0..<m.count, iv: iv).get()))
            #expect(
                try p.lastCiphertextBlock(message: padded, messageRange: 2..<padded.count).get() == Array(m.suffix(16)))
        }

        @Test func verifyHashNeedsAHashPayloadFirst() throws {
            let s = try Self.session()
            let mm5 = try s.protection.decrypt(
                message: Self.m5, messageRange: 0..<Self.m5.count, iv: s.state.ivForPhase1()
            ).get()
            #expect(v1Code { _ = try s.protection.verifyHash(kind: .informational, plaintext: mm5) } == .noHashPayload)
            let handMade = IKEv1Plaintext(
                firstPayloadType: 8, messageID: 1, decrypted: [0, 0, 0, 2], payloadsLength: 4, lastCiphertextBlock: [])
            #expect(
                v1Code { _ = try s.protection.verifyHash(kind: .informational, plaintext: handMade) } == .noHashPayload)
            let tooShort = IKEv1Plaintext(
                firstPayloadType: 8, messageID: 1, decrypted: [0, 0], payloadsLength: 2, lastCiphertextBlock: [])
            #expect(
                v1Code { _ = try s.protection.verifyHash(kind: .informational, plaintext: tooShort) } == .noHashPayload)
            let overlong = IKEv1Plaintext(
                firstPayloadType: 8, messageID: 1, decrypted: [0, 0, 0, 4], payloadsLength: 9, lastCiphertextBlock: [])
            #expect(
                v1Code { _ = try s.protection.verifyHash(kind: .informational, plaintext: overlong) } == .noHashPayload)
            // Hand-made values cannot make the slices trap.
            #expect(overlong.payloads.count == 4 && overlong.padding.isEmpty)
            let negative = IKEv1Plaintext(
                firstPayloadType: 8, messageID: 1, decrypted: [0, 0, 0, 4], payloadsLength: -3, lastCiphertextBlock: [])
            #expect(negative.payloads.isEmpty && negative.padding.count == 4)
            #expect(
                v1Code { _ = try s.protection.verifyHash(kind: .informational, plaintext: negative) } == .noHashPayload)
        }
    }
}

// MARK: - SA setup, round trips

extension IKEv1CryptoTests {
    @Suite struct ProtectionSetup {
        @Test func initErrors() {
            var v2 = v1SA(initiator: 1)
            v2.version = .v2
            v2.ikev1EncryptionKey = SecretBytes([UInt8](repeating: 1, count: 16))
            #expect(v1Code { _ = try IKEv1MessageProtection(sa: v2, encryption: .aesCBC(keyBits: 128)) } == .notIKEv1SA)
            var sa = v1SA(initiator: 1)
            sa.ikev1EncryptionKey = SecretBytes([UInt8](repeating: 1, count: 16))
            #expect(v1Code { _ = try IKEv1MessageProtection(sa: sa) } == .unsupportedAlgorithm)
            for unsupported in [
                IKEEncryptionAlgorithm.aesGCM(keyBits: 128, icvLength: 16), .aesCTR(keyBits: 128), .null,
                .chaCha20Poly1305,
                .other("camellia"), .aesCBC(keyBits: 100),
            ] {
                #expect(
                    v1Code { _ = try IKEv1MessageProtection(sa: sa, encryption: unsupported) } == .unsupportedAlgorithm)
            }
            #expect(v1Code { _ = try IKEv1MessageProtection(sa: sa, encryption: .tripleDES) } == .badKeyLength)
            #expect(
                v1Code { _ = try IKEv1MessageProtection(sa: sa, encryption: .aesCBC(keyBits: 256)) } == .badKeyLength)
            #expect(
                v1Code { _ = try IKEv1MessageProtection(sa: v1SA(initiator: 1), encryption: .aesCBC(keyBits: 128)) }
                    == .missingKeys)
            var onlySKEYIDe = v1SA(initiator: 1)
            onlySKEYIDe.skeyidE = SecretBytes([UInt8](repeating: 3, count: 16))
            #expect(v1Code { _ = try IKEv1MessageProtection(sa: onlySKEYIDe, encryption: .tripleDES) } == .missingHash)
            // The SA's PRF names the hash when the caller does not.
            onlySKEYIDe.prf = .hmacMD5
            #expect((try? IKEv1MessageProtection(sa: onlySKEYIDe, encryption: .tripleDES))?.hash == .md5)
            onlySKEYIDe.prf = .aesCMAC
            #expect(v1Code { _ = try IKEv1MessageProtection(sa: onlySKEYIDe, encryption: .tripleDES) } == .missingHash)
            // The key file's algorithm wins over the negotiated one.
            var named = sa
            named.encryption = .aesCBC(keyBits: 128)
            #expect(
                (try? IKEv1MessageProtection(sa: named, encryption: .tripleDES))?.encryption == .aesCBC(keyBits: 128))
        }

        static let header = unhex(
            "0102030405060708" + "1112131415161718" + "08" + "10" + "20" + "00" + "deadbeef" + "00000000")

        @Test(.enabled(if: legacyCiphersAvailable(), "OpenSSL's legacy provider (DES) is not installed"))
        func roundTripDES() throws { try roundTrip(.des) }

        @Test(arguments: [
            IKEEncryptionAlgorithm.aesCBC(keyBits: 128), .aesCBC(keyBits: 192), .aesCBC(keyBits: 256), .tripleDES,
        ])
        func roundTrip(_ encryption: IKEEncryptionAlgorithm) throws {
            var sa = v1SA(initiator: 0x0102_0304_0506_0708, responder: 0x1112_1314_1516_1718)
            sa.skeyidE = SecretBytes([UInt8](repeating: 7, count: 20))
            sa.skeyidA = SecretBytes([UInt8](repeating: 9, count: 20))
            sa.encryption = encryption
            sa.prf = .hmacSHA1
            let p = try IKEv1MessageProtection(sa: sa)
            #expect(p.blockSize == (encryption == .tripleDES || encryption == .des ? 8 : 16))
            // An Informational: HASH(1) over M-ID | N.
            let notify = unhex("0000001000000001030400017fffffff")
            let hashValue = try p.quickModeHash(
                kind: .informational, messageID: 0xdead_beef, payloadsAfterHash: notify[...])
            let payloads = [11, 0, 0, UInt8(4 + hashValue.count)] + hashValue + notify
            let iv = [UInt8](repeating: 0x42, count: p.blockSize)
            for padding in [nil, p.blockSize * 2] as [Int?] {
                let message = try p.encrypt(
                    header: Self.header, payloads: payloads, iv: iv,
                    paddingLength: padding.map { $0 + (p.blockSize - payloads.count % p.blockSize) % p.blockSize })
                #expect(message[19] & 1 == 1)
                #expect(Int(IKEv1CryptoWire.be32(message, 24)) == message.count)
                let plaintext = try p.decrypt(message: message, messageRange: 0..<message.count, iv: iv).get()
                #expect(Array(plaintext.payloads) == payloads)
                #expect(plaintext.padding.allSatisfy { $0 == 0 })
                #expect(plaintext.messageID == 0xdead_beef)
                #expect(plaintext.firstPayloadType == 8)
                #expect(try p.verifyHash(kind: .informational, plaintext: plaintext) == .ok)
                #expect(plaintext.lastCiphertextBlock == Array(message.suffix(p.blockSize)))
                // Another IV changes the first block only (XOR with the IVs' difference): here
                // the HASH payload's length no longer fits.
                let other = [UInt8](repeating: 0x55, count: p.blockSize)
                #expect(
                    p.decrypt(message: message, messageRange: 0..<message.count, iv: other).v1Code
                        == .malformedPlaintext)
            }
            #expect(v1Code { _ = try p.encrypt(header: [1, 2, 3], payloads: payloads, iv: iv) } == .messageTruncated)
            #expect(v1Code { _ = try p.encrypt(header: Self.header, payloads: payloads, iv: [1]) } == .badIVLength)
            #expect(
                v1Code { _ = try p.encrypt(header: Self.header, payloads: payloads, iv: iv, paddingLength: 1) }
                    == .notBlockAligned)
            #expect(
                v1Code { _ = try p.encrypt(header: Self.header, payloads: payloads, iv: iv, paddingLength: -16) }
                    == .notBlockAligned)
            #expect(
                v1Code { _ = try p.encrypt(header: Self.header, payloads: payloads, iv: iv, paddingLength: Int.max) }
                    == .notBlockAligned)
        }

        /// A payload chain must fit: lengths below the header, past the end, too many payloads.
        @Test func malformedChains() throws {
            var sa = v1SA(initiator: 1)
            sa.ikev1EncryptionKey = SecretBytes([UInt8](repeating: 5, count: 16))
            let p = try IKEv1MessageProtection(sa: sa, encryption: .aesCBC(keyBits: 128))
            let iv = [UInt8](repeating: 0, count: 16)
            func code(_ payloads: [UInt8], first: UInt8 = 11) throws -> IKEv1ProtectionCode? {
                var header = ProtectionSetup.header
                header[16] = first
                let message = try p.encrypt(header: header, payloads: payloads, iv: iv)
                return p.decrypt(message: message, messageRange: 0..<message.count, iv: iv).v1Code
            }
            #expect(try code([0, 0, 0, 3]) == .malformedPlaintext)
            #expect(try code([0, 0, 0, 17]) == .malformedPlaintext)
            #expect(try code([0, 0, 0, 16] + [UInt8](repeating: 0, count: 12)) == nil)
            #expect(try code([11, 0, 0, 4] + [0, 0, 0, 4], first: 11) == nil)
            // A chain still going at the end of the plaintext.
            #expect(try code([11, 0, 0, 16] + [UInt8](repeating: 0, count: 12)) == .malformedPlaintext)
            // No payloads at all (Next Payload 0 in the header) is an empty, well-formed chain.
            #expect(try code([0, 0, 0, 0], first: 0) == nil)
            // More than maxPayloads payloads of 4 bytes.
            let many: [UInt8] = (0..<(IKEv1MessageProtection.maxPayloads + 1)).flatMap { _ in [UInt8(11), 0, 0, 4] }
            #expect(try code(many) == .malformedPlaintext)
            let enough: [UInt8] = (0..<IKEv1MessageProtection.maxPayloads).flatMap { i in
                [UInt8(i == IKEv1MessageProtection.maxPayloads - 1 ? 0 : 11), 0, 0, 4]
            }
            #expect(try code(enough) == nil)
        }
    }
}

// MARK: - Wireshark's ikev1-certs.pcap

extension IKEv1CryptoTests {
    /// The corpus capture `ikev1-certs.pcap`: Main Mode with RSA certificates, 3DES-CBC and MD5,
    /// then Quick Mode with PFS; keyed by Wireshark's `ikev1_decryption_table` (initiator cookie,
    /// encryption key). Frame 8 retransmits frame 7 (same bytes).
    @Suite(.enabled(if: Paths.corpusPresent, "the shared corpus is not beside the repository"))
    struct WiresharkCapture {
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
            let fm = FileManager.default
            let home = NSTemporaryDirectory() + "spiglass-ikev1-\(UUID().uuidString)"
            defer { try? fm.removeItem(atPath: home) }
            let config = home + "/.config/wireshark"
            try fm.createDirectory(atPath: config, withIntermediateDirectories: true)
            try fm.copyItem(atPath: Paths.corpus(Self.table), toPath: config + "/ikev1_decryption_table")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Tshark.path!)
            process.arguments = ["-r", Paths.corpus(Self.capture), "-x"]
            var environment = ProcessInfo.processInfo.environment
            environment["HOME"] = home
            environment["XDG_CONFIG_HOME"] = home + "/.config"
            process.environment = environment
            let stdout = Pipe()
            process.standardOutput = stdout
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = stdout.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            // One block of hex panes per frame, separated by blank lines; the decrypted pane is
            // introduced by "Decrypted IKE (N bytes):".
            let frames = String(decoding: data, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty }
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
}

// MARK: - strongSwan fixtures with logged keys

extension IKEv1CryptoTests {
    /// The strongSwan 5.9 IKEv1 fixtures (`Fixtures/strongswan-ikev1/<case>/`): both daemons
    /// logged SKEYID*, Ka, the initial IV, the IV after every message ("next IV for MID"), the
    /// Quick Mode DH secrets and every ESP key. For each case: Ka from SKEYID_e (Appendix B), the
    /// phase-1 IV from the KE payloads, every encrypted message decrypted through the IV state,
    /// the IV state against the logged IVs, every HASH (phase 1 with pre-shared keys, Quick Mode,
    /// Informational, Transaction) verified, and the ESP keys derived from SKEYID_d (KEYMAT)
    /// compared with the logged ones.
    @Suite(.enabled(if: Paths.exists(Paths.fixture("strongswan-ikev1")), "no IKEv1 strongSwan fixtures"))
    struct StrongSwanFixtures {
        static let root = Paths.fixture("strongswan-ikev1")
        /// Cases handled on their own (see below).
        static let special: Set<String> = ["wrong-psk", "no-proposal"]

        static let cases: [String] = {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            return names.sorted().filter { name in
                let dir = root + "/" + name
                return !special.contains(name) && Paths.exists(dir + "/capture.pcap")
                    && Paths.exists(dir + "/charon-A.log") && Paths.exists(dir + "/charon-B.log")
            }
        }()

        struct Phase1 {
            var initiator: [UInt8]
            var cookieI: UInt64
            var cookieR: UInt64
            var attributes: [UInt16: UInt16]
            var hash: IKEv1Hash
            var encryption: IKEEncryptionAlgorithm
            var keyLength: Int
            var blockSize: Int
            var keI: [UInt8]
            var keR: [UInt8]
            var saI: [UInt8]
        }

        static func phase1(_ messages: [IKEv1CryptoWire.Message]) throws -> Phase1 {
            let initiator = try #require(messages.first).source
            var attributes: [UInt16: UInt16]?
            var keI: [UInt8]?
            var keR: [UInt8]?
            var saI: [UInt8]?
            for message in messages where !message.encrypted && message.messageID == 0 {
                guard let payloads = IKEv1CryptoWire.clearPayloads(message.bytes) else { continue }
                let fromInitiator = message.source == initiator
                if let sa = IKEv1CryptoWire.first(1, in: payloads) {
                    if fromInitiator {
                        saI = saI ?? sa.body
                    } else {
                        attributes = attributes ?? IKEv1CryptoWire.transformAttributes(sa.body)
                    }
                }
                if let ke = IKEv1CryptoWire.first(4, in: payloads) {
                    if fromInitiator { keI = keI ?? ke.body } else { keR = keR ?? ke.body }
                }
            }
            let chosen = try #require(attributes)
            let hash = try #require(IKEv1Hash(attribute: chosen[2] ?? 0))
            let encryption = try #require(
                IKEv1KeyDerivation.encryptionAlgorithm(attribute: chosen[1] ?? 0, keyLengthBits: chosen[14]))
            let (keyLength, blockSize): (Int, Int)
            switch encryption {
            case .des: (keyLength, blockSize) = (8, 8)
            case .tripleDES: (keyLength, blockSize) = (24, 8)
            case .aesCBC(let bits): (keyLength, blockSize) = (bits / 8, 16)
            default: throw IKEv1ProtectionError(.unsupportedAlgorithm, "\(encryption)")
            }
            let first = messages[0].bytes
            let answer = try #require(messages.first { $0.source != initiator }).bytes
            return Phase1(
                initiator: initiator, cookieI: IKEv1CryptoWire.be64(first, 0), cookieR: IKEv1CryptoWire.be64(answer, 8),
                attributes: chosen, hash: hash,
                encryption: encryption, keyLength: keyLength, blockSize: blockSize,
                keI: try #require(keI), keR: try #require(keR), saI: try #require(saI))
        }

        static func sa(_ p: Phase1, _ log: [String: [[UInt8]]]) throws -> IKESecurityAssociation {
            var sa = v1SA(initiator: p.cookieI, responder: p.cookieR)
            sa.skeyid = SecretBytes(try #require(log["SKEYID"]?.first))
            sa.skeyidD = SecretBytes(try #require(log["SKEYID_d"]?.first))
            sa.skeyidA = SecretBytes(try #require(log["SKEYID_a"]?.first))
            sa.skeyidE = SecretBytes(try #require(log["SKEYID_e"]?.first))
            return sa
        }

        @Test func fixturesAreFound() {
            #expect(Self.cases.count >= 5, "\(Self.cases)")
        }

        @Test(arguments: cases)
        func decryptsVerifiesAndDerivesKeys(_ name: String) throws {
            let dir = Self.root + "/" + name
            let messages = try IKEv1CryptoWire.messages(capture: dir + "/capture.pcap")
            let logA = try IKEv1CryptoWire.charonDumps(dir + "/charon-A.log")
            let logB = try IKEv1CryptoWire.charonDumps(dir + "/charon-B.log")
            let p = try Self.phase1(messages)
            let sa = try Self.sa(p, logA)
            #expect(sa == (try Self.sa(p, logB)), "both daemons derived the same SKEYIDs")

            // Ka (RFC 2409 Appendix B) and the phase-1 IV, against the logs.
            let ka = try IKEv1KeyDerivation.encryptionKey(hash: p.hash, skeyidE: sa.skeyidE, length: p.keyLength)
            #expect(ka == logA["encryption key Ka"]?.first)
            var state = try IKEv1IVState(hash: p.hash, keInitiator: p.keI, keResponder: p.keR, blockSize: p.blockSize)
            #expect(state.ivForPhase1() == logA["initial IV"]?.first)
            let protection = try IKEv1MessageProtection(sa: sa, encryption: p.encryption, hash: p.hash)

            var loggedIVs: [UInt32: Set<[UInt8]>] = [:]
            for log in [logA, logB] {
                for (label, values) in log where label.hasPrefix("next IV for MID ") {
                    if let mid = UInt32(label.dropFirst("next IV for MID ".count)) {
                        loggedIVs[mid, default: []].formUnion(values)
                    }
                }
            }

            var seen: Set<[UInt8]> = []
            var idBodies: [Bool: [UInt8]] = [:]
            var phase1Hashes = 0
            var quickModes: [UInt32: [[IKEv1CryptoWire.Payload]]] = [:]
            var quickModeOrder: [UInt32] = []
            var hashesVerified = 0
            for message in messages {
                let fromInitiator = message.source == p.initiator
                let mid = message.messageID
                let payloads: [IKEv1CryptoWire.Payload]
                if message.encrypted {
                    let bytes = message.bytes
                    let last = try protection.lastCiphertextBlock(message: bytes, messageRange: 0..<bytes.count).get()
                    let retransmission = seen.contains(bytes)
                    let iv =
                        retransmission
                        ? try #require(state.retransmissionIV(messageID: mid, lastBlock: last))
                        : try state.ivForExchange(messageID: mid)
                    let plaintext = try protection.decrypt(message: bytes, messageRange: 0..<bytes.count, iv: iv).get()
                    if retransmission { continue }
                    seen.insert(bytes)
                    try state.exchangeMessageDecrypted(messageID: mid, lastBlock: plaintext.lastCiphertextBlock)
                    // strongSwan logs the IV after each message of phase 1, Quick Mode and
                    // Transaction exchanges (not of Informational ones).
                    if message.exchangeType != 5 {
                        #expect(
                            loggedIVs[mid]?.contains(try state.ivForExchange(messageID: mid)) == true,
                            "\(name) frame \(message.frame) IV")
                    }
                    payloads = try #require(IKEv1CryptoWire.payloads(plaintext), "\(name) frame \(message.frame)")
                    switch (mid, message.exchangeType) {
                    case (0, _):
                        break
                    case (_, 32):
                        var exchange = quickModes[mid] ?? []
                        if exchange.isEmpty { quickModeOrder.append(mid) }
                        exchange.append(payloads)
                        quickModes[mid] = exchange
                        let kind: IKEv1HashKind = [.quickMode1, .quickMode2, .quickMode3][min(exchange.count, 3) - 1]
                        let ni = exchange.first.flatMap { IKEv1CryptoWire.first(10, in: $0) }?.body ?? []
                        let nr = exchange.count > 1 ? IKEv1CryptoWire.first(10, in: exchange[1])?.body ?? [] : []
                        #expect(
                            try protection.verifyHash(
                                kind: kind, plaintext: plaintext, nonceInitiator: ni, nonceResponder: nr) == .ok,
                            "\(name) frame \(message.frame) \(kind)")
                        hashesVerified += 1
                    default:
                        // Informational (5) and Transaction (6, Mode Config / XAUTH): prf(SKEYID_a, M-ID | payloads).
                        #expect(
                            try protection.verifyHash(kind: .informational, plaintext: plaintext) == .ok,
                            "\(name) frame \(message.frame)")
                        hashesVerified += 1
                    }
                } else {
                    guard mid == 0, let clear = IKEv1CryptoWire.clearPayloads(message.bytes) else { continue }
                    payloads = clear
                }
                // Phase 1: HASH_I / HASH_R (pre-shared keys) over the sender's ID payload,
                // wherever the two appear (Main Mode 5 and 6, Aggressive Mode 1-3).
                guard mid == 0 else { continue }
                if let id = IKEv1CryptoWire.first(5, in: payloads) { idBodies[fromInitiator] = id.body }
                if let hashPayload = IKEv1CryptoWire.first(8, in: payloads) {
                    let computed = try protection.phase1Hash(
                        sentByInitiator: fromInitiator, keInitiator: p.keI, keResponder: p.keR,
                        saInitiatorBody: p.saI, identityBody: try #require(idBodies[fromInitiator]))
                    #expect(
                        IKEv1MessageProtection.hashesMatch(computed, hashPayload.body[...]),
                        "\(name) frame \(message.frame) HASH_\(fromInitiator ? "I" : "R")")
                    phase1Hashes += 1
                }
            }
            let preSharedKey = [1, 65001, 65002].contains(p.attributes[3] ?? 0)
            #expect(phase1Hashes == (preSharedKey ? 2 : 0), "\(name): phase-1 HASH payloads checked")
            #expect(hashesVerified >= 3)
            #expect(!quickModeOrder.isEmpty)

            // KEYMAT: each daemon logged the ESP keys of every Quick Mode, in order; "initiator"
            // keys protect traffic from the Quick Mode initiator, on the SPI the responder chose.
            var spisChecked: [UInt32: IKEv1SAKeys] = [:]
            for log in [logA, logB] {
                let encI = log["encryption initiator key"] ?? []
                let encR = log["encryption responder key"] ?? []
                let intI = log["integrity initiator key"] ?? []
                let intR = log["integrity responder key"] ?? []
                let dh = log["DH secret"] ?? []
                var pfs = 0
                #expect(encI.count == quickModeOrder.count, "\(name): one key set per Quick Mode")
                for (k, mid) in quickModeOrder.enumerated() where k < encI.count {
                    let exchange = try #require(quickModes[mid])
                    try #require(exchange.count >= 2)
                    let ni = try IKEv1CryptoWire.need(10, in: exchange[0]).body
                    let nr = try IKEv1CryptoWire.need(10, in: exchange[1]).body
                    let chosenByI = try #require(
                        IKEv1CryptoWire.proposalSPI(try IKEv1CryptoWire.need(1, in: exchange[0]).body))
                    let chosenByR = try #require(
                        IKEv1CryptoWire.proposalSPI(try IKEv1CryptoWire.need(1, in: exchange[1]).body))
                    var secret: [UInt8]?
                    if IKEv1CryptoWire.first(4, in: exchange[0]) != nil {
                        secret = try #require(pfs < dh.count ? dh[pfs] : nil, "\(name): g(qm)^xy of a PFS Quick Mode")
                        pfs += 1
                    }
                    let integrityLength = k < intI.count ? intI[k].count : 0
                    let forward = try IKEv1KeyDerivation.quickModeKeys(
                        hash: p.hash, skeyidD: sa.skeyidD, protocolID: chosenByR.protocolID, spi: chosenByR.spi,
                        nonceInitiator: ni, nonceResponder: nr, sharedSecret: secret,
                        encryptionKeyLength: encI[k].count, integrityKeyLength: integrityLength)
                    let backward = try IKEv1KeyDerivation.quickModeKeys(
                        hash: p.hash, skeyidD: sa.skeyidD, protocolID: chosenByI.protocolID, spi: chosenByI.spi,
                        nonceInitiator: ni, nonceResponder: nr, sharedSecret: secret,
                        encryptionKeyLength: encR[k].count, integrityKeyLength: integrityLength)
                    #expect(
                        forward.encryption == encI[k] && backward.encryption == encR[k],
                        "\(name) QM \(mid) encryption keys")
                    #expect(
                        forward.integrity == (k < intI.count ? intI[k] : [])
                            && backward.integrity == (k < intR.count ? intR[k] : []),
                        "\(name) QM \(mid) integrity keys")
                    spisChecked[IKEv1CryptoWire.be32(chosenByR.spi, 0)] = forward
                    spisChecked[IKEv1CryptoWire.be32(chosenByI.spi, 0)] = backward
                }
            }
            // The fixture's own key file, when its generator wrote one.
            let keyFile = dir + "/sa.spiglass"
            if Paths.exists(keyFile) {
                let keys = try KeyFileLoader.loadKeys(path: keyFile)
                var matched = 0
                for esp in keys.sas {
                    guard let spi = esp.spi, let derived = spisChecked[spi] else { continue }
                    #expect(
                        esp.encryptionKey == derived.encryption && esp.integrityKey == derived.integrity,
                        "\(name) sa.spiglass SPI \(String(spi, radix: 16))")
                    matched += 1
                }
                #expect(matched >= 2, "\(name): the derived SAs are in sa.spiglass")
                // Its IKE SA alone (algorithms, hash from the PRF, encryption key) opens the
                // messages as the logged SKEYIDs do.
                let fileSA = try #require(
                    keys.ikeSAs.first { $0.version == .v1 && $0.initiatorSPI == p.cookieI },
                    "\(name): IKE SA in sa.spiglass")
                let fromFile = try IKEv1MessageProtection(sa: fileSA)
                #expect(fromFile.hash == p.hash && fromFile.encryption == p.encryption)
                let fresh = try IKEv1IVState(
                    hash: p.hash, keInitiator: p.keI, keResponder: p.keR, blockSize: p.blockSize)
                let first = try #require(messages.first { $0.encrypted }).bytes
                let a = try fromFile.decrypt(message: first, messageRange: 0..<first.count, iv: fresh.ivForPhase1())
                    .get()
                #expect(
                    a
                        == (try protection.decrypt(
                            message: first, messageRange: 0..<first.count, iv: fresh.ivForPhase1()
                        ).get()))
            }
        }

        /// `wrong-psk`: the responder's pre-shared key differs. Main Mode 5 decrypts with the
        /// initiator's keys only, and its retransmission with the IV of its first copy. The
        /// responder, unable to decrypt it, sends encrypted Informationals under its own keys
        /// with IVs from its own chain, which never took Main Mode 5 in: hash(initial IV | M-ID).
        /// A copy of the IV state from before Main Mode 5 (it is a value) gives those.
        @Test(.enabled(if: Paths.exists(Paths.fixture("strongswan-ikev1/wrong-psk/charon-B.log"))))
        func wrongPreSharedKey() throws {
            let dir = Self.root + "/wrong-psk"
            let messages = try IKEv1CryptoWire.messages(capture: dir + "/capture.pcap")
            let logA = try IKEv1CryptoWire.charonDumps(dir + "/charon-A.log")
            let logB = try IKEv1CryptoWire.charonDumps(dir + "/charon-B.log")
            let p = try Self.phase1(messages)
            let saA = try Self.sa(p, logA)
            let saB = try Self.sa(p, logB)
            #expect(saA.skeyidE != saB.skeyidE)
            let byA = try IKEv1MessageProtection(sa: saA, encryption: p.encryption, hash: p.hash)
            let byB = try IKEv1MessageProtection(sa: saB, encryption: p.encryption, hash: p.hash)
            var state = try IKEv1IVState(hash: p.hash, keInitiator: p.keI, keResponder: p.keR, blockSize: p.blockSize)
            let beforeMM5 = state
            let encrypted = messages.filter(\.encrypted)
            let mm5 = try #require(encrypted.first { $0.messageID == 0 }).bytes
            let mm5Plaintext = try byA.decrypt(message: mm5, messageRange: 0..<mm5.count, iv: state.ivForPhase1()).get()
            #expect(
                byB.decrypt(message: mm5, messageRange: 0..<mm5.count, iv: state.ivForPhase1()).v1Code
                    == .malformedPlaintext)
            try state.phase1MessageDecrypted(lastBlock: mm5Plaintext.lastCiphertextBlock)
            var informationals = 0
            var retransmissions = 0
            for message in encrypted.dropFirst() {
                let bytes = message.bytes
                if message.messageID == 0 {
                    #expect(bytes == mm5)
                    let last = try byA.lastCiphertextBlock(message: bytes, messageRange: 0..<bytes.count).get()
                    let iv = try #require(state.retransmissionIV(messageID: 0, lastBlock: last))
                    #expect(
                        try byA.decrypt(message: bytes, messageRange: 0..<bytes.count, iv: iv).get() == mm5Plaintext)
                    #expect(
                        byA.decrypt(message: bytes, messageRange: 0..<bytes.count, iv: state.ivForPhase1()).v1Code
                            == .malformedPlaintext)
                    retransmissions += 1
                    continue
                }
                #expect(message.exchangeType == 5 && message.source != p.initiator)
                let observed = try state.ivForExchange(messageID: message.messageID)
                let responders = try beforeMM5.ivForExchange(messageID: message.messageID)
                #expect(
                    byB.decrypt(message: bytes, messageRange: 0..<bytes.count, iv: observed).v1Code
                        == .malformedPlaintext)
                let plaintext = try byB.decrypt(message: bytes, messageRange: 0..<bytes.count, iv: responders).get()
                #expect(try byB.verifyHash(kind: .informational, plaintext: plaintext) == .ok)
                #expect(
                    byA.decrypt(message: bytes, messageRange: 0..<bytes.count, iv: responders).v1Code
                        == .malformedPlaintext)
                informationals += 1
            }
            #expect(informationals >= 1 && retransmissions >= 1)
        }
    }
}
