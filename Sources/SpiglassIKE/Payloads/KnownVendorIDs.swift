import SpiglassWire

/// One well-known Vendor ID (IKEv1 RFC 2408 3.16, IKEv2 RFC 7296 3.12): the same values are
/// sent in both versions, so the table is version-neutral.
public struct KnownVendorID: Sendable, Equatable {
    public enum Match: Sendable, Equatable {
        /// The vendor ID is exactly `bytes`.
        case exact
        /// The vendor ID starts with `bytes`; a version or flags follow (DPD, Cisco Unity,
        /// MS NT5 ISAKMPOAKLEY + Windows version, Cisco FRAGMENTATION + flags).
        case prefix
        /// Exactly `length` bytes that start with `bytes` (Openswan's "OSW" or libreswan's
        /// "OE" followed by printable hash characters, 12 bytes in all).
        case prefixOfLength(Int)
    }

    public var bytes: [UInt8]
    public var name: String
    public var match: Match

    func matches(_ data: [UInt8]) -> Bool {
        switch match {
        case .exact: return data == bytes
        case .prefix: return data.count >= bytes.count && data.starts(with: bytes)
        case .prefixOfLength(let length): return data.count == length && data.starts(with: bytes)
        }
    }
}

/// Vendor IDs that identify an implementation or announce a feature. Values are MD5 hashes
/// of a text (checked against that text where it is known), plain ASCII, or vendor constants,
/// as Wireshark's ISAKMP dissector and the implementations themselves list them.
public enum KnownVendorIDs {
    /// The entry that matches `data`: an exact match first, else the longest prefix.
    public static func lookup(_ data: [UInt8]) -> KnownVendorID? {
        if let exact = table.first(where: { $0.match == .exact && $0.bytes == data }) { return exact }
        var best: KnownVendorID? = nil
        for entry in table where entry.match != .exact && entry.matches(data) {
            if best.map({ entry.bytes.count > $0.bytes.count }) ?? true { best = entry }
        }
        return best
    }

    /// The name of the vendor or feature `data` announces, if known.
    public static func name(_ data: [UInt8]) -> String? { lookup(data)?.name }

    private static func hex(_ text: String, _ name: String, _ match: KnownVendorID.Match = .exact) -> KnownVendorID {
        KnownVendorID(bytes: Hex.decodeStrict(Substring(text)) ?? [], name: name, match: match)
    }

    private static func ascii(_ text: String, _ name: String, _ match: KnownVendorID.Match = .exact) -> KnownVendorID {
        KnownVendorID(bytes: Array(text.utf8), name: name, match: match)
    }

