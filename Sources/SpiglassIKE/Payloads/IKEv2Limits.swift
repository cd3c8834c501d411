/// Hard caps on what one IKEv2 message may make the parser build. Every count field in IKEv2
/// is bounded by the 16-bit payload length anyway; these keep a hostile message from costing
/// more than real ones do. Going past a cap is a problem, not a trap: the first items are kept.
public enum IKEv2Limits {
    /// Payloads in one message or in one decrypted SK content. A 64 KiB message of empty
    /// 4-byte payloads could announce 16 k of them; real messages carry a handful to a few
    /// dozen (an IKE_AUTH with a certificate chain and CP attributes stays under 30).
    public static let maxPayloadsPerMessage = 256
    /// Proposals in one SA payload. Proposal numbers are one byte; implementations send a few
    /// (strongSwan's default IKE proposal list makes 1 or 2, Windows 4 to 8).
    public static let maxProposalsPerSA = 64
    /// Transforms in one proposal. The count field is one byte; a generous strongSwan proposal
    /// ("all algorithms") lists about 40.
    public static let maxTransformsPerProposal = 64
    /// Attributes in one transform. RFC 7296 defines one (Key Length).
    public static let maxAttributesPerTransform = 16
    /// Traffic selectors in one TS payload. The count field is one byte; real peers send 1 to 10.
    public static let maxTrafficSelectors = 64
    /// SPIs in one Delete payload. Its 16-bit count can claim 65535; it is checked against the
    /// payload length first, and a real Delete names a few Child SAs.
    public static let maxDeleteSPIs = 4096
    /// Attributes in one Configuration payload (CP): a client asks for a dozen at most.
    public static let maxConfigAttributes = 256
}
