import SpiglassSAD
import SpiglassWire

/// Names from the IANA "Internet Security Association and Key Management Protocol (ISAKMP)
/// Identifiers" and "IPsec DOI" registries (RFC 2408, RFC 2407, RFC 2409 Appendix A, and the
/// RFCs and drafts that added to them: 3526, 3947, 4304, 4359, 4543, 4754, 5114, 5903, 6954,
/// 8031, draft-ietf-ipsec-isakmp-mode-cfg-05, draft-ietf-ipsec-isakmp-xauth-06,
/// draft-ietf-ipsec-isakmp-hybrid-auth-05, draft-beaulieu-ike-xauth-02), with the vendor values
/// Wireshark's ISAKMP dissector and libreswan list (Cisco, Juniper). Numbers without a name
/// print as `<REGISTRY>_<n>`, so nothing is ever lost.
public enum IKEv1Names {
    // MARK: Payload types

    /// Short payload name, as strongSwan's charon and Wireshark's summaries print them: "SA",
    /// "P", "T", "KE", "ID", "CERT", "CR", "HASH", "SIG", "NONCE", "N", "D", "VID", "ATTR",
    /// "NAT-D", "NAT-OA", "FRAG".
    public static func payloadName(_ type: UInt8) -> String {
        switch type {
        case 0: return "NONE"
        case 1: return "SA"
        case 2: return "P"
        case 3: return "T"
        case 4: return "KE"
        case 5: return "ID"
        case 6: return "CERT"
        case 7: return "CR"
        case 8: return "HASH"
        case 9: return "SIG"
        case 10: return "NONCE"
        case 11: return "N"
        case 12: return "D"
        case 13: return "VID"
        case 14: return "ATTR"
        case 15: return "NAT-D"  // draft-ietf-ipsec-nat-t-ike-04..08 (RFC 3547: SAK)
        case 16: return "NAT-OA"  // draft-ietf-ipsec-nat-t-ike-05..08 (RFC 3547: SAT)
        case 17: return "KD"  // RFC 3547 Key Download
        case 18: return "SEQ"  // RFC 3547 Sequence Number
        case 19: return "POP"  // RFC 3547 Proof of Possession
        case 20: return "NAT-D"  // RFC 3947
        case 21: return "NAT-OA"  // RFC 3947
        case 22: return "GAP"  // RFC 6407 Group Associated Policy
        case 130: return "NAT-D"  // draft-ietf-ipsec-nat-t-ike-01..03
        case 131: return "NAT-OA"  // draft-ietf-ipsec-nat-t-ike-01..03
        case 132: return "FRAG"  // Cisco IKE fragmentation
        default: return "PAYLOAD_\(type)"
        }
    }

    /// Long payload name: "Security Association", "Vendor ID", "NAT-D (RFC 3947)", ...
    public static func payloadLongName(_ type: UInt8) -> String {
        switch type {
        case 0: return "No Next Payload"
        case 1: return "Security Association"
        case 2: return "Proposal"
        case 3: return "Transform"
        case 4: return "Key Exchange"
        case 5: return "Identification"
        case 6: return "Certificate"
        case 7: return "Certificate Request"
        case 8: return "Hash"
        case 9: return "Signature"
        case 10: return "Nonce"
        case 11: return "Notification"
        case 12: return "Delete"
        case 13: return "Vendor ID"
        case 14: return "Attributes"
        case 15: return "NAT-D (draft-ietf-ipsec-nat-t-ike-04 to 08) / SA KEK"
        case 16: return "NAT-OA (draft-ietf-ipsec-nat-t-ike-05 to 08) / SA TEK"
        case 17: return "Key Download"
        case 18: return "Sequence Number"
        case 19: return "Proof of Possession"
        case 20: return "NAT-D (RFC 3947)"
        case 21: return "NAT-OA (RFC 3947)"
        case 22: return "Group Associated Policy"
        case 130: return "NAT-D (draft-ietf-ipsec-nat-t-ike-01 to 03)"
        case 131: return "NAT-OA (draft-ietf-ipsec-nat-t-ike-01 to 03)"
        case 132: return "Cisco Fragmentation"
        default: return "Payload \(type)"
        }
    }

