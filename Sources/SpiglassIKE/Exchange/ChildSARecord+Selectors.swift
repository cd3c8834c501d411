import SpiglassSAD
import SpiglassWire

/// The traffic a CHILD_SA was negotiated for, as policy selectors: what the policy check holds
/// its decrypted packets to, and the cleartext against.
extension ChildSARecord {
    /// Traffic from the CHILD_SA's requester to its responder (the SA of `responderSPI`); the
    /// other direction is its `reversed`. nil when the exchange gave no address selectors.
    ///
    /// IKEv2 (RFC 7296 2.9): the TSi selectors are the requester's end and TSr the responder's,
    /// as the response narrowed them. Selectors of other types (Fibre Channel, security
    /// labels) restrict something a packet's addresses do not show, and are left out.
    ///
    /// IKEv1 (RFC 2409 5.5): "The identities of the SAs negotiated in Quick Mode are implicitly
    /// assumed to be the IP addresses of the ISAKMP peers, without any implied constraints on
    /// the protocol or port numbers allowed, unless client identifiers are specified in Quick
    /// Mode." IDci is the requester's end, IDcr the responder's; an ID that names no
    /// addresses (an FQDN) leaves the CHILD_SA unchecked.
    /// `ikeVersion` is the version of the IKE SA that negotiated it.
    public func requesterToResponderSelector(ikeVersion: IKESecurityAssociation.Version) -> PolicySelector? {
        if !initiatorSelectors.isEmpty || !responderSelectors.isEmpty {
            let sources = initiatorSelectors.compactMap(\.policySelector)
            let destinations = responderSelectors.compactMap(\.policySelector)
            guard !sources.isEmpty, !destinations.isEmpty else { return nil }
            return PolicySelector(sources: sources, destinations: destinations)
        }
        guard ikeVersion == .v1 else { return nil }
        if quickModeIdentities.count == 2 {
            guard let source = quickModeIdentities[0].policySelector,
                let destination = quickModeIdentities[1].policySelector
            else {
                return nil
            }
            return PolicySelector(source: source, destination: destination)
        }
        return PolicySelector(
            source: TrafficSelector(addresses: AddressRange(single: requester)),
            destination: TrafficSelector(addresses: AddressRange(single: responder)))
    }

    /// The selectors of the SA that receives on `spi` in the direction its packets travel:
    /// traffic to the responder carries `responderSPI`, traffic back `requesterSPI`.
    public func selector(forSPI spi: SPI, ikeVersion: IKESecurityAssociation.Version) -> PolicySelector? {
        guard let forward = requesterToResponderSelector(ikeVersion: ikeVersion) else { return nil }
        if spi == responderSPI { return forward }
        if spi == requesterSPI { return forward.reversed }
        return nil
    }
}

extension IKEv2TrafficSelector {
    /// TS_IPV4_ADDR_RANGE and TS_IPV6_ADDR_RANGE as a policy selector; nil for other types.
    /// The ports keep their wire encoding (RFC 7296 3.13.1: ANY is 0-65535, OPAQUE 65535-0,
    /// ICMP type and code in one 16-bit value).
    public var policySelector: TrafficSelector? {
        guard isAddressRange, let first = IPAddress(bytes: startAddress), let last = IPAddress(bytes: endAddress),
            let range = AddressRange(first: first, last: last)
        else { return nil }
        return TrafficSelector(
            addresses: range, ipProtocol: ipProtocol, ports: PortSelector(start: startPort, end: endPort))
    }
}

extension IKEv1Identification {
    /// An address ID (RFC 2407 4.6.2.1: ID_IPV4_ADDR, _SUBNET, _RANGE and their IPv6 twins) as
    /// a policy selector, with its protocol (0: any) and port (0: any); nil for other IDs.
    public var policySelector: TrafficSelector? {
        let range: AddressRange?
        switch type {
        case IKEv1Names.ID.ipv4Address where data.count == 4, IKEv1Names.ID.ipv6Address where data.count == 16:
            range = IPAddress(bytes: data).map { AddressRange(single: $0) }
        case IKEv1Names.ID.ipv4Subnet where data.count == 8, IKEv1Names.ID.ipv6Subnet where data.count == 32:
            let half = data.count / 2
            let address = Array(data[0..<half])
            let mask = Array(data[half...])
            let first = zip(address, mask).map { $0 & $1 }
            let last = zip(address, mask).map { $0 | ~$1 }
            if let low = IPAddress(bytes: first), let high = IPAddress(bytes: last) {
                range = AddressRange(first: low, last: high)
            } else {
                range = nil
            }
        case IKEv1Names.ID.ipv4Range where data.count == 8, IKEv1Names.ID.ipv6Range where data.count == 32:
            let half = data.count / 2
            if let low = IPAddress(bytes: Array(data[0..<half])), let high = IPAddress(bytes: Array(data[half...])) {
                range = AddressRange(first: low, last: high)
            } else {
                range = nil
            }
        default:
            range = nil
        }
        guard let range else { return nil }
        return TrafficSelector(addresses: range, ipProtocol: protocolID, ports: port == 0 ? .any : .single(port))
    }
}

extension IPAddress {
    /// An address from its 4 or 16 bytes in network order; nil for any other length.
    init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4:
            self = .v4(bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        case 16:
            let hi = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let lo = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self = .v6(hi, lo)
        default:
            return nil
        }
    }
}
