/// The Security Parameter Index of an ESP or AH SA (RFC 4303 2.1, RFC 4302 2.4): 32 bits
/// that, with the destination, name the SA a packet belongs to. Shown as 0x and eight hex
/// digits wherever it is printed. (IKE SAs have 64-bit SPIs of their own.)
public struct SPI: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    public var rawValue: UInt32

    @inline(__always)
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    @inline(__always)
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    public init(integerLiteral value: UInt32) { self.rawValue = value }

    /// "0x0000abcd".
    public var description: String { "0x" + hexDigits }

    /// The eight hex digits without the 0x ("0000abcd"), as some reports write them.
    public var hexDigits: String {
        let digits = String(rawValue, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    public static func < (a: SPI, b: SPI) -> Bool { a.rawValue < b.rawValue }
}
