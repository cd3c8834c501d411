/// A capture file named where a key file goes (`-k capture.pcap`, most often `-r` and `-k`
/// swapped), known by its first four bytes: said as such instead of "not a key file".
enum CaptureFileSignature {
    /// "pcap" or "pcapng" when `bytes` start as one (pcap's magic in either byte order, with
    /// microsecond or nanosecond times; pcapng's Section Header Block type, a palindrome);
    /// nil otherwise.
    static func kind(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard bytes.count >= 4 else { return nil }
        let magic = (UInt32(bytes[0]) << 24) | (UInt32(bytes[1]) << 16) | (UInt32(bytes[2]) << 8) | UInt32(bytes[3])
        switch magic {
        case 0xa1b2_c3d4, 0xd4c3_b2a1, 0xa1b2_3c4d, 0x4d3c_b2a1: return "pcap"
        case 0x0a0d_0d0a: return "pcapng"
        default: return nil
        }
    }
}
