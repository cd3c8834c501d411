import SpiglassIKE
import SpiglassSAD
import Testing

/// The registries IKEv1 and IKEv2 number alike: one table each, the number's meaning shared,
/// its spelling the version's, and the members only one version registers left unnamed in the
/// other (as each registry's own table named them before).
struct IKESharedNamesTests {
    @Test func groupsShareTheirNumbersAndKeepEachRegistrysSpelling() {
        let cases: [(UInt16, String, String)] = [
            (2, "MODP1024", "MODP_1024"),
            (14, "MODP2048", "MODP_2048"),
            (19, "ECP256", "ECP_256"),
            (24, "MODP2048-256", "MODP_2048_256"),
            (28, "BRAINPOOL256", "BRAINPOOL_P256R1"),
            (31, "CURVE25519", "CURVE25519"),
            // Only IKEv1 has the EC2N groups; only IKEv2 has NONE, GOST and ML-KEM.
            (3, "EC2N155", "KE_3"),
            (13, "EC2N571", "KE_13"),
            (0, "GROUP_0", "NONE"),
            (33, "GROUP_33", "GOST3410_2012_256"),
            (37, "GROUP_37", "ML_KEM_1024"),
            (38, "GROUP_38", "KE_38"),
        ]
        for (id, v1, v2) in cases {
            #expect(KeyExchangeGroup(rawValue: id).name(.v1) == v1, "group \(id)")
            #expect(KeyExchangeGroup(rawValue: id).name(.v2) == v2, "group \(id)")
            #expect(IKEv1Names.groupName(id) == v1)
            #expect(IKEv2Names.keyExchangeName(id) == v2)
        }
    }

    @Test func ciphersAgreeUpToTwentyAndPartAfter() {
        #expect(IKESharedNames.encryptionName(12, .v1) == "ESP_AES")
        #expect(IKESharedNames.encryptionName(12, .v2) == "ENCR_AES_CBC")
        #expect(IKESharedNames.encryptionName(20, .v1) == "ESP_AES-GCM_16")
        #expect(IKESharedNames.encryptionName(20, .v2) == "ENCR_AES_GCM_16")
        #expect(IKESharedNames.encryptionName(21, .v1) == "ESP_SEED_CBC")
        #expect(IKESharedNames.encryptionName(21, .v2) == "ENCR_NULL_AUTH_AES_GMAC")
        #expect(IKESharedNames.encryptionName(10, .v2) == "ENCR_10")
        #expect(IKESharedNames.encryptionName(28, .v1) == "ESP_28")
        #expect(IKESharedNames.encryptionName(1024, .v2) == "ENCR_PRIVATE_1024")
        #expect(IKEv1Names.transformName(protocolID: IKEv1Names.protoESP, id: 3) == "ESP_3DES")
        #expect(IKEv2Names.transformIDName(type: IKEv2TransformType.encryption, id: 3) == "ENCR_3DES")
    }

    @Test func identificationCertificateProtocolAndConfigurationNames() {
        #expect(IKESharedNames.idTypeName(3, .v1) == "ID_USER_FQDN")
        #expect(IKESharedNames.idTypeName(3, .v2) == "ID_RFC822_ADDR")
        #expect(IKESharedNames.idTypeName(4, .v2) == "ID_4")
        #expect(IKESharedNames.idTypeName(12, .v1) == "ID_LIST")
        #expect(IKESharedNames.idTypeName(12, .v2) == "ID_FC_NAME")
        #expect(IKESharedNames.certificateEncodingName(6, .v1) == "Kerberos Tokens")
        #expect(IKESharedNames.certificateEncodingName(6, .v2) == "Kerberos Token")
        #expect(IKESharedNames.certificateEncodingName(5, .v2) == "Certificate encoding 5")
        #expect(IKESharedNames.protocolName(3, .v1) == "ESP")
        #expect(IKESharedNames.protocolName(4, .v1) == "IPCOMP")
        #expect(IKESharedNames.protocolName(4, .v2) == "FC_ESP_HEADER")
        #expect(IKESharedNames.configTypeName(2, .v1) == "REPLY")
        #expect(IKESharedNames.configTypeName(2, .v2) == "CFG_REPLY")
        #expect(IKESharedNames.configTypeName(9, .v1) == "CFG_9")
        #expect(IKESharedNames.configAttributeName(1, .v1) == "INTERNAL_IP4_ADDRESS")
        #expect(IKESharedNames.configAttributeName(1, .v2) == "INTERNAL_IP4_ADDRESS")
        // RFC 7296 dropped INTERNAL_ADDRESS_EXPIRY; XAUTH is IKEv1's.
        #expect(IKESharedNames.configAttributeName(5, .v2) == "CFG_ATTRIBUTE_5")
        #expect(IKESharedNames.configAttributeName(5, .v1) == "INTERNAL_ADDRESS_EXPIRY")
        #expect(IKESharedNames.configAttributeName(16521, .v1) == "XAUTH-USER-NAME")
        #expect(IKESharedNames.configAttributeName(16521, .v2) == "CFG_ATTRIBUTE_16521")
        #expect(IKESharedNames.configAttributeName(25, .v2) == "INTERNAL_DNS_DOMAIN")
        #expect(IKESharedNames.configAttributeName(25, .v1) == "CFG_ATTRIBUTE_25")
    }
}
