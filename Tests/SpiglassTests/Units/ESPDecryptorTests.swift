import SpiglassCrypto
import SpiglassESP
import SpiglassSAD
import SpiglassWire
import Testing

/// Seals ESP packets with arbitrary plaintext (trailer included) straight through the crypto
/// wrappers, for packets ESPPacketBuilder will not make (a pad length beyond the payload).
func sealRawESP(sa: SecurityAssociation, spi: UInt32, sequence: UInt64, iv: [UInt8], plaintext: [UInt8]) throws
    -> [UInt8]
{
    let enc = sa.encryption
    let key = sa.encryptionKey
    let cipherKey = Array(key[0..<(key.count - enc.saltLength)])
    let salt = Array(key[(key.count - enc.saltLength)...])
    var packet: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
    packet.setBE32(0, spi)
    packet.setBE32(4, UInt32(truncatingIfNeeded: sequence))
    var high: [UInt8] = [0, 0, 0, 0]
    high.setBE32(0, UInt32(truncatingIfNeeded: sequence >> 32))
    packet += iv
    var out = [UInt8](repeating: 0, count: plaintext.count + 16)
    // RFC 8750: the 8-byte IV is the 64-bit sequence number (high half 0 without ESN).
    var implicitIV: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
    if sa.extendedSequenceNumbers { implicitIV.setBE32(0, UInt32(truncatingIfNeeded: sequence >> 32)) }
    implicitIV.setBE32(4, UInt32(truncatingIfNeeded: sequence))
    let esnAAD = sa.extendedSequenceNumbers ? Array(packet[0..<4]) + high + Array(packet[4..<8]) : Array(packet[0..<8])
    switch enc {
    case .null:
        packet += plaintext
    case .aesCBC, .tripleDESCBC, .desCBC, .blowfishCBC, .cast5CBC:
        let algorithm: CipherAlgorithm =
            switch enc {
            case .aesCBC: .aesCBC(keyBytes: key.count)
            case .tripleDESCBC: .tripleDESCBC
            case .desCBC: .desCBC
            case .blowfishCBC: .blowfishCBC(keyBytes: key.count)
            default: .cast5CBC(keyBytes: key.count)
            }
        let context = try CipherContext(algorithm, key: key, encrypt: true)
        let n = try context.run(
            iv: iv, ivRange: 0..<iv.count, input: plaintext, inputRange: 0..<plaintext.count, output: &out,
            outputOffset: 0)
        packet += out[0..<n]
    case .aesCTR:
        let context = try CipherContext(.aesCTR(keyBytes: cipherKey.count), key: cipherKey, encrypt: true)
        let n = try context.run(
            iv: salt + iv + [0, 0, 0, 1], ivRange: 0..<16, input: plaintext, inputRange: 0..<plaintext.count,
            output: &out, outputOffset: 0)
        packet += out[0..<n]
    case .aesGCM, .chaCha20Poly1305, .aesCCM, .aesGCMImplicitIV, .aesCCMImplicitIV, .chaCha20Poly1305ImplicitIV:
        let algorithm: AEADAlgorithm =
            switch enc {
            case .chaCha20Poly1305, .chaCha20Poly1305ImplicitIV: .chaCha20Poly1305
            case .aesCCM, .aesCCMImplicitIV: .aesCCM(keyBytes: cipherKey.count, tagLength: sa.encryption.aeadICVLength)
            default: .aesGCM(keyBytes: cipherKey.count)
            }
        let context = try AEADContext(algorithm, key: cipherKey, encrypt: true)
        let nonce = salt + (enc.implicitIV ? implicitIV : iv)
        let n = try context.seal(
            nonce: nonce, aad: esnAAD, aadRange: 0..<esnAAD.count, input: plaintext, plaintext: 0..<plaintext.count,
            tagLength: enc.aeadICVLength, output: &out, outputOffset: 0)
        return packet + out[0..<n]
    case .aesNullGMAC:
        // RFC 4543: AAD = SPI ‖ [high ‖] sequence ‖ IV ‖ payload ‖ trailer, empty plaintext.
        let context = try AEADContext(.aesGCM(keyBytes: cipherKey.count), key: cipherKey, encrypt: true)
        let aad = esnAAD + iv + plaintext
        var tag = [UInt8](repeating: 0, count: 16)
        _ = try context.seal(
            nonce: salt + iv, aad: aad, aadRange: 0..<aad.count, input: [], plaintext: 0..<0, tagLength: 16,
            output: &tag, outputOffset: 0)
        return packet + plaintext + tag
    case .unsupported(let name):
        throw CryptoError(.unsupportedAlgorithm, name)
    }
    let hash: HashFunction? =
        switch sa.integrity {
        case .hmacMD5_96: .md5
        case .hmacSHA1_96: .sha1
        case .hmacSHA256_96, .hmacSHA256_128: .sha256
        case .hmacSHA384_192: .sha384
        case .hmacSHA512_256: .sha512
        case .null, .unchecked, .aesXCBC_96, .aesCMAC_96, .aesGMAC: nil
        }
    let esnTrailer = sa.extendedSequenceNumbers ? 0..<4 : 0..<0
    if let hash {
        let hmac = try HMACContext(hash, key: sa.integrityKey)
        var icv = [UInt8](repeating: 0, count: sa.integrity.icvLength)
        try hmac.compute(
            data: packet, range: 0..<packet.count, trailer: high, trailerRange: esnTrailer,
            truncatedTo: icv.count, output: &icv, outputOffset: 0)
        packet += icv
    } else if sa.integrity == .aesXCBC_96 {
        // One contiguous message here (the decryptor feeds the ESN high bits as a trailer).
        let message = packet + (sa.extendedSequenceNumbers ? high : [])
        var icv = [UInt8](repeating: 0, count: 12)
        try XCBCContext(key: sa.integrityKey).compute(
            data: message, range: 0..<message.count, truncatedTo: 12, output: &icv, outputOffset: 0)
        packet += icv
    } else if sa.integrity == .aesCMAC_96 {
        let message = packet + (sa.extendedSequenceNumbers ? high : [])
        var icv = [UInt8](repeating: 0, count: 12)
        try CMACContext(key: sa.integrityKey).compute(
            data: message, range: 0..<message.count, truncatedTo: 12, output: &icv, outputOffset: 0)
        packet += icv
    } else {
        packet += [UInt8](repeating: 0, count: sa.integrity.icvLength)
    }
    return packet
}

