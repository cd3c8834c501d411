import SpiglassWire

/// Reads the policy blocks of Linux `ip xfrm policy` output (also `ip -s xfrm policy`), as
/// iproute2's `xfrm_policy_info_print` writes them; `XfrmStateParser` hands it the blocks, so
/// one file may hold `ip xfrm state` and `ip xfrm policy` output together.
///
///     src 10.1.2.3/32 dst 10.2.0.0/24 proto tcp sport 22 dport 8080
///     	dir out priority 100 ptype main
///     	tmpl src 192.0.2.1 dst 192.0.2.2
///     		proto esp reqid 2 mode tunnel
///     		level use
///
/// The selector line always has both prefixes (`/32` for one address), which is how it is
/// told from an SA's `src A dst B`. `proto icmp type T code C` stores the type and code where
/// TCP stores the ports (`xfrm_selector_print`); `action block` is DISCARD, `action allow`
/// (printed by `ip -s` only) without templates is BYPASS; `socket in|out` lines are per-socket
/// policies (strongSwan's IKE sockets) and are skipped. iproute2 prints a port without its
/// mask, so a port range installed with a mask reads as its first port.
struct XfrmPolicyBlock {
    let file: String
    let headerLine: Int
    var selector: PolicySelector
    var direction: SecurityPolicy.Direction? = nil
    var socketPolicy = false
    var block = false
    var priority: UInt32 = 0
    var templates: [PolicyTemplate] = []
    /// The template of the last `tmpl` line, until its `proto` line says what it is.
    var pendingTemplate: PolicyTemplate? = nil
    /// The last template was kept (ESP or AH): `level` lines refer to it.
    var lastTemplateKept = false
    var section: String? = nil
    /// Index of the header line's note, rewritten with the whole policy when the block ends.
    let noteIndex: Int

    /// `src A/N dst B/N [proto P [sport S] [dport D] [type T] [code C] [key K]] [dev IF] [uid U]`.
    static func isHeader(_ tokens: [Substring]) -> Bool {
        tokens.count >= 4 && tokens[0] == "src" && tokens[2] == "dst" && tokens[1].contains("/")
            && tokens[3].contains("/")
    }

    init(header tokens: [Substring], line: Int, file: String, noteIndex: Int) throws {
        func fail(_ field: String, _ message: String) -> KeyFileError {
            KeyFileError(.badValue, file: file, line: line, field: field, message)
        }
        self.file = file
        headerLine = line
        self.noteIndex = noteIndex
        guard let source = PolicyText.addressRange(tokens[1]) else {
            throw fail("src", "'\(KeyMaterial.redacted(tokens[1]))' is not an address/prefix")
        }
        guard let destination = PolicyText.addressRange(tokens[3]) else {
            throw fail("dst", "'\(KeyMaterial.redacted(tokens[3]))' is not an address/prefix")
        }
        guard source.isIPv4 == destination.isIPv4 else {
            throw fail("dst", "the source and destination are of different address families")
        }
        var proto: UInt8 = 0
        var sport: UInt16? = nil
        var dport: UInt16? = nil
        var type: UInt16? = nil
        var code: UInt16? = nil
        var i = 4
        while i < tokens.count {
            let word = tokens[i]
            guard i + 1 < tokens.count else {
                if word == "uid" || word == "dev" { break }
                throw fail(String(word), "'\(KeyMaterial.redacted(word))' without a value")
            }
            let value = tokens[i + 1]
            switch word {
            case "proto":
                guard let number = PolicyText.protocolNumber(value) else {
                    throw fail("proto", "'\(KeyMaterial.redacted(value))' is not a protocol")
                }
                proto = number
            case "sport", "dport", "type", "code":
                guard let number = UInt16(value) else {
                    throw fail(String(word), "'\(KeyMaterial.redacted(value))' is not a number")
                }
                switch word {
                case "sport": sport = number
                case "dport": dport = number
                case "type": type = number
                default: code = number
                }
            case "key", "dev", "uid", "(dport)":
                break  // GRE keys, interfaces and owners select nothing a capture shows
            default:
                throw KeyFileError(
                    .syntax, file: file, line: line, field: String(word),
                    "'\(KeyMaterial.redacted(word))' is not part of an ip xfrm selector")
            }
            i += 2
        }
        var sourcePorts = PortSelector.any
        var destinationPorts = PortSelector.any
        if proto == IPProtocol.icmp || proto == IPProtocol.icmpv6 || proto == 135 {
            // The type rides in the source port and the code in the destination port; as one
            // 16-bit value (type << 8 | code) on the sending end.
            if let type, type <= 0xff {
                let low = type << 8 | (code ?? 0)
                let high = type << 8 | (code ?? 0xff)
                sourcePorts = PortSelector(start: low, end: high)
            } else if type != nil {
                throw fail("type", "an ICMP type is one byte")
            }
        } else {
            if let sport { sourcePorts = .single(sport) }
            if let dport { destinationPorts = .single(dport) }
        }
        selector = PolicySelector(
            source: TrafficSelector(addresses: source, ipProtocol: proto, ports: sourcePorts),
            destination: TrafficSelector(addresses: destination, ipProtocol: proto, ports: destinationPorts))
    }

