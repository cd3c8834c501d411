import SpiglassWire

/// One strongSwan CHILD_SA configuration as `swanctl.conf` or `swanctl --list-conns` gives it,
/// and the policies charon installs for it: traffic from `local_ts` to `remote_ts` goes out
/// through the CHILD_SA (local → remote addresses), the reverse comes in through it. The
/// selectors are the configured ones, before the responder narrowed them (the negotiated ones
/// are in the capture: see the README).
struct StrongSwanChild {
    var connection: String
    var name: String
    var line: Int
    /// `tunnel`, `transport`, `beet`, or the shunts `pass` (BYPASS) and `drop` (DISCARD), as
    /// the source writes it (any case).
    var mode = "tunnel"

    enum ShuntMode: String {
        case pass, drop
    }
    var localTS: [String] = ["dynamic"]
    var remoteTS: [String] = ["dynamic"]
    var localAddrs: [String] = []
    var remoteAddrs: [String] = []
    var ah = false
    var priority: UInt32? = nil
    /// Field names for errors: `local_ts` in swanctl.conf, `local` in --list-conns output.
    var localField = "local_ts"
    var remoteField = "remote_ts"

    var label: String { "\(connection).\(name)" }
    /// The label as notes show it: the names come from the file, escaped.
    var shownLabel: String { PolicyText.shown(label) }

    func policies(file: String, source: SecurityPolicy.Source) throws -> ([SecurityPolicy], KeyFileNote) {
        func fail(_ field: String, _ message: String) -> KeyFileError {
            KeyFileError(.badValue, file: file, line: line, field: field, message)
        }
        let ipsecMode = IPsecMode(rawValue: mode.lowercased())
        let shunt = ShuntMode(rawValue: mode.lowercased())
        guard ipsecMode != nil || shunt != nil else {
            throw fail("mode", "'\(KeyMaterial.redacted(mode))' is not tunnel, transport, beet, pass or drop")
        }
        let local = Self.literalAddress(localAddrs)
        let remote = Self.literalAddress(remoteAddrs)
        /// A CHILD_SA whose selectors this file cannot give: a note instead of policies.
        func unusable(_ reason: String) -> ([SecurityPolicy], KeyFileNote) {
            let note =
                "CHILD_SA \(shownLabel): \(reason); not used: the negotiated selectors in the capture are checked instead"
            return ([], KeyFileNote(.warning, file: file, line: line, note))
        }
        guard let localSelectors = try Self.selectors(localTS, host: local, field: localField, fail: fail) else {
            return unusable(
                "local selector 'dynamic' stands for an address this file does not give (local_addrs is not one address)"
            )
        }
        guard let remoteSelectors = try Self.selectors(remoteTS, host: remote, field: remoteField, fail: fail) else {
            return unusable(
                "remote selector 'dynamic' stands for the peer's address, which this file does not give as one address")
        }
        let action: SecurityPolicy.Action
        switch (ipsecMode, shunt) {
        case (_, .pass?): action = .bypass
        case (_, .drop?): action = .discard
        default:
            let transport = ipsecMode == .transport
            action = .protect([
                PolicyTemplate(
                    ipsecProtocol: ah ? .ah : .esp, mode: ipsecMode, tunnelSource: transport ? nil : local,
                    tunnelDestination: transport ? nil : remote)
            ])
        }
        let selector = PolicySelector(sources: localSelectors, destinations: remoteSelectors)
        let outbound = SecurityPolicy(
            selector: selector, direction: .outbound, action: action,
            priority: priority ?? Self.priority(selector, shunt: action == .bypass || action == .discard),
            origin: SAOrigin(file: file, line: line), source: source, label: label)
        let policies = [outbound, outbound.reversed]
        var text = "CHILD_SA \(shownLabel): \(selector) \(outbound.actionText)"
        if case .protect = action, local == nil || remote == nil {
            text += " (tunnel endpoints not literal addresses: any SA of the protocol matches)"
        }
        return (policies, KeyFileNote(.understood, file: file, line: line, text))
    }

    /// The address of a single literal `local_addrs`/`remote_addrs` entry, else nil (%any, a
    /// name, a range, several addresses).
    static func literalAddress(_ addresses: [String]) -> IPAddress? {
        guard addresses.count == 1 else { return nil }
        return IPAddress(addresses[0])
    }

    /// charon orders the policies it installs by kind (shunts first) and then by how specific
    /// the selectors are (kernel_netlink `get_priority`); this keeps that order.
    static func priority(_ selector: PolicySelector, shunt: Bool) -> UInt32 {
        func bits(_ list: [TrafficSelector]) -> UInt32 {
            UInt32(list.compactMap { $0.addresses.prefixLength }.max() ?? 0)
        }
        var priority: UInt32 = shunt ? 1000 : 2000
        priority -= bits(selector.sources) + bits(selector.destinations)
        priority <<= 2
        let ports = (selector.sources + selector.destinations).contains { !$0.ports.isAny }
        priority += ports ? 0 : 2
        priority += selector.sources.first?.ipProtocol == 0 ? 1 : 0
        return priority
    }

