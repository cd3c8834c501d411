import SpiglassSAD
import SpiglassWire
import Testing

@testable import SpiglassIKE

/// RFC 4301 selector matching: address ranges, protocols, port ranges, ICMP type and code as
/// RFC 4301 4.4.1.1 and RFC 7296 3.13.1 encode them, OPAQUE and ANY; and the selectors IKE
/// negotiates, as values.
@Suite struct TrafficSelectorTests {
    static func range(_ text: String) -> AddressRange {
        if let dash = text.firstIndex(of: "-") {
            return AddressRange(first: IPAddress(text[..<dash])!, last: IPAddress(text[text.index(after: dash)...])!)!
        }
        let parts = text.split(separator: "/")
        return parts.count == 2
            ? AddressRange(prefix: IPAddress(parts[0])!, bits: Int(parts[1])!)
            : AddressRange(single: IPAddress(parts[0])!)
    }

    static func fields(
        _ source: String, _ destination: String, _ proto: UInt8 = 17, _ sport: UInt16? = 40000,
        _ dport: UInt16? = 53
    ) -> SelectorFields {
        SelectorFields(
            source: IPAddress(source)!, destination: IPAddress(destination)!, protocolNumber: proto,
            sourcePort: sport, destinationPort: dport)
    }

    @Test func addressRangesHoldTheirEndsAndNothingOfTheOtherFamily() {
        let prefix = Self.range("10.1.0.0/16")
        #expect(prefix.first == IPAddress("10.1.0.0")! && prefix.last == IPAddress("10.1.255.255")!)
        #expect(prefix.contains(IPAddress("10.1.0.0")!) && prefix.contains(IPAddress("10.1.255.255")!))
        #expect(!prefix.contains(IPAddress("10.0.255.255")!) && !prefix.contains(IPAddress("10.2.0.0")!))
        // Host bits of a prefix are ignored, as the kernel does.
        #expect(AddressRange(prefix: IPAddress("10.1.2.3")!, bits: 16) == prefix)
        let arbitrary = Self.range("10.0.0.5-10.0.0.9")
        #expect(arbitrary.contains(IPAddress("10.0.0.5")!) && arbitrary.contains(IPAddress("10.0.0.9")!))
        #expect(!arbitrary.contains(IPAddress("10.0.0.4")!) && !arbitrary.contains(IPAddress("10.0.0.10")!))
        #expect(arbitrary.description == "10.0.0.5-10.0.0.9")
        #expect(AddressRange(first: IPAddress("10.0.0.9")!, last: IPAddress("10.0.0.5")!) == nil)
        #expect(AddressRange(first: IPAddress("10.0.0.1")!, last: IPAddress("::1")!) == nil)
        let v6 = Self.range("2001:db8:1::/48")
        #expect(v6.contains(IPAddress("2001:db8:1:ffff::1")!) && !v6.contains(IPAddress("2001:db8:2::")!))
        #expect(v6.last == IPAddress("2001:db8:1:ffff:ffff:ffff:ffff:ffff")!)
        #expect(Self.range("2001:db8::/65").last == IPAddress("2001:db8::7fff:ffff:ffff:ffff")!)
        // 0.0.0.0/0 is every IPv4 address and no IPv6 one.
        #expect(AddressRange.all(ipv4: true).contains(IPAddress("255.255.255.255")!))
        #expect(!AddressRange.all(ipv4: true).contains(IPAddress("::")!))
        #expect(!AddressRange.all(ipv4: false).contains(IPAddress("0.0.0.0")!))
        #expect(Self.range("10.1.2.3").description == "10.1.2.3/32")
        #expect(prefix.description == "10.1.0.0/16")
    }