@Suite struct ESPDecryptorTests {
    static let payloadSizes = [0, 1, 2, 3, 13, 14, 15, 16, 17, 31, 64, 100, 1400]

    func payload(_ n: Int, salt: Int = 0) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ salt) } }

    func decrypt(_ packet: [UInt8], _ state: ESPCryptoState, high: UInt32 = 0, range: Range<Int>? = nil) -> (
        ESPResult, [UInt8]
    ) {
        let range = range ?? 0..<packet.count
        var output = [UInt8](repeating: 0xA5, count: max(range.count, 0))
        let result = ESPDecryptor.decrypt(packet, esp: range, state: state, sequenceHigh: high, output: &output)
        return (result, output)
    }

    func expectedICV(_ c: ESPCombination) -> ICVStatus { c.authenticated ? .good : .none }

    @Test func combinationList() {
        // 14 ciphers x 9 integrity + 20 AEAD variants.
        #expect(ESPCombination.all.count == 14 * 9 + 20)
        #expect(ESPCombination.authenticatedOnes.count == 8 * 14 + 20)
    }

    // MARK: round trips

    @Test(arguments: ESPCombination.all)
    func roundTrip(_ c: ESPCombination) throws {
        let sa = c.sa()
        let builder = try ESPPacketBuilder(sa: sa)
        let state = try ESPCryptoState(sa: sa)
        for (i, size) in Self.payloadSizes.enumerated() {
            let data = payload(size, salt: i)
            for nextHeader: UInt8 in [4, 41, 6] {
                let packet = try builder.build(
                    spi: 0x1234_5678, sequence: UInt64(i + 1), payload: data, nextHeader: nextHeader)
                let expectedLength =
                    8 + sa.encryption.ivLength
                    + ((size + 2 + max(sa.encryption.blockSize, 4) - 1) / max(sa.encryption.blockSize, 4))
                    * max(sa.encryption.blockSize, 4) + sa.icvLength
                #expect(packet.count == expectedLength, "\(c) size \(size): packet length")
                let (result, output) = decrypt(packet, state)
                #expect(result.verdict == .decrypted, "\(c) size \(size): \(result.detail ?? "")")
                #expect(result.icv == expectedICV(c))
                #expect(result.nextHeader == nextHeader)
                #expect(result.payloadLength == size)
                #expect(
                    Array(output[0..<min(result.payloadLength, output.count)]) == data, "\(c) size \(size): plaintext")
            }
        }
        // Extra padding (RFC 4303 2.4 allows up to 255 bytes) is stripped too.
        let data = payload(20)
        let padded = try builder.build(
            spi: 1, sequence: 9, payload: data, nextHeader: 4, extraPadding: 2 * max(sa.encryption.blockSize, 4))
        let (result, output) = decrypt(padded, state)
        #expect(
            result.verdict == .decrypted && result.payloadLength == 20 && Array(output[0..<20]) == data,
            "\(c): extra padding")
    }

    /// The builder agrees byte for byte with an independent sealer over the same IV.
    @Test(arguments: ESPCombination.all)
    func builderMatchesIndependentSealer(_ c: ESPCombination) throws {
        for esn in [false, true] {
            let sa = c.sa(esn: esn)
            let builder = try ESPPacketBuilder(sa: sa)
            let iv = (0..<sa.encryption.ivLength).map { UInt8($0 * 11 + 3) }
            let data = payload(45)
            let sequence: UInt64 = 0x0000_0007_0000_0102
            let built = try builder.build(spi: 0xCAFE_0001, sequence: sequence, payload: data, nextHeader: 17, iv: iv)
            let block = max(sa.encryption.blockSize, 4)
            let padLength = (block - (data.count + 2) % block) % block
            let plain = data + (0..<padLength).map { UInt8($0 + 1) } + [UInt8(padLength), 17]
            let raw = try sealRawESP(sa: sa, spi: 0xCAFE_0001, sequence: sequence, iv: iv, plaintext: plain)
            #expect(built == raw, "\(c) esn=\(esn)")
        }
    }

    // MARK: ESN

    @Test(arguments: ESPCombination.all)
    func extendedSequenceNumbers(_ c: ESPCombination) throws {
        let sa = c.sa(esn: true)
        let builder = try ESPPacketBuilder(sa: sa)
        let state = try ESPCryptoState(sa: sa)
        for high: UInt32 in [1, 0x8765_4321, 0xFFFF_FFFF] {
            for low: UInt32 in [0, 1, 0xFFFF_FFFF] {
                let sequence = UInt64(high) << 32 | UInt64(low)
                let data = payload(33, salt: Int(low & 0xff))
                let packet = try builder.build(spi: 0x0BAD_CAFE, sequence: sequence, payload: data, nextHeader: 4)
                // Only the low half goes on the wire.
                #expect(packet.be32At(4) == low)
                let (good, output) = decrypt(packet, state, high: high)
                #expect(good.verdict == .decrypted, "\(c) high \(high) low \(low): \(good.detail ?? "")")
                #expect(good.icv == expectedICV(c))
                #expect(Array(output[0..<min(good.payloadLength, output.count)]) == data)
                for wrong in [high &- 1, high &+ 1, 0, high ^ 0x8000_0000] where wrong != high {
                    let (bad, _) = decrypt(packet, state, high: wrong)
                    if c.authenticated {
                        #expect(
                            bad.verdict == .icvFailed, "\(c) high \(high) decrypted with high \(wrong): \(bad.verdict)")
                        #expect(bad.icv == .failed && bad.payloadLength == 0)
                    } else {
                        // Without integrity the high half is not used at all.
                        #expect(bad.verdict == .decrypted)
                    }
                }
            }
        }
        // A packet built without ESN (same keys) does not verify on the ESN SA unless the high
        // half is 0 and the transform is HMAC (the trailer 00000000 changes the MAC) or AEAD
        // (the AAD is 12 bytes instead of 8): never for authenticated SAs.
        if c.authenticated {
            let plainSA = c.sa(esn: false)
            let packet = try ESPPacketBuilder(sa: plainSA).build(
                spi: 0x0BAD_CAFE, sequence: 5, payload: payload(10), nextHeader: 4)
            let (result, _) = decrypt(packet, state, high: 0)
            #expect(result.verdict == .icvFailed, "\(c): non-ESN packet accepted by ESN SA")
            let (plain, _) = decrypt(packet, try ESPCryptoState(sa: plainSA), high: 0xDEAD)
            #expect(plain.verdict == .decrypted, "\(c): sequenceHigh must be ignored without ESN")
        }
    }

    // MARK: single-bit flips

    @Test(arguments: ESPCombination.authenticatedOnes)
    func everyBitFlipFailsIntegrity(_ c: ESPCombination) throws {
        for esn in [false, true] {
            let sa = c.sa(esn: esn)
            let state = try ESPCryptoState(sa: sa)
            let data = payload(21)
            let high: UInt32 = esn ? 0x0000_0003 : 0
            let packet = try ESPPacketBuilder(sa: sa).build(
                spi: 0x1234_5678, sequence: UInt64(high) << 32 | 42, payload: data, nextHeader: 4)
            #expect(decrypt(packet, state, high: high).0.verdict == .decrypted)
            var failures = 0
            for bit in 0..<(packet.count * 8) {
                var flipped = packet
                flipped[bit / 8] ^= UInt8(1 << (bit % 8))
                let (result, output) = decrypt(flipped, state, high: high)
                let region = region(of: bit / 8, packetLength: packet.count, sa: sa)
                if result.verdict == .icvFailed && result.icv == .failed && result.payloadLength == 0 {
                    failures += 1
                } else {
                    Issue.record(
                        "\(c) esn=\(esn): flipping bit \(bit % 8) of byte \(bit / 8) (\(region)) gave \(result.verdict)/\(result.icv)"
                    )
                }
                if !sa.encryption.isAEAD {
                    // HMAC is checked before decrypting: the output buffer is not even written.
                    #expect(
                        output.allSatisfy { $0 == 0xA5 },
                        "\(c): output written for a packet that failed the ICV (\(region))")
                }
            }
            #expect(failures == packet.count * 8)
            // The state still decrypts the original afterwards.
            #expect(decrypt(packet, state, high: high).0.verdict == .decrypted)
        }
    }

    func region(of byte: Int, packetLength: Int, sa: SecurityAssociation) -> String {
        let iv = sa.encryption.ivLength
        switch byte {
        case 0..<4: return "SPI"
        case 4..<8: return "sequence"
        case 8..<(8 + iv): return "IV"
        case (packetLength - sa.icvLength)...: return "ICV"
        default: return "ciphertext"
        }
    }

    /// Without integrity a flipped bit cannot be detected, but decryption must not crash and
    /// must not report a verified ICV.
    @Test(arguments: ESPCombination.all.filter { !$0.authenticated })
    func bitFlipsWithoutIntegrityNeverClaimAuthenticity(_ c: ESPCombination) throws {
        let sa = c.sa()
        let state = try ESPCryptoState(sa: sa)
        let packet = try ESPPacketBuilder(sa: sa).build(spi: 7, sequence: 1, payload: payload(21), nextHeader: 4)
        for bit in 0..<(packet.count * 8) {
            var flipped = packet
            flipped[bit / 8] ^= UInt8(1 << (bit % 8))
            let (result, _) = decrypt(flipped, state)
            #expect(result.icv != .good)
            #expect(result.verdict != .icvFailed)
        }
    }

    // MARK: truncation

    @Test(arguments: ESPCombination.all)
    func everyTruncation(_ c: ESPCombination) throws {
        let sa = c.sa()
        let state = try ESPCryptoState(sa: sa)
        for size in [0, 5, 40] {
            let packet = try ESPPacketBuilder(sa: sa).build(
                spi: 0xABCD, sequence: 3, payload: payload(size), nextHeader: 4)
            for length in 0..<packet.count {
                // Both as a shorter array and as a shorter range of the intact array.
                let short = Array(packet[0..<length])
                let (asArray, _) = decrypt(short, state)
                let (asRange, _) = decrypt(packet, state, range: 0..<length)
                for result in [asArray, asRange] {
                    if c.authenticated {
                        #expect(
                            result.verdict == .malformed || result.verdict == .icvFailed,
                            "\(c) payload \(size): truncated to \(length) of \(packet.count) gave \(result.verdict)")
                        #expect(result.payloadLength == 0)
                    } else {
                        // Nothing to detect a cut with; it must still not crash or claim an ICV.
                        #expect(result.icv != .good)
                        #expect(result.payloadLength <= max(length - 8 - sa.encryption.ivLength - 2, 0))
                    }
                }
                #expect(asArray.verdict == asRange.verdict, "\(c): truncation as array vs range at \(length)")
                // A range that runs past the array's end is malformed, not a crash.
                let (past, _) = decrypt(short, state, range: 0..<(length + 1))
                #expect(past.verdict == .malformed, "\(c): range past the end at \(length)")
            }
            #expect(decrypt(packet, state).0.verdict == .decrypted)
        }
    }

    /// Lengths that cannot be right for a block cipher (ciphertext not a multiple of the block)
    /// are malformed before any crypto, with or without integrity.
    @Test(
        arguments: ESPCombination.all.filter {
            [.aesCBC, .tripleDESCBC, .desCBC, .blowfishCBC, .cast5CBC].contains($0.encryption)
        })
    func misalignedCiphertextIsMalformed(_ c: ESPCombination) throws {
        let sa = c.sa()
        let state = try ESPCryptoState(sa: sa)
        let packet = try ESPPacketBuilder(sa: sa).build(spi: 1, sequence: 1, payload: payload(40), nextHeader: 4)
        for cut in 1..<sa.encryption.blockSize {
            // Remove `cut` ciphertext bytes just before the ICV.
            let icvStart = packet.count - sa.icvLength
            let shorter = Array(packet[0..<(icvStart - cut)]) + Array(packet[icvStart...])
            #expect(decrypt(shorter, state).0.verdict == .malformed, "\(c): cut \(cut)")
        }
    }

    // MARK: trailer

    /// RFC 4303 2.4: receivers SHOULD check the padding, but other bytes do not make an
    /// authentic packet false: it decrypts, and the result says the padding was not 1, 2, 3, ….
    @Test(arguments: ESPCombination.all)
    func nonDefaultPaddingIsReportedNotRejected(_ c: ESPCombination) throws {
        let sa = c.sa()
        let builder = try ESPPacketBuilder(sa: sa)
        let state = try ESPCryptoState(sa: sa)
        // 11 + 3 + 2 = 16 bytes: a whole number of blocks for every cipher.
        let data = payload(11)
        for padding: [UInt8] in [[1, 2, 4], [0, 0, 0], [3, 2, 1], [1, 1, 3], [2, 2, 3]] {
            let packet = try builder.build(spi: 1, sequence: 1, payload: data, nextHeader: 4, padding: padding)
            let (result, _) = decrypt(packet, state)
            #expect(result.verdict == .decrypted, "\(c) padding \(padding): \(result.verdict)")
            #expect(!result.defaultPadding, "\(c) padding \(padding)")
            #expect(result.icv == expectedICV(c), "\(c): ICV of a packet with odd padding still verifies")
        }
        // Control: the correct explicit padding decrypts.
        let good = try builder.build(spi: 1, sequence: 1, payload: data, nextHeader: 4, padding: [1, 2, 3])
        let (result, output) = decrypt(good, state)
        #expect(result.verdict == .decrypted && result.padLength == 3 && Array(output[0..<11]) == data, "\(c)")
        #expect(result.defaultPadding)
        // Longer-than-needed valid padding (13 + 17 + 2 = 32) is fine too.
        let long = try builder.build(
            spi: 1, sequence: 1, payload: payload(13), nextHeader: 4, padding: (1...17).map { UInt8($0) })
        let (longResult, _) = decrypt(long, state)
        #expect(
            longResult.verdict == .decrypted && longResult.padLength == 17 && longResult.payloadLength == 13, "\(c)")
    }

    @Test(arguments: ESPCombination.all)
    func dummyPacket(_ c: ESPCombination) throws {
        let sa = c.sa()
        let state = try ESPCryptoState(sa: sa)
        let builder = try ESPPacketBuilder(sa: sa)
        for size in [0, 7, 30] {
            let packet = try builder.build(spi: 1, sequence: 2, payload: payload(size), nextHeader: 59)
            let (result, _) = decrypt(packet, state)
            #expect(result.verdict == .dummy, "\(c) size \(size): \(result.verdict)")
            #expect(result.nextHeader == 59)
            #expect(result.icv == expectedICV(c))
        }
        // A dummy with a forged ICV is an ICV failure, not a dummy.
        if c.authenticated {
            var packet = try builder.build(spi: 1, sequence: 2, payload: payload(7), nextHeader: 59)
            packet[packet.count - 1] ^= 1
            #expect(decrypt(packet, state).0.verdict == .icvFailed)
        }
    }

    @Test(arguments: ESPCombination.all)
    func padLengthBeyondPayload(_ c: ESPCombination) throws {
        let sa = c.sa()
        let state = try ESPCryptoState(sa: sa)
        let iv = (0..<sa.encryption.ivLength).map { UInt8($0 + 0x40) }
        // 16 bytes of plaintext (a whole block for every cipher), trailer at 14 and 15.
        func plain(padLength: Int) -> [UInt8] {
            var p = (0..<14).map { UInt8($0 + 1) }  // 1, 2, 3, ... so any pad length up to 14 is valid padding
            p += [UInt8(padLength), 4]
            return p
        }
        for padLength in [15, 16, 200, 255] {
            let packet = try sealRawESP(sa: sa, spi: 9, sequence: 1, iv: iv, plaintext: plain(padLength: padLength))
            let (result, _) = decrypt(packet, state)
            #expect(result.verdict == .garbled, "\(c) pad length \(padLength) in a 16-byte payload: \(result.verdict)")
            #expect(result.icv == expectedICV(c))
        }
        // Boundary: pad length 14 fills the whole payload: legal, empty payload.
        let packet = try sealRawESP(sa: sa, spi: 9, sequence: 1, iv: iv, plaintext: plain(padLength: 14))
        let (edge, _) = decrypt(packet, state)
        #expect(edge.verdict == .decrypted && edge.payloadLength == 0 && edge.padLength == 14, "\(c): \(edge.verdict)")
        // And the smallest trailer: 4 bytes (0, 0 + pad length 0? no: payload 2, pad 0, trailer 2)
        // is only legal where the cipher is not a 8/16-byte block cipher.
        if sa.encryption.blockSize == 4 {
            let small = try sealRawESP(sa: sa, spi: 9, sequence: 1, iv: iv, plaintext: [0xAB, 0xCD, 0, 4])
            let (r, out) = decrypt(small, state)
            #expect(r.verdict == .decrypted && r.payloadLength == 2 && Array(out[0..<2]) == [0xAB, 0xCD], "\(c)")
            let tooLong = try sealRawESP(sa: sa, spi: 9, sequence: 1, iv: iv, plaintext: [1, 2, 3, 4])
            #expect(decrypt(tooLong, state).0.verdict == .garbled, "\(c): pad length 3 in a 4-byte payload")
        }
    }

    @Test func unsupportedAlgorithmIsReported() throws {
        let sa = SecurityAssociation(
            spi: 1, encryption: .unsupported("twofish-cbc"), encryptionKey: [UInt8](repeating: 1, count: 16))
        let state = try ESPCryptoState(sa: sa)
        let packet = [UInt8](repeating: 0, count: 64)
        #expect(decrypt(packet, state).0.verdict == .unsupportedAlgorithm)
        #expect(throws: CryptoError.self) {
            try ESPPacketBuilder(sa: sa).build(spi: 1, sequence: 1, payload: [], nextHeader: 4)
        }
    }

    @Test func uncheckedIntegrityIsNotVerified() throws {
        let sa = SecurityAssociation(
            spi: 1, encryption: .aesCBC, encryptionKey: [UInt8](repeating: 3, count: 16),
            integrity: .unchecked(icvLength: 12))
        let state = try ESPCryptoState(sa: sa)
        var packet = try ESPPacketBuilder(sa: sa).build(spi: 1, sequence: 1, payload: payload(20), nextHeader: 4)
        #expect(packet.count == 8 + 16 + 32 + 12)
        packet[packet.count - 1] ^= 0xFF
        let (result, output) = decrypt(packet, state)
        #expect(result.verdict == .decrypted && result.icv == .unchecked && Array(output[0..<20]) == payload(20))
    }

    /// A small output buffer is malformed, not a crash.
    @Test(arguments: ESPCombination.all)
    func outputBufferTooSmall(_ c: ESPCombination) throws {
        let sa = c.sa()
        let state = try ESPCryptoState(sa: sa)
        let packet = try ESPPacketBuilder(sa: sa).build(spi: 1, sequence: 1, payload: payload(40), nextHeader: 4)
        let cipherCount = packet.count - 8 - sa.encryption.ivLength - sa.icvLength
        var output = [UInt8](repeating: 0, count: cipherCount - 1)
        let result = ESPDecryptor.decrypt(packet, esp: 0..<packet.count, state: state, sequenceHigh: 0, output: &output)
        #expect(result.verdict == .malformed)
        var exact = [UInt8](repeating: 0, count: cipherCount)
        #expect(
            ESPDecryptor.decrypt(packet, esp: 0..<packet.count, state: state, sequenceHigh: 0, output: &exact).verdict
                == .decrypted)
    }

    /// ESP inside a larger frame (non-zero offset) decrypts the same way.
    @Test(arguments: ESPCombination.all)
    func espAtAnOffset(_ c: ESPCombination) throws {
        let sa = c.sa()
        let state = try ESPCryptoState(sa: sa)
        let data = payload(50)
        let packet = try ESPPacketBuilder(sa: sa).build(spi: 1, sequence: 1, payload: data, nextHeader: 4)
        let frame = [UInt8](repeating: 0x77, count: 34) + packet + [UInt8](repeating: 0x66, count: 5)
        let (result, output) = decrypt(frame, state, range: 34..<(34 + packet.count))
        #expect(result.verdict == .decrypted && result.icv == expectedICV(c) && Array(output[0..<50]) == data, "\(c)")
    }

    // MARK: sequence number inference (RFC 4303 Appendix A2.2, W = 64)

    @Test func trackerStartsWithoutHistory() {
        let tracker = SequenceNumberTracker()
        #expect(tracker.highest == nil)
        #expect(tracker.window == 64)
        #expect(tracker.candidates(low: 12345) == (0, 1, 0))
        let started = SequenceNumberTracker(initialHigh: 9)
        #expect(started.highest == UInt64(9) << 32)
        #expect(SequenceNumberTracker(window: 0).window == 1)
    }

    func tracker(high: UInt32, low: UInt32) -> SequenceNumberTracker {
        var t = SequenceNumberTracker(window: 64)
        t.accept(UInt64(high) << 32 | UInt64(low))
        return t
    }

    @Test func caseAWindowWithinOneHighHalf() {
        // Tl = 1000 >= W - 1: the window is 937...1000 within high half 5.
        let t = tracker(high: 5, low: 1000)
        #expect(t.candidates(low: 1000).0 == 5)
        #expect(t.candidates(low: 1001).0 == 5)  // ahead of the window
        #expect(t.candidates(low: 937).0 == 5)  // Tl - W + 1: oldest in the window
        #expect(t.candidates(low: 936).0 == 6)  // below the window: must be after a wrap
        #expect(t.candidates(low: 0).0 == 6)
        #expect(t.candidates(low: 0xFFFF_FFFF).0 == 5)
        // Neighbours are offered next.
        #expect(t.candidates(low: 936) == (6, 7, 5))
        #expect(t.candidates(low: 2000) == (5, 6, 4))
        // Boundary Tl = W - 1 = 63 is still case A: Tl - W + 1 = 0, the window is 0...63.
        let edge = tracker(high: 2, low: 63)
        #expect(edge.candidates(low: 0).0 == 2)
        #expect(edge.candidates(low: 64).0 == 2)
        #expect(edge.candidates(low: 0xFFFF_FFFF).0 == 2)
        // Tl = 64: window 1...64, so 0 is the next high half's.
        let next = tracker(high: 2, low: 64)
        #expect(next.candidates(low: 1).0 == 2)
        #expect(next.candidates(low: 0).0 == 3)
    }

    @Test func caseBWindowSpansAWrap() {
        // Tl = 10 < W - 1: the window is 2^32 - 53 ... 2^32 - 1 of high half 4, then 0...10 of 5.
        let t = tracker(high: 5, low: 10)
        #expect(t.candidates(low: 10).0 == 5)
        #expect(t.candidates(low: 0).0 == 5)
        #expect(t.candidates(low: 11).0 == 5)
        #expect(t.candidates(low: 0xFFFF_FFFF).0 == 4)  // just before the wrap
        #expect(t.candidates(low: 0xFFFF_FFCB).0 == 4)  // Tl - W + 1 (mod 2^32): oldest in the window
        #expect(t.candidates(low: 0xFFFF_FFCA).0 == 5)  // below the window: ahead
        #expect(t.candidates(low: 0xFFFF_FFFF) == (4, 5, 3))
        // Boundary Tl = W - 2 = 62 is case B: Tl - W + 1 = 2^32 - 1.
        let edge = tracker(high: 2, low: 62)
        #expect(edge.candidates(low: 0xFFFF_FFFF).0 == 1)
        #expect(edge.candidates(low: 0xFFFF_FFFE).0 == 2)
        #expect(edge.candidates(low: 0).0 == 2)
    }

    @Test func wrapAcross2to32() {
        var t = tracker(high: 7, low: 0xFFFF_FFF0)
        // Packets just after the wrap of the low half belong to high half 8.
        #expect(t.candidates(low: 0xFFFF_FFFF).0 == 7)
        #expect(t.candidates(low: 0).0 == 8)
        #expect(t.candidates(low: 3).0 == 8)
        t.accept(UInt64(8) << 32 | 3)
        #expect(t.highest == UInt64(8) << 32 | 3)
        // Now a late packet from before the wrap is still placed in high half 7 ...
        #expect(t.candidates(low: 0xFFFF_FFF5).0 == 7)
        #expect(t.candidates(low: 4).0 == 8)
        // ... and an older, authenticated packet does not move T back.
        t.accept(UInt64(7) << 32 | 0xFFFF_FFF5)
        #expect(t.highest == UInt64(8) << 32 | 3)
        // The high half itself wraps modulo 2^32 (a 2^64 wrap never happens in practice).
        let top = tracker(high: 0xFFFF_FFFF, low: 500)
        #expect(top.candidates(low: 1).0 == 0)
    }

    /// End to end: a stream of ESN packets crossing 2^32 is decrypted with the tracker's guesses.
    @Test func trackerDrivesDecryptionAcrossTheWrap() throws {
        let c = ESPCombination(encryption: .aesGCM(icvLength: 16), keyLength: 20, integrity: .null)
        let sa = c.sa(esn: true)
        let builder = try ESPPacketBuilder(sa: sa)
        let state = try ESPCryptoState(sa: sa)
        var tracker = SequenceNumberTracker(window: 64)
        var decrypted = 0
        let start: UInt64 = 0xFFFF_FFF0
        for n in start..<(start + 40) {
            let packet = try builder.build(spi: 1, sequence: n, payload: payload(8, salt: Int(n & 0xff)), nextHeader: 4)
            let low = UInt32(truncatingIfNeeded: n)
            let (first, second, third) = tracker.candidates(low: low)
            for high in [first, second, third] {
                let (result, _) = decrypt(packet, state, high: high)
                if result.verdict == .decrypted {
                    #expect(UInt64(high) << 32 | UInt64(low) == n)
                    tracker.accept(UInt64(high) << 32 | UInt64(low))
                    decrypted += 1
                    break
                }
            }
        }
        #expect(decrypted == 40)
        #expect(tracker.highest == start + 39)
    }
}

extension Array where Element == UInt8 {
    func be32At(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8
            | UInt32(self[offset + 3])
    }
}
