import SpiglassWire
import Testing

// #expect cannot call a mutating method, so each read is taken into a constant first.
@Suite struct ByteReaderTests {
    @Test func readsBigEndianAndStopsAtTheEnd() {
        var reader = ByteReader([
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
        ])
        let byte = reader.readUInt8()
        let short = reader.readUInt16()
        let word = reader.readUInt32()
        #expect(byte == 0x01 && short == 0x0203 && word == 0x0405_0607)
        let tooLong = reader.readUInt64()
        #expect(tooLong == 0x0809_0a0b_0c0d_0e0f)
        #expect(reader.isAtEnd && reader.offset == 15)
        let pastEnd = reader.readUInt8()
        #expect(pastEnd == nil && reader.peekUInt8() == nil)

        var short3 = ByteReader([1, 2, 3])
        let failed = short3.readUInt32()
        #expect(failed == nil)
        #expect(short3.offset == 0, "a failed read does not move the cursor")
        let rest = short3.readBytes(3)
        #expect(rest == [1, 2, 3])
    }

    @Test func neverReadsOutsideItsRange() {
        let bytes: [UInt8] = [0xaa, 0x00, 0x10, 0xbb]
        var reader = ByteReader(bytes, range: 1..<3)
        #expect(reader.offset == 1)
        let inside = reader.readUInt16()
        let beyond = reader.readUInt8()
        #expect(inside == 0x0010 && beyond == nil)
        // A range from a lying length field is clamped to the array.
        var wide = ByteReader(bytes, range: 2..<4_000)
        #expect(wide.bounds == 2..<4)
        let four = wide.readUInt32()
        let two = wide.readUInt16()
        #expect(four == nil && two == 0x10bb)
        var outside = ByteReader(bytes, range: 9..<12)
        #expect(outside.bounds == 4..<4)
        let none = outside.readUInt8()
        #expect(none == nil)
    }

    @Test func nestedReadersAndRanges() throws {
        let bytes: [UInt8] = [0x00, 0x03, 0x61, 0x62, 0x63, 0xff]
        var reader = ByteReader(bytes)
        let lengthField = reader.readUInt16()
        let length = Int(try #require(lengthField))
        let innerReader = reader.readReader(length)
        var inner = try #require(innerReader)
        #expect(inner.bounds == 2..<5)
        let body = inner.readBytes(3)
        let afterBody = inner.readUInt8()
        #expect(body == [0x61, 0x62, 0x63] && afterBody == nil)
        #expect(reader.peekUInt8() == 0xff && reader.peekUInt8(at: 1) == nil)
        let negative = reader.readRange(-1)
        let tooMany = reader.readRange(2)
        #expect(negative == nil && tooMany == nil)
        let skippedTooFar = reader.skip(2)
        let skipped = reader.skip(1)
        #expect(!skippedTooFar && skipped && reader.isAtEnd)
    }
}