    // MARK: Exchange types (`IKEv1ExchangeType` in SpiglassWire names them)

    public static func exchangeName(_ type: IKEExchangeType) -> String { type.name }

    // MARK: DOI and protocols

    /// RFC 2408 3.4 / IANA "Domain of Interpretation".
    public static func doiName(_ doi: UInt32) -> String {
        switch doi {
        case 0: return "ISAKMP"
        case 1: return "IPSEC"
        case 2: return "GDOI"  // RFC 3547
        default: return "DOI_\(doi)"
        }
    }

    /// RFC 2407 4.4.1 protocol IDs.
    public static let protoISAKMP: UInt8 = 1
    public static let protoAH: UInt8 = 2
    public static let protoESP: UInt8 = 3
    public static let protoIPComp: UInt8 = 4

    /// Short protocol name for summaries: "IKE", "AH", "ESP", "IPCOMP".
    public static func protocolName(_ id: UInt8) -> String { IKESharedNames.protocolName(id, .v1) }

    /// The registry's name: "PROTO_ISAKMP", "PROTO_IPSEC_AH", "PROTO_IPSEC_ESP", "PROTO_IPCOMP".
    public static func protocolIDName(_ id: UInt8) -> String {
        switch id {
        case 0: return "RESERVED"
        case 1: return "PROTO_ISAKMP"
        case 2: return "PROTO_IPSEC_AH"
        case 3: return "PROTO_IPSEC_ESP"
        case 4: return "PROTO_IPCOMP"
        case 5: return "PROTO_GIGABEAM_RADIO"
        default: return "PROTO_\(id)"
        }
    }

    // MARK: Transform IDs (RFC 2407 4.4.2-4.4.5, IANA "IPSEC ... Transform Identifiers")

    public static func transformName(protocolID: UInt8, id: UInt8) -> String {
        switch protocolID {
        case protoISAKMP: return id == 1 ? "KEY_IKE" : "ISAKMP_TRANSFORM_\(id)"
        case protoAH: return ahTransformName(id)
        case protoESP: return espTransformName(id)
        case protoIPComp: return ipcompTransformName(id)
        default: return "TRANSFORM_\(id)"
        }
    }

    /// IANA "IPSEC AH Transform Identifiers".
    public static func ahTransformName(_ id: UInt8) -> String {
        switch id {
        case 2: return "AH_MD5"
        case 3: return "AH_SHA"
        case 4: return "AH_DES"
        case 5: return "AH_SHA2-256"
        case 6: return "AH_SHA2-384"
        case 7: return "AH_SHA2-512"
        case 8: return "AH_RIPEMD"  // RFC 2857
        case 9: return "AH_AES-XCBC-MAC"  // RFC 3566
        case 10: return "AH_RSA"  // RFC 4359
        case 11: return "AH_AES-128-GMAC"  // RFC 4543
        case 12: return "AH_AES-192-GMAC"
        case 13: return "AH_AES-256-GMAC"
        default: return "AH_\(id)"
        }
    }

    /// IANA "IPSEC ESP Transform Identifiers".
    public static func espTransformName(_ id: UInt8) -> String { IKESharedNames.encryptionName(UInt16(id), .v1) }

    /// IANA "IPSEC IPCOMP Transform Identifiers".
    public static func ipcompTransformName(_ id: UInt8) -> String {
        switch id {
        case 1: return "IPCOMP_OUI"
        case 2: return "IPCOMP_DEFLATE"
        case 3: return "IPCOMP_LZS"
        case 4: return "IPCOMP_LZJH"
        default: return "IPCOMP_\(id)"
        }
    }

    // MARK: Phase-1 attributes (RFC 2409 Appendix A)

    /// Attribute classes of a PROTO_ISAKMP transform.
    public enum Phase1Attribute {
        public static let encryptionAlgorithm: UInt16 = 1
        public static let hashAlgorithm: UInt16 = 2
        public static let authenticationMethod: UInt16 = 3
        public static let groupDescription: UInt16 = 4
        public static let groupType: UInt16 = 5
        public static let lifeType: UInt16 = 11
        public static let lifeDuration: UInt16 = 12
        public static let prf: UInt16 = 13
        public static let keyLength: UInt16 = 14
    }

