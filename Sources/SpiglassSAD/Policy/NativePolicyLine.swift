import SpiglassWire

/// The native key format's `policy` line: one SPD entry, `key=value` fields like the SA lines.
///
///     policy src=10.1.0.0/16 dst=10.2.0.0/16 tunnel-src=192.0.2.1 tunnel-dst=192.0.2.2 label=site
///     policy src=10.1.0.0/16 dst=10.2.0.0/16 proto=udp dport=53 action=bypass priority=10
///     policy src=10.1.0.0/16 dst=10.2.0.5 proto=icmp type=8 dir=out action=discard
///
/// Without `dir`, the line holds for the traffic both ways (src → dst, and back with the ends
/// swapped), as a CHILD_SA does; `dir=out|in|fwd` makes it one host's entry for one direction.
extension NativeKeyParser {
    static let policyFields: Set<String> = [
        "src", "dst", "proto", "sport", "dport", "type", "code", "dir", "action", "ipsec", "mode", "tunnel-src",
        "tunnel-dst",
        "spi", "reqid", "level", "priority", "label",
    ]

    static func policy(_ f: Fields) throws -> [SecurityPolicy] {
        let proto =
            try f.values["proto"].map { token -> UInt8 in
                guard let number = PolicyText.protocolNumber(token.text) else {
                    throw f.error(
                        .badValue, "proto", "'\(KeyMaterial.redacted(token.text))' is not a protocol name or number")
                }
                return number
            } ?? 0
        let isICMP = proto == IPProtocol.icmp || proto == IPProtocol.icmpv6
        var sourcePorts = try ports(f, "sport")
        var destinationPorts = try ports(f, "dport")
        if !isICMP, f.values["type"] != nil || f.values["code"] != nil {
            throw f.error(
                .badValue, f.values["type"] != nil ? "type" : "code",
                "an ICMP type or code needs proto=icmp or proto=ipv6-icmp")
        }
        if (!sourcePorts.isAny || !destinationPorts.isAny) && proto != IPProtocol.tcp && proto != IPProtocol.udp
            && proto != 132
            && proto != 33 && proto != 136
        {
            throw f.error(
                .badValue, sourcePorts.isAny ? "dport" : "sport", "ports need proto=tcp, udp, sctp, dccp or udplite")
        }
        if isICMP {
            // RFC 4301 4.4.1.1 and RFC 7296 3.13.1: type and code as one 16-bit "port".
            let type = try byte(f, "type")
            let code = try byte(f, "code")
            if code != nil && type == nil { throw f.error(.missingField, "type", "an ICMP code needs its type") }
            if let type {
                sourcePorts =
                    code.map { .single(UInt16(type) << 8 | UInt16($0)) }
                    ?? PortSelector(start: UInt16(type) << 8, end: UInt16(type) << 8 | 0xff)
            }
            destinationPorts = .any
        }
        let sources = try addresses(f, "src")
        let destinations = try addresses(f, "dst")
        guard sources.contains(where: { s in destinations.contains { $0.isIPv4 == s.isIPv4 } }) else {
            throw f.error(.badValue, "dst", "src and dst have no address family in common")
        }
        let selector = PolicySelector(
            sources: sources.map { TrafficSelector(addresses: $0, ipProtocol: proto, ports: sourcePorts) },
            destinations: destinations.map {
                TrafficSelector(addresses: $0, ipProtocol: proto, ports: destinationPorts)
            })
        let action = try policyAction(f)
        let priority =
            try f.values["priority"].map { token -> UInt32 in
                guard let value = UInt32(token.text) else {
                    throw f.error(.badValue, "priority", "'\(KeyMaterial.redacted(token.text))' is not a number")
                }
                return value
            } ?? 0
        var policy = SecurityPolicy(
            selector: selector, direction: .outbound, action: action, priority: priority,
            origin: SAOrigin(file: f.file, line: f.line), source: .native, label: f.values["label"]?.text)
        guard let dir = f.values["dir"]?.text else { return [policy, policy.reversed] }
        guard let direction = SecurityPolicy.Direction(rawValue: dir.lowercased()) else {
            throw f.error(
                .badValue, "dir",
                "'\(KeyMaterial.redacted(dir))' is not in, out or fwd (leave it out for both directions)")
        }
        policy.direction = direction
        return [policy]
    }

