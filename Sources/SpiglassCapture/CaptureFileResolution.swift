/// The timestamp resolution a capture file declares, read from its head before libpcap opens
/// it. libpcap converts every record to the precision a file is opened with and keeps the
/// file's own to itself, so Spiglass reads it here: a pcap's magic (a1b23c4d: nanoseconds), or
/// the if_tsresol of the interfaces a pcapng describes before its first packet (the finest of
/// them; libpcap requires an interface before the first packet, and one described later counts
/// as the earlier ones' resolution). Anything unreadable is microseconds, libpcap's default, so
/// that a damaged head changes nothing: libpcap then says what is wrong with the file.
enum CaptureFileResolution {
    /// A pcapng head is followed through at most this many blocks after the Section Header.
    static let maxBlocks = 256
    /// An Interface Description Block longer than this is not read (its options would be huge).
    static let maxInterfaceBlockLength = 1 << 20
    static let nanosecondPcapMagic: UInt32 = 0xA1B2_3C4D
    static let pcapngSectionHeader: UInt32 = 0x0A0D_0D0A
    static let pcapngByteOrderMagic: UInt32 = 0x1A2B_3C4D

    /// Reads the head through `read` (the next `count` bytes, nil when fewer remain) and `skip`
    /// (passes `count` bytes; false when it cannot).
    static func resolution(read: (Int) -> [UInt8]?, skip: (Int) -> Bool) -> TimestampResolution {
        guard let magic = read(4) else { return .microseconds }
        switch word(magic, 0, bigEndian: true) {
        case nanosecondPcapMagic, nanosecondPcapMagic.byteSwapped: return .nanoseconds
        case pcapngSectionHeader: return pcapngResolution(read: read, skip: skip)
        default: return .microseconds
        }
    }

    /// Follows the blocks of a pcapng's first section up to its first packet (the Section
    /// Header Block's type already read).
    private static func pcapngResolution(read: (Int) -> [UInt8]?, skip: (Int) -> Bool) -> TimestampResolution {
        guard let head = read(8) else { return .microseconds }
        let bigEndian: Bool
        switch word(head, 4, bigEndian: true) {
        case pcapngByteOrderMagic: bigEndian = true
        case pcapngByteOrderMagic.byteSwapped: bigEndian = false
        default: return .microseconds
        }
        let sectionLength = Int(word(head, 0, bigEndian: bigEndian))
        guard sectionLength >= 28, sectionLength % 4 == 0, skip(sectionLength - 12) else { return .microseconds }
        var found = TimestampResolution.microseconds
        for _ in 0..<maxBlocks {
            guard let header = read(8) else { break }
            let type = word(header, 0, bigEndian: bigEndian)
            let length = Int(word(header, 4, bigEndian: bigEndian))
            guard length >= 12, length % 4 == 0 else { break }
            switch type {
            case 1:
                guard length <= maxInterfaceBlockLength, let body = read(length - 8) else { return found }
                found = .finer(found, interfaceResolution(body, bigEndian: bigEndian))
            // Packet blocks (obsolete, simple, enhanced) and a next section end the head.
            case 2, 3, 6, pcapngSectionHeader:
                return found
            default:
                guard skip(length - 8) else { return found }
            }
        }
        return found
    }

    /// The if_tsresol (option 9) of an Interface Description Block's body (after its type and
    /// length): link type, reserved, snap length, then options up to the trailing length.
    static func interfaceResolution(_ body: [UInt8], bigEndian: Bool) -> TimestampResolution {
        var offset = 8
        let end = body.count - 4
        while offset + 4 <= end {
            let pair = word(body, offset, bigEndian: bigEndian)
            let (code, length) = bigEndian ? (pair >> 16, pair & 0xFFFF) : (pair & 0xFFFF, pair >> 16)
            if code == 0 { break }
            if code == 9, length >= 1, offset + 4 < end {
                return TimestampResolution(pcapngTimestampResolution: body[offset + 4])
            }
            offset += 4 + (Int(length) + 3) & ~3
        }
        return .microseconds
    }

    /// The 32-bit word at `bytes[offset..<offset + 4]`, which the caller has checked is there.
    private static func word(_ bytes: [UInt8], _ offset: Int, bigEndian: Bool) -> UInt32 {
        let value = bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return bigEndian ? value : value.byteSwapped
    }
}
