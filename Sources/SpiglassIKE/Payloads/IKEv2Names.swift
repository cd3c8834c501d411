import SpiglassSAD

/// Names from the IANA "Internet Key Exchange Version 2 (IKEv2) Parameters" registry
/// (RFC 7296 and the RFCs that added to it: 4555, 4739, 5685, 5723, 6311, 7383, 7427, 7791,
/// 8019, 8784, 8983, 9242, 9347, 9370, 9593...), as the text report and the JSON print them.
/// Numbers without a name print as `<REGISTRY>_<n>`, so nothing is ever lost.
public enum IKEv2Names {
    // MARK: Payload types (IANA "IKEv2 Payload Types")

    /// Short payload name: "SA", "KE", "IDi", "N", "SK", ...
    public static func payloadName(_ type: UInt8) -> String {
        switch type {
        case 0: return "NONE"
        case 33: return "SA"
        case 34: return "KE"
        case 35: return "IDi"
        case 36: return "IDr"
        case 37: return "CERT"
        case 38: return "CERTREQ"
        case 39: return "AUTH"
        case 40: return "Nonce"
        case 41: return "N"
        case 42: return "D"
        case 43: return "V"
        case 44: return "TSi"
        case 45: return "TSr"
        case 46: return "SK"
        case 47: return "CP"
        case 48: return "EAP"
        case 49: return "GSPM"  // RFC 6467 Generic Secure Password Methods
        case 50: return "IDg"  // G-IKEv2 Group Identification
        case 51: return "GSA"  // G-IKEv2 Group Security Association
        case 52: return "KD"  // G-IKEv2 Key Download
        case 53: return "SKF"  // RFC 7383 Encrypted and Authenticated Fragment
        case 54: return "PS"  // RFC 8019 Puzzle Solution
        default: return "PAYLOAD_\(type)"
        }
    }

    /// Long payload name: "Security Association", "Encrypted and Authenticated", ...
    public static func payloadLongName(_ type: UInt8) -> String {
        switch type {
        case 0: return "No Next Payload"
        case 33: return "Security Association"
        case 34: return "Key Exchange"
        case 35: return "Identification - Initiator"
        case 36: return "Identification - Responder"
        case 37: return "Certificate"
        case 38: return "Certificate Request"
        case 39: return "Authentication"
        case 40: return "Nonce"
        case 41: return "Notify"
        case 42: return "Delete"
        case 43: return "Vendor ID"
        case 44: return "Traffic Selector - Initiator"
        case 45: return "Traffic Selector - Responder"
        case 46: return "Encrypted and Authenticated"
        case 47: return "Configuration"
        case 48: return "Extensible Authentication"
        case 49: return "Generic Secure Password Method"
        case 50: return "Group Identification"
        case 51: return "Group Security Association"
        case 52: return "Key Download"
        case 53: return "Encrypted and Authenticated Fragment"
        case 54: return "Puzzle Solution"
        default: return "Payload \(type)"
        }
    }

    // MARK: Security protocols

    /// IANA "IKEv2 Security Protocol Identifiers" (proposals, Notify, Delete).
    public static func protocolName(_ id: UInt8) -> String { IKESharedNames.protocolName(id, .v2) }

    // MARK: Transforms

    /// IANA "Transform Type Values" (RFC 9370 renamed D-H to KE and added ADDKE1..7).
    public static func transformTypeName(_ type: UInt8) -> String {
        switch type {
        case 1: return "ENCR"
        case 2: return "PRF"
        case 3: return "INTEG"
        case 4: return "KE"
        case 5: return "ESN"
        case 6...12: return "ADDKE\(type - 5)"  // RFC 9370
        case 13: return "KWA"  // G-IKEv2 Key Wrap Algorithm
        case 14: return "GCAUTH"  // G-IKEv2 Group Controller Authentication Method
        default: return "TRANSFORM_TYPE_\(type)"
        }
    }

