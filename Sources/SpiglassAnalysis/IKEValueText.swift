import SpiglassIKE
import SpiglassWire

// The values of IKE payloads in words, for the text report and the JSON: addresses, selectors,
// identities, configuration attribute values, lifetimes. The model (SpiglassIKE) keeps the
// values; what they look like to people is decided here, beside the payload renderers.

extension IKEv2TrafficSelector {
    /// The start and end addresses as text ("10.200.1.0", "fd00:201::"); hex if odd-sized.
    var startText: String { IKEText.address(startAddress) }
    var endText: String { IKEText.address(endAddress) }

    /// "10.200.1.0/24" when the range is a prefix, "10.0.0.1-10.0.0.9" otherwise, then
    /// "[tcp/80]", "[udp]", "[any/500-600]" when the protocol or ports are restricted.
    var text: String {
        guard isAddressRange else {
            return data.isEmpty ? typeName : "\(typeName) \(IKEText.hexPrefix(data, limit: 32))"
        }
        let addresses: String
        if let prefix = Self.prefixLength(startAddress, endAddress) {
            addresses = "\(startText)/\(prefix)"
        } else {
            addresses = "\(startText)-\(endText)"
        }
        return addresses + portsText
    }

    /// "" for any protocol and any port, else "[proto]" or "[proto/ports]".
    var portsText: String {
        let anyPort = startPort == 0 && endPort == 0xffff
        if ipProtocol == 0 && anyPort { return "" }
        let proto = IKEv2Names.ipProtocolName(ipProtocol)
        if anyPort { return "[\(proto)]" }
        if startPort == 0xffff && endPort == 0 { return "[\(proto)/OPAQUE]" }  // RFC 4301 4.4.1.1
        if startPort == endPort { return "[\(proto)/\(startPort)]" }
        return "[\(proto)/\(startPort)-\(endPort)]"
    }

    /// The prefix length when `start...end` is exactly one prefix (`end` has the host bits of
    /// `start` set), nil otherwise.
    static func prefixLength(_ start: [UInt8], _ end: [UInt8]) -> Int? {
        guard start.count == end.count, !start.isEmpty else { return nil }
        var prefix: Int? = nil
        for bit in 0..<(start.count * 8) {
            let mask = UInt8(0x80) >> UInt8(bit % 8)
            let s = start[bit / 8] & mask != 0
            let e = end[bit / 8] & mask != 0
            if prefix == nil {
                if s == e { continue }
                prefix = bit
            }
            guard !s && e else { return nil }
        }
        return prefix ?? start.count * 8
    }
}

extension IKEv2Identification {
    /// The identity for people: an address, the FQDN or e-mail text, a DN as "C=CH, O=..., CN=..."
    /// when it decodes, hex otherwise. Text from the packet is escaped (`DisplayText`), whole:
    /// report lines clip it.
    var text: String {
        switch type {
        case 1 where data.count == 4, 5 where data.count == 16:
            return IKEText.address(data)
        case 2, 3:
            return DisplayText.readable(data) ?? Hex.encode(data)
        case 9:
            return IKEDistinguishedNameText.render(data) ?? Hex.encode(data)
        case 11:
            // Key IDs are opaque, but strongSwan and others often put text in them.
            return DisplayText.readable(data, ascii: true) ?? Hex.encode(data)
        case 13:
            return ""
        default:
            return Hex.encode(data)
        }
    }
}

extension IKEv2ConfigAttribute {
    /// The value for people when its form is known: "10.3.0.1", "fd00::1/64", the application
    /// version text; nil when empty or opaque.
    var valueText: String? {
        guard !value.isEmpty else { return nil }
        switch type {
        case 1, 2, 3, 4, 6, 20:
            // INTERNAL_IP4_ADDRESS, _NETMASK, _DNS, _NBNS, _DHCP, P_CSCF_IP4_ADDRESS.
            return value.count == 4 ? IKEText.address(value) : nil
        case 10, 12, 21:
            // INTERNAL_IP6_DNS, INTERNAL_IP6_DHCP, P_CSCF_IP6_ADDRESS.
            return value.count == 16 ? IKEText.address(value) : nil
        case 8, 15:
            // INTERNAL_IP6_ADDRESS, INTERNAL_IP6_SUBNET: address and prefix length.
            return value.count == 17 ? "\(IKEText.address(Array(value[0..<16])))/\(value[16])" : nil
        case 13:
            // INTERNAL_IP4_SUBNET: address and netmask.
            return value.count == 8
                ? "\(IKEText.address(Array(value[0..<4])))/\(IKEText.address(Array(value[4..<8])))" : nil
        case 7, 25:
            // APPLICATION_VERSION, INTERNAL_DNS_DOMAIN.
            return DisplayText.escaped(bytes: value)
        default:
            return nil
        }
    }
}

