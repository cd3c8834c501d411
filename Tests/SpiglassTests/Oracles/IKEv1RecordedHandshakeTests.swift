import Foundation
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

/// The Main Mode pre-shared-key handshake ("AAAA", AES-128-CBC, SHA-1, MODP-1024) and Quick
/// Mode that RUB-NDS IPsec-StateMachineExtractor recorded against a real IKEv1 responder and
/// replays in its `IKEv1HandshakeIT.testMainModePSKHandshake` (Apache-2.0). The initiator's
/// DH private key is in that test; g^xy below was computed from it and the responder's KE
/// (g^x of the private key equals the KE of message 3). The responder's HASH_R and HASH(2)
/// were made by the real peer: matching them checks SKEYID, SKEYID_a, SKEYID_e, the phase-1
/// IV, CBC chaining across directions and the phase-2 IV.
@Suite struct IKEv1RecordedHandshakeTests {
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
