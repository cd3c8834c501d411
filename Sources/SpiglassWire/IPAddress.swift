/// An IPv4 or IPv6 address as a fixed-size value: usable as a dictionary key without
/// allocating, which matters because every packet is looked up by address.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible, Comparable {
    case v4(UInt32)
    case v6(UInt64, UInt64)

    public var isIPv4: Bool { if case .v4 = self { return true } else { return false } }

    /// The address at `offset`; the caller has checked that its 4 or 16 bytes are there.
    public static func read(_ bytes: [UInt8], v4At offset: Int) -> IPAddress { .v4(bytes.be32(offset)) }
    public static func read(_ bytes: [UInt8], v6At offset: Int) -> IPAddress {
        .v6(bytes.be64(offset), bytes.be64(offset + 8))
    }

    /// The address in network byte order.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a):
            return [UInt8(a >> 24), UInt8((a >> 16) & 0xff), UInt8((a >> 8) & 0xff), UInt8(a & 0xff)]
        case .v6(let hi, let lo):
            var out = [UInt8]()
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((hi >> UInt64(shift)) & 0xff)) }
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((lo >> UInt64(shift)) & 0xff)) }
            return out
        }
    }

    public var description: String {
        switch self {
        case .v4(let a):
            return "\(a >> 24).\((a >> 16) & 0xff).\((a >> 8) & 0xff).\(a & 0xff)"
        case .v6(let hi, let lo):
            var groups = [UInt16]()
            for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16((hi >> UInt64(shift)) & 0xffff)) }
            for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16((lo >> UInt64(shift)) & 0xffff)) }
            // RFC 5952: compress the longest run (length >= 2) of zero groups, first one on ties.
            var bestStart = -1
            var bestLength = 0
            var runStart = -1
            for i in 0...8 {
                if i < 8 && groups[i] == 0 {
                    if runStart < 0 { runStart = i }
                } else if runStart >= 0 {
                    let length = i - runStart
                    if length > bestLength && length >= 2 {
                        bestStart = runStart
                        bestLength = length
                    }
                    runStart = -1
                }
            }
            func hex(_ g: UInt16) -> String { String(g, radix: 16) }
            if bestStart < 0 { return groups.map(hex).joined(separator: ":") }
            let head = groups[0..<bestStart].map(hex).joined(separator: ":")
            let tail = groups[(bestStart + bestLength)...].map(hex).joined(separator: ":")
            return head + "::" + tail
        }
    }

    /// Parses dotted IPv4 or textual IPv6 (with "::" and an embedded IPv4 tail).
    public init?(_ text: Substring) {
        if text.contains(":") {
            guard let value = IPAddress.parseV6(text) else { return nil }
            self = value
        } else {
            guard let value = IPAddress.parseV4(text) else { return nil }
            self = .v4(value)
        }
    }

    public init?(_ text: String) { self.init(Substring(text)) }

    static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    static func parseV6(_ text: Substring) -> IPAddress? {
        guard text.count <= 45 else { return nil }
        var groups: [UInt16] = []
        var tailGroups: [UInt16] = []
        var sawDoubleColon = false
        var halves: [String] = []
        let chars = Array(text)
        var i = 0
        var pieceStart = 0
        while i < chars.count {
            if chars[i] == ":" && i + 1 < chars.count && chars[i + 1] == ":" {
                halves.append(String(chars[pieceStart..<i]))
                i += 2
                pieceStart = i
                continue
            }
            i += 1
        }
        halves.append(String(chars[pieceStart..<chars.count]))
        guard halves.count <= 2 else { return nil }
        func parseGroups(_ s: String, allowV4Tail: Bool) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            let pieces = s.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, allowV4Tail, piece.contains(".") {
                    guard let v4 = parseV4(piece) else { return nil }
                    out.append(UInt16(v4 >> 16))
                    out.append(UInt16(v4 & 0xffff))
                } else {
                    guard !piece.isEmpty, piece.count <= 4, let g = UInt16(piece, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        if halves.count == 2 {
            sawDoubleColon = true
            guard let head = parseGroups(halves[0], allowV4Tail: false),
                let tail = parseGroups(halves[1], allowV4Tail: true)
            else { return nil }
            groups = head
            tailGroups = tail
            guard groups.count + tailGroups.count <= 7 else { return nil }
        } else {
            guard let all = parseGroups(halves[0], allowV4Tail: true), all.count == 8 else { return nil }
            groups = all
        }
        if sawDoubleColon {
            groups += [UInt16](repeating: 0, count: 8 - groups.count - tailGroups.count) + tailGroups
        }
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(groups[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(groups[i]) }
        return .v6(hi, lo)
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): return x < y
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        case (.v6(let h1, let l1), .v6(let h2, let l2)): return (h1, l1) < (h2, l2)
        }
    }

    /// True when the first `bits` bits of both addresses are equal (same family only).
    public func hasPrefix(_ prefix: IPAddress, bits: Int) -> Bool {
        switch (self, prefix) {
        case (.v4(let a), .v4(let p)):
            if bits <= 0 { return true }
            if bits >= 32 { return a == p }
            let mask: UInt32 = ~UInt32(0) << UInt32(32 - bits)
            return a & mask == p & mask
        case (.v6(let ah, let al), .v6(let ph, let pl)):
            if bits <= 0 { return true }
            if bits >= 128 { return ah == ph && al == pl }
            if bits <= 64 {
                let mask: UInt64 = bits == 64 ? ~0 : ~UInt64(0) << UInt64(64 - bits)
                return ah & mask == ph & mask
            }
            let mask: UInt64 = ~UInt64(0) << UInt64(128 - bits)
            return ah == ph && al & mask == pl & mask
        default:
            return false
        }
    }
}
