import SpiglassSAD

/// Why an SA's packets fail their ICV: tried once per SA, on its first failing packet, by
/// decrypting it again under the variants of the SA that users get wrong most often.
public enum ICVFailureDiagnosis {
    /// What a failing packet says about its SA.
    public enum Cause: Sendable, Equatable {
        /// A variant of the SA verifies the packet: the words say which setting to change.
        case variant(String)
        /// No variant verifies, but the payload decrypts to a well-formed packet (non-AEAD SAs
        /// only): the integrity key, or its algorithm, is the wrong one, unless other packets of
        /// the SA verify (then this one was damaged).
        case integrityKey(String)

        public var message: String {
            switch self {
            case .variant(let words), .integrityKey(let words): return words
            }
        }
    }

    /// Why the packet fails: a variant of the SA that verifies it, or else an encryption key
    /// under which its payload is valid plaintext; nil when neither (then the keys themselves
    /// are wrong, or the packet was corrupted). `transport` says what a transport-mode
    /// payload's checksums cover (see `PlaintextCheck`).
    ///
    /// The keys of `otherCount` other SAs are tried too, each through `otherState(i)`, its
    /// cipher state (nil when it has none). The caller keeps those states: building the
    /// contexts of up to 256 SAs again for every diagnosis would cost more than the rest of
    /// the analysis of a capture where many SAs fail.
    public static func diagnose(
        _ packet: [UInt8], esp: Range<Int>, sa: SecurityAssociation, sequenceHigh: UInt32,
        transport: PlaintextCheck.Transport, ownState: ESPCryptoState,
        otherCount: Int, otherState: (Int) -> ESPCryptoState?
    ) -> Cause? {
        if let variant = verifyingVariant(
            packet, esp: esp, sa: sa, sequenceHigh: sequenceHigh, otherCount: otherCount, otherState: otherState)
        {
            return .variant(variant)
        }
        // The ICV is the key's or the algorithm's fault when the payload decrypts to a real
        // packet: the encryption key is right. (An AEAD key is both; NULL encryption has none.)
        guard !sa.encryption.isAEAD, sa.encryption != .null else { return nil }
        if wellFormed(packet, esp: esp, state: ownState, sequenceHigh: sequenceHigh, transport: transport) {
            return .integrityKey(
                "the ICV fails but the payload looks like valid plaintext under the encryption key of \(sa.origin): the integrity key (or its algorithm) is wrong"
            )
        }
        if let other = decryptingSA(
            packet, esp: esp, sa: sa, sequenceHigh: sequenceHigh, transport: transport, otherCount: otherCount,
            otherState: otherState)
        {
            return .integrityKey(
                "the ICV fails but the payload looks like valid plaintext under the encryption key of the SA at \(describe(other)): the keys of two SAs are mixed up"
            )
        }
        return nil
    }

    /// Why an SA's packets verify but decrypt to garbage: another SA's encryption key under
    /// which the payload is valid plaintext, or nil.
    public static func diagnoseGarbled(
        _ packet: [UInt8], esp: Range<Int>, sa: SecurityAssociation, sequenceHigh: UInt32,
        transport: PlaintextCheck.Transport, otherCount: Int, otherState: (Int) -> ESPCryptoState?
    ) -> String? {
        guard !sa.encryption.isAEAD else { return nil }
        return decryptingSA(
            packet, esp: esp, sa: sa, sequenceHigh: sequenceHigh, transport: transport, otherCount: otherCount,
            otherState: otherState
        ).map {
            "the payload decrypts with the encryption key of the SA at \(describe($0)): encryption keys swapped between directions?"
        }
    }

    /// Whether the payload, decrypted with `state`'s cipher and its ICV left unchecked, is a
    /// packet the release rule would let out.
    static func wellFormed(
        _ packet: [UInt8], esp: Range<Int>, state: ESPCryptoState, sequenceHigh: UInt32,
        transport: PlaintextCheck.Transport
    ) -> Bool {
        var output = [UInt8](repeating: 0, count: esp.count + 64)
        let result = ESPDecryptor.decrypt(
            packet, esp: esp, state: state, sequenceHigh: sequenceHigh, output: &output, verifyIntegrity: false)
        guard result.verdict == .decrypted else { return false }
        let tunnel = result.nextHeader == 4 || result.nextHeader == 41
        return PlaintextCheck.judge(result, plain: output, transport: tunnel ? nil : transport).verdict == .decrypted
    }

