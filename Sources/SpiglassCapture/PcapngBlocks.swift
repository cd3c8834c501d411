/// The pcapng blocks Spiglass writes (draft-ietf-opsawg-pcapng): a Section Header Block, one
/// Interface Description Block per link type, and an Enhanced Packet Block per packet, with
/// an `opt_comment`. libpcap 1.10 reads pcapng but cannot write it, so the blocks are built
/// here, in host byte order (the Section Header's byte-order magic tells readers which).
///
/// Every block is "Block Type, Block Total Length, body, Block Total Length", its total a
/// multiple of 4; options are "code, length, value padded to 32 bits", ended by opt_endofopt.
public enum PcapngBlock {
    static let sectionHeaderType: UInt32 = 0x0A0D_0D0A
    static let interfaceDescriptionType: UInt32 = 0x0000_0001
    static let enhancedPacketType: UInt32 = 0x0000_0006
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    static let endOfOptions: UInt16 = 0
    /// opt_comment: UTF-8 text, shown by Wireshark as the packet's comment (`frame.comment`).
    static let commentOption: UInt16 = 1
    /// if_name and if_description: what Wireshark shows as the packet's interface
    /// (`frame.interface_name`, `frame.interface_description`).
    static let interfaceNameOption: UInt16 = 2
    static let interfaceDescriptionOption: UInt16 = 3
    /// shb_userappl: the application that wrote the section.
    static let userApplicationOption: UInt16 = 4
    /// if_tsresol: timestamps count units of 10^-value seconds (6: microseconds, pcapng's default).
    static let timestampResolutionOption: UInt16 = 9
    /// if_tsresol of a file of microsecond (nanosecond) timestamps.
    static func timestampResolutionValue(_ resolution: TimestampResolution) -> UInt8 {
        UInt8(resolution.digits)
    }
    /// Offset of an Enhanced Packet Block's Interface ID.
    static let interfaceFieldOffset = 8
    /// An option value is at most this long (its length field is 16 bits).
    public static let maxOptionLength = 0xFFFF
    /// A comment is cut to this many bytes (at a UTF-8 boundary): Wireshark shows a line of it.
    public static let maxCommentLength = 4096

    /// The Section Header Block that opens the file: version 1.0, section length unknown.
    public static func appendSectionHeader(application: String, to buffer: inout [UInt8]) {
        let start = beginBlock(sectionHeaderType, to: &buffer)
        append32(byteOrderMagic, to: &buffer)
        append16(1, to: &buffer)
        append16(0, to: &buffer)
        append64(UInt64.max, to: &buffer)
        appendOption(userApplicationOption, Array(application.utf8), to: &buffer)
        append32(0, to: &buffer)
        endBlock(start, to: &buffer)
    }

    /// An Interface Description Block: `linkType` (a LINKTYPE_ value), timestamps of
    /// `resolution` (if_tsresol 6 or 9), and the interface's name and description when not empty
    /// (the caller escapes and cuts them; an option value is cut to `maxOptionLength` at a UTF-8
    /// boundary in any case).
    public static func appendInterface(
        linkType: UInt16, snapLength: UInt32, name: String = "", description: String = "",
        resolution: TimestampResolution, to buffer: inout [UInt8]
    ) {
        let start = beginBlock(interfaceDescriptionType, to: &buffer)
        append16(linkType, to: &buffer)
        append16(0, to: &buffer)
        append32(snapLength, to: &buffer)
        for (code, text) in [(interfaceNameOption, name), (interfaceDescriptionOption, description)] where !text.isEmpty
        {
            let value = Array(text.utf8)
            appendOption(code, Array(value[0..<utf8Boundary(value, 0, limit: maxOptionLength)]), to: &buffer)
        }
        appendOption(timestampResolutionOption, [timestampResolutionValue(resolution)], to: &buffer)
        append32(0, to: &buffer)
        endBlock(start, to: &buffer)
    }