    public static let table: [KnownVendorID] = [
        // Implementations.
        hex("882fe56d6fd20dbc2251613b2ebe5beb", "strongSwan"),  // MD5("strongSwan")
        ascii("OSW", "Openswan", .prefixOfLength(12)),
        ascii("OE", "Openswan/Libreswan", .prefixOfLength(12)),
        ascii("Opportunistic IPsec", "Libreswan Opportunistic IPsec (NULL auth)"),
        hex("7003cbc1097dbe9c2600ba6983bc8b35", "KAME/racoon"),  // MD5("KAME/racoon")
        hex("20a3622c1cea7ce37bee3ca484425276", "IPsec-Tools"),
        hex("f14b94b7bff1fef02773b8c49feded26", "Shrew Soft"),
        // MD5("MS NT5 ISAKMPOAKLEY") + Windows version
        hex("1e2b516905991c7d7c96fcbfb587e461", "MS NT5 ISAKMPOAKLEY", .prefix),
        hex("26244d38eddb61b3172a36e3d0cfb819", "Microsoft Vid-Initial-Contact"),  // MD5("Vid-Initial-Contact")
        hex("fb1de3cdf341b7ea16b7e5be0855f120", "MS-Negotiation Discovery Capable"),
        hex("e3a5966a76379fe707228231e5ce8652", "IKE CGA version 1"),  // MD5("IKE CGA version 1")
        hex("12f5f28c457168a9702d9fe274cc", "CISCO-UNITY", .prefix),  // MD5("CISCO-UNITY")[0..<14] + major, minor
        hex("1f07f70eaa6514d3b0fa96542a500100", "CISCO-CONCENTRATOR"),
        ascii("CISCO-DELETE-REASON", "Cisco Delete Reason Supported"),
        ascii("CISCOVPN-REV-02", "Cisco VPN Revision 2"),
        ascii("CISCO-DYNAMIC-ROUTE", "Cisco Dynamic Route Supported"),
        ascii("FLEXVPN-SUPPORTED", "Cisco FlexVPN Supported"),
        ascii("CISCO-GRE-MODE", "Cisco GRE Mode Supported"),
        hex("f4ed19e0c114eb516faaac0ee37daf2807b4381f", "Check Point", .prefix),
        hex("8299031757a36082c6a621de", "Fortigate (Fortinet)", .prefix),
        hex("404bf439522ca3f6", "SonicWALL", .prefix),
        hex("625027749d5ab97f5616c1602765cf480a3b7d0b", "ZyWALL", .prefix),
        hex("8404adf9cda05760b2ca292e4bff537b", "Sidewinder"),
        hex("ca3e2b854ba8030017dc1023a4fde2041f9f7463", "Remote AP (Aruba Networks)", .prefix),
        hex("3c8e70bdf9c7d74add53e4100915dc2e4bb51274", "Controller (Aruba Networks)", .prefix),
        hex("88f0e3149b3fa48b05aa7f685f0b766be186ccb8", "VIA Client (Aruba Networks)", .prefix),
        ascii("VIA Auth Profile : ", "VIA Auth Profile (Aruba Networks)", .prefix),
        hex("299ee8289f40a8973bc78687e2e7226b532c3b76", "Netscreen-1", .prefix),
        hex("3a15e1f3cf2a63582e3ac82d1c64cbe3b6d779e7", "Netscreen-2", .prefix),
        hex("47d2b126bfcd83489760e2cf8c5d4d5a03497c15", "Netscreen-3", .prefix),
        hex("4a4340b543e02b84c88a8b96a8af9ebe77d9accc", "Netscreen-4", .prefix),
        hex("64405f46f03b7660a23be116a1975058e69e8387", "Netscreen-5", .prefix),
        hex("699369228741c6d4ca094c93e242c9de19e7b7c6", "Netscreen-6", .prefix),
        hex("8c0dc6cf62a0ef1b5c6eabd1b67ba69866adf16a", "Netscreen-7", .prefix),
        hex("92d27a9ecb31d99246986d3453d0c3d57a222a61", "Netscreen-8", .prefix),
        hex("9b096d9ac3275a7d6fe8b91c583111b09efed1a0", "Netscreen-9", .prefix),
        hex("bf03746108d746c904f1f3547de24f78479fed12", "Netscreen-10", .prefix),
        hex("c2e80500f4cc5fbf5daaeed3bb59abaeee56c652", "Netscreen-11", .prefix),
        hex("c8660a62b03b1b6130bf781608d32a6a8d0fb89f", "Netscreen-12", .prefix),
        hex("f885da40b1e7a9abd17655ec5bbec0f21f0ed52e", "Netscreen-13", .prefix),
        hex("2a2bcac19b8e91b426107807e02e7249569d6fd3", "Netscreen-14", .prefix),
        hex("166f932d55eb64d8e4df4fd37e2313f0d0fd8451", "Netscreen-15", .prefix),
        hex("a35bfd05ca1ac0b3d2f24e9e82bfcbff9c9e52b5", "Netscreen-16", .prefix),
        hex("054182a07c7ae206f9d2cf9d2432c482", "SSH Sentinel"),
        hex("b91623e693ca18a54c6a2778552305e8", "SSH Sentinel 1.1"),
        hex("5430888de01a31a6fa8f60224e449958", "SSH Sentinel 1.2"),
        hex("7ee5cb85f71ce259c94a5c731ee4e752", "SSH Sentinel 1.3"),
        hex("63d9a1a7009491b5a0a6fdeb2a8284f0", "SSH Sentinel 1.4"),
        hex("eb4b0d96276b4e220ad16221a7b2a5e6", "SSH Sentinel 1.4.1"),

        // Features and drafts.
        hex("4a131c81070358455c5728f20e95452f", "RFC 3947 NAT-Traversal"),  // MD5("RFC 3947")
        hex("4df37928e9fc4fd1b3262170d515c662", "draft-ietf-ipsec-nat-t-ike"),
        hex("4485152d18b6bbcd0be8a8469579ddcc", "draft-ietf-ipsec-nat-t-ike-00"),
        hex("16f6ca16e4a4066d83821a0f0aeaa862", "draft-ietf-ipsec-nat-t-ike-01"),
        hex("cd60464335df21f87cfdb2fc68b6a448", "draft-ietf-ipsec-nat-t-ike-02"),
        hex("90cb80913ebb696e086381b5ec427b1f", "draft-ietf-ipsec-nat-t-ike-02\\n"),
        hex("7d9419a65310ca6f2c179d9215529d56", "draft-ietf-ipsec-nat-t-ike-03"),
        hex("9909b64eed937c6573de52ace952fa6b", "draft-ietf-ipsec-nat-t-ike-04"),
        hex("80d0bb3def54565ee84645d4c85ce3ee", "draft-ietf-ipsec-nat-t-ike-05"),
        hex("4d1e0e136deafa34c4f3ea9f02ec7285", "draft-ietf-ipsec-nat-t-ike-06"),
        hex("439b59f8ba676c4c7737ae22eab8f582", "draft-ietf-ipsec-nat-t-ike-07"),
        hex("8f8d83826d246b6fc7a8a6a428c11de8", "draft-ietf-ipsec-nat-t-ike-08"),
        hex("42ea5b6f898d9773a575df26e7dd19e1", "draft-ietf-ipsec-nat-t-ike-09"),
        hex("c40fee00d5d39ddb1fc762e09b7cfea7", "Testing NAT-T RFC"),
        hex("27bab5dc01ea0760ea4e3190ac27c0d0", "draft-stenberg-ipsec-nat-traversal-01"),
        hex("6105c422e76847e43f9684801292aecd", "draft-stenberg-ipsec-nat-traversal-02"),
        hex("6a7434c19d7e36348090a02334c9c805", "draft-huttunen-ipsec-esp-in-udp-00"),
        hex("50760f624c63e5c53eea386c685ca083", "draft-huttunen-ipsec-esp-in-udp-01 (ESPThruNAT)"),
        hex("afcad71368a1f1c96b8696fc7757", "RFC 3706 DPD", .prefix),  // + major 01, minor 00
        hex("09002689dfd6b712", "XAUTH", .prefix),  // MD5("draft-ietf-ipsra-isakmp-xauth-06.txt")[0..<8]
        // MD5("FRAGMENTATION"); Cisco appends 4 flag bytes
        hex("4048b7d56ebce88525e7de7f00d6c2d3", "FRAGMENTATION", .prefix),
        hex("621b04bb09882ac1e15935fefa24aeee", "GSSAPI"),  // MD5("GSSAPI")
        hex("b46d8914f3aaa3f2fedeb7c7db2943ca", "A GSS-API Authentication Method for IKE"),
        hex("ad2c0dd0b9c32083ccba25b8861ec455", "A GSS-API Authentication Method for IKE"),
        hex("325df29a2319f2dd", "draft-ietf-ipsec-antireplay-00"),
        hex("8db7a41811221660", "draft-ietf-ipsec-heartbeats-00"),
        hex("ba290499c24e84e53a1d83a05e5f00c9", "IKE Challenge/Response for Authenticated Cryptographic Keys"),
        hex("0d33611a5d521b5e3c9c03d2fc107e12", "IKE Challenge/Response for Authenticated Cryptographic Keys"),
        hex(
            "ad3251042cdc4652c9e0734ce5de4c7d", "IKE Challenge/Response for Authenticated Cryptographic Keys (Revised)"),
        hex(
            "013f11823f966fa91900f024ba66a86b", "IKE Challenge/Response for Authenticated Cryptographic Keys (Revised)"),
        ascii("HeartBeat_Notify", "Heartbeat Notify", .prefix),
        hex("2d7922c6b301d9b0e1342739e9cfbbd5", "DWR: Delete with reason"),
    ]
}
