/// The registries IKEv2 took over from ISAKMP and the IPsec DOI with their numbers (RFC 4306
/// kept them, RFC 7296 still does): one table each, a number meaning one thing in both, with
/// the members only one version registers marked so. The key exchange groups are
/// `KeyExchangeGroup.name(_:)`. Registries that number alike but mean different things stay
/// apart, in `IKEv1Names` and `IKEv2Names`: payload types, exchange types, notify types,
/// authentication methods, hash algorithms, integrity algorithms.
public enum IKESharedNames {
    /// One number's name in each registry; nil where that version does not register it.
    struct Entry {
        var v1: String?
        var v2: String?

        static func both(_ name: String) -> Entry { Entry(v1: name, v2: name) }
        static func v1(_ name: String) -> Entry { Entry(v1: name, v2: nil) }
        static func v2(_ name: String) -> Entry { Entry(v1: nil, v2: name) }
        /// A cipher both registries name alike after their prefixes: "ESP_3DES", "ENCR_3DES".
        static func cipher(_ name: String) -> Entry { Entry(v1: "ESP_" + name, v2: "ENCR_" + name) }

        func name(_ spelling: IKENameSpelling) -> String? { spelling == .v1 ? v1 : v2 }
    }

    /// Security protocol IDs: RFC 2407 4.4.1 (IKEv1, "PROTO_ISAKMP" printed "IKE" in summaries)
    /// and IANA "IKEv2 Security Protocol Identifiers", alike up to ESP.
    public static func protocolName(_ id: UInt8, _ spelling: IKENameSpelling) -> String {
        protocols[id]?.name(spelling) ?? "PROTOCOL_\(id)"
    }

    /// Encryption transform IDs: IANA "IPSEC ESP Transform Identifiers" (IKEv1, RFC 2407 4.4.4)
    /// and IKEv2's Transform Type 1 (RFC 7296 3.3.2), which kept 1 to 20 and parted after: IKEv1's
    /// 21 SEED, 22 Camellia and 23 AES-GMAC are IKEv2's 21 AES-GMAC and 23 Camellia. IKEv2 names
    /// its private-use values (from 1024, seen from strongSwan and libreswan) "ENCR_PRIVATE_<n>".
    public static func encryptionName(_ id: UInt16, _ spelling: IKENameSpelling) -> String {
        if let name = ciphers[id]?.name(spelling) { return name }
        if spelling == .v1 { return "ESP_\(id)" }
        return id >= 1024 ? "ENCR_PRIVATE_\(id)" : "ENCR_\(id)"
    }

    /// Identification types: RFC 2407 4.6.2.1 and RFC 3554 (IKEv1), IANA "IKEv2 Identification
    /// Payload ID Types" (RFC 7296 3.5), which kept the numbers and dropped the subnets and
    /// ranges. 3 is the same user@domain identity, named after RFC 822 by IKEv2.
    public static func idTypeName(_ type: UInt8, _ spelling: IKENameSpelling) -> String {
        idTypes[type]?.name(spelling) ?? "ID_\(type)"
    }

    /// Certificate encodings: RFC 2408 3.9 (IKEv1), IANA "IKEv2 Certificate Encodings" (RFC 7296
    /// 3.6), which reserved 5 and added from 11.
    public static func certificateEncodingName(_ encoding: UInt8, _ spelling: IKENameSpelling) -> String {
        certificateEncodings[encoding]?.name(spelling) ?? "Certificate encoding \(encoding)"
    }

    /// Configuration message types: draft-ietf-ipsec-isakmp-mode-cfg-05 3.2 (IKEv1 "REQUEST")
    /// and RFC 7296 3.15 (IKEv2 "CFG_REQUEST").
    public static func configTypeName(_ type: UInt8, _ spelling: IKENameSpelling) -> String {
        guard let name = configTypes[type] else { return "CFG_\(type)" }
        return spelling == .v1 ? name : "CFG_\(name)"
    }

    /// Configuration attribute types: draft-ietf-ipsec-isakmp-mode-cfg-05 3.3 with XAUTH
    /// (draft-ietf-ipsec-isakmp-xauth-06 4) and the Cisco Unity and Check Point private values
    /// Wireshark names (IKEv1); IANA "IKEv2 Configuration Payload Attribute Types" (RFC 7296
    /// 3.15.1, which dropped 5, 9 and 11).
    public static func configAttributeName(_ type: UInt16, _ spelling: IKENameSpelling) -> String {
        configAttributes[type]?.name(spelling) ?? "CFG_ATTRIBUTE_\(type)"
    }

