import SpiglassWire

/// The traffic one policy (or one CHILD_SA in one direction) covers: packets whose source end
/// falls in one of `sources` and whose destination end in one of `destinations`. RFC 7296 2.9
/// negotiates exactly this shape: a list of selectors for the initiator's end (TSi) and one
/// for the responder's (TSr).
public struct PolicySelector: Sendable, Hashable, CustomStringConvertible {
    public var sources: [TrafficSelector]
    public var destinations: [TrafficSelector]

    public init(sources: [TrafficSelector], destinations: [TrafficSelector]) {
        self.sources = sources
        self.destinations = destinations
    }

    public init(source: TrafficSelector, destination: TrafficSelector) {
        self.init(sources: [source], destinations: [destination])
    }

    public func matches(_ packet: SelectorFields) -> Bool {
        sources.contains {
            $0.matches(address: packet.source, protocolNumber: packet.protocolNumber, port: packet.sourcePort)
        }
            && destinations.contains {
                $0.matches(
                    address: packet.destination, protocolNumber: packet.protocolNumber, port: packet.destinationPort)
            }
    }

    /// The same traffic seen from the other end.
    public var reversed: PolicySelector { PolicySelector(sources: destinations, destinations: sources) }

    /// Why `packet` falls outside, in words ("source 10.9.9.9 is outside 10.1.0.0/16"); nil
    /// when it matches.
    public func mismatch(_ packet: SelectorFields) -> String? {
        let sourceOK = sources.contains {
            $0.matches(address: packet.source, protocolNumber: packet.protocolNumber, port: packet.sourcePort)
        }
        let destinationOK = destinations.contains {
            $0.matches(address: packet.destination, protocolNumber: packet.protocolNumber, port: packet.destinationPort)
        }
        let source = Self.end(packet.source, packet, port: packet.sourcePort, against: sources)
        let destination = Self.end(packet.destination, packet, port: packet.destinationPort, against: destinations)
        switch (sourceOK, destinationOK) {
        case (true, true): return nil
        case (false, true): return "source \(source) is outside \(Self.list(sources))"
        case (true, false): return "destination \(destination) is outside \(Self.list(destinations))"
        case (false, false): return "source \(source) and destination \(destination) are outside \(description)"
        }
    }

    /// "10.1.0.0/16 → 10.2.0.0/16"; lists are joined with commas.
    public var description: String { "\(Self.list(sources)) → \(Self.list(destinations))" }

    static func list(_ selectors: [TrafficSelector]) -> String {
        selectors.isEmpty ? "(none)" : selectors.map(\.description).joined(separator: ", ")
    }

    /// One end of a packet as the selectors see it: "10.9.9.9", or with what the selectors
    /// restrict, "10.9.9.9 udp/53", "10.9.9.9 icmp type 8 code 0".
    static func end(_ address: IPAddress, _ packet: SelectorFields, port: UInt16?, against selectors: [TrafficSelector])
        -> String
    {
        let restrictsProtocol = selectors.contains { $0.ipProtocol != 0 }
        let restrictsPorts = selectors.contains { !$0.ports.isAny }
        guard restrictsProtocol || restrictsPorts else { return address.description }
        let proto = PolicyText.protocolName(packet.protocolNumber)
        guard restrictsPorts, let port else { return "\(address) \(proto)" }
        if packet.protocolNumber == IPProtocol.icmp || packet.protocolNumber == IPProtocol.icmpv6 {
            return "\(address) \(proto) \(SelectorFields.icmpText(.single(port)))"
        }
        return "\(address) \(proto)/\(port)"
    }
}

