import SpiglassWire
import Testing

@Suite struct LinkDecoderTests {
    @Test func ipAddressParsingAndFormatting() {
        #expect(IPAddress("192.0.2.1")?.description == "192.0.2.1")
        #expect(IPAddress("2001:db8::1")?.description == "2001:db8::1")
        #expect(IPAddress("2001:0db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("::")?.description == "::")
        #expect(IPAddress("::ffff:192.0.2.1")?.description == "::ffff:c000:201")
        #expect(IPAddress("fe80::1:2:3:4:5")?.description == "fe80::1:2:3:4:5")
        for bad in ["256.1.1.1", "1.2.3", "1.2.3.4.5", "1::2::3", "12345::", "g::1", "", "1.2.3.-4", ":::"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
        #expect(IPAddress("10.1.2.3")!.hasPrefix(IPAddress("10.0.0.0")!, bits: 8))
        #expect(!IPAddress("11.1.2.3")!.hasPrefix(IPAddress("10.0.0.0")!, bits: 8))
        #expect(IPAddress("2001:db8::5")!.hasPrefix(IPAddress("2001:db8::")!, bits: 64))
    }

    @Test func ethernetWithStackedVLANTags() throws {
        var frame = [UInt8](repeating: 0, count: 12)
        frame += [0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0xc8, 0x08, 0x00]
        frame += [0x45] + [UInt8](repeating: 0, count: 19)
        let info = try Self.decodeLink(frame, as: .ethernet).get()
        #expect(info.networkOffset == 22)
        #expect(info.vlanCount == 2)
        #expect(info.outerVLAN == 100)
        #expect(info.announcedVersion == 4)
    }

    @Test func tooManyVLANTagsIsAnError() {
        var frame = [UInt8](repeating: 0, count: 12)
        for _ in 0..<20 { frame += [0x81, 0x00, 0x00, 0x01] }
        frame += [0x08, 0x00]
        guard case .failure(let error) = Self.decodeLink(frame, as: .ethernet) else {
            Issue.record("expected failure")
            return
        }
        #expect(error.code == .tooManyHeaders)
    }

    @Test func loopbackFamiliesInBothByteOrders() throws {
        #expect(try Self.decodeLink([2, 0, 0, 0], as: .null).get().announcedVersion == 4)
        #expect(try Self.decodeLink([0, 0, 0, 2], as: .null).get().announcedVersion == 4)
        #expect(try Self.decodeLink([0, 0, 0, 24], as: .loop).get().announcedVersion == 6)
        #expect(try Self.decodeLink([30, 0, 0, 0], as: .null).get().announcedVersion == 6)
    }

    static func decodeLink(_ frame: [UInt8], as type: LinkType) -> Result<LinkInfo, WireError> {
        var reader = ByteReader(frame)
        return LinkDecoder.decode(&reader, as: type)
    }

    static func parseIP(_ packet: [UInt8], length: Int) -> Result<IPLayer, WireError> {
        var reader = ByteReader(packet, range: 0..<length)
        return IPLayer.parse(&reader)
    }

    static func parseAH(_ header: [UInt8]) -> Result<AHHeader, WireError> {
        var reader = ByteReader(header)
        return AHHeader.parse(&reader)
    }

    /// An IPv6 packet with hop-by-hop and destination options before ESP.
    static func ipv6WithExtensions() -> [UInt8] {
        var p: [UInt8] = [0x60, 0, 0, 0, 0, 0, 0, 64]
        p += IPAddress("2001:db8::1")!.bytes + IPAddress("2001:db8::2")!.bytes
        p += [60, 0, 1, 4, 0, 0, 0, 0]  // hop-by-hop → dest opts, PadN
        p += [50, 1, 1, 12] + [UInt8](repeating: 0, count: 12)  // dest opts (16 bytes) → ESP
        p += [0, 0, 0x10, 0x01, 0, 0, 0, 1] + [UInt8](repeating: 0xaa, count: 24)
        p.setBE16(4, UInt16(p.count - 40))
        return p
    }

    @Test func ipv6ExtensionHeaderChain() throws {
        let p = Self.ipv6WithExtensions()
        let ip = try Self.parseIP(p, length: p.count).get()
        #expect(ip.protocolNumber == IPProtocol.esp)
        #expect(ip.headerEnd == 40 + 8 + 16)
        #expect(ip.protocolFieldOffset == 48)
        let layers = IPsecLayers.classify(ByteReader(p, range: ip.payloadRange), protocolNumber: ip.protocolNumber)
        guard case .esp(let esp, nil) = layers.payload else {
            Issue.record("expected ESP, got \(layers.payload)")
            return
        }
        #expect(esp.spi == 0x1001)
        #expect(esp.sequence == 1)
    }

    /// Every prefix of a valid packet parses or fails with an error; none traps.
    @Test func truncationAtEveryOffsetNeverTraps() {
        let p = Self.ipv6WithExtensions()
        for length in 0..<p.count {
            switch Self.parseIP(p, length: length) {
            case .success(let ip):
                #expect(ip.end <= length)
                _ = IPsecLayers.classify(ByteReader(p, range: ip.payloadRange), protocolNumber: ip.protocolNumber)
            case .failure(let error):
                #expect(error.code == .truncated, "length \(length): \(error)")
            }
        }
    }

    @Test func udpEncapsulationRules() {
        func udp(_ payload: [UInt8], sport: UInt16 = 4500, dport: UInt16 = 4500) -> [UInt8] {
            var p: [UInt8] = [
                UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff), 0, 0, 0, 0,
            ]
            p.setBE16(4, UInt16(8 + payload.count))
            return p + payload
        }
        let keepalive = udp([0xff])
        #expect(
            IPsecLayers.classifyPayload(ByteReader(keepalive), protocolNumber: 17)
                == .natKeepalive(udpPorts: (4500, 4500)))
        var ike =
            [UInt8](repeating: 0, count: 4) + [UInt8](repeating: 1, count: 16) + [
                33, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 28,
            ]
        ike = udp(ike)
        guard case .ike(let header, _, true) = IPsecLayers.classifyPayload(ByteReader(ike), protocolNumber: 17) else {
            Issue.record("expected IKE with marker")
            return
        }
        #expect(header.exchangeName == "IKE_SA_INIT")
        #expect(header.isIKEv2)
        let esp = udp([0, 0, 0, 9, 0, 0, 0, 1, 5, 5])
        guard case .esp(let e, let ports) = IPsecLayers.classifyPayload(ByteReader(esp), protocolNumber: 17) else {
            Issue.record("expected ESP")
            return
        }
        #expect(e.spi == 9)
        #expect(ports?.destination == 4500)
        let short = udp([0, 0, 0])
        guard case .malformed = IPsecLayers.classifyPayload(ByteReader(short), protocolNumber: 17) else {
            Issue.record("expected malformed")
            return
        }
        let dns = udp([1, 2, 3], sport: 53, dport: 53)
        guard case .other(17, _) = IPsecLayers.classifyPayload(ByteReader(dns), protocolNumber: 17) else {
            Issue.record("expected other")
            return
        }
    }

    @Test func ahHeaderLengthsAreChecked() {
        var ah: [UInt8] = [50, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 7] + [UInt8](repeating: 0xcc, count: 12)
        guard case .success(let header) = Self.parseAH(ah) else {
            Issue.record("AH should parse")
            return
        }
        #expect(header.icvRange.count == 12)
        #expect(header.spi == 0x100)
        ah[1] = 200
        guard case .failure(let error) = Self.parseAH(ah) else {
            Issue.record("oversized AH should fail")
            return
        }
        #expect(error.code == .truncated)
    }

    /// Every prefix of an AH header fails as truncated (the fixed part, then the declared
    /// length), with the offset of the header; the whole one parses and moves the reader past it.
    @Test func ahTruncatedAtEveryOffsetSaysSo() {
        let ah: [UInt8] = [6, 4, 0, 0, 0, 0, 0x10, 0x01, 0, 0, 0, 9] + [UInt8](repeating: 0xcc, count: 12)
        let packet = [UInt8](repeating: 0xee, count: 7) + ah
        for end in 7..<packet.count {
            var reader = ByteReader(packet, range: 7..<end)
            guard case .failure(let error) = AHHeader.parse(&reader) else {
                Issue.record("\(end - 7) bytes should not parse")
                continue
            }
            #expect(error.code == .truncated && error.offset == 7 && reader.offset == 7)
        }
        var reader = ByteReader(packet, range: 7..<packet.count)
        let header = try? AHHeader.parse(&reader).get()
        #expect(
            header?.range == 7..<31 && header?.icvRange == 19..<31 && header?.spi == 0x1001 && header?.sequence == 9)
        #expect(reader.isAtEnd)
    }

    @Test func tcpSegmentProblemsAreTyped() {
        var header: [UInt8] =
            [0x11, 0x94, 0x11, 0x94, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0, 0, 0, 0, 0, 0] + [1, 2, 3]
        for end in 0..<20 {
            var reader = ByteReader(header, range: 0..<end)
            guard case .failure(let error) = TCPEncapsulation.segment(&reader) else {
                Issue.record("\(end) bytes should not parse")
                continue
            }
            #expect(error.code == .truncated)
        }
        var reader = ByteReader(header)
        let segment = try? TCPEncapsulation.segment(&reader).get()
        #expect(segment?.payload == 20..<23 && segment?.syn == true && segment?.sourcePort == 4500)
        header[12] = 0x40
        reader = ByteReader(header)
        guard case .failure(let error) = TCPEncapsulation.segment(&reader) else {
            Issue.record("a 16-byte data offset should not parse")
            return
        }
        #expect(error.code == .badHeaderLength)
    }

    /// A frame that does not start the array: offsets stay indices into the array.
    @Test func linkLayerOffsetsAreIndicesIntoTheBytes() throws {
        var frame = [UInt8](repeating: 0xaa, count: 5) + [UInt8](repeating: 0, count: 12) + [0x86, 0xdd]
        frame += [0x60, 0, 0, 0, 0, 0, 59, 64] + [UInt8](repeating: 0, count: 32)
        var reader = ByteReader(frame, range: 5..<frame.count)
        let link = try LinkDecoder.decode(&reader, as: .ethernet).get()
        #expect(link.networkOffset == 19 && reader.offset == 19 && link.announcedVersion == 6)
        let ip = try IPLayer.parse(&reader, announcedVersion: link.announcedVersion).get()
        #expect(ip.headerStart == 19 && ip.headerEnd == 59 && ip.protocolFieldOffset == 25 && reader.offset == 59)
        var short = ByteReader(frame, range: 5..<18)
        guard case .failure(let error) = LinkDecoder.decode(&short, as: .ethernet) else {
            Issue.record("13 bytes are no Ethernet header")
            return
        }
        #expect(error.code == .truncated && error.offset == 5)
    }
}
