import SpiglassWire

/// Reads the policy blocks of a `setkey -DP` dump (KAME, ipsec-tools, FreeBSD, NetBSD);
/// `SetkeyDumpParser` hands it the blocks, so `setkey -D` and `setkey -DP` output may share a
/// file. setkey could not be installed where this was written, so the shapes come from
/// ipsec-tools' own printing code, libipsec `pfkey_dump.c` (`pfkey_spdump1`,
/// `str_prefport`, `str_upperspec`) and `ipsec_dump_policy.c`:
///
///     10.1.0.0/16[any] 10.2.0.0/24[80] tcp
///     	out prio def + 5 ipsec
///     	esp/tunnel/192.0.2.1-192.0.2.2/require
///     	created: Jan  4 20:56:21 2013  lastused:
///     	lifetime: 0(s) validtime: 0(s)
///     	spid=1 seq=1 pid=1234
///     	refcnt=1
///
/// - The selector line: each address with `/prefix` unless it is a whole address, then
///   `[port]` or `[any]` (none for ICMP, ICMPv6, MH and GRE), then the upper-layer protocol
///   by its /etc/protocols name or number (255, or `any` on some systems, is any), and for
///   ICMP/ICMPv6/MH ` type,code` (0 is a wildcard: the kernel cannot tell it from type 0).
/// - The policy line: direction (`in`, `out`, `fwd`, `any`; Linux adds `in(socket)` and
///   `out(socket)` for per-socket policies, whose selector line reads `(per-socket policy)`),
///   an optional priority (`prio def|high|low [+|- N]`, the kernel's 0x80000000,
///   0x40000000 or 0xC0000000 with the printed sign reversed), and the type: `ipsec`
///   (PROTECT), `none` or `bypass` (BYPASS), `discard`, or `entrust` (the system default).
/// - One line per request: `proto/mode/[src-dst]/level[:reqid]`, `#` instead of `:` for
///   reqids the kernel chose; addresses may carry `[port]`.
struct SetkeyPolicyBlock {
    let file: String
    let headerLine: Int
    let noteIndex: Int
    var selector: PolicySelector?
    var directions: [SecurityPolicy.Direction] = []
    var socketPolicy = false
    var kind: PolicyType? = nil

    /// The policy types setkey prints (`ipsp_policy_strs`).
    enum PolicyType: String {
        case ipsec, none, bypass, discard, entrust
    }
    var priority: UInt32 = 0
    var templates: [PolicyTemplate] = []

    /// `A[/p][[port]] B[/p][[port]] PROTO [type,code]` or `(per-socket policy)`.
    static func isHeader(_ tokens: [Substring]) -> Bool {
        if tokens.first == "(per-socket" || tokens.first == "(no" { return true }
        guard tokens.count >= 3, tokens.count <= 4 else { return false }
        return endpoint(tokens[0]) != nil && endpoint(tokens[1]) != nil && PolicyText.protocolNumber(tokens[2]) != nil
    }

    /// The line under a selector line: `out prio def ipsec`, `in(socket) none`.
    static func isPolicyLine(_ tokens: [Substring]) -> Bool {
        guard let first = tokens.first, let last = tokens.last else { return false }
        return ["in", "out", "fwd", "any", "in(socket)", "out(socket)"].contains(first)
            && PolicyType(rawValue: String(last)) != nil
    }

    init(header tokens: [Substring], line: Int, file: String, noteIndex: Int) throws {
        self.file = file
        headerLine = line
        self.noteIndex = noteIndex
        if tokens.first == "(per-socket" || tokens.first == "(no" {
            socketPolicy = true
            return
        }
        func fail(_ field: String, _ message: String) -> KeyFileError {
            KeyFileError(.badValue, file: file, line: line, field: field, message)
        }
        guard let (source, sourcePort) = SetkeyPolicyBlock.endpoint(tokens[0]) else {
            throw fail("src", "not an address")
        }
        guard let (destination, destinationPort) = SetkeyPolicyBlock.endpoint(tokens[1]) else {
            throw fail("dst", "not an address")
        }
        guard source.isIPv4 == destination.isIPv4 else {
            throw fail("dst", "the source and destination are of different address families")
        }
        guard let proto = PolicyText.protocolNumber(tokens[2]) else {
            throw fail("upperspec", "'\(KeyMaterial.redacted(tokens[2]))' is not a protocol")
        }
        var sourcePorts = sourcePort.map(PortSelector.single) ?? .any
        let destinationPorts = destinationPort.map(PortSelector.single) ?? .any
        if tokens.count == 4 {
            guard proto == IPProtocol.icmp || proto == IPProtocol.icmpv6 || proto == 135 else {
                throw fail("upperspec", "only ICMP, ICMPv6 and MH take a type and code")
            }
            let parts = tokens[3].split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2, let type = UInt16(parts[0]), let code = UInt16(parts[1]), type <= 0xff, code <= 0xff
            else {
                throw fail("upperspec", "'\(KeyMaterial.redacted(tokens[3]))' is not TYPE,CODE")
            }
            // 0 is the kernel's wildcard for either.
            if type != 0 {
                sourcePorts =
                    code == 0 ? PortSelector(start: type << 8, end: type << 8 | 0xff) : .single(type << 8 | code)
            }
        }
        selector = PolicySelector(
            source: TrafficSelector(addresses: source, ipProtocol: proto, ports: sourcePorts),
            destination: TrafficSelector(addresses: destination, ipProtocol: proto, ports: destinationPorts))
    }