    /// IANA "Transform Type 1 - Encryption Algorithm Transform IDs".
    public static func encryptionName(_ id: UInt16) -> String { IKESharedNames.encryptionName(id, .v2) }

    /// IANA "Transform Type 2 - Pseudorandom Function Transform IDs".
    public static func prfName(_ id: UInt16) -> String {
        switch id {
        case 1: return "PRF_HMAC_MD5"
        case 2: return "PRF_HMAC_SHA1"
        case 3: return "PRF_HMAC_TIGER"
        case 4: return "PRF_AES128_XCBC"
        case 5: return "PRF_HMAC_SHA2_256"
        case 6: return "PRF_HMAC_SHA2_384"
        case 7: return "PRF_HMAC_SHA2_512"
        case 8: return "PRF_AES128_CMAC"
        case 9: return "PRF_HMAC_STREEBOG_512"  // RFC 9385
        default: return "PRF_\(id)"
        }
    }

    /// IANA "Transform Type 3 - Integrity Algorithm Transform IDs".
    public static func integrityName(_ id: UInt16) -> String {
        switch id {
        case 0: return "NONE"
        case 1: return "AUTH_HMAC_MD5_96"
        case 2: return "AUTH_HMAC_SHA1_96"
        case 3: return "AUTH_DES_MAC"
        case 4: return "AUTH_KPDK_MD5"
        case 5: return "AUTH_AES_XCBC_96"
        case 6: return "AUTH_HMAC_MD5_128"
        case 7: return "AUTH_HMAC_SHA1_160"
        case 8: return "AUTH_AES_CMAC_96"
        case 9: return "AUTH_AES_128_GMAC"
        case 10: return "AUTH_AES_192_GMAC"
        case 11: return "AUTH_AES_256_GMAC"
        case 12: return "AUTH_HMAC_SHA2_256_128"
        case 13: return "AUTH_HMAC_SHA2_384_192"
        case 14: return "AUTH_HMAC_SHA2_512_256"
        default: return "AUTH_\(id)"
        }
    }

    /// IANA "Transform Type 4 - Key Exchange Method Transform IDs" (formerly Diffie-Hellman
    /// Group Transform IDs), also used by ADDKE1..7: IKEv1's Group Description numbers
    /// (`KeyExchangeGroup.name`).
    public static func keyExchangeName(_ id: UInt16) -> String { KeyExchangeGroup(rawValue: id).name(.v2) }

    /// IANA "Transform Type 5 - Extended Sequence Numbers Transform IDs".
    public static func esnName(_ id: UInt16) -> String {
        switch id {
        case 0: return "NO_ESN"
        case 1: return "ESN"
        default: return "ESN_\(id)"
        }
    }

    /// The name of transform `id` of `type`, without key length.
    public static func transformIDName(type: UInt8, id: UInt16) -> String {
        switch type {
        case 1: return encryptionName(id)
        case 2: return prfName(id)
        case 3: return integrityName(id)
        case 4, 6...12: return keyExchangeName(id)
        case 5: return esnName(id)
        default: return "\(transformTypeName(type))_\(id)"
        }
    }

    /// IANA "IKEv2 Transform Attribute Types".
    public static func transformAttributeName(_ type: UInt16) -> String {
        type == 14 ? "Key Length" : "ATTRIBUTE_\(type)"
    }

    // MARK: Notify

    /// IANA "IKEv2 Notify Message Types - Error Types" (1..8191; 8192..16383 private use) and
    /// "- Status Types" (16384..40959; 40960..65535 private use).
    public static func notifyName(_ type: UInt16) -> String { IKEv2NotifyType(rawValue: type).name }

    /// Error types are below 16384 (RFC 7296 3.10.1).
    public static func notifyIsError(_ type: UInt16) -> Bool { IKEv2NotifyType(rawValue: type).isError }

