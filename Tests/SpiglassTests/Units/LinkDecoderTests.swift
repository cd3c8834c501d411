import SpiglassWire
import Testing

@Suite struct LinkDecoderTests {
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
