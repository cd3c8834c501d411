import SpiglassIKE
import SpiglassWire

/// Value text shared by IKEv1 and IKEv2 (identities, selectors, configuration attributes).
public enum IKEText {
    /// Dotted IPv4 for 4 bytes, RFC 5952 IPv6 for 16; hex for anything else.
    public static func address(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 {
            return "\(bytes[0]).\(bytes[1]).\(bytes[2]).\(bytes[3])"
        }
        if bytes.count == 16 {
            var hi: UInt64 = 0
            var lo: UInt64 = 0
            for i in 0..<8 { hi = hi << 8 | UInt64(bytes[i]) }
            for i in 8..<16 { lo = lo << 8 | UInt64(bytes[i]) }
            return IPAddress.v6(hi, lo).description
        }
        return Hex.encode(bytes)
    }

    /// A Vendor ID as an IKE SA lists it: the known name, else the hex of its first bytes.
    public static func vendor(_ vendor: IKEVendorID) -> String {
        switch vendor {
        case .known(let name): return name
        case .unknown(let prefix): return Hex.encode(prefix)
        }
    }

    /// Hex of at most `limit` bytes, with "…" when cut.
    public static func hexPrefix(_ bytes: [UInt8], limit: Int) -> String {
        if bytes.count <= limit { return Hex.encode(bytes) }
        return Hex.encode(bytes.prefix(limit)) + "…"
    }

    /// Items listed at most in one line (proposals, transforms, selectors, SPIs, attributes);
    /// the rest is counted ("… 12 more").
    public static let itemLimit = 16

    /// The first `itemLimit` items, then "… N more".
    public static func limited(_ items: [String], separator: String) -> String {
        guard items.count > itemLimit else { return items.joined(separator: separator) }
        return items.prefix(itemLimit).joined(separator: separator) + "\(separator)… \(items.count - itemLimit) more"
    }

    /// The big-endian 16-bit numbers in `bytes` (an odd last byte is ignored).
    public static func uint16s(_ bytes: [UInt8]) -> [UInt16] {
        var reader = ByteReader(bytes)
        var values: [UInt16] = []
        while let value = reader.readUInt16() { values.append(value) }
        return values
    }
}
