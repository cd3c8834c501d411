import SpiglassWire

// RFC 4301 selectors as values: address ranges, a next-layer protocol and a port range
// (which for ICMP carries the type and code), matched against the fields of one packet.

/// An inclusive range of addresses of one family: a single address, a prefix or an
/// arbitrary `first-last` range (RFC 4301 4.4.1.1 keeps "a list of ranges of IP addresses";
/// RFC 7296 3.13.1 sends each as Starting and Ending Address).
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    public var first: IPAddress
    public var last: IPAddress

    /// nil when the two ends are of different families or out of order.
    public init?(first: IPAddress, last: IPAddress) {
        guard first.isIPv4 == last.isIPv4, first <= last else { return nil }
        self.first = first
        self.last = last
    }

    public init(single address: IPAddress) {
        first = address
        last = address
    }

    /// The addresses that share the first `bits` bits of `address` (its host bits are ignored).
    public init(prefix address: IPAddress, bits: Int) {
        switch address {
        case .v4(let a):
            let mask: UInt32 = bits <= 0 ? 0 : (bits >= 32 ? ~0 : ~UInt32(0) << UInt32(32 - bits))
            first = .v4(a & mask)
            last = .v4(a | ~mask)
        case .v6(let hi, let lo):
            let clamped = max(0, min(128, bits))
            let hiMask: UInt64 = clamped >= 64 ? ~0 : (clamped == 0 ? 0 : ~UInt64(0) << UInt64(64 - clamped))
            let loMask: UInt64 = clamped <= 64 ? 0 : (clamped >= 128 ? ~0 : ~UInt64(0) << UInt64(128 - clamped))
            first = .v6(hi & hiMask, lo & loMask)
            last = .v6(hi | ~hiMask, lo | ~loMask)
        }
    }

    /// Every address of one family (`0.0.0.0/0`, `::/0`).
    public static func all(ipv4: Bool) -> AddressRange {
        AddressRange(prefix: ipv4 ? .v4(0) : .v6(0, 0), bits: 0)
    }

    public var isIPv4: Bool { first.isIPv4 }

    public func contains(_ address: IPAddress) -> Bool {
        // `<` orders IPv4 before IPv6, so a family mismatch falls outside on its own; the
        // explicit test keeps that from depending on the ordering.
        address.isIPv4 == first.isIPv4 && first <= address && address <= last
    }

    /// The prefix length when the range is exactly one prefix.
    public var prefixLength: Int? {
        let width = isIPv4 ? 32 : 128
        for bits in 0...width where AddressRange(prefix: first, bits: bits) == self { return bits }
        return nil
    }

    /// "10.1.0.0/16", "10.0.0.1/32" (one address), "10.0.0.1-10.0.0.9".
    public var description: String {
        if let bits = prefixLength { return "\(first)/\(bits)" }
        return "\(first)-\(last)"
    }
}

/// A port selector: ANY, OPAQUE or an inclusive range, in the encoding RFC 7296 3.13.1
/// gives it on the wire:
///
///     Systems that are complying with [IPSECARCH] that wish to indicate
///     "ANY" ports MUST set the start port to 0 and the end port to 65535;
///     note that according to [IPSECARCH], "ANY" includes "OPAQUE".  Systems
///     working with [IPSECARCH] that wish to indicate "OPAQUE" ports, but
///     not "ANY" ports, MUST set the start port to 65535 and the end port
///     to 0.
///
/// For ICMP and ICMPv6 the 16-bit value is the type and the code (see `SelectorFields`).
public struct PortSelector: Sendable, Hashable, CustomStringConvertible {
    public var start: UInt16
    public var end: UInt16

    public init(start: UInt16, end: UInt16) {
        self.start = start
        self.end = end
    }

    public static let any = PortSelector(start: 0, end: 65535)
    public static let opaque = PortSelector(start: 65535, end: 0)
    public static func single(_ port: UInt16) -> PortSelector { PortSelector(start: port, end: port) }

    public var isAny: Bool { start == 0 && end == 65535 }
    public var isOpaque: Bool { start == 65535 && end == 0 }

    /// `port` is nil when the packet has no such field to offer: a protocol without ports,
    /// or a non-initial fragment. RFC 4301 4.4.1.3: "If a Next Layer Protocol has no "port"
    /// selectors, then the Local and Remote "port" selectors are set to OPAQUE in the
    /// relevant SPD entry". So an unavailable field matches OPAQUE (and ANY, which includes
    /// it) and nothing else; an available one matches ANY or a range that holds it.
    public func matches(_ port: UInt16?) -> Bool {
        if isAny { return true }
        guard let port else { return isOpaque }
        return start <= port && port <= end
    }