    private static let configTypes: [UInt8: String] = [1: "REQUEST", 2: "REPLY", 3: "SET", 4: "ACK"]

    private static let protocols: [UInt8: Entry] = [
        0: .both("NONE"), 1: .both("IKE"), 2: .both("AH"), 3: .both("ESP"),
        4: Entry(v1: "IPCOMP", v2: "FC_ESP_HEADER"),  // IKEv2: RFC 4595
        5: Entry(v1: "GIGABEAM_RADIO", v2: "FC_CT_AUTHENTICATION"),  // IKEv1: RFC 4705
    ]

    private static let ciphers: [UInt16: Entry] = [
        1: .cipher("DES_IV64"),
        2: .cipher("DES"),
        3: .cipher("3DES"),
        4: .cipher("RC5"),
        5: .cipher("IDEA"),
        6: .cipher("CAST"),
        7: .cipher("BLOWFISH"),
        8: .cipher("3IDEA"),
        9: .cipher("DES_IV32"),
        10: .v1("ESP_RC4"),
        11: .cipher("NULL"),
        12: Entry(v1: "ESP_AES", v2: "ENCR_AES_CBC"),  // RFC 3602
        13: Entry(v1: "ESP_AES-CTR", v2: "ENCR_AES_CTR"),  // RFC 3686
        14: Entry(v1: "ESP_AES-CCM_8", v2: "ENCR_AES_CCM_8"),  // RFC 4309
        15: Entry(v1: "ESP_AES-CCM_12", v2: "ENCR_AES_CCM_12"),
        16: Entry(v1: "ESP_AES-CCM_16", v2: "ENCR_AES_CCM_16"),
        18: Entry(v1: "ESP_AES-GCM_8", v2: "ENCR_AES_GCM_8"),  // RFC 4106
        19: Entry(v1: "ESP_AES-GCM_12", v2: "ENCR_AES_GCM_12"),
        20: Entry(v1: "ESP_AES-GCM_16", v2: "ENCR_AES_GCM_16"),
        // Where the registries part: the same number, different algorithms.
        21: Entry(v1: "ESP_SEED_CBC", v2: "ENCR_NULL_AUTH_AES_GMAC"),  // RFC 4196; RFC 4543
        22: .v1("ESP_CAMELLIA"),  // RFC 4312
        23: Entry(v1: "ESP_NULL_AUTH_AES-GMAC", v2: "ENCR_CAMELLIA_CBC"),  // RFC 4543; RFC 5529
        24: .v2("ENCR_CAMELLIA_CTR"),
        25: .v2("ENCR_CAMELLIA_CCM_8"),
        26: .v2("ENCR_CAMELLIA_CCM_12"),
        27: .v2("ENCR_CAMELLIA_CCM_16"),
        28: .v2("ENCR_CHACHA20_POLY1305"),  // RFC 7634
        29: .v2("ENCR_AES_CCM_8_IIV"),  // RFC 8750
        30: .v2("ENCR_AES_GCM_16_IIV"),  // RFC 8750
        31: .v2("ENCR_CHACHA20_POLY1305_IIV"),  // RFC 8750
        32: .v2("ENCR_KUZNYECHIK_MGM_KTREE"),  // RFC 9227
        33: .v2("ENCR_MAGMA_MGM_KTREE"),  // RFC 9227
        34: .v2("ENCR_KUZNYECHIK_MGM_MAC_KTREE"),
        35: .v2("ENCR_MAGMA_MGM_MAC_KTREE"),
    ]

    private static let idTypes: [UInt8: Entry] = [
        1: .both("ID_IPV4_ADDR"),
        2: .both("ID_FQDN"),
        3: Entry(v1: "ID_USER_FQDN", v2: "ID_RFC822_ADDR"),
        4: .v1("ID_IPV4_ADDR_SUBNET"),
        5: .both("ID_IPV6_ADDR"),
        6: .v1("ID_IPV6_ADDR_SUBNET"),
        7: .v1("ID_IPV4_ADDR_RANGE"),
        8: .v1("ID_IPV6_ADDR_RANGE"),
        9: .both("ID_DER_ASN1_DN"),
        10: .both("ID_DER_ASN1_GN"),
        11: .both("ID_KEY_ID"),
        12: Entry(v1: "ID_LIST", v2: "ID_FC_NAME"),  // RFC 3554; RFC 4595
        13: .v2("ID_NULL"),  // RFC 7619
    ]