    static let notifyNames: [UInt16: String] = [
        // Error types.
        1: "UNSUPPORTED_CRITICAL_PAYLOAD",
        4: "INVALID_IKE_SPI",
        5: "INVALID_MAJOR_VERSION",
        7: "INVALID_SYNTAX",
        9: "INVALID_MESSAGE_ID",
        11: "INVALID_SPI",
        14: "NO_PROPOSAL_CHOSEN",
        17: "INVALID_KE_PAYLOAD",
        24: "AUTHENTICATION_FAILED",
        34: "SINGLE_PAIR_REQUIRED",
        35: "NO_ADDITIONAL_SAS",
        36: "INTERNAL_ADDRESS_FAILURE",
        37: "FAILED_CP_REQUIRED",
        38: "TS_UNACCEPTABLE",
        39: "INVALID_SELECTORS",
        40: "UNACCEPTABLE_ADDRESSES",  // RFC 4555
        41: "UNEXPECTED_NAT_DETECTED",  // RFC 4555
        42: "USE_ASSIGNED_HoA",  // RFC 5026
        43: "TEMPORARY_FAILURE",
        44: "CHILD_SA_NOT_FOUND",
        45: "INVALID_GROUP_ID",  // G-IKEv2
        46: "AUTHORIZATION_FAILED",  // G-IKEv2
        47: "STATE_NOT_FOUND",  // RFC 9370
        48: "TS_MAX_QUEUE",  // RFC 9611
        49: "REGISTRATION_FAILED",  // G-IKEv2
        // Status types.
        16384: "INITIAL_CONTACT",
        16385: "SET_WINDOW_SIZE",
        16386: "ADDITIONAL_TS_POSSIBLE",
        16387: "IPCOMP_SUPPORTED",
        16388: "NAT_DETECTION_SOURCE_IP",
        16389: "NAT_DETECTION_DESTINATION_IP",
        16390: "COOKIE",
        16391: "USE_TRANSPORT_MODE",
        16392: "HTTP_CERT_LOOKUP_SUPPORTED",
        16393: "REKEY_SA",
        16394: "ESP_TFC_PADDING_NOT_SUPPORTED",
        16395: "NON_FIRST_FRAGMENTS_ALSO",
        16396: "MOBIKE_SUPPORTED",  // RFC 4555
        16397: "ADDITIONAL_IP4_ADDRESS",
        16398: "ADDITIONAL_IP6_ADDRESS",
        16399: "NO_ADDITIONAL_ADDRESSES",
        16400: "UPDATE_SA_ADDRESSES",
        16401: "COOKIE2",
        16402: "NO_NATS_ALLOWED",
        16403: "AUTH_LIFETIME",  // RFC 4478
        16404: "MULTIPLE_AUTH_SUPPORTED",  // RFC 4739
        16405: "ANOTHER_AUTH_FOLLOWS",
        16406: "REDIRECT_SUPPORTED",  // RFC 5685
        16407: "REDIRECT",
        16408: "REDIRECTED_FROM",
        16409: "TICKET_LT_OPAQUE",  // RFC 5723
        16410: "TICKET_REQUEST",
        16411: "TICKET_ACK",
        16412: "TICKET_NACK",
        16413: "TICKET_OPAQUE",
        16414: "LINK_ID",  // RFC 5739
        16415: "USE_WESP_MODE",  // RFC 5840
        16416: "ROHC_SUPPORTED",  // RFC 5857
        16417: "EAP_ONLY_AUTHENTICATION",  // RFC 5998
        16418: "CHILDLESS_IKEV2_SUPPORTED",  // RFC 6023
        16419: "QUICK_CRASH_DETECTION",  // RFC 6290
        16420: "IKEV2_MESSAGE_ID_SYNC_SUPPORTED",  // RFC 6311
        16421: "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED",
        16422: "IKEV2_MESSAGE_ID_SYNC",
        16423: "IPSEC_REPLAY_COUNTER_SYNC",
        16424: "SECURE_PASSWORD_METHODS",  // RFC 6467
        16425: "PSK_PERSIST",  // RFC 6631
        16426: "PSK_CONFIRM",
        16427: "ERX_SUPPORTED",  // RFC 6867
        16428: "IFOM_CAPABILITY",  // 3GPP TS 24.303
        16429: "GROUP_SENDER",  // G-IKEv2
        16430: "IKEV2_FRAGMENTATION_SUPPORTED",  // RFC 7383
        16431: "SIGNATURE_HASH_ALGORITHMS",  // RFC 7427
        16432: "CLONE_IKE_SA_SUPPORTED",  // RFC 7791
        16433: "CLONE_IKE_SA",
        16434: "PUZZLE",  // RFC 8019
        16435: "USE_PPK",  // RFC 8784
        16436: "PPK_IDENTITY",
        16437: "NO_PPK_AUTH",
        16438: "INTERMEDIATE_EXCHANGE_SUPPORTED",  // RFC 9242
        16439: "IP4_ALLOWED",  // RFC 8983
        16440: "IP6_ALLOWED",
        16441: "ADDITIONAL_KEY_EXCHANGE",  // RFC 9370
        16442: "USE_AGGFRAG",  // RFC 9347
        16443: "SUPPORTED_AUTH_METHODS",  // RFC 9593
        16444: "SA_RESOURCE_INFO",  // RFC 9611
        16445: "USE_PPK_INT",
        16446: "PPK_IDENTITY_KEY",
        16447: "IKE_SA_INIT_FULL_TRANSCRIPT_AUTH",
    ]

