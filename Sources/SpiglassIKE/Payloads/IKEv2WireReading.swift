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

    /// The bytes as text when every one is printable ASCII (and there is at least one).
    static func printableASCII(_ bytes: [UInt8]) -> String? {
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes as a String when they are valid UTF-8; nil otherwise.
    static func validUTF8(_ bytes: [UInt8]) -> String? {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var text = String.UnicodeScalarView()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): text.append(scalar)
            case .emptyInput: return String(text)
            case .error: return nil
            }
        }
    }
}