    private static let certificateEncodings: [UInt8: Entry] = [
        0: .v1("NONE"),
        1: .both("PKCS #7 wrapped X.509 certificate"),
        2: .both("PGP Certificate"),
        3: .both("DNS Signed Key"),
        4: .both("X.509 Certificate - Signature"),
        5: .v1("X.509 Certificate - Key Exchange"),
        6: Entry(v1: "Kerberos Tokens", v2: "Kerberos Token"),  // each RFC's words
        7: .both("Certificate Revocation List (CRL)"),
        8: .both("Authority Revocation List (ARL)"),
        9: .both("SPKI Certificate"),
        10: .both("X.509 Certificate - Attribute"),
        11: .v2("Raw RSA Key"),
        12: .v2("Hash and URL of X.509 certificate"),
        13: .v2("Hash and URL of X.509 bundle"),
        14: .v2("OCSP Content"),  // RFC 4806
        15: .v2("Raw Public Key"),  // RFC 7670
    ]

    private static let configAttributes: [UInt16: Entry] = [
        1: .both("INTERNAL_IP4_ADDRESS"),
        2: .both("INTERNAL_IP4_NETMASK"),
        3: .both("INTERNAL_IP4_DNS"),
        4: .both("INTERNAL_IP4_NBNS"),
        5: .v1("INTERNAL_ADDRESS_EXPIRY"),
        6: .both("INTERNAL_IP4_DHCP"),
        7: .both("APPLICATION_VERSION"),
        8: .both("INTERNAL_IP6_ADDRESS"),
        9: .v1("INTERNAL_IP6_NETMASK"),
        10: .both("INTERNAL_IP6_DNS"),
        11: .v1("INTERNAL_IP6_NBNS"),
        12: .both("INTERNAL_IP6_DHCP"),
        13: .both("INTERNAL_IP4_SUBNET"),
        14: .both("SUPPORTED_ATTRIBUTES"),
        15: .both("INTERNAL_IP6_SUBNET"),
        16: .v2("MIP6_HOME_PREFIX"),  // RFC 5026
        17: .v2("INTERNAL_IP6_LINK"),  // RFC 5739
        18: .v2("INTERNAL_IP6_PREFIX"),
        19: .v2("HOME_AGENT_ADDRESS"),  // RFC 5213
        20: .v2("P_CSCF_IP4_ADDRESS"),  // RFC 7651
        21: .v2("P_CSCF_IP6_ADDRESS"),
        22: .v2("FTT_KAT"),  // RFC 8229
        23: .v2("EXTERNAL_SOURCE_IP4_NAT_INFO"),  // 3GPP
        24: .v2("TIMEOUT_PERIOD_FOR_LIVENESS_CHECK"),  // 3GPP
        25: .v2("INTERNAL_DNS_DOMAIN"),  // RFC 8598
        26: .v2("INTERNAL_DNSSEC_TA"),  // RFC 8598
        27: .v2("ENCDNS_IP4"),  // RFC 9464
        28: .v2("ENCDNS_IP6"),
        29: .v2("ENCDNS_DIGEST_INFO"),
        16387: .v1("CHKPT_DEF_DOMAIN"),
        16388: .v1("CHKPT_MAC_ADDRESS"),
        16389: .v1("CHKPT_MARCIPAN_REASON_CODE"),
        16400: .v1("CHKPT_UNKNOWN1"),
        16401: .v1("CHKPT_UNKNOWN2"),
        16402: .v1("CHKPT_UNKNOWN3"),
        16520: .v1("XAUTH-TYPE"),
        16521: .v1("XAUTH-USER-NAME"),
        16522: .v1("XAUTH-USER-PASSWORD"),
        16523: .v1("XAUTH-PASSCODE"),
        16524: .v1("XAUTH-MESSAGE"),
        16525: .v1("XAUTH-CHALLENGE"),
        16526: .v1("XAUTH-DOMAIN"),
        16527: .v1("XAUTH-STATUS"),
        16528: .v1("XAUTH-NEXT-PIN"),
        16529: .v1("XAUTH-ANSWER"),
        28672: .v1("UNITY_BANNER"),
        28673: .v1("UNITY_SAVE_PASSWD"),
        28674: .v1("UNITY_DEF_DOMAIN"),
        28675: .v1("UNITY_SPLIT_DOMAIN"),
        28676: .v1("UNITY_SPLIT_INCLUDE"),
        28677: .v1("UNITY_NATT_PORT"),
        28678: .v1("UNITY_SPLIT_EXCLUDE"),
        28679: .v1("UNITY_PFS"),
        28680: .v1("UNITY_FW_TYPE"),
        28681: .v1("UNITY_BACKUP_SERVERS"),
        28682: .v1("UNITY_DDNS_HOSTNAME"),
    ]
}
