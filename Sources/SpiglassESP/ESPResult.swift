/// What happened to one ESP packet.
public enum ESPVerdict: String, Sendable, Equatable {
    /// Integrity verified (or the SA has none) and the plaintext is released.
    case decrypted
    /// The ICV (or AEAD tag) did not verify: wrong key, wrong algorithm, or corruption.
    case icvFailed = "icv-failed"
    /// Decrypted, but not to the packet the trailer announces: a pad length beyond the
    /// payload, or a payload that is not the packet its next header names (see
    /// `PlaintextCheck`). With a good ICV: a wrong encryption key, algorithm or key length.
    /// Never released.
    case garbled
    /// Next header 59: a TFC dummy packet (RFC 4303 2.6), to be dropped.
    case dummy
    /// Too short or misaligned for the SA's algorithms.
    case malformed
    /// The SA uses an algorithm this build does not implement.
    case unsupportedAlgorithm = "unsupported-algorithm"
}

/// State of the integrity check of one packet.
public enum ICVStatus: String, Sendable, Equatable {
    case good
    case failed
    /// The SA has an ICV of known length but no way to check it ("ANY n bit").
    case unchecked
    /// The SA has no integrity protection at all.
    case none
}

public struct ESPResult: Sendable, Equatable {
    public var verdict: ESPVerdict
    public var icv: ICVStatus
    /// Next header from the trailer (valid once decrypted): 4/41 tunnel, anything else transport.
    public var nextHeader: UInt8
    public var padLength: Int
    /// The plaintext payload in the output buffer (padding and trailer removed).
    public var payloadLength: Int
    /// Why the packet was malformed or failed, for people.
    public var detail: String?
    /// The padding bytes are RFC 4303 2.4's default 1, 2, 3, … (true when there are none).
    public var defaultPadding = true

    public init(
        verdict: ESPVerdict, icv: ICVStatus, nextHeader: UInt8, padLength: Int, payloadLength: Int, detail: String?,
        defaultPadding: Bool = true
    ) {
        self.verdict = verdict
        self.icv = icv
        self.nextHeader = nextHeader
        self.padLength = padLength
        self.payloadLength = payloadLength
        self.detail = detail
        self.defaultPadding = defaultPadding
    }

    static func fail(_ verdict: ESPVerdict, _ icv: ICVStatus, _ detail: String) -> ESPResult {
        ESPResult(verdict: verdict, icv: icv, nextHeader: 0, padLength: 0, payloadLength: 0, detail: detail)
    }
}
