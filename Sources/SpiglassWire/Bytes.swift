/// Big-endian reads on a byte array. Callers check bounds first (the typed views below do
/// it once in their initialisers); these are the primitives those views are built from.
extension Array where Element == UInt8 {
    @inline(__always)
    public func be16(_ offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    @inline(__always)
    func be32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8
            | UInt32(self[offset + 3])
    }

    @inline(__always)
    func be64(_ offset: Int) -> UInt64 {
        UInt64(be32(offset)) << 32 | UInt64(be32(offset + 4))
    }

    @inline(__always)
    func le32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3])
            << 24
    }

    @inline(__always)
    public mutating func setBE16(_ offset: Int, _ value: UInt16) {
        self[offset] = UInt8(value >> 8)
        self[offset + 1] = UInt8(value & 0xff)
    }

    @inline(__always)
    public mutating func setBE32(_ offset: Int, _ value: UInt32) {
        self[offset] = UInt8(value >> 24)
        self[offset + 1] = UInt8((value >> 16) & 0xff)
        self[offset + 2] = UInt8((value >> 8) & 0xff)
        self[offset + 3] = UInt8(value & 0xff)
    }
}

/// Hex rendering and parsing used by reports and key files.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The value of one hex digit (either case), or nil for any other character.
    @inline(__always)
    public static func digitValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Parses hex digits (no prefix, no separators except optional ':' between bytes).
    /// An odd number of digits is read as if a leading 0 were present, as Wireshark does.
    public static func decode(_ text: Substring) -> [UInt8]? {
        var nibbles: [UInt8] = []
        nibbles.reserveCapacity(text.utf8.count)
        for c in text.utf8 {
            if let digit = digitValue(c) {
                nibbles.append(digit)
            } else if c != UInt8(ascii: ":") {
                return nil
            }
        }
        if nibbles.count % 2 == 1 { nibbles.insert(0, at: 0) }
        var out = [UInt8]()
        out.reserveCapacity(nibbles.count / 2)
        var i = 0
        while i < nibbles.count {
            out.append(nibbles[i] << 4 | nibbles[i + 1])
            i += 2
        }
        return out
    }

    public static func decode(_ text: String) -> [UInt8]? { decode(Substring(text)) }

    /// Hex digits only, an even number of them (no separators).
    public static func decodeStrict(_ text: Substring) -> [UInt8]? {
        guard text.utf8.count % 2 == 0, !text.contains(":") else { return nil }
        return decode(text)
    }
}

/// Copies `source[range]` into `target` starting at `offset`, growing `target` only if it is
/// too small (callers size it once, so the hot path does not allocate).
/// Inlined: the ESP path copies a few short runs per packet from other modules, where the
/// call cost more than the copy.
@inlinable @inline(__always)
public func copyBytes(_ source: [UInt8], _ range: Range<Int>, into target: inout [UInt8], at offset: Int) {
    precondition(range.lowerBound >= 0 && range.upperBound <= source.count && offset >= 0, "copyBytes out of range")
    if target.count < offset + range.count {
        target.append(contentsOf: repeatElement(0, count: offset + range.count - target.count))
    }
    if range.isEmpty { return }
    source.withUnsafeBufferPointer { from in
        target.withUnsafeMutableBufferPointer { to in
            (to.baseAddress! + offset).update(from: from.baseAddress! + range.lowerBound, count: range.count)
        }
    }
}
