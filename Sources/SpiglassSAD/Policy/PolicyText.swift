import SpiglassWire

/// Words the policy parsers share: protocol names as /etc/protocols, ip xfrm, setkey and
/// strongSwan write them, and address ranges.
enum PolicyText {
    /// Names from a policy file (connections, children, labels) as notes quote them: escaped
    /// for display and clipped. Only names: values that may be secrets are never quoted
    /// (`KeyMaterial.redacted`).
    static func shown<S: StringProtocol>(_ text: S) -> String {
        DisplayText.clipped(DisplayText.escaped(String(text)), limit: 64)
    }

    /// Names the tools print, first one used for display.
    private static let names: [(UInt8, [String])] = [
        (1, ["icmp"]), (2, ["igmp"]), (4, ["ipencap", "ipip", "ip4"]), (6, ["tcp"]), (17, ["udp"]),
        (33, ["dccp"]), (41, ["ipv6", "ip6"]), (47, ["gre"]), (50, ["esp", "ipv6-crypt"]), (51, ["ah", "ipv6-auth"]),
        (58, ["ipv6-icmp", "icmp6", "icmpv6"]), (89, ["ospf", "ospfigp"]), (103, ["pim"]), (112, ["vrrp"]),
        (115, ["l2tp"]),
        (132, ["sctp"]), (135, ["mh", "mobility-header", "ipv6-mh"]), (136, ["udplite"]),
    ]

    /// "tcp", "ipv6-icmp", or the number.
    static func protocolName(_ number: UInt8) -> String {
        names.first { $0.0 == number }?.1.first ?? String(number)
    }

    /// A protocol by name (any case) or number; "any" (and setkey's 255, its "any") is 0.
    static func protocolNumber<S: StringProtocol>(_ text: S) -> UInt8? {
        let word = text.lowercased()
        if word == "any" || word == "all" || word == "%any" { return 0 }
        if let number = UInt8(word) { return number == 255 ? 0 : number }
        return names.first { $0.1.contains(word) }?.0
    }

    /// "10.1.0.0/16", "10.1.2.3", "2001:db8::/48", "10.0.0.1-10.0.0.9". Host bits of a prefix
    /// are ignored, as the kernel does.
    static func addressRange<S: StringProtocol>(_ text: S) -> AddressRange? {
        let text = Substring(text)
        guard !text.isEmpty, text.count <= 100 else { return nil }
        if let dash = text.firstIndex(of: "-"), !text.contains("/") {
            guard let first = IPAddress(text[..<dash]), let last = IPAddress(text[text.index(after: dash)...]) else {
                return nil
            }
            return AddressRange(first: first, last: last)
        }
        if let slash = text.firstIndex(of: "/") {
            guard let address = IPAddress(text[..<slash]), let bits = Int(text[text.index(after: slash)...]),
                bits >= 0, bits <= (address.isIPv4 ? 32 : 128)
            else { return nil }
            return AddressRange(prefix: address, bits: bits)
        }
        guard let address = IPAddress(text) else { return nil }
        return AddressRange(single: address)
    }
}
