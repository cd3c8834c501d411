/// A key-exchange (Diffie-Hellman) group by its number: an IKEv2 Transform Type 4 ID (RFC 7296
/// 3.3.2) or an IKEv1 Group Description (RFC 2409 appendix A). The reporters name it.
public enum IKEKeyExchangeGroup: Sendable, Hashable {
    case v1(UInt16)
    case v2(UInt16)
}

/// What an INVALID_KE_PAYLOAD notify asked for: RFC 7296 3.10.1 puts the group the responder
/// accepts in its two octets of data.
public enum IKEInvalidKERequest: Sendable, Hashable {
    case group(IKEKeyExchangeGroup)
    /// The data is not two octets long.
    case unreadable
}

/// An authentication method by its number: an IKEv2 AUTH payload's (RFC 7296 3.8) or the IKEv1
/// phase-1 Authentication Method attribute (RFC 2409 appendix A). The reporters name it.
public enum IKEAuthenticationMethod: Sendable, Hashable {
    case v1(UInt16)
    case v2(UInt8)
}