    public static func phase1AttributeName(_ type: UInt16) -> String {
        switch type {
        case 1: return "Encryption-Algorithm"
        case 2: return "Hash-Algorithm"
        case 3: return "Authentication-Method"
        case 4: return "Group-Description"
        case 5: return "Group-Type"
        case 6: return "Group-Prime/Irreducible-Polynomial"
        case 7: return "Group-Generator-One"
        case 8: return "Group-Generator-Two"
        case 9: return "Group-Curve-A"
        case 10: return "Group-Curve-B"
        case 11: return "Life-Type"
        case 12: return "Life-Duration"
        case 13: return "PRF"
        case 14: return "Key-Length"
        case 15: return "Field-Size"
        case 16: return "Group-Order"
        case 17: return "Block-Size"
        case 20: return "Asymmetric-Cryptographic-Algorithm-Type"
        default: return "ATTRIBUTE_\(type)"
        }
    }

    /// Class 1 values.
    public static func encryptionName(_ id: UInt16) -> String {
        switch id {
        case 1: return "DES-CBC"
        case 2: return "IDEA-CBC"
        case 3: return "BLOWFISH-CBC"
        case 4: return "RC5-R16-B64-CBC"
        case 5: return "3DES-CBC"
        case 6: return "CAST-CBC"
        case 7: return "AES-CBC"  // RFC 3602
        case 8: return "CAMELLIA-CBC"  // RFC 4312
        default: return "ENCR_\(id)"
        }
    }

    /// Class 2 values.
    public static func hashName(_ id: UInt16) -> String {
        switch id {
        case 1: return "MD5"
        case 2: return "SHA"
        case 3: return "TIGER"
        case 4: return "SHA2-256"  // RFC 4868
        case 5: return "SHA2-384"
        case 6: return "SHA2-512"
        default: return "HASH_\(id)"
        }
    }

    /// Class 3 values.
    public static func authMethodName(_ id: UInt16) -> String {
        switch id {
        case 1: return "PSK"
        case 2: return "DSS-SIG"
        case 3: return "RSA-SIG"
        case 4: return "RSA-ENC"
        case 5: return "RSA-ENC-REV"
        case 6: return "ELGAMAL-ENC"
        case 7: return "ELGAMAL-ENC-REV"
        case 8: return "ECDSA-SIG"
        case 9: return "ECDSA-SHA256-P256"  // RFC 4754
        case 10: return "ECDSA-SHA384-P384"
        case 11: return "ECDSA-SHA512-P521"
        // draft-ietf-ipsec-isakmp-hybrid-auth-05.
        case 64221: return "HybridInitRSA"
        case 64222: return "HybridRespRSA"
        case 64223: return "HybridInitDSS"
        case 64224: return "HybridRespDSS"
        // draft-beaulieu-ike-xauth-02.
        case 65001: return "XAUTHInitPreShared"
        case 65002: return "XAUTHRespPreShared"
        case 65003: return "XAUTHInitDSS"
        case 65004: return "XAUTHRespDSS"
        case 65005: return "XAUTHInitRSA"
        case 65006: return "XAUTHRespRSA"
        case 65007: return "XAUTHInitRSAEncryption"
        case 65008: return "XAUTHRespRSAEncryption"
        case 65009: return "XAUTHInitRSARevisedEncryption"
        case 65010: return "XAUTHRespRSARevisedEncryption"
        default: return "AUTH_\(id)"
        }
    }

    /// Class 4 (and IPsec attribute 3) values: IANA "Group Description", the numbers IKEv2's
    /// transform type 4 kept (`KeyExchangeGroup.name`).
    public static func groupName(_ id: UInt16) -> String { KeyExchangeGroup(rawValue: id).name(.v1) }

    /// Class 5 values.
    public static func groupTypeName(_ id: UInt16) -> String {
        switch id {
        case 1: return "MODP"
        case 2: return "ECP"
        case 3: return "EC2N"
        default: return "GROUP_TYPE_\(id)"
        }
    }

    /// Phase-1 class 11 / IPsec attribute 1 values.
    public static func lifeTypeName(_ id: UInt16) -> String {
        switch id {
        case 1: return "seconds"
        case 2: return "kilobytes"
        default: return "LIFE_TYPE_\(id)"
        }
    }