    @Test func portSelectorsANYOPAQUEAndRanges() {
        // RFC 7296 3.13.1: ANY is 0-65535 and includes OPAQUE; OPAQUE is 65535-0.
        #expect(PortSelector.any.matches(53) && PortSelector.any.matches(nil))
        #expect(PortSelector.opaque.matches(nil))
        #expect(
            !PortSelector.opaque.matches(0) && !PortSelector.opaque.matches(65535) && !PortSelector.opaque.matches(53))
        let range = PortSelector(start: 1024, end: 65535)
        #expect(range.matches(1024) && range.matches(65535) && !range.matches(1023))
        // A port that is not there (non-initial fragment, protocol without ports) falls outside a range.
        #expect(!range.matches(nil) && !PortSelector.single(0).matches(nil))
        #expect(PortSelector.single(0).matches(0))
        #expect(
            PortSelector.any.description == "any" && PortSelector.opaque.description == "OPAQUE"
                && range.description == "1024-65535")
    }

    @Test func protocolZeroIsAnyAndPortsFollowTheProtocol() {
        let udp53 = TrafficSelector(addresses: Self.range("10.2.0.0/16"), ipProtocol: 17, ports: .single(53))
        #expect(udp53.matches(address: IPAddress("10.2.0.5")!, protocolNumber: 17, port: 53))
        #expect(!udp53.matches(address: IPAddress("10.2.0.5")!, protocolNumber: 6, port: 53))
        #expect(!udp53.matches(address: IPAddress("10.2.0.5")!, protocolNumber: 17, port: 54))
        #expect(!udp53.matches(address: IPAddress("10.3.0.5")!, protocolNumber: 17, port: 53))
        let anything = TrafficSelector(addresses: Self.range("10.2.0.0/16"))
        #expect(anything.matches(address: IPAddress("10.2.0.5")!, protocolNumber: 50, port: nil))
        #expect(anything.matches(address: IPAddress("10.2.0.5")!, protocolNumber: 6, port: 22))
        #expect(udp53.description == "10.2.0.0/16[udp/53]")
        #expect(
            TrafficSelector(addresses: Self.range("10.2.0.0/16"), ipProtocol: 0, ports: .single(500)).description
                == "10.2.0.0/16[any/500]")
    }

    @Test func icmpTypeAndCodeAreOneSixteenBitPort() {
        // RFC 4306/7296: "Type in the most significant eight bits and Code in the least".
        let packet = PacketSummary(
            version: 4, source: IPAddress("10.1.0.1")!, destination: IPAddress("10.2.0.1")!, protocolNumber: 1,
            icmpType: 8, icmpCode: 0, length: 84)
        let fields = SelectorFields(packet)
        #expect(fields.sourcePort == 0x0800 && fields.destinationPort == 0x0800)
        let echo = TrafficSelector(addresses: Self.range("10.1.0.0/16"), ipProtocol: 1, ports: .single(0x0800))
        #expect(echo.matches(address: fields.source, protocolNumber: 1, port: fields.sourcePort))
        let unreachable = SelectorFields(
            PacketSummary(
                version: 4, source: IPAddress("10.1.0.1")!, destination: IPAddress("10.2.0.1")!,
                protocolNumber: 1, icmpType: 3, icmpCode: 1, length: 56))
        #expect(unreachable.sourcePort == 0x0301)
        #expect(!echo.matches(address: unreachable.source, protocolNumber: 1, port: unreachable.sourcePort))
        // A whole type: codes 0-255.
        let type3 = TrafficSelector(
            addresses: Self.range("10.1.0.0/16"), ipProtocol: 1, ports: PortSelector(start: 0x0300, end: 0x03ff))
        #expect(type3.matches(address: unreachable.source, protocolNumber: 1, port: unreachable.sourcePort))
        #expect(type3.description == "10.1.0.0/16[icmp type 3]")
        #expect(echo.description == "10.1.0.0/16[icmp type 8 code 0]")
        // A type allowed by either end's range counts (strongSwan puts it in one, Linux splits it).
        let selector = PolicySelector(
            source: TrafficSelector(addresses: Self.range("10.1.0.0/16"), ipProtocol: 1),
            destination: TrafficSelector(addresses: Self.range("10.2.0.0/16"), ipProtocol: 1, ports: .single(0x0800)))
        #expect(selector.matches(fields))
        #expect(!selector.matches(unreachable))
        // ICMPv6 the same way.
        let v6 = SelectorFields(
            PacketSummary(
                version: 6, source: IPAddress("2001:db8:1::1")!, destination: IPAddress("2001:db8:2::1")!,
                protocolNumber: 58, icmpType: 128, icmpCode: 0, length: 104))
        #expect(v6.sourcePort == 0x8000)
    }

    @Test func nonInitialFragmentsMatchOnlyANYAndOPAQUEPorts() {
        let fragment = PacketSummary(
            version: 4, source: IPAddress("10.1.0.1")!, destination: IPAddress("10.2.0.1")!, protocolNumber: 17,
            length: 1400, isFragment: true)
        let fields = SelectorFields(fragment)
        #expect(fields.sourcePort == nil && fields.destinationPort == nil)
        let any = PolicySelector(
            source: TrafficSelector(addresses: Self.range("10.1.0.0/16"), ipProtocol: 17),
            destination: TrafficSelector(addresses: Self.range("10.2.0.0/16"), ipProtocol: 17))
        let opaque = PolicySelector(
            source: TrafficSelector(addresses: Self.range("10.1.0.0/16"), ipProtocol: 17, ports: .opaque),
            destination: TrafficSelector(addresses: Self.range("10.2.0.0/16"), ipProtocol: 17, ports: .opaque))
        let dns = PolicySelector(
            source: TrafficSelector(addresses: Self.range("10.1.0.0/16"), ipProtocol: 17),
            destination: TrafficSelector(addresses: Self.range("10.2.0.0/16"), ipProtocol: 17, ports: .single(53)))
        #expect(any.matches(fields))
        #expect(opaque.matches(fields))
        #expect(!dns.matches(fields))
        // And OPAQUE does not match a packet whose ports are there.
        #expect(!opaque.matches(Self.fields("10.1.0.1", "10.2.0.1")))
    }

    @Test func listsOfSelectorsAreACrossProduct() {
        // RFC 7296 2.9: a packet fits when its source is in one of TSi and its destination in one of TSr.
        let selector = PolicySelector(
            sources: [
                TrafficSelector(addresses: Self.range("10.1.0.0/24")),
                TrafficSelector(addresses: Self.range("10.3.0.0/24")),
            ],
            destinations: [
                TrafficSelector(addresses: Self.range("10.2.0.0/24")),
                TrafficSelector(addresses: Self.range("2001:db8::/32")),
            ])
        #expect(selector.matches(Self.fields("10.1.0.9", "10.2.0.9")))
        #expect(selector.matches(Self.fields("10.3.0.9", "10.2.0.9")))
        #expect(!selector.matches(Self.fields("10.2.0.9", "10.1.0.9")))
        #expect(selector.reversed.matches(Self.fields("10.2.0.9", "10.3.0.9")))
        #expect(selector.description == "10.1.0.0/24, 10.3.0.0/24 → 10.2.0.0/24, 2001:db8::/32")
        #expect(
            selector.mismatch(Self.fields("10.9.9.9", "10.2.0.9"))
                == "source 10.9.9.9 is outside 10.1.0.0/24, 10.3.0.0/24")
        #expect(selector.mismatch(Self.fields("10.1.0.9", "10.2.0.9")) == nil)
        let dns = PolicySelector(
            source: TrafficSelector(addresses: Self.range("10.1.0.0/24")),
            destination: TrafficSelector(addresses: Self.range("10.2.0.1"), ipProtocol: 17, ports: .single(53)))
        #expect(
            dns.mismatch(Self.fields("10.1.0.1", "10.2.0.1", 17, 40000, 54))
                == "destination 10.2.0.1 udp/54 is outside 10.2.0.1/32[udp/53]")
        #expect(
            dns.mismatch(Self.fields("10.1.0.1", "10.2.0.1", 6, 40000, 53))
                == "destination 10.2.0.1 tcp/53 is outside 10.2.0.1/32[udp/53]")
    }

    // MARK: - Negotiated selectors as values

    static func ts(_ first: String, _ last: String, proto: UInt8 = 0, ports: (UInt16, UInt16) = (0, 65535))
        -> IKEv2TrafficSelector
    {
        let a = IPAddress(first)!.bytes
        let b = IPAddress(last)!.bytes
        return IKEv2TrafficSelector(
            type: a.count == 4 ? 7 : 8, ipProtocol: proto, startPort: ports.0, endPort: ports.1, startAddress: a,
            endAddress: b)
    }

    @Test func ikev2SelectorsKeepTheirWireEncoding() {
        let tcp = Self.ts("10.1.0.0", "10.1.255.255", proto: 6, ports: (1024, 65535)).policySelector!
        #expect(
            tcp.addresses == Self.range("10.1.0.0/16") && tcp.ipProtocol == 6
                && tcp.ports == PortSelector(start: 1024, end: 65535))
        #expect(Self.ts("10.1.0.0", "10.1.0.0", ports: (65535, 0)).policySelector!.ports.isOpaque)
        #expect(Self.ts("2001:db8::", "2001:db8::ffff").policySelector!.addresses.last == IPAddress("2001:db8::ffff")!)
        // Not an address range (a security label): no selector.
        #expect(
            IKEv2TrafficSelector(
                type: 10, ipProtocol: 0, startPort: 0, endPort: 0, startAddress: [], endAddress: [], data: [1, 2]
            ).policySelector == nil)
        // Start after end: not a range.
        #expect(Self.ts("10.1.0.9", "10.1.0.1").policySelector == nil)
    }

    @Test func ikev1IdentitiesAsSelectors() {
        let subnet = IKEv1Identification(
            type: IKEv1Names.ID.ipv4Subnet, protocolID: 17, port: 53, data: [10, 1, 2, 3, 255, 255, 0, 0])
        #expect(
            subnet.policySelector
                == TrafficSelector(addresses: Self.range("10.1.0.0/16"), ipProtocol: 17, ports: .single(53)))
        let range = IKEv1Identification(
            type: IKEv1Names.ID.ipv4Range, protocolID: 0, port: 0, data: [10, 0, 0, 1, 10, 0, 0, 9])
        #expect(range.policySelector == TrafficSelector(addresses: Self.range("10.0.0.1-10.0.0.9")))
        let host6 = IKEv1Identification(
            type: IKEv1Names.ID.ipv6Address, protocolID: 0, port: 0, data: IPAddress("2001:db8::1")!.bytes)
        #expect(host6.policySelector?.addresses == Self.range("2001:db8::1"))
        #expect(
            IKEv1Identification(type: IKEv1Names.ID.fqdn, protocolID: 0, port: 0, data: Array("gw.example".utf8))
                .policySelector == nil)
        #expect(
            IKEv1Identification(type: IKEv1Names.ID.ipv4Subnet, protocolID: 0, port: 0, data: [10, 1]).policySelector
                == nil)
    }

    @Test func aChildSAsSelectorsFollowTheDirectionOfItsSPI() {
        var child = ChildSARecord(
            ikeSAIndex: 0, createdBy: 1, createdByType: .v2(.ikeAuth), requestedByInitiator: true,
            requesterSPI: 0xaaaa_0001, responderSPI: 0xbbbb_0002,
            requester: IPAddress("192.0.2.1")!, responder: IPAddress("192.0.2.2")!)
        child.initiatorSelectors = [Self.ts("10.1.0.0", "10.1.0.15")]
        child.responderSelectors = [Self.ts("10.2.0.1", "10.2.0.1")]
        // Traffic to the responder carries the responder's SPI: TSi → TSr.
        #expect(child.selector(forSPI: 0xbbbb_0002, ikeVersion: .v2)?.description == "10.1.0.0/28 → 10.2.0.1/32")
        #expect(child.selector(forSPI: 0xaaaa_0001, ikeVersion: .v2)?.description == "10.2.0.1/32 → 10.1.0.0/28")
        #expect(child.selector(forSPI: 0x1234, ikeVersion: .v2) == nil)
        // IKEv1 without client IDs: the ISAKMP peers' addresses, any protocol (RFC 2409 5.5).
        var quick = ChildSARecord(
            ikeSAIndex: 0, createdBy: 1, createdByType: .v1(.quickMode), requestedByInitiator: true,
            requesterSPI: 1, responderSPI: 2, requester: IPAddress("192.0.2.1")!, responder: IPAddress("192.0.2.2")!)
        #expect(quick.selector(forSPI: 2, ikeVersion: .v1)?.description == "192.0.2.1/32 → 192.0.2.2/32")
        #expect(quick.selector(forSPI: 2, ikeVersion: .v2) == nil)
        quick.quickModeIdentities = [
            IKEv1Identification(
                type: IKEv1Names.ID.ipv4Subnet, protocolID: 0, port: 0, data: [10, 1, 0, 0, 255, 255, 255, 0]),
            IKEv1Identification(type: IKEv1Names.ID.fqdn, protocolID: 0, port: 0, data: Array("peer".utf8)),
        ]
        // An ID that names no addresses: nothing to check.
        #expect(quick.selector(forSPI: 2, ikeVersion: .v1) == nil)
    }
}
