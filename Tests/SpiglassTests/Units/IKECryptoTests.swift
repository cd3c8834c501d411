import Foundation
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

// MARK: - PRF vectors

/// The IKEv2 PRFs against their published vectors: RFC 2202 (HMAC-MD5, HMAC-SHA-1),
/// RFC 4231 (HMAC-SHA-2), RFC 4434 4 (AES-XCBC-PRF-128) and RFC 4615 4 (AES-CMAC-PRF-128);
/// prf+ against NIST CAVP's IKEv2 KDF vector (as carried in libreswan's
/// `ike_alg_test_prf.c`).
@Suite struct IKEPRFVectorTests {
    struct Vector: CustomStringConvertible, Sendable {
        var source: String
        var prf: IKEPRF
        var key: [UInt8]
        var data: [UInt8]
        var output: String
        var description: String { "\(source) \(prf.name)" }
    }

    static let jefe = Array("Jefe".utf8)
    static let whatDoYaWant = Array("what do ya want for nothing?".utf8)
    static let hiThere = Array("Hi There".utf8)

    static let hmacVectors: [Vector] = [
        // RFC 2202 2, test cases 1 and 2 (HMAC-MD5).
        Vector(
            source: "RFC 2202 case 1", prf: .hmacMD5, key: [UInt8](repeating: 0x0b, count: 16), data: hiThere,
            output: "9294727a3638bb1c13f48ef8158bfc9d"),
        Vector(
            source: "RFC 2202 case 2", prf: .hmacMD5, key: jefe, data: whatDoYaWant,
            output: "750c783e6ab0b503eaa86e310a5db738"),
        // RFC 2202 3, test case 2 (HMAC-SHA-1).
        Vector(
            source: "RFC 2202 case 2", prf: .hmacSHA1, key: jefe, data: whatDoYaWant,
            output: "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        // RFC 4231 4.2 and 4.3, test cases 1 and 2.
        Vector(
            source: "RFC 4231 case 1", prf: .hmacSHA256, key: [UInt8](repeating: 0x0b, count: 20), data: hiThere,
            output: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        Vector(
            source: "RFC 4231 case 1", prf: .hmacSHA384, key: [UInt8](repeating: 0x0b, count: 20), data: hiThere,
            output: "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"),
        Vector(
            source: "RFC 4231 case 2", prf: .hmacSHA256, key: jefe, data: whatDoYaWant,
            output: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        Vector(
            source: "RFC 4231 case 2", prf: .hmacSHA384, key: jefe, data: whatDoYaWant,
            output: "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"),
        Vector(
            source: "RFC 4231 case 2", prf: .hmacSHA512, key: jefe, data: whatDoYaWant,
            output:
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        ),
        // RFC 4231 4.7, test case 6: a 131-byte key, hashed first.
        Vector(
            source: "RFC 4231 case 6", prf: .hmacSHA256, key: [UInt8](repeating: 0xaa, count: 131),
            data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            output: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ]

    /// RFC 4434 4 and RFC 4615 4 share the message 0x00…0x13 and the 18-byte key
    /// 0x00…0x0f edcb, cut to 16 and 10 bytes for the other two cases.
    static let aesMessage = unhex("000102030405060708090a0b0c0d0e0f10111213")
    static let aesKey18 = unhex("000102030405060708090a0b0c0d0e0fedcb")

    static let aesVectors: [Vector] = [
        // RFC 4434 4 (AES-XCBC-PRF-128): 16-byte key (the RFC 3566 case), 10 (zero padded)
        // and 18 (reduced with AES-XCBC under a zero key).
        Vector(
            source: "RFC 4434 key 16", prf: .aesXCBC, key: Array(aesKey18[0..<16]), data: aesMessage,
            output: "47f51b4564966215b8985c63055ed308"),
        Vector(
            source: "RFC 4434 key 10", prf: .aesXCBC, key: Array(aesKey18[0..<10]), data: aesMessage,
            output: "0fa087af7d866e7653434e602fdde835"),
        Vector(
            source: "RFC 4434 key 18", prf: .aesXCBC, key: aesKey18, data: aesMessage,
            output: "8cd3c93ae598a9803006ffb67c40e9e4"),
        // RFC 4615 4 (AES-CMAC-PRF-128): keys of 18, 16 and 10 bytes; both odd lengths are
        // reduced with AES-CMAC under a zero key.
        Vector(
            source: "RFC 4615 key 18", prf: .aesCMAC, key: aesKey18, data: aesMessage,
            output: "84a348a4a45d235babfffc0d2b4da09a"),
        Vector(
            source: "RFC 4615 key 16", prf: .aesCMAC, key: Array(aesKey18[0..<16]), data: aesMessage,
            output: "980ae87b5f4c9c5214f5b6a8455e4c2d"),
        Vector(
            source: "RFC 4615 key 10", prf: .aesCMAC, key: Array(aesKey18[0..<10]), data: aesMessage,
            output: "290d9e112edb09ee141fcf64c0b72f3d"),
    ]

    @Test(arguments: hmacVectors + aesVectors)
    func publishedVector(_ vector: Vector) throws {
        let prf = try IKEPseudoRandomFunction(vector.prf, key: vector.key)
        #expect(prf.outputLength == vector.output.count / 2)
        #expect(hex(try prf.compute(vector.data)) == vector.output)
        // The contexts are reused: a second call gives the same output.
        #expect(hex(try prf.compute(vector.data)) == vector.output)
    }

    /// NIST CAVP IKEv2 KDF (HMAC-SHA-1), as libreswan's `ike_alg_test_prf.c` carries it:
    /// SKEYSEED = prf(Ni | Nr, g^ir), DKM = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) (RFC 7296
    /// 2.14), and the rekey SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) (2.18).
    @Test func prfPlusMatchesCAVPKeyDerivation() throws {
        let ni = unhex("32b50d5f4a3763f3")
        let nr = unhex("9206a04b26564cb1")
        let gir = unhex("4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52")
        let girNew = unhex("863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330")
        let spis = unhex("34c9e7c188868785") + unhex("3ff77d760d2b2199")
        let dkm =
            "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002a2a63080e514a062768b76606f9fa5e9"
            + "92204fc5a670bde3f10d6b027113936a5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9c549fd1119"
            + "8af1670b143d384bd275c5f594cf266b05ebadca855e4249520a441a81157435a7a56cc4"
        let skeyseed = try IKEPseudoRandomFunction(.hmacSHA1, key: ni + nr).compute(gir)
        #expect(hex(skeyseed) == "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7")
        let prf = try IKEPseudoRandomFunction(.hmacSHA1, key: skeyseed)
        let keymat = try prf.prfPlus(seed: ni + nr + spis, length: 132)
        #expect(hex(keymat) == dkm)
        // Every shorter output is a prefix (the last block is cut, not recomputed).
        for length in [0, 1, 19, 20, 21, 100] {
            #expect(try prf.prfPlus(seed: ni + nr + spis, length: length) == Array(keymat[0..<length]))
        }
        let skD = Array(keymat[0..<20])
        let rekeyed = try IKEPseudoRandomFunction(.hmacSHA1, key: skD).compute(girNew + ni + nr)
        #expect(hex(rekeyed) == "63e81194946ebd05df7df5ebf5d8750056bf1f1d")
    }

    @Test(arguments: IKEPRF.allCases)
    func prfPlusStopsAt255Iterations(_ algorithm: IKEPRF) throws {
        let prf = try IKEPseudoRandomFunction(algorithm, key: [UInt8](repeating: 7, count: 16))
        let most = IKEPseudoRandomFunction.maxPRFPlusIterations * prf.outputLength
        let all = try prf.prfPlus(seed: [1, 2, 3], length: most)
        #expect(all.count == most)
        // T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02).
        let t1 = try prf.compute([1, 2, 3, 1])
        #expect(Array(all[0..<prf.outputLength]) == t1)
        #expect(Array(all[prf.outputLength..<(2 * prf.outputLength)]) == (try prf.compute(t1 + [1, 2, 3, 2])))
        do {
            _ = try prf.prfPlus(seed: [], length: most + 1)
            Issue.record("prf+ beyond 255 blocks did not throw")
        } catch let error as IKEKeyDerivationError {
            #expect(error.code == .prfPlusTooLong)
        }
        do {
            _ = try prf.prfPlus(seed: [], length: -1)
            Issue.record("negative prf+ length did not throw")
        } catch let error as IKEKeyDerivationError {
            #expect(error.code == .invalidLength)
        }
        #expect(try prf.prfPlus(seed: [], length: 0) == [])
        #expect(throws: IKEKeyDerivationError.self) { _ = try prf.prfPlus(seed: [], length: Int.max) }
    }
}

// MARK: - strongSwan fixtures

/// The IKE messages of a fixture capture and a little payload walking of their own (the
/// IKE payload parser lives elsewhere; these tests must not depend on it).
enum IKECryptoFixture {
    static let cases = StrongSwanFixtureTests.cases

    struct Message {
        var frame: Int
        var port: UInt16
        /// The IKE message, from its 28-byte header (non-ESP marker removed on UDP 4500).
        var bytes: [UInt8]

        var exchangeType: UInt8 { bytes[18] }
        var sentByInitiator: Bool { bytes[19] & 0x08 != 0 }
        var isResponse: Bool { bytes[19] & 0x20 != 0 }
        var firstPayloadType: UInt8 { bytes[16] }
    }

    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    /// Every UDP 500 payload and every UDP 4500 payload that starts with the four-byte zero
    /// non-ESP marker (RFC 3948 2.2), in capture order.
    static func messages(_ name: String) throws -> [Message] {
        let reader = try CaptureReader(path: Paths.fixture("strongswan/\(name)/capture.pcap"))
        guard let link = LinkType(dlt: reader.linkType) else {
            throw ReadError(description: "link type \(reader.linkType)")
        }
        var out: [Message] = []
        var frame = 0
        reading: while true {
            switch reader.next() {
            case .packet(let header):
                frame += 1
                let bytes = reader.buffer
                let length = header.capturedLength
                var wire = ByteReader(bytes, range: 0..<length)
                guard case .success(let info) = LinkDecoder.decode(&wire, as: link),
                    case .success(let ip) = IPLayer.parse(&wire, announcedVersion: info.announcedVersion),
                    ip.protocolNumber == IPProtocol.udp, ip.headerEnd + 8 <= ip.end
                else { continue }
                let source = bytes.be16(ip.headerEnd)
                let destination = bytes.be16(ip.headerEnd + 2)
                var payload = (ip.headerEnd + 8)..<ip.end
                if source == 4500 || destination == 4500 {
                    guard payload.count >= 4, bytes[payload.lowerBound..<(payload.lowerBound + 4)] == [0, 0, 0, 0]
                    else { continue }
                    payload = (payload.lowerBound + 4)..<payload.upperBound
                } else if source != 500 && destination != 500 {
                    continue
                }
                out.append(Message(frame: frame, port: destination, bytes: Array(bytes[payload])))
            case .end:
                break reading
            case .damaged(let why), .unreadable(let why):
                throw ReadError(description: why)
            case .timeout, .interrupted:
                break reading
            }
        }
        return out
    }

    /// The payloads of a chain that starts with `first` at `bytes[offset...]` and must end
    /// exactly at `end`: (type, body) pairs, or nil when the lengths do not add up.
    static func walk(_ bytes: [UInt8], first: UInt8, from offset: Int, to end: Int) -> [(type: UInt8, body: [UInt8])]? {
        var type = first
        var offset = offset
        var out: [(UInt8, [UInt8])] = []
        while type != 0 {
            guard offset + 4 <= end, out.count < 64 else { return nil }
            let length = Int(bytes.be16(offset + 2))
            guard length >= 4, offset + length <= end else { return nil }
            out.append((type, Array(bytes[(offset + 4)..<(offset + length)])))
            type = bytes[offset]
            offset += length
        }
        return offset == end ? out : nil
    }

    /// The body of the Nonce payload (type 40) of an unencrypted IKE_SA_INIT message.
    static func nonce(_ message: Message) -> [UInt8]? {
        walk(message.bytes, first: message.firstPayloadType, from: 28, to: message.bytes.count)?.first {
            $0.type == 40
        }?.body
    }

    /// The IKE SA of a case from its Wireshark table (SK_e*, SK_a*, algorithms).
    static func tableSA(_ name: String) throws -> IKESecurityAssociation {
        let keys = try KeyFileLoader.loadKeys(path: Paths.fixture("strongswan/\(name)/ikev2_decryption_table"))
        return try #require(keys.ikeSAs.first)
    }

    /// The IKE SA of a case from charon's log (adds the PRF and SK_d).
    static func logSA(_ name: String) throws -> IKESecurityAssociation {
        let keys = try KeyFileLoader.loadKeys(path: Paths.fixture("strongswan/\(name)/charon-A.log"))
        return try #require(keys.ikeSAs.first)
    }
}

/// KEYMAT of the CHILD_SA that IKE_AUTH created, derived from charon's SK_d and the
/// IKE_SA_INIT nonces of the capture, against the ESP keys charon logged.
@Suite struct ChildSAKeyDerivationTests {
    @Test(arguments: IKECryptoFixture.cases)
    func keymatGivesTheLoggedESPKeys(_ name: String) throws {
        let ike = try IKECryptoFixture.logSA(name)
        let prf = try #require(ike.prf, "\(name): no PRF in the selected IKE proposal")
        #expect(!ike.skD.isEmpty)
        let messages = try IKECryptoFixture.messages(name)
        let initRequest = try #require(messages.first { $0.exchangeType == 34 && !$0.isResponse })
        let initResponse = try #require(messages.first { $0.exchangeType == 34 && $0.isResponse })
        #expect(initRequest.frame == 1 && initResponse.frame == 2)
        let ni = try #require(IKECryptoFixture.nonce(initRequest))
        let nr = try #require(IKECryptoFixture.nonce(initResponse))
        #expect((16...256).contains(ni.count) && (16...256).contains(nr.count))

        // sa.spiglass: A -> B first (the initiator's keys), then B -> A.
        let esp = try KeyFileLoader.load(path: Paths.fixture("strongswan/\(name)/sa.spiglass"))
        try #require(esp.count == 2)
        let (outbound, inbound) = (esp[0], esp[1])
        let integrityLength = try #require(ChildSAKeyDerivation.integrityKeyLength(for: outbound.integrity))
        #expect(integrityLength == outbound.integrityKey.count)
        let keyBits = (outbound.encryptionKey.count - outbound.encryption.saltLength) * 8
        #expect(
            ChildSAKeyDerivation.encryptionKeyLength(for: outbound.encryption, keyBits: keyBits)
                == outbound.encryptionKey.count)

        let keys = try ChildSAKeyDerivation.derive(
            prf: prf, skD: ike.skD, nonceInitiator: ni, nonceResponder: nr,
            encryptionKeyLength: outbound.encryptionKey.count,
            integrityKeyLength: integrityLength)
        #expect(hex(keys.initiatorEncryption) == hex(outbound.encryptionKey), "\(name)")
        #expect(hex(keys.initiatorIntegrity) == hex(outbound.integrityKey), "\(name)")
        #expect(hex(keys.responderEncryption) == hex(inbound.encryptionKey), "\(name)")
        #expect(hex(keys.responderIntegrity) == hex(inbound.integrityKey), "\(name)")
        // Swapped nonces give other keys.
        let swapped = try ChildSAKeyDerivation.derive(
            prf: prf, skD: ike.skD, nonceInitiator: nr, nonceResponder: ni,
            encryptionKeyLength: outbound.encryptionKey.count,
            integrityKeyLength: integrityLength)
        #expect(swapped.initiatorEncryption != keys.initiatorEncryption)
    }

    /// RFC 7296 2.17 with PFS: the seed is g^ir (new) | Ni | Nr, keys in the order
    /// encryption i->r, integrity i->r, encryption r->i, integrity r->i.
    @Test func pfsSeedAndKeyOrder() throws {
        let skD = [UInt8](repeating: 0x5a, count: 32)
        let ni = [UInt8](repeating: 1, count: 16)
        let nr = [UInt8](repeating: 2, count: 16)
        let gir = [UInt8](repeating: 3, count: 32)
        let keys = try ChildSAKeyDerivation.derive(
            prf: .hmacSHA256, skD: skD, nonceInitiator: ni, nonceResponder: nr,
            sharedSecret: gir, encryptionKeyLength: 20, integrityKeyLength: 32)
        let keymat = try IKEPseudoRandomFunction(.hmacSHA256, key: skD).prfPlus(seed: gir + ni + nr, length: 104)
        #expect(keys.initiatorEncryption == Array(keymat[0..<20]))
        #expect(keys.initiatorIntegrity == Array(keymat[20..<52]))
        #expect(keys.responderEncryption == Array(keymat[52..<72]))
        #expect(keys.responderIntegrity == Array(keymat[72..<104]))
        let noPFS = try ChildSAKeyDerivation.derive(
            prf: .hmacSHA256, skD: skD, nonceInitiator: ni, nonceResponder: nr,
            encryptionKeyLength: 20, integrityKeyLength: 32)
        #expect(noPFS != keys)
        // AH: no encryption key.
        let ah = try ChildSAKeyDerivation.derive(
            prf: .aesXCBC, skD: [UInt8](repeating: 9, count: 16), nonceInitiator: ni,
            nonceResponder: nr, encryptionKeyLength: 0, integrityKeyLength: 16)
        #expect(
            ah.initiatorEncryption.isEmpty && ah.initiatorIntegrity.count == 16 && ah.responderIntegrity.count == 16)
        do {
            _ = try ChildSAKeyDerivation.derive(
                prf: .hmacSHA256, skD: skD, nonceInitiator: ni, nonceResponder: nr,
                encryptionKeyLength: -1, integrityKeyLength: 0)
            Issue.record("negative key length accepted")
        } catch let error as IKEKeyDerivationError {
            #expect(error.code == .invalidLength)
        }
        do {
            _ = try ChildSAKeyDerivation.derive(
                prf: .hmacSHA512, skD: skD, nonceInitiator: ni, nonceResponder: nr,
                encryptionKeyLength: Int.max, integrityKeyLength: Int.max)
            Issue.record("absurd key lengths accepted")
        } catch let error as IKEKeyDerivationError {
            #expect(error.code == .prfPlusTooLong)
        }
        // 255 blocks of HMAC-MD5 are 4080 bytes: 2 × (2000 + 64) is too much.
        do {
            _ = try ChildSAKeyDerivation.derive(
                prf: .hmacMD5, skD: skD, nonceInitiator: ni, nonceResponder: nr,
                encryptionKeyLength: 2000, integrityKeyLength: 64)
            Issue.record("KEYMAT beyond prf+'s 255 blocks accepted")
        } catch let error as IKEKeyDerivationError {
            #expect(error.code == .prfPlusTooLong)
        }
    }

    @Test func espKeyLengths() {
        typealias D = ChildSAKeyDerivation
        #expect(D.encryptionKeyLength(for: .aesCBC, keyBits: 128) == 16)
        #expect(D.encryptionKeyLength(for: .aesCBC, keyBits: 256) == 32)
        #expect(D.encryptionKeyLength(for: .aesCBC) == nil)
        #expect(D.encryptionKeyLength(for: .aesCBC, keyBits: 100) == nil)
        #expect(D.encryptionKeyLength(for: .aesCTR, keyBits: 128) == 20)
        #expect(D.encryptionKeyLength(for: .aesGCM(icvLength: 16), keyBits: 256) == 36)
        #expect(D.encryptionKeyLength(for: .aesCCM(icvLength: 8), keyBits: 128) == 19)
        #expect(D.encryptionKeyLength(for: .aesNullGMAC, keyBits: 192) == 28)
        #expect(D.encryptionKeyLength(for: .chaCha20Poly1305) == 36)
        #expect(D.encryptionKeyLength(for: .tripleDESCBC) == 24)
        #expect(D.encryptionKeyLength(for: .desCBC) == 8)
        #expect(D.encryptionKeyLength(for: .null) == 0)
        #expect(D.encryptionKeyLength(for: .blowfishCBC, keyBits: 128) == 16)
        #expect(D.encryptionKeyLength(for: .cast5CBC, keyBits: 256) == nil)
        #expect(D.encryptionKeyLength(for: .unsupported("twofish")) == nil)
        #expect(D.integrityKeyLength(for: .hmacMD5_96) == 16)
        #expect(D.integrityKeyLength(for: .hmacSHA1_96) == 20)
        #expect(D.integrityKeyLength(for: .hmacSHA256_128) == 32)
        #expect(D.integrityKeyLength(for: .hmacSHA256_96) == 32)
        #expect(D.integrityKeyLength(for: .hmacSHA384_192) == 48)
        #expect(D.integrityKeyLength(for: .hmacSHA512_256) == 64)
        #expect(D.integrityKeyLength(for: .aesXCBC_96) == 16)
        #expect(D.integrityKeyLength(for: .aesCMAC_96) == 16)
        #expect(D.integrityKeyLength(for: .aesGMAC(keyBits: 128)) == 20)
        #expect(D.integrityKeyLength(for: .null) == 0)
        #expect(D.integrityKeyLength(for: .unchecked(icvLength: 12)) == nil)
    }
}

// MARK: - SK / SKF payloads

@Suite struct IKEv2MessageProtectionTests {
    /// The encrypted messages of a case (IKE_AUTH and INFORMATIONAL, all on UDP 4500).
    static func encryptedMessages(_ name: String) throws -> [IKECryptoFixture.Message] {
        try IKECryptoFixture.messages(name).filter { $0.firstPayloadType == 46 || $0.firstPayloadType == 53 }
    }

    static func code(_ result: Result<IKEv2Plaintext, IKEv2ProtectionError>) -> IKEv2ProtectionCode? {
        if case .failure(let error) = result { return error.code }
        return nil
    }

    /// IKEv2 and IKEv1 errors share one shape: the code by its name, then where, then why.
    @Test func protectionErrorsOfBothVersionsDescribeThemselvesAlike() {
        let v2 = IKEv2ProtectionError(.badPadLength, offset: 71, "Pad Length 9 exceeds the 7 bytes before it")
        #expect(v2.description == "badPadLength at offset 71: Pad Length 9 exceeds the 7 bytes before it")
        let v1 = IKEv1ProtectionError(.missingHash, "HASH(1) needs the SA's hash")
        #expect(v1.description == "missingHash: HASH(1) needs the SA's hash")
        #expect(v1 != IKEv1ProtectionError(.missingHash, offset: 0, "HASH(1) needs the SA's hash"))
    }

    @Test(arguments: IKECryptoFixture.cases)
    func everyEncryptedFixtureMessageOpens(_ name: String) throws {
        let protection = try IKEv2MessageProtection(sa: try IKECryptoFixture.tableSA(name))
        let messages = try Self.encryptedMessages(name)
        // Frames 3 and 4 (IKE_AUTH), 31 and 32 (INFORMATIONAL delete).
        #expect(messages.map(\.frame) == [3, 4, 31, 32], "\(name)")
        for message in messages {
            #expect(message.port == 4500)
            let opened = protection.open(
                message: message.bytes, messageRange: 0..<message.bytes.count,
                encryptedPayloadOffset: 28, sentByInitiator: message.sentByInitiator)
            guard case .success(let plaintext) = opened else {
                Issue.record("\(name) frame \(message.frame): \(opened)")
                continue
            }
            #expect(plaintext.integrity == .ok)
            #expect(!plaintext.isFragment)
            let chain = try #require(
                IKECryptoFixture.walk(
                    plaintext.payloads, first: plaintext.firstPayloadType, from: 0, to: plaintext.payloads.count),
                "\(name) frame \(message.frame): the inner payload lengths do not add up")
            let types = chain.map(\.type)
            switch (message.exchangeType, message.isResponse) {
            case (35, false):
                #expect(
                    types.contains(35) && types.contains(39) && types.contains(33),
                    "IKE_AUTH request has IDi, AUTH, SA: \(types)")
            case (35, true):
                #expect(
                    types.contains(36) && types.contains(39) && types.contains(33),
                    "IKE_AUTH response has IDr, AUTH, SA: \(types)")
            case (37, false): #expect(types == [42], "INFORMATIONAL request is a Delete: \(types)")
            case (37, true): #expect(types.isEmpty, "INFORMATIONAL response is empty: \(types)")
            default: Issue.record("\(name) frame \(message.frame): exchange \(message.exchangeType)")
            }
            // Finding the SK payload by walking gives the same.
            #expect(
                protection.open(
                    message: message.bytes, messageRange: 0..<message.bytes.count,
                    sentByInitiator: message.sentByInitiator) == opened)
            // The same message inside a larger buffer.
            let embedded = [UInt8](repeating: 0xaa, count: 7) + message.bytes + [UInt8](repeating: 0xbb, count: 5)
            #expect(
                protection.open(
                    message: embedded, messageRange: 7..<(7 + message.bytes.count), encryptedPayloadOffset: 35,
                    sentByInitiator: message.sentByInitiator) == opened)
            // The other direction's keys do not open it, and nothing is released.
            let wrong = protection.open(
                message: message.bytes, messageRange: 0..<message.bytes.count,
                encryptedPayloadOffset: 28, sentByInitiator: !message.sentByInitiator)
            let expected: IKEv2ProtectionCode = protection.isAEAD ? .authenticationFailed : .integrityFailed
            #expect(Self.code(wrong) == expected, "\(name) frame \(message.frame)")
        }
        // The initiator sent the requests (A initiated and deleted).
        #expect(messages.map(\.sentByInitiator) == [true, false, true, false])
    }

    /// The Wireshark table and charon's log hold the same IKE keys.
    @Test(arguments: IKECryptoFixture.cases)
    func tableAndLogAgree(_ name: String) throws {
        let table = try IKECryptoFixture.tableSA(name)
        let log = try IKECryptoFixture.logSA(name)
        #expect(table.skEi == log.skEi && table.skEr == log.skEr && table.skAi == log.skAi && table.skAr == log.skAr)
        #expect(table.encryption == log.encryption)
        #expect(table.initiatorSPI == log.initiatorSPI && table.responderSPI == log.responderSPI)
    }

    /// Every byte of a protected message is covered by the ICV or the AEAD tag (or is a
    /// length field that is checked): flipping any one makes the message fail, with no
    /// plaintext.
    @Test(arguments: IKECryptoFixture.cases)
    func everyFlippedByteFails(_ name: String) throws {
        let protection = try IKEv2MessageProtection(sa: try IKECryptoFixture.tableSA(name))
        for message in try Self.encryptedMessages(name) {
            var bytes = message.bytes
            for i in 0..<bytes.count {
                bytes[i] ^= 0x01
                let result = protection.open(
                    message: bytes, messageRange: 0..<bytes.count, encryptedPayloadOffset: 28,
                    sentByInitiator: message.sentByInitiator)
                if case .success = result {
                    Issue.record("\(name) frame \(message.frame): byte \(i) flipped and the message still opens")
                }
                bytes[i] ^= 0x01
            }
            // Where it fails: the ICV or tag, for a byte of the header, the IV, the
            // ciphertext and the ICV itself.
            let expected: IKEv2ProtectionCode = protection.isAEAD ? .authenticationFailed : .integrityFailed
            for i in [20, 28 + 1, 32, bytes.count / 2, bytes.count - 1] {
                bytes[i] ^= 0x80
                #expect(
                    Self.code(
                        protection.open(
                            message: bytes, messageRange: 0..<bytes.count, encryptedPayloadOffset: 28,
                            sentByInitiator: message.sentByInitiator)) == expected, "\(name) byte \(i)")
                bytes[i] ^= 0x80
            }
        }
    }

    /// Cut at every length: the header's Length no longer matches. Cut with the IKE and SK
    /// lengths rewritten to match: the deeper checks (sizes, alignment, ICV) must catch it.
    @Test(arguments: IKECryptoFixture.cases)
    func truncationAtEveryLengthFails(_ name: String) throws {
        let protection = try IKEv2MessageProtection(sa: try IKECryptoFixture.tableSA(name))
        for message in try Self.encryptedMessages(name) {
            let bytes = message.bytes
            for cut in 0..<bytes.count {
                let result = protection.open(
                    message: bytes, messageRange: 0..<cut, encryptedPayloadOffset: 28,
                    sentByInitiator: message.sentByInitiator)
                #expect(
                    Self.code(result) == (cut < 28 ? .messageTruncated : .headerLengthMismatch), "\(name) cut \(cut)")
                guard cut >= 28 else { continue }
                var fixed = Array(bytes[0..<cut])
                fixed.setBE32(24, UInt32(cut))
                if cut >= 32 { fixed.setBE16(30, UInt16(cut - 28)) }
                let deeper = protection.open(
                    message: fixed, messageRange: 0..<cut, encryptedPayloadOffset: 28,
                    sentByInitiator: message.sentByInitiator)
                guard case .failure(let error) = deeper else {
                    Issue.record("\(name) frame \(message.frame): a message cut to \(cut) bytes opened")
                    continue
                }
                let allowed: Set<IKEv2ProtectionCode> = [
                    .payloadTooShort, .notBlockAligned, .integrityFailed, .authenticationFailed,
                ]
                #expect(allowed.contains(error.code), "\(name) cut \(cut): \(error)")
            }
            // Also from the other end: ranges that start inside the buffer.
            for start in 1..<min(40, bytes.count) {
                #expect(
                    Self.code(
                        protection.open(
                            message: bytes, messageRange: start..<bytes.count, sentByInitiator: message.sentByInitiator)
                    ) != nil)
            }
        }
    }

    // MARK: Round trips through seal

    static func sa(
        _ encryption: IKEEncryptionAlgorithm, _ integrity: IKEIntegrityAlgorithm?, integrityKeys: Bool = true
    ) -> IKESecurityAssociation {
        var sa = IKESecurityAssociation(
            version: .v2, initiatorSPI: 0x0102_0304_0506_0708, responderSPI: 0x1112_1314_1516_1718,
            origin: SAOrigin(file: "test", line: 1))
        sa.encryption = encryption
        sa.integrity = integrity
        let keyLength = encryption.keyMaterialLength ?? 0
        // Fixed keys, so that a failing round trip replays.
        var keys = SplitMix64(seed: 0x1ce_5eed)
        sa.skEi = SecretBytes(keys.bytes(keyLength))
        sa.skEr = SecretBytes(keys.bytes(keyLength))
        if let integrity, integrityKeys {
            sa.skAi = SecretBytes(keys.bytes(IKEv2MessageProtection.integrityKeyLength(integrity)))
            sa.skAr = SecretBytes(keys.bytes(IKEv2MessageProtection.integrityKeyLength(integrity)))
        }
        return sa
    }

    static func header(exchange: UInt8 = 35, initiator: Bool = true, messageID: UInt32 = 1) -> [UInt8] {
        var h = unhex("0102030405060708") + unhex("1112131415161718") + [0, 0x20, exchange, initiator ? 0x08 : 0x20]
        h += [
            UInt8(messageID >> 24), UInt8((messageID >> 16) & 0xff), UInt8((messageID >> 8) & 0xff),
            UInt8(messageID & 0xff),
        ]
        return h + [0, 0, 0, 0]
    }

    /// An inner chain: Nonce (40) then Notify (41), lengths consistent.
    static let innerPayloads: [UInt8] =
        [41, 0, 0, 12] + [UInt8](repeating: 0x42, count: 8) + [0, 0, 0, 9, 0, 0, 0x40, 0x04, 0x77]

    static let roundTripSuites: [(IKEEncryptionAlgorithm, IKEIntegrityAlgorithm?)] = [
        (.tripleDES, .hmacMD5_96), (.tripleDES, .hmacSHA1_96), (.aesCBC(keyBits: 128), .aesXCBC_96),
        (.aesCBC(keyBits: 192), .aesCMAC_96), (.aesCBC(keyBits: 256), .hmacSHA512_256),
        (.aesCBC(keyBits: 128), .hmacMD5_128),
        (.aesCBC(keyBits: 128), .hmacSHA1_160), (.aesCTR(keyBits: 256), .hmacSHA384_192),
        (.aesCTR(keyBits: 128), .hmacSHA256_128),
        (.aesGCM(keyBits: 128, icvLength: 8), nil), (.aesGCM(keyBits: 192, icvLength: 12), nil),
        (.aesGCM(keyBits: 256, icvLength: 16), IKEIntegrityAlgorithm.none),
        (.aesCCM(keyBits: 128, icvLength: 8), nil), (.aesCCM(keyBits: 192, icvLength: 12), nil),
        (.aesCCM(keyBits: 256, icvLength: 16), nil),
        (.chaCha20Poly1305, nil),
    ]

    @Test func sealThenOpenEveryAlgorithm() throws {
        for (encryption, integrity) in Self.roundTripSuites {
            let protection = try IKEv2MessageProtection(sa: Self.sa(encryption, integrity))
            for initiator in [true, false] {
                let block = protection.blockSize
                for padLength in [nil, (block - (Self.innerPayloads.count + 1) % block) % block + 2 * block] as [Int?] {
                    let message = try protection.seal(
                        header: Self.header(initiator: initiator), firstPayloadType: 40,
                        payloads: Self.innerPayloads, sentByInitiator: initiator, padLength: padLength)
                    let opened = protection.open(
                        message: message, messageRange: 0..<message.count, encryptedPayloadOffset: 28,
                        sentByInitiator: initiator)
                    guard case .success(let plaintext) = opened else {
                        Issue.record("\(encryption.name)/\(integrity?.name ?? "-"): \(opened)")
                        continue
                    }
                    #expect(plaintext.payloads == Self.innerPayloads)
                    #expect(plaintext.firstPayloadType == 40)
                    #expect(plaintext.integrity == .ok)
                    if let padLength { #expect(plaintext.padLength == padLength) }
                    #expect(
                        Self.code(
                            protection.open(
                                message: message, messageRange: 0..<message.count, encryptedPayloadOffset: 28,
                                sentByInitiator: !initiator))
                            == (protection.isAEAD ? .authenticationFailed : .integrityFailed))
                    // Any flipped bit of the ICV/tag fails.
                    var damaged = message
                    damaged[damaged.count - 1] ^= 0x01
                    #expect(
                        Self.code(
                            protection.open(
                                message: damaged, messageRange: 0..<damaged.count, encryptedPayloadOffset: 28,
                                sentByInitiator: initiator))
                            == (protection.isAEAD ? .authenticationFailed : .integrityFailed))
                }
            }
        }
    }

    /// RFC 7634 Appendix B, the IKEv2 example: an INFORMATIONAL request from the responder
    /// (I flag clear) protected with ChaCha20-Poly1305; key 80..9f, salt a0a1a2a3, IV
    /// 1011..17, one Notify payload inside and no padding.
    @Test func rfc7634AppendixBIKEv2Example() throws {
        var sa = Self.sa(.chaCha20Poly1305, nil)
        sa.skEr = SecretBytes(
            unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f") + unhex("a0a1a2a3"))
        let message =
            unhex("c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e20250000000009000000452900002910111213141516176103")
            + unhex("94701f8d017f7c12924889") + unhex("6b71bfe25236efd7cdc670669063" + "15b2")
        try #require(message.count == 0x45)
        let protection = try IKEv2MessageProtection(sa: sa)
        let opened = protection.open(
            message: message, messageRange: 0..<message.count, encryptedPayloadOffset: 28, sentByInitiator: false)
        let plaintext = try opened.get()
        #expect(plaintext.firstPayloadType == 41)
        #expect(hex(plaintext.payloads) == "0000000c000040010000000a")
        #expect(plaintext.padLength == 0)
        #expect(plaintext.integrity == .ok)
        #expect(
            Self.code(protection.open(message: message, messageRange: 0..<message.count, sentByInitiator: true))
                == .authenticationFailed)
        // seal reproduces the RFC's bytes from the same IV and plaintext.
        let resealed = try protection.seal(
            header: Array(message[0..<28]), firstPayloadType: 41, payloads: plaintext.payloads,
            sentByInitiator: false, iv: unhex("1011121314151617"))
        #expect(resealed == message)
    }

    @Test func encryptedFragmentsRoundTrip() throws {
        for (encryption, integrity) in [
            (IKEEncryptionAlgorithm.aesCBC(keyBits: 256), IKEIntegrityAlgorithm?.some(.hmacSHA256_128)),
            (.aesGCM(keyBits: 256, icvLength: 16), nil), (.chaCha20Poly1305, nil),
        ] {
            let protection = try IKEv2MessageProtection(sa: Self.sa(encryption, integrity))
            for (number, total) in [(UInt16(1), UInt16(3)), (2, 3), (3, 3), (1, 1)] {
                let message = try protection.seal(
                    header: Self.header(), firstPayloadType: number == 1 ? 40 : 0, payloads: Self.innerPayloads,
                    sentByInitiator: true, fragment: (number, total))
                #expect(message[16] == 53)
                let opened = protection.open(message: message, messageRange: 0..<message.count, sentByInitiator: true)
                guard case .success(let plaintext) = opened else {
                    Issue.record("SKF \(number)/\(total) with \(encryption.name): \(opened)")
                    continue
                }
                #expect(plaintext.fragmentNumber == number && plaintext.totalFragments == total && plaintext.isFragment)
                #expect(plaintext.payloads == Self.innerPayloads)
                #expect(plaintext.firstPayloadType == (number == 1 ? 40 : 0))
                // The fragment fields are authenticated (ICV, or AAD for AEAD).
                var renumbered = message
                renumbered[35] ^= 0x04  // Total Fragments 3 -> 7, 1 -> 5: still valid
                #expect(
                    Self.code(
                        protection.open(message: renumbered, messageRange: 0..<message.count, sentByInitiator: true))
                        == (protection.isAEAD ? .authenticationFailed : .integrityFailed))
            }
            for (number, total) in [(UInt16(0), UInt16(3)), (4, 3), (1, 0), (0, 0)] {
                let message = try protection.seal(
                    header: Self.header(), firstPayloadType: 40, payloads: Self.innerPayloads,
                    sentByInitiator: true, fragment: (number, total))
                #expect(
                    Self.code(protection.open(message: message, messageRange: 0..<message.count, sentByInitiator: true))
                        == .badFragmentNumber)
            }
        }
    }

    /// RFC 7296 3.14 lets an SA have no integrity keys in a key file (Wireshark decrypts such
    /// messages anyway): the result says `.unchecked`.
    @Test func missingIntegrityKeysDecryptUnchecked() throws {
        let full = Self.sa(.aesCBC(keyBits: 128), .hmacSHA256_128)
        var keyless = full
        keyless.skAi = []
        keyless.skAr = []
        let sealer = try IKEv2MessageProtection(sa: full)
        let opener = try IKEv2MessageProtection(sa: keyless)
        let message = try sealer.seal(
            header: Self.header(initiator: false), firstPayloadType: 40, payloads: Self.innerPayloads,
            sentByInitiator: false)
        let opened = opener.open(message: message, messageRange: 0..<message.count, sentByInitiator: false)
        #expect((try? opened.get())?.integrity == .unchecked)
        #expect((try? opened.get())?.payloads == Self.innerPayloads)
        #expect(
            (try? sealer.open(message: message, messageRange: 0..<message.count, sentByInitiator: false).get())?
                .integrity == .ok)
    }

    // MARK: Error codes

    @Test func initRejectsUnusableSAs() throws {
        func code(_ sa: IKESecurityAssociation) -> IKEv2ProtectionCode? {
            do {
                _ = try IKEv2MessageProtection(sa: sa)
                return nil
            } catch let error as IKEv2ProtectionError {
                return error.code
            } catch {
                return .crypto
            }
        }
        var v1 = Self.sa(.aesCBC(keyBits: 128), .hmacSHA1_96)
        v1.version = .v1
        #expect(code(v1) == .notIKEv2SA)
        var noKeys = Self.sa(.aesCBC(keyBits: 128), .hmacSHA1_96)
        noKeys.skEr = []
        #expect(code(noKeys) == .missingKeys)
        var shortKey = Self.sa(.aesGCM(keyBits: 128, icvLength: 16), nil)
        shortKey.skEi = SecretBytes(shortKey.skEi.dropLast())  // the salt is missing a byte
        #expect(code(shortKey) == .badKeyLength)
        var shortMAC = Self.sa(.aesCBC(keyBits: 128), .hmacSHA256_128)
        shortMAC.skAr = SecretBytes(shortMAC.skAr[0..<20])
        #expect(code(shortMAC) == .badKeyLength)
        #expect(code(Self.sa(.aesCBC(keyBits: 128), nil)) == .unsupportedAlgorithm)
        #expect(code(Self.sa(.other("camellia-cbc-128"), .hmacSHA1_96)) == .unsupportedAlgorithm)
        var noEncryption = Self.sa(.aesCBC(keyBits: 128), .hmacSHA1_96)
        noEncryption.encryption = nil
        #expect(code(noEncryption) == .unsupportedAlgorithm)
        #expect(code(Self.sa(.aesCBC(keyBits: 128), .hmacSHA1_96)) == nil)
    }

    @Test func framingErrorsHaveTheirOwnCodes() throws {
        let protection = try IKEv2MessageProtection(sa: Self.sa(.aesCBC(keyBits: 128), .hmacSHA256_128))
        let good = try protection.seal(
            header: Self.header(), firstPayloadType: 40, payloads: Self.innerPayloads, sentByInitiator: true)
        func open(_ bytes: [UInt8], range: Range<Int>? = nil, offset: Int? = 28) -> IKEv2ProtectionCode? {
            let range = range ?? 0..<bytes.count
            if let offset {
                return Self.code(
                    protection.open(
                        message: bytes, messageRange: range, encryptedPayloadOffset: offset, sentByInitiator: true))
            }
            return Self.code(protection.open(message: bytes, messageRange: range, sentByInitiator: true))
        }
        #expect(open(good) == nil)
        #expect(open(good, range: 0..<(good.count + 1)) == .badRange)
        #expect(open(good, range: -1..<good.count) == .badRange)
        #expect(open(Array(good[0..<27])) == .messageTruncated)
        var version = good
        version[17] = 0x10
        #expect(open(version) == .badVersion)
        #expect(open(good + [0]) == .headerLengthMismatch)
        #expect(open(good, offset: 30) == .badPayloadOffset)
        #expect(open(good, offset: 27) == .badPayloadOffset)
        #expect(open(good, offset: good.count) == .badPayloadOffset)

        // An unencrypted Nonce before the SK payload.
        func prefixed(_ first: [UInt8], nextAfterIt: UInt8 = 46) -> [UInt8] {
            var bytes = Array(good[0..<28]) + first + good[28...]
            bytes[16] = 40
            bytes[28] = nextAfterIt
            bytes.setBE32(24, UInt32(bytes.count))
            return bytes
        }
        let nonce: [UInt8] = [46, 0, 0, 8, 1, 2, 3, 4]
        // The ICV covers the new payload too, so this fails the ICV, after framing passed.
        #expect(open(prefixed(nonce), offset: 36) == .integrityFailed)
        #expect(open(prefixed(nonce), offset: nil) == .integrityFailed)
        #expect(open(prefixed(nonce), offset: 28) == .notEncryptedPayload)
        #expect(open(prefixed(nonce, nextAfterIt: 0), offset: nil) == .noEncryptedPayload)
        #expect(open(prefixed(nonce, nextAfterIt: 0), offset: 36) == .badPayloadOffset)
        #expect(open(prefixed([46, 0, 0, 3, 1, 2, 3, 4]), offset: 36) == .malformedPayloadChain)
        #expect(open(prefixed([46, 0, 0xff, 0xff, 1, 2, 3, 4]), offset: nil) == .malformedPayloadChain)
        // A chain of many empty payloads before SK.
        var long = Array(good[0..<28])
        long[16] = 1
        for _ in 0..<40 { long += [1, 0, 0, 4] }
        long += [46, 0, 0, 4]
        long.setBE32(24, UInt32(long.count))
        #expect(open(long, offset: nil) == .malformedPayloadChain)

        var length = good
        length.setBE16(30, UInt16(good.count - 28 - 1))
        #expect(open(length) == .payloadLengthMismatch)
        // SK with a header only, and with less than one block of ciphertext.
        var tiny = Array(good[0..<32])
        tiny.setBE32(24, 32)
        tiny.setBE16(30, 4)
        #expect(open(tiny) == .payloadTooShort)
        var short = Array(good[0..<(32 + 16 + 8 + 16)])
        short.setBE32(24, UInt32(short.count))
        short.setBE16(30, UInt16(short.count - 28))
        #expect(open(short) == .payloadTooShort)
        // 17 bytes of CBC ciphertext.
        var misaligned = Array(good[0..<(32 + 16 + 17 + 16)])
        misaligned.setBE32(24, UInt32(misaligned.count))
        misaligned.setBE16(30, UInt16(misaligned.count - 28))
        #expect(open(misaligned) == .notBlockAligned)
        // An SKF header cut short.
        var skf = Array(good[0..<34])
        skf[16] = 53
        skf.setBE32(24, 34)
        skf.setBE16(30, 6)
        #expect(open(skf) == .payloadTooShort)
    }

    /// A pad length that points before the plaintext, in a message whose tag is valid
    /// (built here with the AEAD wrapper directly, since `seal` never writes one).
    @Test func padLengthBeyondThePlaintextIsRejected() throws {
        let sa = Self.sa(.aesGCM(keyBits: 128, icvLength: 16), nil)
        let protection = try IKEv2MessageProtection(sa: sa)
        let key = Array(sa.skEi[0..<16])
        let salt = Array(sa.skEi[16...])
        let sealer = try AEADContext(.aesGCM(keyBytes: 16), key: key, encrypt: true)
        for (plaintext, expected) in [
            ([1, 2, 3, 4] as [UInt8], IKEv2ProtectionCode.badPadLength), ([1, 2, 3, 4, 9], .badPadLength),
            ([255], .badPadLength), ([0], nil), ([7, 7, 1], nil), ([1, 2, 3, 3], nil),
        ] {
            let iv: [UInt8] = [9, 8, 7, 6, 5, 4, 3, 2]
            var message = Self.header()
            message[16] = 46
            let total = 28 + 4 + 8 + plaintext.count + 16
            message.setBE32(24, UInt32(total))
            message += [40, 0, UInt8((total - 28) >> 8), UInt8((total - 28) & 0xff)]
            let aad = message  // through the SK header, not the IV
            message += iv
            message += [UInt8](repeating: 0, count: plaintext.count + 16)
            _ = try sealer.seal(
                nonce: salt + iv, aad: aad, aadRange: 0..<aad.count, input: plaintext, plaintext: 0..<plaintext.count,
                tagLength: 16, output: &message, outputOffset: 40)
            let opened = protection.open(message: message, messageRange: 0..<message.count, sentByInitiator: true)
            #expect(Self.code(opened) == expected, "\(plaintext)")
            if expected == nil {
                #expect(
                    (try? opened.get())?.payloads == Array(plaintext[0..<(plaintext.count - 1 - Int(plaintext.last!))]))
            }
        }
    }

    /// Random bytes behind a valid-looking header never trap, whatever they claim.
    @Test(.seeded(0x1ce_0ba5_eed)) func randomMessagesNeverTrap() throws {
        let protections = try [
            Self.sa(.aesCBC(keyBits: 128), .hmacSHA1_96), Self.sa(.aesGCM(keyBits: 256, icvLength: 16), nil),
            Self.sa(.aesCCM(keyBits: 128, icvLength: 8), nil), Self.sa(.aesCTR(keyBits: 128), .aesXCBC_96),
        ]
        .map { try IKEv2MessageProtection(sa: $0) }
        var generator = TestSeed.current.generator
        for round in 0..<2000 {
            let count = Int.random(in: 0...120, using: &generator)
            var bytes = generator.bytes(count)
            if count >= 28 {
                bytes[16] = [46, 53, 40, 0][round % 4]
                bytes[17] = 0x20
                bytes.setBE32(24, UInt32(count))
                if count >= 32 && round % 2 == 0 { bytes.setBE16(30, UInt16(count - 28)) }
            }
            for protection in protections {
                let offset = round % 3 == 0 ? Int.random(in: -2...130, using: &generator) : 28
                if case .success = protection.open(
                    message: bytes, messageRange: 0..<count, encryptedPayloadOffset: offset,
                    sentByInitiator: round % 2 == 0)
                {
                    Issue.record("random bytes opened (round \(round))")
                }
                _ = protection.open(message: bytes, messageRange: 0..<count, sentByInitiator: true)
            }
        }
    }
}

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