    /// One strongSwan traffic selector: `10.1.0.0/16`, `10.1.0.1-10.1.0.9` (config) or
    /// `10.1.0.1..10.1.0.9` (as charon prints it), `dynamic`, each optionally followed by
    /// `[proto]` or `[proto/port]` with a port, a range, a service name, `any` or `opaque`.
    /// For ICMP the port is the type below 256 and type << 8 | code from 256 on (strongSwan's
    /// `traffic_selector_create_from_bytes`); charon prints `8` or `3(1)` for it. nil for
    /// `dynamic` when `host` is unknown.
    /// The selectors of `texts`; nil when one is 'dynamic' and `host` is not one address.
    static func selectors(
        _ texts: [String], host: IPAddress?, field: String, fail: (String, String) -> KeyFileError
    ) throws -> [TrafficSelector]? {
        var selectors: [TrafficSelector] = []
        for text in texts {
            guard let selector = try selector(text, host: host, field: field, fail: fail) else { return nil }
            selectors.append(selector)
        }
        return selectors
    }

    static func selector(
        _ text: String, host: IPAddress?, field: String,
        fail: (String, String) -> KeyFileError
    ) throws -> TrafficSelector? {
        var addressPart = Substring(text)
        var proto: UInt8 = 0
        var ports = PortSelector.any
        if let open = text.firstIndex(of: "[") {
            guard text.hasSuffix("]") else { throw fail(field, "'\(KeyMaterial.redacted(text))': '[' without ']'") }
            addressPart = text[..<open]
            let inside = text[text.index(after: open)..<text.index(before: text.endIndex)]
            let parts = inside.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let number = PolicyText.protocolNumber(parts[0]) else {
                throw fail(field, "'\(KeyMaterial.redacted(parts[0]))' is not a protocol")
            }
            proto = number
            if parts.count == 2 {
                ports = try portSelector(parts[1], proto: proto, field: field, fail: fail)
            }
        }
        let addresses: AddressRange
        if addressPart == "dynamic" || addressPart == "%dynamic" {
            guard let host else { return nil }
            addresses = AddressRange(single: host)
        } else if let range = addressPart.range(of: "..") {
            guard let first = IPAddress(addressPart[..<range.lowerBound]),
                let last = IPAddress(addressPart[range.upperBound...]),
                let made = AddressRange(first: first, last: last)
            else {
                throw fail(field, "'\(KeyMaterial.redacted(addressPart))' is not an address range")
            }
            addresses = made
        } else if let range = PolicyText.addressRange(addressPart) {
            addresses = range
        } else {
            throw fail(field, "'\(KeyMaterial.redacted(addressPart))' is not a subnet, address, range or 'dynamic'")
        }
        return TrafficSelector(addresses: addresses, ipProtocol: proto, ports: ports)
    }

    private static func portSelector(
        _ text: Substring, proto: UInt8, field: String,
        fail: (String, String) -> KeyFileError
    ) throws -> PortSelector {
        let lower = text.lowercased()
        if lower == "any" { return .any }
        if lower == "opaque" { return .opaque }
        let isICMP = proto == IPProtocol.icmp || proto == IPProtocol.icmpv6
        func value(_ part: Substring) throws -> UInt16 {
            if isICMP, let open = part.firstIndex(of: "("), part.hasSuffix(")"),
                let type = UInt8(part[..<open]),
                let code = UInt8(part[part.index(after: open)..<part.index(before: part.endIndex)])
            {
                return UInt16(type) << 8 | UInt16(code)
            }
            if let number = UInt16(part) { return isICMP && number < 256 ? number << 8 : number }
            if !isICMP, let port = ServiceNames.port(String(part)) { return port }
            throw fail(field, "'\(KeyMaterial.redacted(part))' is not a port, a range, a service name, any or opaque")
        }
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let low = try value(parts[0])
        let high = parts.count == 2 ? try value(parts[1]) : low
        guard low <= high else { throw fail(field, "'\(KeyMaterial.redacted(text))': the range ends before it starts") }
        return PortSelector(start: low, end: high)
    }
}

/// Port numbers of the service names strongSwan prints (`getservbyport`, Debian's
/// /etc/services), and names from this machine's /etc/services for the rest.
enum ServiceNames {
    static let known: [String: UInt16] = [
        "ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "bootps": 67, "bootpc": 68,
        "tftp": 69, "http": 80, "www": 80, "kerberos": 88, "pop3": 110, "sunrpc": 111, "ntp": 123, "netbios-ns": 137,
        "netbios-dgm": 138, "netbios-ssn": 139, "imap2": 143, "imap": 143, "snmp": 161, "snmp-trap": 162, "bgp": 179,
        "ldap": 389, "https": 443, "microsoft-ds": 445, "isakmp": 500, "syslog": 514, "submission": 587, "ldaps": 636,
        "imaps": 993, "pop3s": 995, "openvpn": 1194, "l2tp": 1701, "radius": 1812, "radius-acct": 1813, "nfs": 2049,
        "mysql": 3306, "ms-wbt-server": 3389, "ipsec-nat-t": 4500, "sip": 5060, "postgresql": 5432, "http-alt": 8080,
    ]

    static func port(_ name: String) -> UInt16? {
        if let port = known[name.lowercased()] { return port }
        return systemServices[name.lowercased()]
    }

    /// /etc/services, read once: the names the tool that printed the file may have used.
    static let systemServices: [String: UInt16] = {
        guard let text = try? KeyFileLoader.readKeyFile(path: "/etc/services").text else { return [:] }
        var table: [String: UInt16] = [:]
        for line in text.split(separator: "\n") {
            let words = line.prefix { $0 != "#" }.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, let slash = words[1].firstIndex(of: "/"), let port = UInt16(words[1][..<slash])
            else { continue }
            for name in [words[0]] + words.dropFirst(2) where table[name.lowercased()] == nil {
                table[name.lowercased()] = port
            }
        }
        return table
    }()
}