/// The SA a PROTECT policy asks for (ip xfrm's `tmpl`, setkey's `esp/tunnel/A-B/require`).
/// Unstated fields match anything.
public struct PolicyTemplate: Sendable, Hashable, CustomStringConvertible {
    public var ipsecProtocol: IPsecProtocol
    public var mode: IPsecMode?
    /// Tunnel endpoints (the outer addresses of the SA's packets); nil when not stated, as for
    /// transport mode (ip xfrm prints 0.0.0.0 or ::).
    public var tunnelSource: IPAddress?
    public var tunnelDestination: IPAddress?
    public var spi: SPI?
    public var reqid: UInt32?
    /// ip xfrm `level use`, setkey `use`: the SA is used when one exists, and the packet goes
    /// in clear otherwise. Such a policy protects nothing a leak could break.
    public var optional: Bool

    public init(
        ipsecProtocol: IPsecProtocol, mode: IPsecMode? = nil, tunnelSource: IPAddress? = nil,
        tunnelDestination: IPAddress? = nil, spi: SPI? = nil, reqid: UInt32? = nil, optional: Bool = false
    ) {
        self.ipsecProtocol = ipsecProtocol
        self.mode = mode
        self.tunnelSource = tunnelSource
        self.tunnelDestination = tunnelDestination
        self.spi = spi
        self.reqid = reqid
        self.optional = optional
    }

    /// Whether an SA with these properties (as seen on one packet) is the one this template
    /// asks for.
    public func accepts(_ sa: ProtectingSA) -> Bool {
        guard ipsecProtocol == sa.ipsecProtocol else { return false }
        if let mode, let tunnel = sa.tunnel, (mode == .tunnel) != tunnel { return false }
        if let spi, spi != sa.spi { return false }
        if let tunnelSource, tunnelSource != sa.outerSource { return false }
        if let tunnelDestination, tunnelDestination != sa.outerDestination { return false }
        return true
    }

    /// The template for traffic in the other direction.
    public var reversed: PolicyTemplate {
        var copy = self
        copy.tunnelSource = tunnelDestination
        copy.tunnelDestination = tunnelSource
        copy.spi = nil
        return copy
    }

    /// "esp tunnel 192.0.2.1 → 192.0.2.2 reqid 1", "ah transport (optional)".
    public var description: String {
        var text = ipsecProtocol.rawValue
        if let mode { text += " \(mode.rawValue)" }
        if tunnelSource != nil || tunnelDestination != nil {
            text += " \(tunnelSource?.description ?? "*") → \(tunnelDestination?.description ?? "*")"
        }
        if let spi { text += " spi 0x" + String(spi.rawValue, radix: 16) }
        if let reqid { text += " reqid \(reqid)" }
        if optional { text += " (optional)" }
        return text
    }
}

/// What is known of the SA that protected one packet, for matching it against templates.
public struct ProtectingSA: Sendable, Hashable {
    public var ipsecProtocol: IPsecProtocol
    public var spi: SPI
    public var outerSource: IPAddress
    public var outerDestination: IPAddress
    /// Tunnel mode (the payload was an IP packet); nil when not known.
    public var tunnel: Bool?

    public init(
        ipsecProtocol: IPsecProtocol, spi: SPI, outerSource: IPAddress, outerDestination: IPAddress, tunnel: Bool?
    ) {
        self.ipsecProtocol = ipsecProtocol
        self.spi = spi
        self.outerSource = outerSource
        self.outerDestination = outerDestination
        self.tunnel = tunnel
    }
}

/// One entry of a Security Policy Database (RFC 4301 4.4.1): the traffic it selects, the
/// direction it applies to, and what happens to that traffic. RFC 4301 4.4.1.1: "Each SPD
/// entry specifies packet disposition as BYPASS, DISCARD, or PROTECT."
public struct SecurityPolicy: Sendable, Hashable, CustomStringConvertible {
    /// As Linux names them: `out` for traffic the host sends, `in` for traffic it receives
    /// for itself, `fwd` for traffic it forwards. A policy written for both directions (a
    /// native line without `dir`, a strongSwan connection) is stored as an `out` and an `in`
    /// entry.
    public enum Direction: String, Sendable, Hashable, CaseIterable {
        case outbound = "out"
        case inbound = "in"
        case forward = "fwd"
    }

