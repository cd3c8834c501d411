/// The one way Spiglass reads untrusted bytes: a cursor over a region of a byte array where
/// every read checks the bounds and answers nil past the end, so no parser can trap on a short
/// or lying length. Parsers in Wire and IKE take one (`static func parse(_ reader: inout
/// ByteReader) -> Result<Self, …>`) and report `offset` in their diagnostics.
///
/// Holding the array keeps one reference (no copy of the bytes); the reads are `@inlinable`, so
/// they inline into parsers in other modules too (`@inline(__always)` alone does not cross a
/// module: the calls stayed calls, and an IKE flood ran measurably slower), and the per-packet
/// path costs what the hand-written index arithmetic it replaces cost.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    /// The region this reader may read; nothing outside it is ever touched.
    public let bounds: Range<Int>
    /// Where the next read starts, as an index into `bytes` (what diagnostics print).
    @inlinable
    public var offset: Int { cursor }
    /// `offset`, settable by the inlined reads only.
    @usableFromInline
    internal var cursor: Int

    /// A reader over `bytes[range]`; a range outside the array is clamped to it, so a caller
    /// passing a length taken from the packet cannot make the reader reach past the array.
    @inlinable
    public init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        let wanted = range ?? bytes.indices
        let lower = min(max(wanted.lowerBound, 0), bytes.count)
        let upper = min(max(wanted.upperBound, lower), bytes.count)
        self.bounds = lower..<upper
        self.cursor = lower
    }

    @inlinable
    public var remaining: Int { bounds.upperBound - offset }

    @inlinable
    public var isAtEnd: Bool { offset >= bounds.upperBound }

    /// The bytes not yet read.
    @inlinable
    public var remainingRange: Range<Int> { offset..<bounds.upperBound }

    @inlinable
    public mutating func readUInt8() -> UInt8? {
        guard cursor < bounds.upperBound else { return nil }
        defer { cursor += 1 }
        return bytes[cursor]
    }

    @inlinable
    public mutating func readUInt16() -> UInt16? {
        guard remaining >= 2 else { return nil }
        defer { cursor += 2 }
        return UInt16(bytes[cursor]) << 8 | UInt16(bytes[cursor + 1])
    }

    @inlinable
    public mutating func readUInt32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { cursor += 4 }
        return UInt32(bytes[cursor]) << 24 | UInt32(bytes[cursor + 1]) << 16 | UInt32(bytes[cursor + 2]) << 8
            | UInt32(bytes[cursor + 3])
    }

    @inlinable
    public mutating func readUInt64() -> UInt64? {
        guard remaining >= 8, let high = readUInt32(), let low = readUInt32() else { return nil }
        return UInt64(high) << 32 | UInt64(low)
    }

    /// The next `count` bytes as a range of `bytes` (no copy), or nil when fewer remain or
    /// `count` is negative.
    @inlinable
    public mutating func readRange(_ count: Int) -> Range<Int>? {
        guard count >= 0, remaining >= count else { return nil }
        defer { cursor += count }
        return cursor..<(cursor + count)
    }

    /// The next `count` bytes, copied out (for values a model keeps: nonces, identities).
    @inlinable
    public mutating func readBytes(_ count: Int) -> [UInt8]? {
        guard let range = readRange(count) else { return nil }
        return Array(bytes[range])
    }

    /// A reader over the next `count` bytes (a length-delimited structure), advancing past them.
    @inlinable
    public mutating func readReader(_ count: Int) -> ByteReader? {
        guard let range = readRange(count) else { return nil }
        return ByteReader(bytes, range: range)
    }

    /// Moves past `count` bytes; false (and no move) when fewer remain.
    @inlinable
    @discardableResult
    public mutating func skip(_ count: Int) -> Bool {
        readRange(count) != nil
    }

    /// The byte `distance` ahead of the cursor without moving, or nil past the end.
    @inlinable
    public func peekUInt8(at distance: Int = 0) -> UInt8? {
        guard distance >= 0, distance < remaining else { return nil }
        return bytes[offset + distance]
    }
}
