import SpiglassWire

/// IDi / IDr (RFC 7296 3.5): ID Type, 3 reserved bytes, identification data.
public struct IKEv2Identification: Sendable, Equatable {
    public var type: UInt8
    public var data: [UInt8]

    public init(type: UInt8, data: [UInt8]) {
        self.type = type
        self.data = data
    }

    /// "ID_IPV4_ADDR", "ID_FQDN", "ID_RFC822_ADDR", ... (`IKEv2Names.idTypeName`).
    public var typeName: String { IKEv2Names.idTypeName(type) }

    /// The identity for people: an address, the FQDN or e-mail text, a DN as "C=CH, O=..., CN=..."
    /// when it decodes, hex otherwise. Text from the packet is escaped (`DisplayText`), whole:
    /// report lines clip it.
    public var text: String {
        switch type {
        case 1 where data.count == 4, 5 where data.count == 16:
            return IKEv2TextRendering.address(data)
        case 2, 3:
            return DisplayText.readable(data) ?? Hex.encode(data)
        case 9:
            return IKEv2DistinguishedName.render(data) ?? Hex.encode(data)
        case 11:
            // Key IDs are opaque, but strongSwan and others often put text in them.
            return DisplayText.readable(data, ascii: true) ?? Hex.encode(data)
        case 13:
            return ""
        default:
            return Hex.encode(data)
        }
    }

    /// ID Type (1) + RESERVED (3).
    static let headerLength = 4

    static func parse(_ bytes: [UInt8], range: Range<Int>) -> Result<IKEv2Identification, IKEv2ParseProblem> {
        guard range.count >= headerLength else {
            return .failure(IKEv2ParseProblem(.truncatedBody, offset: range.lowerBound, "ID: body of \(range.count) bytes, needs \(headerLength)"))
        }
        return .success(IKEv2Identification(type: bytes[range.lowerBound], data: Array(bytes[(range.lowerBound + headerLength)..<range.upperBound])))
    }
}

/// Address and prefix text shared by ID, TS and CP rendering.
enum IKEv2TextRendering {
    /// Dotted IPv4 for 4 bytes, RFC 5952 IPv6 for 16; hex for anything else.
    static func address(_ bytes: [UInt8]) -> String {
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
}