    public enum Action: Sendable, Hashable {
        /// PROTECT: the traffic must go through an SA that satisfies these templates (in
        /// order, outermost last, as ip xfrm lists them).
        case protect([PolicyTemplate])
        /// BYPASS: the traffic goes in clear (ip xfrm `action allow` without templates,
        /// setkey `none`).
        case bypass
        /// DISCARD: the traffic is dropped (ip xfrm `action block`, setkey `discard`).
        case discard
    }

    /// Where a policy was read from.
    public enum Source: String, Sendable, Hashable {
        case native
        case xfrm = "ip xfrm policy"
        case setkey = "setkey -DP"
        case swanctlConf = "swanctl.conf"
        case swanctlList = "swanctl --list-conns"
    }

    public var selector: PolicySelector
    public var direction: Direction
    public var action: Action
    /// Lower values are looked at first, as Linux orders policies; equal priorities keep the
    /// order of the files.
    public var priority: UInt32
    public var origin: SAOrigin
    public var source: Source
    /// A name from the source (strongSwan connection and child, native `label`).
    public var label: String?

    public init(
        selector: PolicySelector, direction: Direction, action: Action, priority: UInt32 = 0, origin: SAOrigin,
        source: Source, label: String? = nil
    ) {
        self.selector = selector
        self.direction = direction
        self.action = action
        self.priority = priority
        self.origin = origin
        self.source = source
        self.label = label
    }

    public var templates: [PolicyTemplate] {
        if case .protect(let templates) = action { return templates }
        return []
    }

    /// A PROTECT policy with at least one template that is not optional: traffic it selects
    /// must not be seen in clear.
    public var requiresProtection: Bool { templates.contains { !$0.optional } }

    /// Whether the SA that protected a packet is one this policy asks for.
    public func isSatisfied(by sa: ProtectingSA) -> Bool { templates.contains { $0.accepts(sa) } }

    /// The same policy for the traffic going the other way (an `in` entry from an `out` one).
    public var reversed: SecurityPolicy {
        var copy = self
        copy.selector = selector.reversed
        copy.direction = direction == .outbound ? .inbound : .outbound
        if case .protect(let templates) = action { copy.action = .protect(templates.map(\.reversed)) }
        return copy
    }

    /// Tunnel endpoints of its tunnel-mode templates: traffic between them is the gateways'
    /// own (IKE, keepalives, ICMP about the ESP packets), not the traffic the tunnel carries.
    public func isBetweenTunnelEndpoints(_ packet: SelectorFields) -> Bool {
        templates.contains { template in
            guard template.mode != .transport, let a = template.tunnelSource, let b = template.tunnelDestination else {
                return false
            }
            return (packet.source == a && packet.destination == b) || (packet.source == b && packet.destination == a)
        }
    }

    /// "protect esp tunnel 192.0.2.1 → 192.0.2.2", "bypass", "discard".
    public var actionText: String {
        switch action {
        case .protect(let templates): return "protect " + templates.map(\.description).joined(separator: " + ")
        case .bypass: return "bypass"
        case .discard: return "discard"
        }
    }

    /// "10.1.0.0/16 → 10.2.0.0/16 dir out protect esp tunnel 192.0.2.1 → 192.0.2.2 (xfrm.txt:4)".
    public var description: String {
        var text = "\(selector) dir \(direction.rawValue) \(actionText)"
        // strongSwan sources get an order of Spiglass' making, not worth showing.
        if priority != 0 && source != .swanctlConf && source != .swanctlList { text += " priority \(priority)" }
        // The file's name and the label come from outside (a policy file names its connections).
        text += " (\(DisplayText.escaped(origin.description))"
        if let label { text += " \(DisplayText.escaped(label))" }
        return text + ")"
    }
}
