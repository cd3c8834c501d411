import Foundation
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

@Suite struct IKEv2MessageProtectionTests {
    /// The encrypted messages of a case (IKE_AUTH and INFORMATIONAL, all on UDP 4500).
    static func encryptedMessages(_ name: String) throws -> [IKECryptoFixture.Message] {
        try IKECryptoFixture.messages(name).filter { $0.firstPayloadType == 46 || $0.firstPayloadType == 53 }
    }

    static func code(_ result: Result<IKEv2Plaintext, IKEv2ProtectionError>) -> IKEv2ProtectionCode? {
        if case .failure(let error) = result { return error.code }
        return nil
    }

    /// IKEv2 and IKEv1 errors share one shape: the code by its name, then where (the words for
    /// why are SpiglassAnalysis's, `IKEProtectionErrorTextTests`).
    @Test func protectionErrorsOfBothVersionsDescribeThemselvesAlike() {
        let v2 = IKEv2ProtectionError(.badPadLength, offset: 71, .encrypted(.padLength(9, before: 7)))
        #expect(v2.description == "badPadLength at offset 71")
        let v1 = IKEv1ProtectionError(.missingHash, .hash(.hashNeedsHash(.quickMode1)))
        #expect(v1.description == "missingHash")
        #expect(v1 != IKEv1ProtectionError(.missingHash, offset: 0, .hash(.hashNeedsHash(.quickMode1))))
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
