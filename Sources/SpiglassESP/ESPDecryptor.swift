import SpiglassCrypto
import SpiglassSAD
import SpiglassWire

/// RFC 4303 inbound processing of one packet: integrity first, then decryption, then the
/// trailer. Nothing is released unless the ICV verified (or the SA has none).
public enum ESPDecryptor {
    /// Decrypts the ESP packet `packet[esp]` (SPI through ICV) with `state`'s SA, writing the
    /// plaintext to the start of `output`, which must hold at least `esp.count` bytes.
    /// `sequenceHigh` is the inferred high half of an extended sequence number (ignored
    /// without ESN).
    ///
    /// `verifyIntegrity: false` skips the ICV of a non-AEAD SA (the status is then
    /// `unchecked`): only for diagnosis, which asks whether the payload is plaintext under some
    /// key. Nothing decrypted that way may be released.
    public static func decrypt(
        _ packet: [UInt8], esp: Range<Int>, state: ESPCryptoState, sequenceHigh: UInt32,
        output: inout [UInt8], verifyIntegrity: Bool = true
    ) -> ESPResult {
        if case .unsupported(let reason) = state.engine {
            return .fail(.unsupportedAlgorithm, .none, reason)
        }
        let layout = state.layout
        let ivLength = layout.ivLength
        let icvLength = layout.icvLength
        let minimum = 8 + ivLength + 2 + icvLength
        guard esp.count >= minimum, esp.lowerBound >= 0, esp.upperBound <= packet.count else {
            return .fail(
                .malformed, .none,
                "ESP of \(esp.count) bytes is shorter than the \(minimum) bytes of header, IV, trailer and ICV this SA needs"
            )
        }
        let ivStart = esp.lowerBound + 8
        let cipherStart = ivStart + ivLength
        let icvStart = esp.upperBound - icvLength
        let cipherRange = cipherStart..<icvStart
        if cipherRange.count % layout.ciphertextMultiple != 0 {
            return .fail(
                .malformed, .none,
                "ciphertext of \(cipherRange.count) bytes is not a multiple of the \(layout.ciphertextMultiple)-byte block"
            )
        }
        guard output.count >= cipherRange.count else {
            return .fail(.malformed, .none, "ESP payload of \(cipherRange.count) bytes exceeds the output buffer")
        }
        if layout.extendedSequenceNumbers { state.setSequenceHigh(sequenceHigh) }
        let parts = Parts(esp: esp, ivStart: ivStart, cipher: cipherRange, icv: icvStart..<esp.upperBound)
        var icvStatus: ICVStatus = .none
        do {
            // Integrity of non-combined transforms, compared before anything is decrypted.
            if !layout.isAEAD {
                icvStatus = try checkIntegrity(packet, parts, state: state, verify: verifyIntegrity)
                guard icvStatus != .failed else { return .fail(.icvFailed, .failed, "ICV mismatch") }
            }
            guard try decipher(packet, parts, state: state, output: &output, icvStatus: &icvStatus) else {
                if case .gmac = state.engine { return .fail(.icvFailed, .failed, "AES-GMAC tag mismatch") }
                return .fail(.icvFailed, .failed, "AEAD tag mismatch")
            }
        } catch {
            return .fail(.malformed, icvStatus, "crypto error: \(error)")
        }
        return readTrailer(output, count: cipherRange.count, icvStatus: icvStatus)
    }

    /// Where the fields of one ESP packet lie (indices into the packet).
    struct Parts {
        var esp: Range<Int>
        var ivStart: Int
        /// The encrypted payload, padding, pad length and next header.
        var cipher: Range<Int>
        var icv: Range<Int>
    }

    /// The ICV of a non-combined transform: HMAC (or XCBC, CMAC) over SPI..ciphertext, plus the
    /// ESN high bits appended (RFC 4303 2.2.1). `.failed` when it does not match.
    @inline(__always)
    static func checkIntegrity(_ packet: [UInt8], _ parts: Parts, state: ESPCryptoState, verify: Bool) throws
        -> ICVStatus
    {
        let icvLength = parts.icv.count
        guard verify else { return icvLength > 0 ? .unchecked : .none }
        guard let integrity = state.integrity else { return icvLength > 0 ? .unchecked : .none }
        let ok = try integrity.verify(
            data: packet, range: parts.esp.lowerBound..<parts.icv.lowerBound,
            trailer: state.sequenceHighTrailer,
            trailerRange: state.layout.extendedSequenceNumbers ? 0..<4 : 0..<0,
            expected: packet, expectedRange: parts.icv)
        return ok ? .good : .failed
    }

