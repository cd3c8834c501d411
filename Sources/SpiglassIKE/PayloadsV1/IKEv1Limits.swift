/// Hard caps on what one IKEv1 (ISAKMP) message may make the parser build. Every count in
/// ISAKMP is bounded by a 16-bit payload length anyway; these keep a hostile message from
/// costing more than real ones do. Going past a cap is a problem, not a trap: the first items
/// are kept.
public enum IKEv1Limits {
    /// Payloads in one message or in one decrypted body. A 64 KiB message of empty 4-byte
    /// payloads could announce 16 k of them; real messages carry a handful to a few dozen (a
    /// Main Mode message 1 with a dozen vendor IDs stays under 20).
    public static let maxPayloadsPerMessage = 256
    /// Proposal payloads in one SA payload. Proposal numbers are one byte; real initiators offer
    /// a few (an AH + ESP bundle shares one number).
    public static let maxProposalsPerSA = 64
    /// Transform payloads in one proposal. The count field is one byte; an Aggressive Mode
    /// client offering every combination (Cisco, Shrew Soft) lists 10 to 40.
    public static let maxTransformsPerProposal = 64
    /// Data attributes in one transform. A phase-1 transform carries 6 to 9 (encryption, key
    /// length, hash, group, authentication, life type and duration twice); a private group
    /// adds prime, generators and curve parameters.
    public static let maxAttributesPerTransform = 32
    /// SPIs in one Delete payload. Its 16-bit count can claim 65535; it is checked against the
    /// payload length first, and a real Delete names one SA or a few.
    public static let maxDeleteSPIs = 4096
    /// Attributes in one Attributes payload (Mode Config / XAUTH): a client asks for a dozen
    /// at most; a Cisco split-include reply stays under 50.
    public static let maxConfigAttributes = 256
    /// Attributes read from a RESPONDER-LIFETIME notification's data (RFC 2407 4.6.3.1):
    /// a life type and a duration, once or twice.
    public static let maxNotificationAttributes = 16
    /// Bytes of a variable-length attribute value read as an unsigned integer (a life
    /// duration may be sent in 4 or 8 bytes, RFC 2407 4.5). Longer values stay bytes.
    public static let maxIntegerAttributeBytes = 8
}