    public var description: String {
        if isAny { return "any" }
        if isOpaque { return "OPAQUE" }
        return start == end ? String(start) : "\(start)-\(end)"
    }
}

/// One traffic selector (RFC 7296 3.13.1): addresses, an IP protocol (0: any) and a port
/// range, for one side of the traffic.
public struct TrafficSelector: Sendable, Hashable, CustomStringConvertible {
    public var addresses: AddressRange
    /// 0 matches any protocol (RFC 7296: "IP Protocol ID ... a value of zero means that the
    /// Protocol ID is not relevant to this Traffic Selector").
    public var ipProtocol: UInt8
    public var ports: PortSelector

    public init(addresses: AddressRange, ipProtocol: UInt8 = 0, ports: PortSelector = .any) {
        self.addresses = addresses
        self.ipProtocol = ipProtocol
        self.ports = ports
    }

    /// Whether one end of a packet (its address, protocol and port on this side) falls in
    /// this selector.
    public func matches(address: IPAddress, protocolNumber: UInt8, port: UInt16?) -> Bool {
        addresses.contains(address) && (ipProtocol == 0 || ipProtocol == protocolNumber) && ports.matches(port)
    }

    /// "10.1.0.0/16", "10.1.0.0/16[udp/53]", "10.1.0.0/16[icmp type 8 code 0]", "10.1.0.0/16[tcp/1024-65535]".
    public var description: String {
        let proto = ipProtocol == 0 ? "" : PolicyText.protocolName(ipProtocol)
        if ports.isAny { return proto.isEmpty ? addresses.description : "\(addresses)[\(proto)]" }
        let isICMP = ipProtocol == IPProtocol.icmp || ipProtocol == IPProtocol.icmpv6
        if isICMP && !ports.isOpaque { return "\(addresses)[\(proto) \(SelectorFields.icmpText(ports))]" }
        return "\(addresses)[\(proto.isEmpty ? "any" : proto)/\(ports)]"
    }
}

/// The fields of one packet that selectors look at. Ports are nil where the packet has
/// none to offer (see `PortSelector.matches`).
///
/// ICMP: RFC 4301 4.4.1.1 gives it "a 16-bit selector for the ICMP message type and code",
/// and RFC 4306 (kept in RFC 7296 3.13.1) says how: "For the ICMP protocol, the two one
/// octet fields Type and Code are treated as a single 16 bit integer (with Type in the most
/// significant eight bits and Code in the least significant eight bits) port number for
/// the purposes of filtering based on this field." The value is offered to the selectors of
/// both ends: RFC 4301 4.4.1.3 lets a system accept an ICMP type in one direction only, and
/// implementations differ in which end's port range they put it in (strongSwan takes the
/// larger of the two, Linux matches the type against the source port and the code against
/// the destination port), so a type allowed by either end's range counts.
public struct SelectorFields: Sendable, Hashable {
    public var source: IPAddress
    public var destination: IPAddress
    public var protocolNumber: UInt8
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?

    public init(
        source: IPAddress, destination: IPAddress, protocolNumber: UInt8, sourcePort: UInt16? = nil,
        destinationPort: UInt16? = nil
    ) {
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    /// The selector fields of a summarised IP packet (a non-initial fragment has no ports
    /// or ICMP type in it, so those stay nil).
    public init(_ packet: PacketSummary) {
        source = packet.source
        destination = packet.destination
        protocolNumber = packet.protocolNumber
        if let type = packet.icmpType {
            let value = UInt16(type) << 8 | UInt16(packet.icmpCode ?? 0)
            sourcePort = value
            destinationPort = value
        } else {
            sourcePort = packet.sourcePort
            destinationPort = packet.destinationPort
        }
    }

    /// The same packet travelling the other way (for selectors written from the other end).
    public var reversed: SelectorFields {
        SelectorFields(
            source: destination, destination: source, protocolNumber: protocolNumber,
            sourcePort: destinationPort, destinationPort: sourcePort)
    }

    /// "type 8 code 0", "type 8", "types 3-4", for an ICMP port range.
    static func icmpText(_ ports: PortSelector) -> String {
        let (typeLow, codeLow) = (ports.start >> 8, ports.start & 0xff)
        let (typeHigh, codeHigh) = (ports.end >> 8, ports.end & 0xff)
        if typeLow == typeHigh {
            if codeLow == codeHigh { return "type \(typeLow) code \(codeLow)" }
            if codeLow == 0 && codeHigh == 0xff { return "type \(typeLow)" }
            return "type \(typeLow) code \(codeLow)-\(codeHigh)"
        }
        if codeLow == 0 && codeHigh == 0xff { return "types \(typeLow)-\(typeHigh)" }
        return "\(ports.start)-\(ports.end)"
    }
}