    /// `10.1.0.0/16[any]`, `10.1.2.3[500]`, `fe80::1%eth0/64`: the address range and the port.
    static func endpoint(_ token: Substring) -> (AddressRange, UInt16?)? {
        var text = token
        var port: UInt16? = nil
        if text.hasSuffix("]"), let open = text.lastIndex(of: "[") {
            let inside = text[text.index(after: open)..<text.index(before: text.endIndex)]
            if inside != "any" {
                guard let value = UInt16(inside), value != 0 else { return nil }
                port = value
            }
            text = text[..<open]
        }
        if let percent = text.firstIndex(of: "%") {
            // A scope: `fe80::1%eth0/64`.
            let slash = text[percent...].firstIndex(of: "/")
            text = text[..<percent] + (slash.map { text[$0...] } ?? "")
        }
        guard let range = PolicyText.addressRange(text) else { return nil }
        return (range, port)
    }

    mutating func add(_ tokens: [Substring], line: Int) throws -> (KeyFileNote.Kind, String) {
        func fail(_ field: String, _ message: String) -> KeyFileError {
            KeyFileError(.badValue, file: file, line: line, field: field, message)
        }
        if kind == nil {
            return try policyLine(tokens, line: line)
        }
        let first = tokens[0]
        if first.contains("/") && tokens.count == 1 {
            if socketPolicy { return (.ignored, "request of a per-socket policy") }
            let template = try request(first, line: line)
            if let template { templates.append(template) }
            return template.map { (.understood, "request \($0)") } ?? (.ignored, "IPComp request (protects nothing)")
        }
        if first.hasPrefix("created:") || first.hasPrefix("lifetime:") || first.hasPrefix("spid=")
            || first.hasPrefix("refcnt=")
            || first == "security"
        {
            return (
                .ignored,
                "\(KeyMaterial.redacted(first.prefix { $0 != "=" && $0 != ":" })) (selects nothing a capture shows)"
            )
        }
        return (.warning, "line not understood ('\(KeyMaterial.redacted(first))'); ignored")
    }

    /// `out prio def + 5 ipsec`, `in none`, `in(socket) none`, `fwd discard`.
    private mutating func policyLine(_ tokens: [Substring], line: Int) throws -> (KeyFileNote.Kind, String) {
        func fail(_ field: String, _ message: String) -> KeyFileError {
            KeyFileError(.badValue, file: file, line: line, field: field, message)
        }
        var words = tokens[...]
        let direction = words.removeFirst()
        switch direction {
        case "in": directions = [.inbound]
        case "out": directions = [.outbound]
        case "fwd": directions = [.forward]
        case "any": directions = [.outbound, .inbound]
        case "in(socket)", "out(socket)": socketPolicy = true
        default: throw fail("direction", "'\(KeyMaterial.redacted(direction))' is not in, out, fwd or any")
        }
        if words.first == "prio" {
            words.removeFirst()
            guard let level = words.first else { throw fail("prio", "'prio' without a level") }
            words.removeFirst()
            var value: Int64
            switch level {
            case "def": value = 0x8000_0000
            case "high": value = 0x4000_0000
            case "low": value = 0xC000_0000
            default: throw fail("prio", "'\(KeyMaterial.redacted(level))' is not def, high or low")
            }
            if let sign = words.first, sign == "+" || sign == "-" {
                words.removeFirst()
                guard let text = words.first, let offset = UInt32(text) else {
                    throw fail("prio", "a priority offset is a number")
                }
                words.removeFirst()
                // ipsec_dump_policy1 prints the offset with its sign reversed.
                value += sign == "+" ? -Int64(offset) : Int64(offset)
            }
            priority = UInt32(clamping: value)
        }
        guard let type = words.first, words.count == 1 else {
            throw fail("policy", "expected the policy type (ipsec, none, discard) at the end")
        }
        guard let policyType = PolicyType(rawValue: String(type)) else {
            throw fail("policy", "'\(KeyMaterial.redacted(type))' is not ipsec, none, discard, bypass or entrust")
        }
        kind = policyType
        if socketPolicy { return (.ignored, "per-socket policy \(KeyMaterial.redacted(direction)) \(type)") }
        return (.understood, "dir \(direction) \(type)" + (priority != 0 ? ", priority \(priority)" : ""))
    }