    // MARK: IPsec DOI attributes (RFC 2407 4.5)

    /// SA attributes of an AH, ESP or IPCOMP transform.
    public enum IPsecAttribute {
        public static let lifeType: UInt16 = 1
        public static let lifeDuration: UInt16 = 2
        public static let groupDescription: UInt16 = 3
        public static let encapsulationMode: UInt16 = 4
        public static let authenticationAlgorithm: UInt16 = 5
        public static let keyLength: UInt16 = 6
        public static let keyRounds: UInt16 = 7
        public static let extendedSequenceNumber: UInt16 = 11
    }

    public static func ipsecAttributeName(_ type: UInt16) -> String {
        switch type {
        case 1: return "SA-Life-Type"
        case 2: return "SA-Life-Duration"
        case 3: return "Group-Description"
        case 4: return "Encapsulation-Mode"
        case 5: return "Authentication-Algorithm"
        case 6: return "Key-Length"
        case 7: return "Key-Rounds"
        case 8: return "Compress-Dictionary-Size"
        case 9: return "Compress-Private-Algorithm"
        case 10: return "ECN-Tunnel"  // RFC 3168
        case 11: return "Extended-Sequence-Number"  // RFC 4304
        case 12: return "Authentication-Key-Length"  // RFC 4359
        case 13: return "Signature-Encoding-Algorithm"  // RFC 4359
        case 14: return "Address-Preservation"  // RFC 6407
        case 15: return "SA-Direction"  // RFC 6407
        default: return "ATTRIBUTE_\(type)"
        }
    }

    /// Attribute 4 values.
    public static func encapsulationModeName(_ id: UInt16) -> String {
        switch id {
        case 1: return "Tunnel"
        case 2: return "Transport"
        case 3: return "UDP-Encapsulated-Tunnel"  // RFC 3947
        case 4: return "UDP-Encapsulated-Transport"
        case 61440: return "Check-Point-UDP-Encapsulation"
        case 61443: return "UDP-Encapsulated-Tunnel (draft)"
        case 61444: return "UDP-Encapsulated-Transport (draft)"
        default: return "ENCAPSULATION_\(id)"
        }
    }

    /// Attribute 4 values in summaries: "tunnel", "transport", "udp-tunnel", "udp-transport".
    public static func encapsulationModeShortName(_ id: UInt16) -> String {
        switch id {
        case 1: return "tunnel"
        case 2: return "transport"
        case 3, 61443: return "udp-tunnel"
        case 4, 61444: return "udp-transport"
        case 61440: return "checkpoint-udp"
        default: return "encapsulation-\(id)"
        }
    }

    /// Attribute 5 values.
    public static func authenticationAlgorithmName(_ id: UInt16) -> String {
        switch id {
        case 1: return "HMAC-MD5"
        case 2: return "HMAC-SHA"
        case 3: return "DES-MAC"
        case 4: return "KPDK"
        case 5: return "HMAC-SHA2-256"  // RFC 4868
        case 6: return "HMAC-SHA2-384"
        case 7: return "HMAC-SHA2-512"
        case 8: return "HMAC-RIPEMD"  // RFC 2857
        case 9: return "AES-XCBC-MAC"  // RFC 3566
        case 10: return "SIG-RSA"  // RFC 4359
        case 11: return "AES-128-GMAC"  // RFC 4543
        case 12: return "AES-192-GMAC"
        case 13: return "AES-256-GMAC"
        default: return "AUTH_ALG_\(id)"
        }
    }

    /// The name of attribute `type` of a transform under `protocolID`.
    public static func attributeName(protocolID: UInt8, type: UInt16) -> String {
        protocolID == protoISAKMP ? phase1AttributeName(type) : ipsecAttributeName(type)
    }