    /// RFC 7427 "IKEv2 Hash Algorithms" (SIGNATURE_HASH_ALGORITHMS notify data).
    public static func hashAlgorithmName(_ id: UInt16) -> String {
        switch id {
        case 1: return "SHA1"
        case 2: return "SHA2_256"
        case 3: return "SHA2_384"
        case 4: return "SHA2_512"
        case 5: return "IDENTITY"  // RFC 8420
        default: return "HASH_\(id)"
        }
    }

    // MARK: Identification, certificates, authentication

    /// IANA "IKEv2 Identification Payload ID Types".
    public static func idTypeName(_ type: UInt8) -> String { IKESharedNames.idTypeName(type, .v2) }

    /// IANA "IKEv2 Certificate Encodings".
    public static func certificateEncodingName(_ encoding: UInt8) -> String {
        IKESharedNames.certificateEncodingName(encoding, .v2)
    }

    /// IANA "IKEv2 Authentication Method".
    public static func authMethodName(_ method: UInt8) -> String {
        switch method {
        case 1: return "RSA Digital Signature"
        case 2: return "Shared Key Message Integrity Code"
        case 3: return "DSS Digital Signature"
        case 9: return "ECDSA with SHA-256 on the P-256 curve"  // RFC 4754
        case 10: return "ECDSA with SHA-384 on the P-384 curve"
        case 11: return "ECDSA with SHA-512 on the P-521 curve"
        case 12: return "Generic Secure Password Authentication Method"  // RFC 6467
        case 13: return "NULL Authentication"  // RFC 7619
        case 14: return "Digital Signature"  // RFC 7427
        default: return "Authentication method \(method)"
        }
    }

    // MARK: Traffic selectors

    /// IANA "IKEv2 Traffic Selector Types".
    public static func trafficSelectorTypeName(_ type: UInt8) -> String {
        switch type {
        case 7: return "TS_IPV4_ADDR_RANGE"
        case 8: return "TS_IPV6_ADDR_RANGE"
        case 9: return "TS_FC_ADDR_RANGE"  // RFC 4595
        case 10: return "TS_SECLABEL"  // RFC 9478
        default: return "TS_\(type)"
        }
    }

    /// IP protocol numbers as traffic selectors show them.
    public static func ipProtocolName(_ proto: UInt8) -> String {
        switch proto {
        case 0: return "any"
        case 1: return "icmp"
        case 6: return "tcp"
        case 17: return "udp"
        case 47: return "gre"
        case 50: return "esp"
        case 51: return "ah"
        case 58: return "ipv6-icmp"
        case 132: return "sctp"
        default: return "\(proto)"
        }
    }

    // MARK: Configuration payload

