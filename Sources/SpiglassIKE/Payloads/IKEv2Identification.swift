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
            return IKEText.address(data)
        case 2, 3:
            return DisplayText.readable(data) ?? Hex.encode(data)
        case 9:
            return IKEDistinguishedName.render(data) ?? Hex.encode(data)
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

    static func parse(_ reader: inout ByteReader) -> Result<IKEv2Identification, IKEParseProblem> {
        if let problem = IKEFraming.needs(reader, headerLength, .v2, .identification) { return .failure(problem) }
        let type = reader.readUInt8() ?? 0
        reader.skip(3)
        return .success(IKEv2Identification(type: type, data: reader.readBytes(reader.remaining) ?? []))
    }
}