    /// The name of an enumerated attribute's value ("AES-CBC", "MODP2048", "Tunnel",
    /// "seconds"); nil for numeric or opaque attributes.
    public static func attributeValueName(protocolID: UInt8, attribute: IKEv1Attribute) -> String? {
        guard let raw = attribute.integerValue, raw <= UInt64(UInt16.max) else { return nil }
        let value = UInt16(raw)
        if protocolID == protoISAKMP {
            switch attribute.type {
            case Phase1Attribute.encryptionAlgorithm: return encryptionName(value)
            case Phase1Attribute.hashAlgorithm: return hashName(value)
            case Phase1Attribute.authenticationMethod: return authMethodName(value)
            case Phase1Attribute.groupDescription: return groupName(value)
            case Phase1Attribute.groupType: return groupTypeName(value)
            case Phase1Attribute.lifeType: return lifeTypeName(value)
            default: return nil
            }
        }
        switch attribute.type {
        case IPsecAttribute.lifeType: return lifeTypeName(value)
        case IPsecAttribute.groupDescription: return groupName(value)
        case IPsecAttribute.encapsulationMode: return encapsulationModeName(value)
        case IPsecAttribute.authenticationAlgorithm: return authenticationAlgorithmName(value)
        default: return nil
        }
    }

    // MARK: Identification (RFC 2407 4.6.2.1, RFC 3554)

    public enum ID {
        public static let ipv4Address: UInt8 = 1
        public static let fqdn: UInt8 = 2
        public static let userFQDN: UInt8 = 3
        public static let ipv4Subnet: UInt8 = 4
        public static let ipv6Address: UInt8 = 5
        public static let ipv6Subnet: UInt8 = 6
        public static let ipv4Range: UInt8 = 7
        public static let ipv6Range: UInt8 = 8
        public static let derASN1DN: UInt8 = 9
        public static let derASN1GN: UInt8 = 10
        public static let keyID: UInt8 = 11
        public static let list: UInt8 = 12
    }

    public static func idTypeName(_ type: UInt8) -> String { IKESharedNames.idTypeName(type, .v1) }

    // MARK: Certificates (RFC 2408 3.9)

    public static func certificateEncodingName(_ encoding: UInt8) -> String {
        IKESharedNames.certificateEncodingName(encoding, .v1)
    }

    // MARK: Notify message types (RFC 2408 3.14.1, RFC 2407 4.6.3, RFC 3706, vendors)

    public enum Notify {
        public static let connected: UInt16 = 16384
        public static let responderLifetime: UInt16 = 24576
        public static let replayStatus: UInt16 = 24577
        public static let initialContact = IKEv1NotifyType.initialContact.rawValue
        public static let rUThere = IKEv1NotifyType.rUThere.rawValue
        public static let rUThereAck = IKEv1NotifyType.rUThereAck.rawValue
    }

    public static func notifyName(_ type: UInt16) -> String { IKEv1NotifyType(rawValue: type).name }

    public static func notifyIsError(_ type: UInt16) -> Bool { IKEv1NotifyType(rawValue: type).isError }

    static let notifyNames: [UInt16: String] = [
        // Error types (RFC 2408 3.14.1).
        1: "INVALID-PAYLOAD-TYPE",
        2: "DOI-NOT-SUPPORTED",
        3: "SITUATION-NOT-SUPPORTED",
        4: "INVALID-COOKIE",
        5: "INVALID-MAJOR-VERSION",
        6: "INVALID-MINOR-VERSION",
        7: "INVALID-EXCHANGE-TYPE",
        8: "INVALID-FLAGS",
        9: "INVALID-MESSAGE-ID",
        10: "INVALID-PROTOCOL-ID",
        11: "INVALID-SPI",
        12: "INVALID-TRANSFORM-ID",
        13: "ATTRIBUTES-NOT-SUPPORTED",
        14: "NO-PROPOSAL-CHOSEN",
        15: "BAD-PROPOSAL-SYNTAX",
        16: "PAYLOAD-MALFORMED",
        17: "INVALID-KEY-INFORMATION",
        18: "INVALID-ID-INFORMATION",
        19: "INVALID-CERT-ENCODING",
        20: "INVALID-CERTIFICATE",
        21: "CERT-TYPE-UNSUPPORTED",
        22: "INVALID-CERT-AUTHORITY",
        23: "INVALID-HASH-INFORMATION",
        24: "AUTHENTICATION-FAILED",
        25: "INVALID-SIGNATURE",
        26: "ADDRESS-NOTIFICATION",
        27: "NOTIFY-SA-LIFETIME",
        28: "CERTIFICATE-UNAVAILABLE",
        29: "UNSUPPORTED-EXCHANGE-TYPE",
        30: "UNEQUAL-PAYLOAD-LENGTHS",
        // Status types.
        16384: "CONNECTED",  // RFC 2408
        24576: "RESPONDER-LIFETIME",  // RFC 2407 4.6.3
        24577: "REPLAY-STATUS",
        24578: "INITIAL-CONTACT",
        30000: "CISCO-HELLO",  // libreswan ISAKMP_N_CISCO_*
        30001: "CISCO-WWTEBR",
        30002: "CISCO-SHUT-UP",
        32768: "IOS-KEEP-ALIVE-REQ",
        32769: "IOS-KEEP-ALIVE-ACK",
        36136: "R-U-THERE",  // RFC 3706
        36137: "R-U-THERE-ACK",
        40001: "NETSCREEN-NHTB-INFORM",  // Juniper Next Hop Tunnel Binding
        40501: "UNITY-LOAD-BALANCE",  // Cisco (Wireshark)
        40502: "UNITY-UNKNOWN",
        40503: "UNITY-GROUP-HASH",  // libreswan: CISCO_PRESHARED_KEY_HASH
    ]

