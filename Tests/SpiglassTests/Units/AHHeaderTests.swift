import SpiglassWire
import Testing

@Suite struct AHHeaderTests {
    static func parseAH(_ header: [UInt8]) -> Result<AHHeader, WireError> {
        var reader = ByteReader(header)
        return AHHeader.parse(&reader)
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
}