    private static func policyAction(_ f: Fields) throws -> SecurityPolicy.Action {
        let templateFields = ["ipsec", "mode", "tunnel-src", "tunnel-dst", "spi", "reqid", "level"]
        switch f.values["action"]?.text.lowercased() ?? "protect" {
        case "protect", "ipsec":
            break
        case let other:
            let action: SecurityPolicy.Action
            switch other {
            case "bypass", "allow", "none": action = .bypass
            case "discard", "block", "drop": action = .discard
            default:
                throw f.error(.badValue, "action", "'\(KeyMaterial.redacted(other))' is not protect, bypass or discard")
            }
            if let field = templateFields.first(where: { f.values[$0] != nil }) {
                throw f.error(.badValue, field, "only a protect policy names the SA it asks for")
            }
            return action
        }
        var template = PolicyTemplate(ipsecProtocol: .esp)
        switch f.values["ipsec"]?.text.lowercased() ?? "esp" {
        case "esp": template.ipsecProtocol = .esp
        case "ah": template.ipsecProtocol = .ah
        case let other: throw f.error(.badValue, "ipsec", "'\(KeyMaterial.redacted(other))' is not esp or ah")
        }
        template.mode = try f.mode()
        template.tunnelSource = try address(f, "tunnel-src")
        template.tunnelDestination = try address(f, "tunnel-dst")
        if template.tunnelSource != nil || template.tunnelDestination != nil {
            if template.mode == .transport {
                throw f.error(.badValue, "tunnel-src", "a transport-mode policy has no tunnel endpoints")
            }
            template.mode = template.mode ?? .tunnel
        }
        if f.values["spi"] != nil { template.spi = try f.spi().map { SPI($0) } }
        if let text = f.values["reqid"]?.text {
            guard let reqid = UInt32(text) else {
                throw f.error(.badValue, "reqid", "'\(KeyMaterial.redacted(text))' is not a number")
            }
            template.reqid = reqid
        }
        switch f.values["level"]?.text.lowercased() ?? "require" {
        case "require", "required", "unique": template.optional = false
        case "use": template.optional = true
        case let other: throw f.error(.badValue, "level", "'\(KeyMaterial.redacted(other))' is not require or use")
        }
        return .protect([template])
    }

    /// `10.1.0.0/16`, `10.0.0.1-10.0.0.9`, `2001:db8::/48`, or several joined by commas; `*`
    /// or `any` is every address of both families.
    private static func addresses(_ f: Fields, _ name: String) throws -> [AddressRange] {
        guard let text = f.values[name]?.text else { throw f.error(.missingField, name, "required") }
        var ranges: [AddressRange] = []
        for part in text.split(separator: ",") {
            if part == "*" || part.lowercased() == "any" {
                ranges += [.all(ipv4: true), .all(ipv4: false)]
                continue
            }
            guard let range = PolicyText.addressRange(part) else {
                throw f.error(.badValue, name, "'\(KeyMaterial.redacted(part))' is not an address, prefix or range")
            }
            ranges.append(range)
        }
        guard !ranges.isEmpty, ranges.count <= 64 else {
            throw f.error(.badValue, name, "between 1 and 64 addresses, prefixes or ranges")
        }
        return ranges
    }

    private static func address(_ f: Fields, _ name: String) throws -> IPAddress? {
        guard let text = f.values[name]?.text else { return nil }
        guard let address = IPAddress(text) else {
            throw f.error(.badValue, name, "'\(KeyMaterial.redacted(text))' is not an address")
        }
        return address
    }

    /// `53`, `1024-65535`, `any`, `opaque`.
    private static func ports(_ f: Fields, _ name: String) throws -> PortSelector {
        guard let text = f.values[name]?.text.lowercased() else { return .any }
        if text == "any" || text == "*" { return .any }
        if text == "opaque" { return .opaque }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count <= 2, let low = UInt16(parts[0]), let high = parts.count == 2 ? UInt16(parts[1]) : low,
            low <= high
        else {
            throw f.error(
                .badValue, name, "'\(KeyMaterial.redacted(text))' is not a port, a range like 1024-65535, any or opaque"
            )
        }
        return PortSelector(start: low, end: high)
    }

    private static func byte(_ f: Fields, _ name: String) throws -> UInt8? {
        guard let text = f.values[name]?.text else { return nil }
        guard let value = UInt8(text) else {
            throw f.error(.badValue, name, "'\(KeyMaterial.redacted(text))' is not a number from 0 to 255")
        }
        return value
    }
}

extension KeyFileLoader {
    /// What `keys check` says about the entries of one `policy` line (or of one policy block).
    public static func note(for policies: [SecurityPolicy]) -> KeyFileNote {
        guard let first = policies.first else { return KeyFileNote(.ignored, file: "", line: 0, "no policy") }
        let both = policies.count == 2 && policies[1].direction != first.direction
        var text =
            "policy \(first.selector) \(both ? "both directions" : "dir \(first.direction.rawValue)") \(first.actionText)"
        if first.priority != 0 { text += " priority \(first.priority)" }
        if let label = first.label { text += " label \(PolicyText.shown(label))" }
        if case .protect = first.action, !first.requiresProtection {
            return KeyFileNote(
                .warning, file: first.origin.file, line: first.origin.line,
                text + ": every template is optional (level use), so cleartext is allowed and no leak is reported")
        }
        return KeyFileNote(.understood, file: first.origin.file, line: first.origin.line, text)
    }
}