    // MARK: Mode Config and XAUTH attributes

    public enum Config {
        public static let xauthType: UInt16 = 16520
        public static let xauthUserName: UInt16 = 16521
        public static let xauthUserPassword: UInt16 = 16522
        public static let xauthPasscode: UInt16 = 16523
        public static let xauthMessage: UInt16 = 16524
        public static let xauthChallenge: UInt16 = 16525
        public static let xauthDomain: UInt16 = 16526
        public static let xauthStatus: UInt16 = 16527
        public static let xauthNextPin: UInt16 = 16528
        public static let xauthAnswer: UInt16 = 16529
    }

    /// Attribute Message Type (mode-cfg 3.2): "REQUEST", "REPLY", "SET", "ACK".
    public static func configTypeName(_ type: UInt8) -> String { IKESharedNames.configTypeName(type, .v1) }

    /// draft-ietf-ipsec-isakmp-mode-cfg-05 3.3, draft-ietf-ipsec-isakmp-xauth-06 4, Cisco Unity
    /// and Check Point private attributes (Wireshark's names).
    public static func configAttributeName(_ type: UInt16) -> String { IKESharedNames.configAttributeName(type, .v1) }

    /// XAUTH values that are secrets: never rendered, only counted.
    public static func configAttributeIsSecret(_ type: UInt16) -> Bool {
        type == Config.xauthUserPassword || type == Config.xauthPasscode || type == Config.xauthNextPin
            || type == Config.xauthAnswer
    }

    /// XAUTH-TYPE values (draft-ietf-ipsec-isakmp-xauth-06 4.1).
    public static func xauthTypeName(_ type: UInt16) -> String {
        switch type {
        case 0: return "Generic"
        case 1: return "RADIUS-CHAP"
        case 2: return "OTP"
        case 3: return "S/KEY"
        default: return "XAUTH_TYPE_\(type)"
        }
    }
}

/// ISAKMP Notify Message Types (RFC 2408 3.14.1, RFC 2407 4.6.3, RFC 3706 for DPD, and the
/// vendor values the names table lists). Every value stays representable; `name` is the
/// registry's name or "NOTIFY_<n>".
public struct IKEv1NotifyType: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let noProposalChosen = Self(rawValue: 14)
    public static let initialContact = Self(rawValue: 24578)
    /// RFC 3706 Dead Peer Detection.
    public static let rUThere = Self(rawValue: 36136)
    public static let rUThereAck = Self(rawValue: 36137)

    /// RFC 2408 3.14.1: error types 1..16383 (8192..16383 private use); status types from 16384.
    public var isError: Bool { rawValue < 16384 }

    public var name: String { IKEv1Names.notifyNames[rawValue] ?? "NOTIFY_\(rawValue)" }
}

extension IKEv1Notification {
    /// The Notify Message Type as a value.
    public var notifyType: IKEv1NotifyType { IKEv1NotifyType(rawValue: type) }
}
