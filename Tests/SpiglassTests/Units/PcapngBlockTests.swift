import Foundation
import SpiglassCapture
import Testing

/// The pcapng blocks and the writer that numbers interfaces: layouts as
/// draft-ietf-opsawg-pcapng states them, comments cut whole, and files libpcap reads back.
@Suite struct PcapngBlockTests {
    static func field32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
    }

    @Test func enhancedPacketBlockLayout() {
        var block: [UInt8] = []
        let comment = Array("héllo".utf8)
        PcapngBlock.appendPacket(
            [1, 2, 3, 4, 5], range: 0..<5, timestamp: Timestamp(seconds: 4295, microseconds: 2),
            resolution: .microseconds,
            interface: 7,
            comment: comment, commentRange: 0..<comment.count, to: &block)
        // 28 fixed + 8 (5 bytes padded) + 4 + 8 (6-byte comment padded) + 4 end of options + 4.
        #expect(block.count == 56)
        #expect(Self.field32(block, 0) == 6 && Self.field32(block, 4) == 56 && Self.field32(block, 52) == 56)
        #expect(Self.field32(block, 8) == 7)
        let units = UInt64(4295) * 1_000_000 + 2
        #expect(
            Self.field32(block, 12) == UInt32(units >> 32) && Self.field32(block, 16) == UInt32(units & 0xFFFF_FFFF))
        #expect(Self.field32(block, 20) == 5 && Self.field32(block, 24) == 5)
        #expect(Array(block[28..<36]) == [1, 2, 3, 4, 5, 0, 0, 0])
        #expect(block[36..<40].withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) } == 1)
        #expect(block[38..<40].withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) } == 6)
        #expect(Array(block[40..<46]) == comment && Self.field32(block, 48) == 0)
        var bare: [UInt8] = []
        PcapngBlock.appendPacket(
            [9], range: 0..<1, timestamp: Timestamp(seconds: 0, microseconds: 0), resolution: .microseconds,
            interface: 0,
            comment: [],
            commentRange: 0..<0, to: &bare)
        #expect(bare.count == 36 && Self.field32(bare, 32) == 36)
    }

    /// A comment longer than the limit is cut before the limit's UTF-8 sequence, never inside it.
    @Test func longCommentsAreCutAtACharacter() {
        let comment =
            Array(String(repeating: "a", count: PcapngBlock.maxCommentLength - 1).utf8) + Array("é and more".utf8)
        var block: [UInt8] = []
        PcapngBlock.appendPacket(
            [0x45], range: 0..<1, timestamp: Timestamp(seconds: 1, microseconds: 0), resolution: .microseconds,
            interface: 0,
            comment: comment,
            commentRange: 0..<comment.count, to: &block)
        let length = Int(block[34..<36].withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) })
        #expect(length == PcapngBlock.maxCommentLength - 1)
        #expect(Int(Self.field32(block, 4)) == block.count && block.count % 4 == 0)
        #expect(PcapngBlock.fileLinkType(dlt: 12) == 101 && PcapngBlock.fileLinkType(dlt: 1) == 1)
    }

    /// Blocks prepared apart, keyed by link type, get interface numbers in the order the types
    /// first appear when they are gathered and written; libpcap reads a file of one link type
    /// back with its timestamps.
    @Test func theWriterNumbersInterfacesAndLibpcapReadsTheFile() throws {
        let path = CLITests.temporary("blocks.pcapng")
        defer { unlink(path) }
        let writer = try PcapngWriter(path: path)
        var prepared: [UInt8] = []
        let packet: [UInt8] = [0x45, 0, 0, 20, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        for (index, dlt) in [Int32(12), 1, 12].enumerated() {
            PcapngBlock.appendPacket(
                packet, range: 0..<packet.count, timestamp: Timestamp(seconds: 100 + Int64(index), microseconds: 5),
                resolution: .microseconds, interface: UInt32(bitPattern: dlt), comment: Array("p\(index)".utf8),
                commentRange: 0..<2,
                to: &prepared)
        }
        // As a parallel run's merge writes workers' blocks: renumbered on their way, not copied.
        let gathered = GatheredRecords()
        gathered.addBlocks(prepared, range: 0..<prepared.count, count: 3, source: 0, writer: writer)
        gathered.write(sources: [prepared], pcap: nil, pcapng: writer)
        try writer.close()
        let bytes = Array(try #require(FileManager.default.contents(atPath: path)))
        let blocks = try #require(WrittenCaptures.pcapngBlocks(bytes))
        #expect(blocks.map(\.type) == [0x0A0D_0D0A, 1, 6, 1, 6, 6])
        var interfaces: [UInt32] = []
        var offset = 0
        for block in blocks {
            if block.type == 6 { interfaces.append(Self.field32(bytes, offset + 8)) }
            offset += block.length
        }
        #expect(interfaces == [0, 1, 0])
        let single = CLITests.temporary("single.pcapng")
        defer { unlink(single) }
        let one = try PcapngWriter(path: single)
        one.write(
            packet, range: 0..<packet.count, timestamp: Timestamp(seconds: 7, microseconds: 999_999),
            dlt: PcapWriter.rawIPLinkType, comment: [], commentRange: 0..<0)
        try one.close()
        let read = try WrittenCaptures.packets(single)
        #expect(read == [WrittenCaptures.Packet(time: Timestamp(seconds: 7, microseconds: 999_999), bytes: packet)])
    }
}