    /// IANA "IKEv2 Configuration Payload CFG Types".
    public static func configTypeName(_ type: UInt8) -> String { IKESharedNames.configTypeName(type, .v2) }

    /// IANA "IKEv2 Configuration Payload Attribute Types".
    public static func configAttributeName(_ type: UInt16) -> String { IKESharedNames.configAttributeName(type, .v2) }

    // MARK: EAP (RFC 3748 and the IANA EAP registry)

    public static func eapCodeName(_ code: UInt8) -> String {
        switch code {
        case 1: return "Request"
        case 2: return "Response"
        case 3: return "Success"
        case 4: return "Failure"
        case 5: return "Initiate"  // RFC 6696
        case 6: return "Finish"
        default: return "Code\(code)"
        }
    }

    public static func eapTypeName(_ type: UInt8) -> String {
        switch type {
        case 1: return "Identity"
        case 2: return "Notification"
        case 3: return "Nak"
        case 4: return "MD5-Challenge"
        case 5: return "OTP"
        case 6: return "GTC"
        case 13: return "TLS"
        case 17: return "LEAP"
        case 18: return "SIM"
        case 21: return "TTLS"
        case 23: return "AKA"
        case 25: return "PEAP"
        case 26: return "MSCHAPv2"
        case 43: return "FAST"
        case 47: return "PSK"
        case 49: return "IKEv2"
        case 50: return "AKA'"
        case 52: return "PWD"
        case 254: return "Expanded"
        default: return "Type\(type)"
        }
    }
}

/// IANA "IKEv2 Notify Message Types" (RFC 7296 3.10.1): error types 1..16383 (8192..16383
/// private use), status types from 16384 (40960..65535 private use). Every value stays
/// representable; `name` is the IANA name or "NOTIFY_<n>".
public struct IKEv2NotifyType: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let unsupportedCriticalPayload = Self(rawValue: 1)
    public static let invalidSyntax = Self(rawValue: 7)
    public static let noProposalChosen = Self(rawValue: 14)
    public static let invalidKEPayload = Self(rawValue: 17)
    public static let authenticationFailed = Self(rawValue: 24)
    public static let tsUnacceptable = Self(rawValue: 38)
    public static let temporaryFailure = Self(rawValue: 43)
    public static let childSANotFound = Self(rawValue: 44)
    public static let initialContact = Self(rawValue: 16384)
    public static let natDetectionSourceIP = Self(rawValue: 16388)
    public static let natDetectionDestinationIP = Self(rawValue: 16389)
    public static let cookie = Self(rawValue: 16390)
    public static let useTransportMode = Self(rawValue: 16391)
    public static let rekeySA = Self(rawValue: 16393)
    public static let mobikeSupported = Self(rawValue: 16396)
    /// RFC 4555 (MOBIKE).
    public static let updateSAAddresses = Self(rawValue: 16400)
    /// RFC 7383.
    public static let fragmentationSupported = Self(rawValue: 16430)

    /// Error types are below 16384 (RFC 7296 3.10.1).
    public var isError: Bool { rawValue < 16384 }

    public var name: String { IKEv2Names.notifyNames[rawValue] ?? "NOTIFY_\(rawValue)" }
}

extension IKEv2Notify {
    /// The Notify Message Type as a value.
    public var notifyType: IKEv2NotifyType { IKEv2NotifyType(rawValue: type) }
}

/// IANA "IKEv2 Security Protocol Identifiers" (proposals, Notify, Delete).
public enum IKEv2ProtocolID {
    public static let ike: UInt8 = 1
    public static let ah: UInt8 = 2
    public static let esp: UInt8 = 3
}

/// IANA "Transform Type Values" (RFC 7296 3.3.2).
public enum IKEv2TransformType {
    public static let encryption: UInt8 = 1
    public static let prf: UInt8 = 2
    public static let integrity: UInt8 = 3
    public static let keyExchange: UInt8 = 4
    public static let extendedSequenceNumbers: UInt8 = 5
}
