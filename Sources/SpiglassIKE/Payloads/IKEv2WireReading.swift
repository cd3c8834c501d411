import SpiglassWire

/// Big-endian reads for the IKEv2 views. Callers check bounds first (each view checks its
/// fixed part once before reading it); these are only the primitives.
enum IKEv2Wire {
    @inline(__always)
    static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    @inline(__always)
    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    /// Hex of at most `limit` bytes, with "…" when cut.
    static func hexPrefix(_ bytes: [UInt8], limit: Int) -> String {
        if bytes.count <= limit { return Hex.encode(bytes) }
        return Hex.encode(bytes.prefix(limit)) + "…"
    }
}
