import SpiglassSAD
import SpiglassWire
import Testing

/// The SPD's two answers: is a decrypted packet one its SA may carry (RFC 4301 5.2, as
/// Linux's xfrm_policy_check decides it), and would a packet seen in clear have had to be
/// protected. Lookups in priority order, BYPASS and DISCARD honoured, one SPD per file.
@Suite struct SecurityPolicyDatabaseTests {
    static func spd(_ files: [(name: String, text: String)]) throws -> SecurityPolicyDatabase {
        SecurityPolicyDatabase(try files.flatMap { try KeyFileLoader.parseKeys($0.text, file: $0.name).policies })
    }

    static let xfrm: SecurityPolicyDatabase = {
        let file = "spd/xfrm-policy.txt"
        let text = try! String(contentsOfFile: Paths.fixture(file), encoding: .utf8)
        return SecurityPolicyDatabase(try! KeyFileLoader.parseKeys(text, file: file).policies)
    }()

    static func packet(
        _ source: String, _ destination: String, _ proto: UInt8, _ sport: UInt16? = nil, _ dport: UInt16? = nil
    ) -> SelectorFields {
        SelectorFields(
            source: IPAddress(source)!, destination: IPAddress(destination)!, protocolNumber: proto, sourcePort: sport,
            destinationPort: dport)
    }

    static func sa(
        _ source: String, _ destination: String, tunnel: Bool = true, spi: SPI = 0xc000_0001,
        _ proto: IPsecProtocol = .esp
    ) -> ProtectingSA {
        ProtectingSA(
            ipsecProtocol: proto, spi: spi, outerSource: IPAddress(source)!, outerDestination: IPAddress(destination)!,
            tunnel: tunnel)
    }

    func check(_ spd: SecurityPolicyDatabase, _ packet: SelectorFields, _ sa: ProtectingSA)
        -> SecurityPolicyDatabase.InboundVerdict
    {
        spd.checkInbound(packet, protectedBy: sa, bindings: spd.bindings(for: sa))
    }

    func policy(_ spd: SecurityPolicyDatabase, _ index: Int?) -> String? {
        index.map { "\(spd.policies[$0].selector) \(spd.policies[$0].actionText)" }
    }