    /// An Enhanced Packet Block holding `bytes[range]` (whole: captured and original lengths
    /// equal), stamped `timestamp` in units of `resolution`, with `comment[commentRange]` (cut to
    /// `maxCommentLength` at a UTF-8 boundary) as its `opt_comment` when not empty.
    /// `interface` goes into the Interface ID field as given: `PcapngWriter` writes the link
    /// type there and replaces it with the interface's number as the block goes out.
    public static func appendPacket(
        _ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp, resolution: TimestampResolution,
        interface: UInt32, comment: [UInt8], commentRange: Range<Int>, to buffer: inout [UInt8]
    ) {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count, commentRange.lowerBound >= 0,
            commentRange.upperBound <= comment.count
        else { return }
        let start = beginBlock(enhancedPacketType, to: &buffer)
        append32(interface, to: &buffer)
        // Microseconds (nanoseconds) since 1970 as an unsigned 64-bit count: a time before 1970
        // wraps, as the seconds of a pcap record are cut.
        let fraction = Int64(resolution == .microseconds ? timestamp.microseconds : timestamp.nanoseconds)
        let units = UInt64(bitPattern: timestamp.seconds &* resolution.unitsPerSecond &+ fraction)
        append32(UInt32(truncatingIfNeeded: units >> 32), to: &buffer)
        append32(UInt32(truncatingIfNeeded: units), to: &buffer)
        append32(UInt32(truncatingIfNeeded: range.count), to: &buffer)
        append32(UInt32(truncatingIfNeeded: range.count), to: &buffer)
        bytes.withUnsafeBufferPointer { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: $0[range])) }
        pad(&buffer)
        if !commentRange.isEmpty {
            let end = utf8Boundary(comment, commentRange.lowerBound, limit: commentRange.lowerBound + maxCommentLength)
            let cut = commentRange.lowerBound..<min(commentRange.upperBound, end)
            append16(commentOption, to: &buffer)
            append16(UInt16(cut.count), to: &buffer)
            comment.withUnsafeBufferPointer { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: $0[cut])) }
            pad(&buffer)
            append32(0, to: &buffer)
        }
        endBlock(start, to: &buffer)
    }

    /// The end of a cut at `limit` that splits no UTF-8 sequence (continuation bytes are 10xxxxxx).
    static func utf8Boundary(_ bytes: [UInt8], _ start: Int, limit: Int) -> Int {
        guard limit < bytes.count else { return bytes.count }
        var end = limit
        while end > start && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return end
    }

    static func appendOption(_ code: UInt16, _ value: [UInt8], to buffer: inout [UInt8]) {
        let value = value.prefix(maxOptionLength)
        append16(code, to: &buffer)
        append16(UInt16(value.count), to: &buffer)
        buffer.append(contentsOf: value)
        pad(&buffer)
    }

    /// Writes the type and a placeholder for the total length; returns where the block starts.
    static func beginBlock(_ type: UInt32, to buffer: inout [UInt8]) -> Int {
        let start = buffer.count
        append32(type, to: &buffer)
        append32(0, to: &buffer)
        return start
    }

    /// Writes the trailing total length and fills in the leading one.
    static func endBlock(_ start: Int, to buffer: inout [UInt8]) {
        let total = UInt32(truncatingIfNeeded: buffer.count + 4 - start)
        append32(total, to: &buffer)
        withUnsafeBytes(of: total) { value in
            for index in 0..<4 { buffer[start + 4 + index] = value[index] }
        }
    }

    static func pad(_ buffer: inout [UInt8]) {
        while buffer.count % 4 != 0 { buffer.append(0) }
    }

    static func append16(_ value: UInt16, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value) { buffer.append(contentsOf: $0) }
    }

    static func append32(_ value: UInt32, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value) { buffer.append(contentsOf: $0) }
    }

    static func append64(_ value: UInt64, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value) { buffer.append(contentsOf: $0) }
    }

    /// The 32-bit host-order field at `offset` of `buffer`.
    static func field32(_ buffer: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        var value: UInt32 = 0
        withUnsafeMutableBytes(of: &value) {
            $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + 4]))
        }
        return value
    }

    /// Calls `body` with the offset, total length and type of each whole block of `raw[range]`,
    /// in order, and stops at the first that is not whole (shorter than 12 bytes, not a
    /// multiple of 4, or running past the range): blocks are staged by this program, but a
    /// walk over them must not read past what it was given.
    static func forEachBlock(
        in raw: UnsafeRawBufferPointer, range: Range<Int>, _ body: (_ offset: Int, _ total: Int, _ type: UInt32) -> Void
    ) {
        var offset = range.lowerBound
        while offset + 12 <= range.upperBound {
            let type = field32(raw, offset)
            let total = Int(field32(raw, offset + 4))
            guard total >= 12, total % 4 == 0, total <= range.upperBound - offset else { return }
            body(offset, total, type)
            offset += total
        }
    }

    /// The LINKTYPE_ value a file names for libpcap's DLT_ value (they differ for a few
    /// old types, DLT_RAW among them, as libpcap maps them in the pcap files it writes).
    public static func fileLinkType(dlt: Int32) -> UInt16 {
        switch dlt {
        case 12: return 101  // DLT_RAW → LINKTYPE_RAW
        case 11: return 100  // DLT_ATM_RFC1483 → LINKTYPE_ATM_RFC1483
        default: return UInt16(truncatingIfNeeded: dlt)
        }
    }
}