extension IKEv1Identification {
    /// The identity for people: "10.0.0.1", "10.1.0.0/16", "10.0.0.1-10.0.0.9", the FQDN or
    /// user FQDN text, a DN as "C=CH, O=..., CN=..." when it decodes; hex otherwise (and for
    /// data whose length does not fit its type). Text from the packet is escaped
    /// (`DisplayText`), whole: report lines clip it.
    var text: String {
        switch type {
        case IKEv1Names.ID.ipv4Address where data.count == 4, IKEv1Names.ID.ipv6Address where data.count == 16:
            return IKEText.address(data)
        case IKEv1Names.ID.fqdn, IKEv1Names.ID.userFQDN:
            return DisplayText.readable(data) ?? Hex.encode(data)
        case IKEv1Names.ID.keyID:
            // Key IDs are opaque, but implementations often put text in them.
            return DisplayText.readable(data, ascii: true) ?? Hex.encode(data)
        case IKEv1Names.ID.ipv4Subnet where data.count == 8, IKEv1Names.ID.ipv6Subnet where data.count == 32:
            let half = data.count / 2
            let address = Array(data[0..<half])
            let mask = Array(data[half...])
            if let prefix = Self.prefixLength(mask) { return "\(IKEText.address(address))/\(prefix)" }
            return "\(IKEText.address(address))/\(IKEText.address(mask))"
        case IKEv1Names.ID.ipv4Range where data.count == 8, IKEv1Names.ID.ipv6Range where data.count == 32:
            let half = data.count / 2
            return "\(IKEText.address(Array(data[0..<half])))-\(IKEText.address(Array(data[half...])))"
        case IKEv1Names.ID.derASN1DN:
            return IKEDistinguishedNameText.render(data) ?? Hex.encode(data)
        default:
            return Hex.encode(data)
        }
    }

    /// "" when protocol and port are both 0, else "[udp/500]", "[tcp]", "[any/1701]".
    var portsText: String {
        if protocolID == 0 && port == 0 { return "" }
        let proto = IKEv2Names.ipProtocolName(protocolID)
        return port == 0 ? "[\(proto)]" : "[\(proto)/\(port)]"
    }

    /// The prefix length of a contiguous netmask; nil for any other mask.
    static func prefixLength(_ mask: [UInt8]) -> Int? {
        var prefix = 0
        var ended = false
        for byte in mask {
            for bit in 0..<8 {
                let set = byte & (UInt8(0x80) >> UInt8(bit)) != 0
                if set {
                    if ended { return nil }
                    prefix += 1
                } else {
                    ended = true
                }
            }
        }
        return prefix
    }
}

extension IKEv1Attribute {
    /// The value of a Mode Config / XAUTH attribute for people when its form is known:
    /// "10.3.0.1", "10.1.0.0/255.255.0.0", the user name or banner text (escaped, see
    /// `DisplayText`), "OK"; nil when empty, opaque, or secret (see `isSecretConfigAttribute`).
    var configValueText: String? {
        guard !value.isEmpty, !isSecretConfigAttribute else { return nil }
        switch type {
        case 1, 2, 3, 4, 6:
            // INTERNAL_IP4_ADDRESS, _NETMASK, _DNS, _NBNS, _DHCP.
            return value.count == 4 ? IKEText.address(value) : nil
        case 5:
            // INTERNAL_ADDRESS_EXPIRY: seconds.
            return integerValue.map { "\($0)s" }
        case 8, 15:
            // INTERNAL_IP6_ADDRESS (16 bytes in mode-cfg, 17 with a prefix length later),
            // INTERNAL_IP6_SUBNET (address and prefix length).
            if value.count == 16 { return IKEText.address(value) }
            return value.count == 17 ? "\(IKEText.address(Array(value[0..<16])))/\(value[16])" : nil
        case 9, 10, 11, 12:
            // INTERNAL_IP6_NETMASK, _DNS, _NBNS, _DHCP.
            return value.count == 16 ? IKEText.address(value) : nil
        case 13:
            // INTERNAL_IP4_SUBNET: address and netmask.
            return value.count == 8
                ? "\(IKEText.address(Array(value[0..<4])))/\(IKEText.address(Array(value[4..<8])))" : nil
        case 14:
            // SUPPORTED_ATTRIBUTES: 16-bit attribute types.
            guard value.count % 2 == 0 else { return nil }
            return IKEText.limited(
                IKEText.uint16s(value).map { IKEv1Names.configAttributeName($0 & 0x7fff) },
                separator: ",")
        case IKEv1Names.Config.xauthType:
            return integerValue.map { IKEv1Names.xauthTypeName(UInt16(truncatingIfNeeded: $0)) }
        case IKEv1Names.Config.xauthStatus:
            return integerValue.map { $0 == 1 ? "OK" : $0 == 0 ? "FAIL" : "\($0)" }
        case 7, IKEv1Names.Config.xauthUserName, IKEv1Names.Config.xauthMessage, IKEv1Names.Config.xauthDomain,
            28672, 28674, 28675, 28681, 28682:
            // APPLICATION_VERSION, XAUTH-USER-NAME, -MESSAGE, -DOMAIN, UNITY_BANNER, _DEF_DOMAIN,
            // _SPLIT_DOMAIN, _BACKUP_SERVERS, _DDNS_HOSTNAME: text, escaped whole (a banner's
            // line breaks show as \n; report lines clip it).
            return DisplayText.escaped(bytes: value)
        case 28673, 28677, 28679, 28680:
            // UNITY_SAVE_PASSWD, _NATT_PORT, _PFS, _FW_TYPE: numbers.
            return integerValue.map { "\($0)" }
        default:
            return nil
        }
    }
}

extension IKEv1NATOriginalAddress {
    /// "192.168.1.5", "2001:db8::1"; hex for anything else.
    var text: String { IKEText.address(address) }
}

extension IKEv1Lifetime {
    /// "10800s", "4608000KB"; "LIFE_TYPE_7 99" for an unknown type, the type's name alone
    /// without a duration. (A transform without lifetimes means RFC 2407's default, 8 hours:
    /// not filled in here.)
    var text: String {
        guard let duration else { return IKEv1Names.lifeTypeName(type) }
        switch type {
        case 1: return "\(duration)s"
        case 2: return "\(duration)KB"
        default: return "\(IKEv1Names.lifeTypeName(type)) \(duration)"
        }
    }
}
