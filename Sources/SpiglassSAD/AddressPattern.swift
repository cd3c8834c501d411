import SpiglassWire

/// Which addresses an SA entry applies to: any, one address, a CIDR prefix, or Wireshark's
/// dotted form with '*' octets ("10.0.*.*").
public enum AddressPattern: Sendable, Equatable, Hashable, CustomStringConvertible {
    case any
    case exact(IPAddress)
    case prefix(IPAddress, bits: Int)

    public func matches(_ address: IPAddress) -> Bool {
        switch self {
        case .any: return true
        case .exact(let a): return a == address
        case .prefix(let p, let bits): return address.hasPrefix(p, bits: bits)
        }
    }

    public var exactAddress: IPAddress? {
        if case .exact(let a) = self { return a }
        return nil
    }

    public var description: String {
        switch self {
        case .any: return "*"
        case .exact(let a): return a.description
        case .prefix(let p, let bits): return "\(p)/\(bits)"
        }
    }

    /// Parses "*", an address, "addr/bits", or IPv4 with trailing '*' octets. Returns nil when
    /// the text is none of these.
    public static func parse(_ text: Substring) -> AddressPattern? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.isEmpty || text == "*" || text.lowercased() == "any" { return .any }
        if let slash = text.firstIndex(of: "/") {
            guard let address = IPAddress(Substring(text[..<slash])),
                let bits = Int(text[text.index(after: slash)...])
            else { return nil }
            let maxBits = address.isIPv4 ? 32 : 128
            guard (0...maxBits).contains(bits) else { return nil }
            return bits == maxBits ? .exact(address) : .prefix(address, bits: bits)
        }
        if text.contains("*") && !text.contains(":") {
            // Wireshark style: leading octets fixed, the rest '*'.
            var octets = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard octets.count <= 4, !octets.isEmpty else { return nil }
            while octets.count < 4 { octets.append("*") }
            var fixed = 0
            var seenWildcard = false
            for octet in octets {
                if octet == "*" {
                    seenWildcard = true
                    continue
                }
                if seenWildcard { return nil }
                fixed += 1
            }
            let concrete = octets.map { $0 == "*" ? "0" : $0 }.joined(separator: ".")
            guard let address = IPAddress(concrete) else { return nil }
            return fixed == 0 ? .any : .prefix(address, bits: fixed * 8)
        }
        guard let address = IPAddress(Substring(text)) else { return nil }
        return .exact(address)
    }
}

extension String {
    func trimmingCharacters(in set: CharacterSetLite) -> String {
        var start = startIndex
        var end = endIndex
        while start < end, set.contains(self[start]) { start = index(after: start) }
        while end > start, set.contains(self[index(before: end)]) { end = index(before: end) }
        return String(self[start..<end])
    }
}

extension Substring {
    func trimmingCharacters(in set: CharacterSetLite) -> String { String(self).trimmingCharacters(in: set) }
}

/// The whitespace set we trim with, without pulling in Foundation.
struct CharacterSetLite {
    static let whitespaces = CharacterSetLite()
    func contains(_ c: Character) -> Bool { c == " " || c == "\t" || c == "\r" || c == "\n" }
}