    @Test func leaksFollowTheFirstMatchingPolicyInPriorityOrder() {
        let spd = Self.xfrm
        // TCP between the networks: the site-to-site PROTECT policy.
        #expect(
            policy(spd, spd.leak(Self.packet("10.1.5.5", "10.2.7.7", 6, 40000, 443)))
                == "10.1.0.0/16 → 10.2.0.0/16 protect esp tunnel 192.0.2.1 → 192.0.2.2 reqid 1")
        // DNS: a BYPASS policy of higher priority lets it go in clear.
        #expect(spd.leak(Self.packet("10.1.5.5", "10.2.7.7", 17, 40000, 53)) == nil)
        // Echo requests: a DISCARD policy comes first; dropped is not leaked.
        #expect(spd.leak(Self.packet("10.1.5.5", "10.2.7.7", 1, 0x0800, 0x0800)) == nil)
        // Echo replies are not what the DISCARD selects: protected.
        #expect(spd.leak(Self.packet("10.1.5.5", "10.2.7.7", 1, 0, 0)) != nil)
        // The other way: the `in` policy requires protection (the `fwd` one is optional, but a
        // capture does not say whether the host forwarded the packet or received it).
        #expect(
            policy(spd, spd.leak(Self.packet("10.2.7.7", "10.1.5.5", 6, 443, 40000)))
                == "10.2.0.0/16 → 10.1.0.0/16 protect esp tunnel 192.0.2.2 → 192.0.2.1 reqid 1")
        // Outside every selector.
        #expect(spd.leak(Self.packet("10.3.0.1", "10.2.0.1", 6, 1, 2)) == nil)
        #expect(spd.leak(Self.packet("2001:db8:1::1", "2001:db8:2::1", 58, 0x8000, 0x8000)) != nil)
        #expect(spd.leak(Self.packet("2001:db8:1::1", "2001:db8:2::1", 58, 0x8100, 0x8100)) == nil)
        // Transport mode between two hosts: no tunnel endpoints to exempt.
        #expect(spd.leak(Self.packet("198.51.100.1", "198.51.100.2", 17, 5000, 5001)) != nil)
    }

    @Test func trafficBetweenTheTunnelEndpointsIsTheGatewaysOwn() throws {
        let spd = try Self.spd([("p", "policy src=0.0.0.0/0 dst=0.0.0.0/0 tunnel-src=192.0.2.1 tunnel-dst=192.0.2.2")])
        #expect(spd.leak(Self.packet("192.0.2.1", "192.0.2.2", 17, 500, 500)) == nil)
        #expect(spd.leak(Self.packet("192.0.2.2", "192.0.2.1", 1, 0x0300, 0x0300)) == nil)
        #expect(spd.leak(Self.packet("192.0.2.1", "192.0.2.3", 17, 500, 500)) != nil)
        #expect(spd.leak(Self.packet("10.0.0.1", "10.0.0.2", 6, 1, 2)) != nil)
        // A transport-mode policy protects the hosts' own traffic.
        let transport = try Self.spd([("t", "policy src=192.0.2.1 dst=192.0.2.2 mode=transport")])
        #expect(transport.leak(Self.packet("192.0.2.1", "192.0.2.2", 6, 1, 2)) != nil)
        #expect(transport.leak(Self.packet("192.0.2.2", "192.0.2.1", 6, 2, 1)) != nil)
        // Only optional templates: cleartext is allowed.
        let optional = try Self.spd([("o", "policy src=10.1.0.0/16 dst=10.2.0.0/16 level=use")])
        #expect(optional.leak(Self.packet("10.1.0.1", "10.2.0.1", 6, 1, 2)) == nil)
    }

    @Test func decryptedPacketsMustBeWhatTheSAsPolicyAsksFor() {
        let spd = Self.xfrm
        let fromPeer = Self.sa("192.0.2.2", "192.0.2.1")
        #expect(spd.bindings(for: fromPeer).map(\.lookup) == [.inbound, .forward])
        guard case .inside = check(spd, Self.packet("10.2.3.4", "10.1.5.6", 6, 443, 40000), fromPeer) else {
            Issue.record("traffic of the tunnel refused")
            return
        }
        #expect(check(spd, Self.packet("10.9.9.9", "10.1.5.6", 6, 443, 40000), fromPeer) == .outside(matched: nil))
        // An SA no policy asks for (another gateway): nothing to hold it to.
        #expect(
            check(spd, Self.packet("10.2.3.4", "10.1.5.6", 6, 443, 40000), Self.sa("192.0.2.9", "192.0.2.1"))
                == .unbound)
        // The ssh policy's own tunnel: ssh fits, other ports of that host go to the site tunnel instead.
        let sshTunnel = Self.sa("192.0.2.1", "192.0.2.3")
        guard case .inside = check(spd, Self.packet("10.1.2.3", "10.2.0.7", 6, 22, 8080), sshTunnel) else {
            Issue.record("ssh refused")
            return
        }
        guard case .outside(let matched?) = check(spd, Self.packet("10.1.2.3", "10.2.0.7", 6, 22, 9090), sshTunnel)
        else {
            Issue.record("other ports accepted")
            return
        }
        #expect(spd.policies[matched].templates.first?.tunnelDestination == IPAddress("192.0.2.2"))
        // A packet a BYPASS policy selects did not belong in the site tunnel.
        guard
            case .outside(let bypass?) = check(
                spd, Self.packet("10.1.5.5", "10.2.7.7", 17, 40000, 53), Self.sa("192.0.2.1", "192.0.2.2"))
        else {
            Issue.record("DNS through the tunnel accepted")
            return
        }
        #expect(spd.policies[bypass].action == .bypass)
        // Transport mode: the SA's mode must be the template's.
        let transport = Self.sa("198.51.100.1", "198.51.100.2", tunnel: false)
        guard case .inside = check(spd, Self.packet("198.51.100.1", "198.51.100.2", 17, 1, 2), transport) else {
            Issue.record("transport refused")
            return
        }
        #expect(spd.bindings(for: Self.sa("198.51.100.1", "198.51.100.2", tunnel: true)).isEmpty)
        // A fixed SPI in the template binds only that SA.
        #expect(spd.bindings(for: Self.sa("203.0.113.1", "203.0.113.2", spi: 0x1234)).count == 1)
        #expect(spd.bindings(for: Self.sa("203.0.113.1", "203.0.113.2", spi: 0x1235)).isEmpty)
    }

    @Test func everySPDThatKnowsTheSAMustAcceptThePacket() throws {
        // Two hosts' files: A allows 10.1/16 → 10.2/16, B only 10.1.0.0/24 → 10.2/16.
        let a = "policy src=10.1.0.0/16 dst=10.2.0.0/16 tunnel-src=192.0.2.1 tunnel-dst=192.0.2.2"
        let b = "policy src=10.1.0.0/24 dst=10.2.0.0/16 tunnel-src=192.0.2.1 tunnel-dst=192.0.2.2"
        let spd = try Self.spd([("a.spiglass", a), ("b.spiglass", b)])
        #expect(spd.spdNames == ["a.spiglass", "b.spiglass"])
        let sa = Self.sa("192.0.2.1", "192.0.2.2")
        guard case .inside = check(spd, Self.packet("10.1.0.9", "10.2.0.9", 6, 1, 2), sa) else {
            Issue.record("refused by both")
            return
        }
        #expect(check(spd, Self.packet("10.1.7.9", "10.2.0.9", 6, 1, 2), sa) == .outside(matched: nil))
        // Both directions of a native line: the reverse SA carries the reverse traffic.
        guard case .inside = check(spd, Self.packet("10.2.0.9", "10.1.0.9", 6, 2, 1), Self.sa("192.0.2.2", "192.0.2.1"))
        else {
            Issue.record("reverse refused")
            return
        }
        #expect(
            check(spd, Self.packet("10.1.0.9", "10.2.0.9", 6, 1, 2), Self.sa("192.0.2.2", "192.0.2.1"))
                == .outside(matched: nil))
    }
}