    /// Another non-AEAD ESP SA whose encryption key turns the payload into a packet.
    static func decryptingSA(
        _ packet: [UInt8], esp: Range<Int>, sa: SecurityAssociation, sequenceHigh: UInt32,
        transport: PlaintextCheck.Transport, otherCount: Int, otherState: (Int) -> ESPCryptoState?
    ) -> SecurityAssociation? {
        for index in 0..<otherCount {
            guard let state = otherState(index) else { continue }
            let other = state.sa
            guard other != sa, other.ipsecProtocol == .esp, !other.encryption.isAEAD, other.encryption != .null,
                other.encryptionKey != sa.encryptionKey
            else { continue }
            if wellFormed(packet, esp: esp, state: state, sequenceHigh: sequenceHigh, transport: transport) {
                return other
            }
        }
        return nil
    }

    static func describe(_ sa: SecurityAssociation) -> String {
        "\(sa.origin)\(sa.spi.map { " (spi 0x" + String($0.rawValue, radix: 16) + ")" } ?? "")"
    }

    /// A variant of the SA that verifies the packet, described for the user; or nil when none
    /// does.
    static func verifyingVariant(
        _ packet: [UInt8], esp: Range<Int>, sa: SecurityAssociation, sequenceHigh: UInt32,
        otherCount: Int, otherState: (Int) -> ESPCryptoState?
    ) -> String? {
        var output = [UInt8](repeating: 0, count: esp.count + 64)
        func verifies(_ state: ESPCryptoState, high: UInt32) -> Bool {
            ESPDecryptor.decrypt(packet, esp: esp, state: state, sequenceHigh: high, output: &output).icv == .good
        }
        func verifies(_ candidate: SecurityAssociation, high: UInt32) -> Bool {
            guard let state = try? ESPCryptoState(sa: candidate) else { return false }
            return verifies(state, high: high)
        }
        // ESN set the other way round.
        var flipped = sa
        flipped.extendedSequenceNumbers.toggle()
        if verifies(flipped, high: sequenceHigh) {
            return sa.extendedSequenceNumbers
                ? "the ICV verifies without extended sequence numbers: set esn=no"
                : "the ICV verifies with extended sequence numbers (high bits \(sequenceHigh)): set esn=yes"
        }
        // Another ICV length for the same hash or combined cipher.
        let integrityVariants: [IntegrityAlgorithm]
        switch sa.integrity {
        case .hmacSHA256_128: integrityVariants = [.hmacSHA256_96]
        case .hmacSHA256_96: integrityVariants = [.hmacSHA256_128]
        case .hmacSHA1_96: integrityVariants = [.hmacMD5_96, .hmacSHA256_128]
        case .hmacMD5_96: integrityVariants = [.hmacSHA1_96]
        default: integrityVariants = []
        }
        for variant in integrityVariants {
            var candidate = sa
            candidate.integrity = variant
            if verifies(candidate, high: sequenceHigh) {
                return "the ICV verifies with \(variant.name) instead of \(sa.integrity.name)"
            }
        }
        if case .aesGCM(let icv) = sa.encryption {
            for other in [8, 12, 16] where other != icv {
                var candidate = sa
                candidate.encryption = .aesGCM(icvLength: other)
                if verifies(candidate, high: sequenceHigh) {
                    return "the ICV verifies as aes-gcm-\(other), not aes-gcm-\(icv)"
                }
            }
        }
        // The keys of another SA (typically the other direction's). Its state serves as it is:
        // decryption reads the SPI from the packet, never from the SA.
        for index in 0..<otherCount {
            guard let state = otherState(index) else { continue }
            let other = state.sa
            guard other != sa && other.ipsecProtocol == .esp else { continue }
            if verifies(state, high: sequenceHigh) {
                return
                    "the ICV verifies with the keys of the SA at \(describe(other)): keys swapped between directions?"
            }
        }
        return nil
    }
}