    /// One indented line of the block; returns its note.
    mutating func add(_ tokens: [Substring], line: Int) throws -> (KeyFileNote.Kind, String) {
        func fail(_ code: KeyFileError.Code, _ field: String, _ message: String) -> KeyFileError {
            KeyFileError(code, file: file, line: line, field: field, message)
        }
        let first = tokens[0]
        if let section {
            if first == "limit:" || first == "expire" || first == "add" || first.first?.isNumber == true {
                return (.ignored, "lifetime \(section)")
            }
            self.section = nil
        }
        switch first {
        case "dir", "socket":
            guard tokens.count >= 2 else { throw fail(.missingField, String(first), "'\(first)' without a direction") }
            guard let direction = SecurityPolicy.Direction(rawValue: String(tokens[1])) else {
                throw fail(.badValue, String(first), "'\(KeyMaterial.redacted(tokens[1]))' is not in, out or fwd")
            }
            self.direction = direction
            socketPolicy = first == "socket"
            var i = 2
            while i + 1 < tokens.count {
                switch tokens[i] {
                case "action":
                    switch tokens[i + 1] {
                    case "block": block = true
                    case "allow": block = false
                    default:
                        throw fail(
                            .badValue, "action", "'\(KeyMaterial.redacted(tokens[i + 1]))' is not allow or block")
                    }
                case "priority":
                    guard let value = UInt32(tokens[i + 1]) else {
                        throw fail(.badValue, "priority", "'\(KeyMaterial.redacted(tokens[i + 1]))' is not a number")
                    }
                    priority = value
                default:
                    break  // index, ptype, share, flag: nothing a capture shows
                }
                i += 1
            }
            if socketPolicy {
                return (.ignored, "per-socket policy (\(direction.rawValue)): applies to one socket, not to traffic")
            }
            return (
                .understood, "dir \(direction.rawValue)" + (block ? ", action block" : "") + ", priority \(priority)"
            )
        case "tmpl":
            var template = PolicyTemplate(ipsecProtocol: .esp)
            var i = 1
            while i + 1 < tokens.count {
                guard let address = IPAddress(tokens[i + 1]) else {
                    throw fail(.badValue, "tmpl", "'\(KeyMaterial.redacted(tokens[i + 1]))' is not an address")
                }
                let unspecified = address == .v4(0) || address == .v6(0, 0)
                if tokens[i] == "src" { template.tunnelSource = unspecified ? nil : address }
                if tokens[i] == "dst" { template.tunnelDestination = unspecified ? nil : address }
                i += 2
            }
            pendingTemplate = template
            lastTemplateKept = false
            let ends =
                template.tunnelSource.map { "\($0) → \(template.tunnelDestination?.description ?? "*")" }
                ?? "no addresses"
            return (.understood, "template (\(ends))")
        case "proto" where pendingTemplate != nil:
            return try templateProtocolLine(tokens, line: line)
        case "level" where lastTemplateKept:
            guard tokens.count >= 2 else { throw fail(.missingField, "level", "'level' without a value") }
            templates[templates.count - 1].optional = tokens[1] == "use"
            return (.understood, "level \(KeyMaterial.redacted(tokens[1]))")
        case "lifetime":
            section = tokens.count > 1 ? String(tokens[1].filter { $0 != ":" }) : "lifetime"
            return (.ignored, "lifetime \(section!)")
        case "enc-mask", "level", "share", "mark", "if_id", "security", "ctx", "offload", "ptype", "coa", "lastused":
            return (.ignored, "\(KeyMaterial.redacted(first)) (selects nothing a capture shows)")
        default:
            return (.warning, "line not understood ('\(KeyMaterial.redacted(first))'); ignored")
        }
    }

