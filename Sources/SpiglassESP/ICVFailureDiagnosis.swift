import SpiglassSAD

/// Why an SA's packets fail their ICV: tried once per SA, on its first failing packet, by
/// decrypting it again under the variants of the SA that users get wrong most often.
public enum ICVFailureDiagnosis {
    /// A variant of the SA that verifies the packet, described for the user; or nil when none
    /// does (then the key itself is wrong, or the packet was corrupted).
    ///
    /// The keys of `otherCount` other SAs are tried too, each through `otherState(i)`, its
    /// cipher state (nil when it has none). The caller keeps those states: building the
    /// contexts of up to 256 SAs again for every diagnosis would cost more than the rest of
    /// the analysis of a capture where many SAs fail.
    public static func diagnose(_ packet: [UInt8], esp: Range<Int>, sa: SecurityAssociation, sequenceHigh: UInt32,
                                otherCount: Int, otherState: (Int) -> ESPCryptoState?) -> String? {
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
                if verifies(candidate, high: sequenceHigh) { return "the ICV verifies as aes-gcm-\(other), not aes-gcm-\(icv)" }
            }
        }
        // The keys of another SA (typically the other direction's). Its state serves as it is:
        // decryption reads the SPI from the packet, never from the SA.
        for index in 0..<otherCount {
            guard let state = otherState(index) else { continue }
            let other = state.sa
            guard other != sa && other.ipsecProtocol == .esp else { continue }
            if verifies(state, high: sequenceHigh) {
                return "the ICV verifies with the keys of the SA at \(other.origin)\(other.spi.map { " (spi 0x" + String($0, radix: 16) + ")" } ?? ""): keys swapped between directions?"
            }
        }
        return nil
    }
}

/// Algorithms RFC 8221 (and common sense) advise against, as a finding for reports.
public enum WeakAlgorithmCheck {
    public static func findings(for sa: SecurityAssociation) -> [String] {
        var out: [String] = []
        switch sa.encryption.name {
        case "des-cbc": out.append("DES-CBC is broken (RFC 8221: MUST NOT)")
        case "3des-cbc": out.append("3DES-CBC is legacy (RFC 8221: SHOULD NOT); its 64-bit blocks allow Sweet32-style attacks")
        case "blowfish-cbc", "cast5-cbc": out.append("\(sa.encryption.name) has 64-bit blocks and is not in RFC 8221")
        case "null" where sa.ipsecProtocol == .esp: out.append("NULL encryption: no confidentiality")
        default: break
        }
        if sa.ipsecProtocol == .esp && !sa.encryption.isAEAD && sa.integrity == .null && sa.encryption != .null {
            out.append("encryption without integrity (RFC 8221: MUST NOT for ESP): packets can be altered undetected")
        }
        if sa.integrity == .hmacMD5_96 { out.append("HMAC-MD5-96 (RFC 8221: MUST NOT)") }
        return out
    }
}
