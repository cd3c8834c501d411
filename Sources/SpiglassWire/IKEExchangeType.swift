/// The exchange type of an IKE header (octet 18), read in the number space of its version:
/// IKEv1 (ISAKMP, RFC 2408 3.1) and IKEv2 (RFC 7296 3.1) share the octet but not the
/// meanings. Every value stays representable (private use, values not yet assigned).
public enum IKEExchangeType: Sendable, Hashable {
    case v1(IKEv1ExchangeType)
    case v2(IKEv2ExchangeType)

    /// The type as the header's major version reads it (2: IKEv2; anything else: ISAKMP).
    public init(majorVersion: UInt8, rawValue: UInt8) {
        if majorVersion == 2 {
            self = .v2(IKEv2ExchangeType(rawValue: rawValue))
        } else {
            self = .v1(IKEv1ExchangeType(rawValue: rawValue))
        }
    }

    /// The octet on the wire.
    public var rawValue: UInt8 {
        switch self {
        case .v1(let type): return type.rawValue
        case .v2(let type): return type.rawValue
        }
    }

    /// "IKE_SA_INIT", "Quick Mode", "exchange-99".
    public var name: String {
        switch self {
        case .v1(let type): return type.name
        case .v2(let type): return type.name
        }
    }
}

/// IANA "IKEv2 Exchange Types" (RFC 7296 3.1; 0-33 reserved, 240-255 private use).
public struct IKEv2ExchangeType: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let ikeSAInit = Self(rawValue: 34)
    public static let ikeAuth = Self(rawValue: 35)
    public static let createChildSA = Self(rawValue: 36)
    public static let informational = Self(rawValue: 37)
    /// RFC 5723.
    public static let ikeSessionResume = Self(rawValue: 38)
    /// G-IKEv2 (RFC 9838).
    public static let gsaAuth = Self(rawValue: 39)
    public static let gsaRegistration = Self(rawValue: 40)
    public static let gsaRekey = Self(rawValue: 41)
    public static let gsaInbandRekey = Self(rawValue: 42)
    /// RFC 9242.
    public static let ikeIntermediate = Self(rawValue: 43)
    /// RFC 9370.
    public static let ikeFollowupKE = Self(rawValue: 44)

    private static let names: [UInt8: String] = [
        34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL", 38: "IKE_SESSION_RESUME",
        39: "GSA_AUTH", 40: "GSA_REGISTRATION", 41: "GSA_REKEY", 42: "GSA_INBAND_REKEY", 43: "IKE_INTERMEDIATE",
        44: "IKE_FOLLOWUP_KE",
    ]

    /// The IANA name, or "exchange-N" for a value without one.
    public var name: String { Self.names[rawValue] ?? "exchange-\(rawValue)" }
}

/// ISAKMP exchange types (RFC 2408 4.1; RFC 2409 5.5 and 6 for the IPsec DOI's Quick Mode
/// and New Group Mode; Transaction from draft-ietf-ipsec-isakmp-mode-cfg; 240-255 private use).
public struct IKEv1ExchangeType: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let base = Self(rawValue: 1)
    /// Identity Protection.
    public static let mainMode = Self(rawValue: 2)
    public static let authenticationOnly = Self(rawValue: 3)
    public static let aggressiveMode = Self(rawValue: 4)
    public static let informational = Self(rawValue: 5)
    /// Mode Config and XAUTH.
    public static let transaction = Self(rawValue: 6)
    public static let quickMode = Self(rawValue: 32)
    public static let newGroupMode = Self(rawValue: 33)

    private static let names: [UInt8: String] = [
        1: "Base", 2: "Main Mode", 3: "Authentication Only", 4: "Aggressive Mode", 5: "Informational", 6: "Transaction",
        32: "Quick Mode", 33: "New Group Mode",
    ]

    /// Phase 1: Main Mode or Aggressive Mode.
    public var isPhase1: Bool { self == .mainMode || self == .aggressiveMode }

    /// The name, or "exchange-N" for a value without one.
    public var name: String { Self.names[rawValue] ?? "exchange-\(rawValue)" }
}