    /// Decrypts the payload into `output` (combined transforms check their tag here and set
    /// `icvStatus`). Returns false when a combined transform's tag does not verify, true when
    /// `output` holds the plaintext: a flag rather than the failed result, which as an optional
    /// was copied and destroyed on every packet.
    @inline(__always)
    static func decipher(
        _ packet: [UInt8], _ parts: Parts, state: ESPCryptoState, output: inout [UInt8],
        icvStatus: inout ICVStatus
    ) throws -> Bool {
        let cipherRange = parts.cipher
        switch state.engine {
        case .null:
            for i in 0..<cipherRange.count { output[i] = packet[cipherRange.lowerBound + i] }
        case .cbc(let context):
            _ = try context.run(
                iv: packet, ivRange: parts.ivStart..<cipherRange.lowerBound, input: packet, inputRange: cipherRange,
                output: &output, outputOffset: 0)
        case .ctr(let context, let nonce):
            // RFC 3686 counter block: nonce ‖ IV ‖ 1.
            for i in 0..<4 { state.counterBlock[i] = nonce[i] }
            for i in 0..<8 { state.counterBlock[4 + i] = packet[parts.ivStart + i] }
            _ = try context.run(
                iv: state.counterBlock, ivRange: 0..<16, input: packet, inputRange: cipherRange,
                output: &output, outputOffset: 0)
        case .aead(let context, _):
            // Nonce: salt ‖ IV (explicit, or the sequence number for RFC 8750). AAD: SPI ‖
            // sequence (RFC 4106 5, RFC 4309 5, RFC 7634 2.1), the packet's first 8 bytes, read
            // in place; with ESN SPI ‖ high ‖ low, assembled in `state.aad`.
            let espStart = parts.esp.lowerBound
            let ok: Bool
            if state.layout.extendedSequenceNumbers {
                let aadLength = state.prepareNonceAndAAD(packet: packet, espStart: espStart)
                ok = try context.open(
                    nonce: state.nonce, aad: state.aad, aadRange: 0..<aadLength,
                    input: packet, ciphertext: cipherRange, tag: parts.icv,
                    output: &output, outputOffset: 0)
            } else {
                state.prepareNonce(packet: packet, espStart: espStart)
                ok = try context.open(
                    nonce: state.nonce, aad: packet, aadRange: espStart..<(espStart + 8),
                    input: packet, ciphertext: cipherRange, tag: parts.icv,
                    output: &output, outputOffset: 0)
            }
            guard ok else { return false }
            icvStatus = .good
        case .gmac(let context, _):
            // RFC 4543 3.2/5: nothing is encrypted; the GMAC AAD is SPI ‖ sequence (‖ ESN
            // high in the middle) ‖ IV ‖ payload ‖ padding ‖ pad length ‖ next header.
            let aadLength = state.prepareNonceAndAAD(packet: packet, espStart: parts.esp.lowerBound)
            let icvStart = parts.icv.lowerBound
            let ok = try context.open(
                nonce: state.nonce, aad: state.aad, aadRange: 0..<aadLength,
                extraAAD: packet, extraAADRange: parts.ivStart..<icvStart,
                input: packet, ciphertext: icvStart..<icvStart, tag: parts.icv,
                output: &output, outputOffset: 0)
            guard ok else { return false }
            icvStatus = .good
            for i in 0..<cipherRange.count { output[i] = packet[cipherRange.lowerBound + i] }
        case .unsupported:
            break
        }
        return true
    }

    /// The RFC 4303 2.4 trailer at the end of the `count` plaintext bytes in `output`.
    @inline(__always)
    static func readTrailer(_ output: [UInt8], count: Int, icvStatus: ICVStatus) -> ESPResult {
        let padLength = Int(output[count - 2])
        let nextHeader = output[count - 1]
        guard padLength + 2 <= count else {
            var result = ESPResult.fail(
                .garbled, icvStatus, "pad length \(padLength) exceeds the \(count - 2)-byte payload")
            result.nextHeader = nextHeader
            return result
        }
        let payloadLength = count - 2 - padLength
        // RFC 4303 2.4: default padding is 1, 2, 3, …; receivers SHOULD check it. Other bytes
        // do not make an authentic packet false (Linux does not drop it): they are reported,
        // and count as evidence only where the plaintext cannot be checked (`PlaintextCheck`).
        var defaultPadding = true
        for i in 0..<padLength where output[payloadLength + i] != UInt8(truncatingIfNeeded: i + 1) {
            defaultPadding = false
            break
        }
        return ESPResult(
            verdict: nextHeader == IPProtocol.noNextHeader ? .dummy : .decrypted, icv: icvStatus,
            nextHeader: nextHeader,
            padLength: padLength, payloadLength: payloadLength, detail: nil, defaultPadding: defaultPadding)
    }
}
