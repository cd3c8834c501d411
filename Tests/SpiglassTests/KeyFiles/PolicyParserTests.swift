import Foundation
import SpiglassWire
import Testing

@testable import SpiglassSAD

/// Every policy source: `ip xfrm policy` (real iproute2 output, Fixtures/spd), `setkey -DP`
/// (shapes from ipsec-tools' printing code), `swanctl --list-conns` and `swanctl.conf` (real
/// strongSwan 5.9.8, Fixtures/strongswan-policy), native `policy` lines; errors with file,
/// line and field; every line noted for `keys check`.
@Suite struct PolicyParserTests {
    static func load(_ relative: String, format: KeyFileFormat? = nil) throws -> KeySet {
        let path = Paths.fixture(relative)
        return try KeyFileLoader.parseKeys(
            try String(contentsOfFile: path, encoding: .utf8), file: relative, format: format)
    }

    static func policy(_ keys: KeySet, _ selector: String, _ direction: SecurityPolicy.Direction) -> SecurityPolicy? {
        keys.policies.first { $0.selector.description == selector && $0.direction == direction }
    }

    /// Every non-blank line got exactly one note.
    static func expectOneNotePerLine(_ text: String, _ keys: KeySet, sourceLocation: SourceLocation = #_sourceLocation)
    {
        let lines = KeyFileLines.of(text)
        for (index, line) in lines.enumerated() where !line.allSatisfy({ $0 == " " || $0 == "\t" }) {
            let count = keys.notes.filter { $0.line == index + 1 }.count
            #expect(count == 1, "line \(index + 1) '\(line)' has \(count) notes", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: ["spd/xfrm-policy.txt", "spd/xfrm-policy-s.txt", "spd/xfrm-policy-d.txt"])
    func ipXfrmPolicyOutput(_ file: String) throws {
        let text = try String(contentsOfFile: Paths.fixture(file), encoding: .utf8)
        #expect(KeyFileLoader.detect(text) == .xfrm)
        let keys = try Self.load(file)
        #expect(keys.policies.count == 12)
        #expect(keys.sas.isEmpty)
        Self.expectOneNotePerLine(text, keys)
        #expect(
            keys.notes.allSatisfy { $0.kind != .warning || $0.message.contains("optional") },
            "\(keys.notes.filter { $0.kind == .warning })")
        let out = try #require(Self.policy(keys, "10.1.0.0/16 → 10.2.0.0/16", .outbound))
        #expect(out.priority == 375423)
        #expect(
            out.action
                == .protect([
                    PolicyTemplate(
                        ipsecProtocol: .esp, mode: .tunnel, tunnelSource: IPAddress("192.0.2.1"),
                        tunnelDestination: IPAddress("192.0.2.2"), reqid: 1)
                ]))
        let fwd = try #require(Self.policy(keys, "10.2.0.0/16 → 10.1.0.0/16", .forward))
        #expect(fwd.templates.first?.optional == true && !fwd.requiresProtection)
        let ssh = try #require(Self.policy(keys, "10.1.2.3/32[tcp/22] → 10.2.0.0/24[tcp/8080]", .outbound))
        #expect(ssh.priority == 100 && ssh.templates.first?.tunnelDestination == IPAddress("192.0.2.3"))
        #expect(Self.policy(keys, "10.1.0.0/16[udp] → 10.2.0.0/16[udp/53]", .outbound)?.action == .bypass)
        // `proto icmp type 8 code 0`: the type and code ride where TCP keeps its ports.
        let block = try #require(Self.policy(keys, "10.1.0.0/16[icmp type 8 code 0] → 10.2.0.0/16[icmp]", .outbound))
        #expect(block.action == .discard && block.priority == 50)
        #expect(block.selector.sources[0].ports == .single(0x0800))
        #expect(Self.policy(keys, "2001:db8:1::/48[ipv6-icmp type 128] → 2001:db8:2::/48[ipv6-icmp]", .outbound) != nil)
        // Transport templates print 0.0.0.0 for the unused addresses: no endpoints.
        let bundle = try #require(Self.policy(keys, "198.51.100.1/32 → 198.51.100.2/32", .outbound))
        #expect(bundle.templates.map(\.ipsecProtocol) == [.ah, .esp])
        #expect(bundle.templates.allSatisfy { $0.mode == .transport && $0.tunnelSource == nil && $0.reqid == 5 })
        let gre = try #require(Self.policy(keys, "0.0.0.0/0[gre] → 0.0.0.0/0[gre]", .inbound))
        #expect(gre.templates.first?.spi == 0x1234)
        // `dev lo` selects an interface, which a capture does not show: the policy stays.
        #expect(Self.policy(keys, "172.16.0.0/12 → 10.2.0.0/16", .outbound)?.priority == 1000)
        #expect(keys.policies.allSatisfy { $0.source == .xfrm && $0.origin.file == file })
    }

    @Test func xfrmStateAndPolicyInOneFile() throws {
        // `ip xfrm state; ip xfrm policy` into one file: both halves are read.
        let state = """
            src 10.99.0.1 dst 10.99.0.2
            \tproto esp spi 0x5e81594e reqid 1 mode tunnel
            \treplay-window 0 flag af-unspec
            \tauth-trunc hmac(sha256) 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 128
            \tenc cbc(aes) 0x00112233445566778899aabbccddeeff
            \tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0
            \tsel src 0.0.0.0/0 dst 0.0.0.0/0
            src 10.99.0.2 dst 10.99.0.1
            \tproto esp spi 0xc19c5d01 reqid 1 mode tunnel
            \treplay-window 0 flag af-unspec
            \taead rfc4106(gcm(aes)) 0x00112233445566778899aabbccddeeff00112233 128
            \tsel src 0.0.0.0/0 dst 0.0.0.0/0

            """
        let policy = try String(contentsOfFile: Paths.fixture("spd/xfrm-policy.txt"), encoding: .utf8)
        for text in [state + policy, policy + state] {
            #expect(KeyFileLoader.detect(text) == .xfrm)
            let keys = try KeyFileLoader.parseKeys(text, file: "both.txt")
            #expect(keys.sas.count == 2)
            #expect(keys.policies.count == 12)
            Self.expectOneNotePerLine(text, keys)
        }
    }

    @Test func xfrmPerSocketPoliciesAndErrors() throws {
        let text = """
            src 0.0.0.0/0 dst 0.0.0.0/0 \n\
            \tsocket in priority 0 ptype main \n\
            src 10.1.0.0/16 dst 10.2.0.0/16 \n\
            \tdir out priority 5 ptype main \n\
            \ttmpl src 192.0.2.1 dst 192.0.2.2
            \t\tproto comp reqid 1 mode tunnel
            \ttmpl src 192.0.2.1 dst 192.0.2.2
            \t\tproto esp reqid 1 mode tunnel
            """
        let keys = try KeyFileLoader.parseKeys(text, file: "x.txt")
        // The socket policy applies to one socket, not to traffic; IPComp templates protect nothing.
        #expect(keys.policies.count == 1)
        #expect(keys.policies[0].templates.map(\.ipsecProtocol) == [.esp])
        #expect(keys.notes.contains { $0.line == 1 && $0.kind == .ignored && $0.message.contains("per-socket") })
        Self.expectOneNotePerLine(text, keys)
        func error(_ text: String) -> KeyFileError? {
            do { _ = try KeyFileLoader.parseKeys(text, file: "bad.txt", format: .xfrm) } catch let e as KeyFileError {
                return e
            } catch {}
            return nil
        }
        #expect(
            error("src 10.1.0.0/16 dst 10.2.0.0/16 proto nosuch\n\tdir out priority 0\n")
                == KeyFileError(
                    .badValue, file: "bad.txt", line: 1, field: "proto", "'<6 characters>' is not a protocol"))
        #expect(error("src 10.1.0.0/16 dst 10.2.0.0/16\n\tdir sideways priority 0\n")?.field == "dir")
        #expect(
            error(
                "src 10.1.0.0/16 dst 10.2.0.0/16\n\tdir out priority 0\n\ttmpl src 192.0.2.1 dst 192.0.2.2\n\t\tproto esp reqid 1 mode tunnel\nsrc 10.3.0.0/16 dst 10.4.0.0/16\n"
            )
                == KeyFileError(.missingField, file: "bad.txt", line: 5, field: "dir", "policy without its 'dir' line"))
        #expect(error("src 10.1.0.0/16 dst 2001:db8::/32\n\tdir out priority 0\n")?.line == 1)
    }

    @Test func setkeyDumpPolicyOutputOfLinuxAndBSD() throws {
        let linux = try Self.load("spd/setkey-dp-linux.txt")
        Self.expectOneNotePerLine(
            try String(contentsOfFile: Paths.fixture("spd/setkey-dp-linux.txt"), encoding: .utf8), linux)
        #expect(linux.policies.count == 8)
        let out = try #require(Self.policy(linux, "10.1.0.0/16 → 10.2.0.0/16", .outbound))
        #expect(out.priority == 0x8000_0000)
        #expect(
            out.templates == [
                PolicyTemplate(
                    ipsecProtocol: .esp, mode: .tunnel, tunnelSource: IPAddress("192.0.2.1"),
                    tunnelDestination: IPAddress("192.0.2.2"))
            ])
        #expect(Self.policy(linux, "10.2.0.0/16 → 10.1.0.0/16", .forward)?.requiresProtection == false)
        // `prio def + 100` is 100 before the default (ipsec_dump_policy1 prints the sign reversed).
        let ssh = try #require(Self.policy(linux, "10.1.2.3/32[tcp/22] → 10.2.0.0/24[tcp/8080]", .outbound))
        #expect(ssh.priority == 0x8000_0000 - 100 && ssh.templates.first?.reqid == 2)
        #expect(Self.policy(linux, "10.1.0.0/16[udp] → 10.2.0.0/16[udp/53]", .outbound)?.action == .bypass)
        // `icmp 8,0`: type 8, and code 0 is the kernel's wildcard.
        let icmp = try #require(Self.policy(linux, "10.1.0.0/16[icmp type 8] → 10.2.0.0/16[icmp]", .outbound))
        #expect(icmp.action == .discard && icmp.priority == 0x4000_0000 - 5)
        #expect(
            Self.policy(linux, "198.51.100.1/32 → 198.51.100.2/32", .outbound)?.templates.map(\.ipsecProtocol) == [
                .ah, .esp,
            ])
        // 255 is "any" (getprotobynumber knows no name for it on Linux); per-socket policies are skipped.
        #expect(linux.notes.contains { $0.message.contains("per-socket") })
        let bsd = try Self.load("spd/setkey-dp-bsd.txt")
        #expect(bsd.policies.map(\.direction) == [.outbound, .inbound])
        #expect(bsd.policies[0].selector == out.selector)
        #expect(KeyFileLoader.detect("No SPD entries.\n") == .setkey)
    }

    @Test func swanctlListConnsOfStrongSwan() throws {
        let narrowedB = try Self.load("strongswan-policy/narrowed/list-conns-B.txt")
        Self.expectOneNotePerLine(
            try String(contentsOfFile: Paths.fixture("strongswan-policy/narrowed/list-conns-B.txt"), encoding: .utf8),
            narrowedB)
        #expect(narrowedB.policies.map(\.direction) == [.outbound, .inbound])
        let out = narrowedB.policies[0]
        #expect(out.selector.description == "10.200.2.1/32 → 10.200.1.0/28")
        #expect(
            out.templates == [
                PolicyTemplate(
                    ipsecProtocol: .esp, mode: .tunnel, tunnelSource: IPAddress("10.97.0.2"),
                    tunnelDestination: IPAddress("10.97.0.1"))
            ])
        #expect(out.label == "gw.net" && out.source == .swanctlList)
        #expect(narrowedB.policies[1].selector.description == "10.200.1.0/28 → 10.200.2.1/32")
        // Service names (`udp/domain`) and protocols as charon prints them.
        let ports = try Self.load("strongswan-policy/ports/list-conns-A.txt")
        #expect(
            ports.policies.filter { $0.direction == .outbound }.map(\.selector.description)
                == ["10.200.1.0/28[udp] → 10.200.2.1/32[udp/53]", "10.200.1.0/28[icmp] → 10.200.2.1/32[icmp]"])
        // strongSwan 6 adds the port to the connection's addresses; PASS and DROP children are shunts.
        let text = """
            gw: IKEv2, no reauthentication, rekeying every 14400s
              local:  192.0.2.1[500]
              remote: 192.0.2.2[500]
              net: TUNNEL, rekeying every 3600s
                local:  10.1.0.0/16 10.3.0.0/16
                remote: 10.2.0.1..10.2.0.9
              lan: PASS, no rekeying
                local:  10.1.0.0/16
                remote: 10.1.0.0/16
              icmp: TRANSPORT, rekeying every 3600s
                local:  dynamic[icmp/8]
                remote: dynamic[icmp/3(1)-3(4)]
            """
        #expect(KeyFileLoader.detect(text) == .swanctlList)
        let keys = try KeyFileLoader.parseKeys(text, file: "conns.txt")
        let net = try #require(keys.policies.first { $0.label == "gw.net" && $0.direction == .outbound })
        #expect(net.selector.description == "10.1.0.0/16, 10.3.0.0/16 → 10.2.0.1-10.2.0.9")
        #expect(net.templates.first?.tunnelSource == IPAddress("192.0.2.1"))
        #expect(keys.policies.first { $0.label == "gw.lan" }?.action == .bypass)
        // `dynamic` is the connection's own address; strongSwan's ICMP ports: below 256 a type, `3(1)` type and code.
        let icmp = try #require(keys.policies.first { $0.label == "gw.icmp" && $0.direction == .outbound })
        #expect(
            icmp.selector.sources[0]
                == TrafficSelector(
                    addresses: AddressRange(single: IPAddress("192.0.2.1")!), ipProtocol: 1, ports: .single(0x0800)))
        #expect(icmp.selector.destinations[0].ports == PortSelector(start: 0x0301, end: 0x0304))
        #expect(icmp.templates == [PolicyTemplate(ipsecProtocol: .esp, mode: .transport)])
    }

    @Test func swanctlConfChildrenAndNothingOfTheSecrets() throws {
        let a = try Self.load("strongswan-policy/narrowed/config/swanctl-A.conf")
        #expect(
            a.policies.map(\.selector.description) == [
                "10.200.1.0/24 → 10.200.2.0/24", "10.200.2.0/24 → 10.200.1.0/24",
            ])
        #expect(a.policies[0].templates.first?.tunnelDestination == IPAddress("10.97.0.2"))
        let ports = try Self.load("strongswan-policy/ports/config/swanctl-B.conf")
        #expect(
            ports.policies.filter { $0.direction == .outbound }.map(\.selector.description)
                == ["10.200.2.1/32[udp/53] → 10.200.1.0/28[udp]", "10.200.2.1/32[icmp] → 10.200.1.0/28[icmp]"])
        let secret = "spiglass-policy-test-psk-not-secret"
        #expect(!a.notes.contains { $0.message.contains(secret) })
        let text = """
            # comment { not a section }
            connections {
              site : defaults {
                local_addrs = 192.0.2.1
                remote_addrs = vpn.example.net
                local { auth = psk }
                children {
                  net { local_ts = 10.1.0.0/16, 10.3.0.0/16
                    remote_ts = "10.2.0.0/16[tcp/https]"
                    esp_proposals = aes256gcm16
                  }
                  block { local_ts = 10.1.0.0/16
                    remote_ts = 10.66.0.0/16
                    mode = drop }
                  auth { ah_proposals = sha256
                    local_ts = dynamic
                    remote_ts = 10.2.0.0/16 }
                }
              }
            }
            include conf.d/*.conf
            secrets { ike { secret = "a # secret with { braces }" } }
            """
        #expect(KeyFileLoader.detect(text) == .swanctlConf)
        let keys = try KeyFileLoader.parseKeys(text, file: "swanctl.conf")
        let net = try #require(keys.policies.first { $0.label == "site.net" && $0.direction == .outbound })
        #expect(net.selector.description == "10.1.0.0/16, 10.3.0.0/16 → 10.2.0.0/16[tcp/443]")
        // The peer is a name: no tunnel endpoint to compare.
        #expect(
            net.templates.first?.tunnelDestination == nil && net.templates.first?.tunnelSource == IPAddress("192.0.2.1")
        )
        #expect(keys.policies.first { $0.label == "site.block" }?.action == .discard)
        #expect(keys.policies.first { $0.label == "site.auth" }?.templates.first?.ipsecProtocol == .ah)
        #expect(keys.notes.contains { $0.kind == .warning && $0.message.contains("inherits") })
        #expect(keys.notes.contains { $0.kind == .warning && $0.message.contains("include") })
        #expect(!keys.notes.contains { $0.message.contains("a # secret") })
        func error(_ text: String) -> KeyFileError? {
            do { _ = try KeyFileLoader.parseKeys(text, file: "s.conf", format: .swanctlConf) } catch let e
                as KeyFileError
            { return e } catch {}
            return nil
        }
        #expect(
            error("connections {\n  gw {\n")
                == KeyFileError(.syntax, file: "s.conf", line: 3, "section 'gw' (line 2) is not closed"))
        #expect(error("connections {\n gw { children { c {\n local_ts = 10.1.0.0/33\n } } }\n}\n")?.field == "local_ts")
        #expect(error("connections {\n gw { children { c {\n mode = sideways\n } } }\n}\n")?.field == "mode")
        #expect(error("}\n")?.line == 1)
    }

    @Test func nativePolicyLines() throws {
        let text = """
            policy src=10.1.0.0/16 dst=10.2.0.0/16 tunnel-src=192.0.2.1 tunnel-dst=192.0.2.2 label=site
            policy src=10.1.0.0/16 dst=10.2.0.0/16 proto=udp dport=53 action=bypass priority=10
            policy src=10.1.0.0/16 dst=10.2.0.5 proto=icmp type=8 dir=out action=discard
            policy src=10.0.0.1-10.0.0.9,2001:db8::/32 dst=* proto=tcp sport=1024-65535 dport=opaque ipsec=ah mode=transport level=use
            esp spi=0x100 enc=null
            """
        #expect(KeyFileLoader.detect(text) == .native)
        let keys = try KeyFileLoader.parseKeys(text, file: "p.spiglass")
        #expect(keys.sas.count == 1)
        #expect(keys.policies.count == 7)
        // Without dir: both directions, the second mirrored.
        #expect(
            keys.policies[0].selector.description == "10.1.0.0/16 → 10.2.0.0/16"
                && keys.policies[0].direction == .outbound)
        #expect(
            keys.policies[1].selector.description == "10.2.0.0/16 → 10.1.0.0/16"
                && keys.policies[1].direction == .inbound)
        #expect(keys.policies[1].templates.first?.tunnelSource == IPAddress("192.0.2.2"))
        #expect(keys.policies[2].action == .bypass && keys.policies[2].priority == 10)
        #expect(
            keys.policies[4].selector.description == "10.1.0.0/16[icmp type 8] → 10.2.0.5/32[icmp]"
                && keys.policies[4].action == .discard)
        let ah = keys.policies[5]
        #expect(ah.selector.destinations.count == 2)
        #expect(ah.selector.destinations.allSatisfy { $0.ports.isOpaque })
        #expect(ah.templates == [PolicyTemplate(ipsecProtocol: .ah, mode: .transport, optional: true)])
        #expect(keys.notes.contains { $0.line == 4 && $0.kind == .warning && $0.message.contains("optional") })
        func error(_ line: String) -> KeyFileError? {
            do { _ = try KeyFileLoader.parseKeys(line, file: "p", format: .native) } catch let e as KeyFileError {
                return e
            } catch {}
            return nil
        }
        #expect(error("policy dst=10.2.0.0/16")?.field == "src")
        #expect(error("policy src=10.1.0.0/16 dst=10.2.0.0/16 proto=udp dport=99999")?.field == "dport")
        #expect(error("policy src=10.1.0.0/16 dst=10.2.0.0/16 dport=53")?.field == "dport")
        #expect(error("policy src=10.1.0.0/16 dst=10.2.0.0/16 type=8")?.field == "type")
        #expect(error("policy src=10.1.0.0/16 dst=2001:db8::/32")?.field == "dst")
        #expect(
            error("policy src=10.1.0.0/16 dst=10.2.0.0/16 action=bypass tunnel-src=192.0.2.1")?.field == "tunnel-src")
        #expect(error("policy src=10.1.0.0/16 dst=10.2.0.0/16 dir=sideways")?.field == "dir")
        #expect(
            error("policy src=10.1.0.0/16 dst=10.2.0.0/16 mode=transport tunnel-dst=192.0.2.2")?.field == "tunnel-src")
        #expect(error("policy src=10.1.0.0/16 dst=10.2.0.0/16 colour=red")?.code == .unknownField)
        // keys check points at the field's column.
        let bad = "policy src=10.1.0.0/16 dst=10.2.0.0/16 proto=udp dport=99999"
        #expect(error(bad)?.column(in: bad) == 50)
    }

    @Test(arguments: [
        "spd/xfrm-policy-s.txt", "spd/setkey-dp-linux.txt", "strongswan-policy/ports/list-conns-A.txt",
        "strongswan-policy/ports/config/swanctl-A.conf",
    ])
    func everyPrefixParsesOrFailsWithALine(_ file: String) throws {
        let bytes = Array(try String(contentsOfFile: Paths.fixture(file), encoding: .utf8).utf8)
        let format = KeyFileLoader.detect(String(decoding: bytes, as: UTF8.self))
        for end in stride(from: 0, through: bytes.count, by: 3) {
            let text = String(decoding: bytes[0..<end], as: UTF8.self)
            do {
                let keys = try KeyFileLoader.parseKeys(text, file: file, format: format)
                #expect(keys.policies.count <= 12)
            } catch let error as KeyFileError {
                #expect(error.line >= 0 && !error.message.isEmpty)
            }
        }
    }
}