    /// `proto esp [spi 0x… [(N)]] reqid N[(0x…)] mode tunnel` under a `tmpl` line.
    private mutating func templateProtocolLine(_ tokens: [Substring], line: Int) throws -> (KeyFileNote.Kind, String) {
        func fail(_ field: String, _ message: String) -> KeyFileError {
            KeyFileError(.badValue, file: file, line: line, field: field, message)
        }
        guard tokens.count >= 2 else { throw fail("proto", "'proto' without a value") }
        let proto: IPsecProtocol
        switch tokens[1] {
        case "esp": proto = .esp
        case "ah": proto = .ah
        case "comp", "route", "hao":
            // IPComp (and Mobile IPv6) templates protect nothing: the ESP/AH ones do.
            pendingTemplate = nil
            return (.ignored, "\(KeyMaterial.redacted(tokens[1])) template (protects nothing)")
        default: throw fail("proto", "'\(KeyMaterial.redacted(tokens[1]))' is not esp, ah or comp")
        }
        guard var template = pendingTemplate else { throw fail("proto", "'proto' line without its 'tmpl' line") }
        pendingTemplate = nil
        template.ipsecProtocol = proto
        var i = 2
        while i + 1 < tokens.count {
            let value = tokens[i + 1].prefix { $0 != "(" }
            switch tokens[i] {
            case "spi":
                guard let spi = XfrmPolicyBlock.number32(value) else {
                    throw fail("spi", "'\(KeyMaterial.redacted(value))' is not a 32-bit SPI")
                }
                template.spi = spi == 0 ? nil : SPI(spi)
            case "reqid":
                guard let reqid = XfrmPolicyBlock.number32(value) else {
                    throw fail("reqid", "'\(KeyMaterial.redacted(value))' is not a number")
                }
                template.reqid = reqid == 0 ? nil : reqid
            case "mode":
                guard let mode = IPsecMode(rawValue: String(value)) else {
                    throw fail("mode", "'\(KeyMaterial.redacted(value))' is not tunnel, transport or beet")
                }
                template.mode = mode
            default:
                break
            }
            i += 2
        }
        if template.mode == .transport {
            // ip xfrm prints the unused addresses of a transport template as 0.0.0.0 / ::.
            template.tunnelSource = nil
            template.tunnelDestination = nil
        }
        templates.append(template)
        lastTemplateKept = true
        return (.understood, "template \(template)")
    }

    static func number32(_ text: Substring) -> UInt32? {
        if text.hasPrefix("0x") { return text.count <= 10 ? UInt32(text.dropFirst(2), radix: 16) : nil }
        return text.count <= 10 ? UInt32(text) : nil
    }

    /// The policy the block describes, and the header line's note; nil for a per-socket policy.
    func finish() throws -> (SecurityPolicy?, KeyFileNote) {
        guard let direction else {
            throw KeyFileError(
                .missingField, file: file, line: headerLine, field: "dir", "policy without its 'dir' line")
        }
        if socketPolicy {
            return (
                nil,
                KeyFileNote(
                    .ignored, file: file, line: headerLine, "per-socket policy \(selector) dir \(direction.rawValue)")
            )
        }
        let action: SecurityPolicy.Action = block ? .discard : (templates.isEmpty ? .bypass : .protect(templates))
        let policy = SecurityPolicy(
            selector: selector, direction: direction, action: action, priority: priority,
            origin: SAOrigin(file: file, line: headerLine), source: .xfrm)
        var message = "policy \(selector) dir \(direction.rawValue) \(policy.actionText) priority \(priority)"
        if case .protect = action, !policy.requiresProtection {
            message += "; every template is optional (level use): cleartext is allowed"
        }
        return (policy, KeyFileNote(.understood, file: file, line: headerLine, message))
    }
}

extension XfrmPolicyBlock {
    /// Ends a block: its policy joins `keys`, and its header line's note says what it was.
    static func finish(_ block: XfrmPolicyBlock, into keys: inout KeySet) throws {
        let (policy, note) = try block.finish()
        if let policy { keys.policies.append(policy) }
        keys.notes[block.noteIndex] = note
    }

    /// Policies count against the same bound as SAs.
    static func checkCount(_ keys: KeySet, file: String, line: Int) throws {
        guard keys.sas.count + keys.ikeSAs.count + keys.policies.count < KeyFileLimits.maxSAs else {
            throw KeyFileError(.tooLarge, file: file, line: line, "more than \(KeyFileLimits.maxSAs) SAs and policies")
        }
    }
}