    /// `esp/tunnel/192.0.2.1-192.0.2.2/require`, `ah/transport//use`, `esp/tunnel/A[4500]-B[4500]/unique:3`.
    private func request(_ token: Substring, line: Int) throws -> PolicyTemplate? {
        func fail(_ message: String) -> KeyFileError {
            KeyFileError(
                .badValue, file: file, line: line, field: "request", "'\(KeyMaterial.redacted(token))': \(message)")
        }
        let parts = token.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4 else { throw fail("expected PROTOCOL/MODE/ADDRESSES/LEVEL") }
        var template: PolicyTemplate
        switch parts[0] {
        case "esp": template = PolicyTemplate(ipsecProtocol: .esp)
        case "ah": template = PolicyTemplate(ipsecProtocol: .ah)
        case "ipcomp": return nil
        default: throw fail("the protocol is esp, ah or ipcomp")
        }
        switch parts[1] {
        case "tunnel": template.mode = .tunnel
        case "transport": template.mode = .transport
        case "any": template.mode = nil
        default: throw fail("the mode is tunnel, transport or any")
        }
        if !parts[2].isEmpty {
            // Two addresses joined by '-', each with an optional [port]; IPv6 has no '-'.
            guard let dash = parts[2].firstIndex(of: "-"),
                let (source, _) = SetkeyPolicyBlock.endpoint(parts[2][..<dash]),
                let (destination, _) = SetkeyPolicyBlock.endpoint(parts[2][parts[2].index(after: dash)...]),
                source.first == source.last, destination.first == destination.last
            else {
                throw fail("the tunnel endpoints are two addresses joined by '-'")
            }
            template.tunnelSource = source.first
            template.tunnelDestination = destination.first
        }
        let level = parts[3].prefix { $0 != ":" && $0 != "#" }
        switch level {
        case "default", "require", "unique": break
        case "use": template.optional = true
        default: throw fail("the level is default, use, require or unique")
        }
        if let separator = parts[3].firstIndex(where: { $0 == ":" || $0 == "#" }) {
            guard let reqid = UInt32(parts[3][parts[3].index(after: separator)...]) else {
                throw fail("the reqid is a number")
            }
            template.reqid = reqid
        }
        return template
    }

    /// The policies the block describes (two for direction `any`), and the header line's note.
    func finish() throws -> ([SecurityPolicy], KeyFileNote) {
        guard let kind else {
            throw KeyFileError(
                .missingField, file: file, line: headerLine, field: "policy", "selector line without its policy line")
        }
        guard let selector, !socketPolicy else {
            return ([], KeyFileNote(.ignored, file: file, line: headerLine, "per-socket policy (\(kind.rawValue))"))
        }
        let action: SecurityPolicy.Action
        switch kind {
        case .ipsec:
            guard !templates.isEmpty else {
                throw KeyFileError(
                    .missingField, file: file, line: headerLine, field: "request",
                    "an 'ipsec' policy without an ESP or AH request")
            }
            action = .protect(templates)
        case .discard: action = .discard
        case .entrust:
            return (
                [],
                KeyFileNote(
                    .warning, file: file, line: headerLine,
                    "policy \(selector) entrust: defers to the system default, which the dump does not show; not used")
            )
        case .none, .bypass: action = .bypass
        }
        var policies: [SecurityPolicy] = []
        for direction in directions {
            var policy = SecurityPolicy(
                selector: selector, direction: .outbound, action: action, priority: priority,
                origin: SAOrigin(file: file, line: headerLine), source: .setkey)
            // `any` holds for both directions: the inbound copy is the same entry, not its mirror.
            policy.direction = direction
            policies.append(policy)
        }
        let first = policies[0]
        return (
            policies,
            KeyFileNote(
                .understood, file: file, line: headerLine,
                "policy \(selector) dir \(directions.map(\.rawValue).joined(separator: "+")) \(first.actionText)")
        )
    }
}

extension SetkeyPolicyBlock {
    static func finish(_ block: SetkeyPolicyBlock, into keys: inout KeySet) throws {
        let (policies, note) = try block.finish()
        keys.policies += policies
        keys.notes[block.noteIndex] = note
    }
}
