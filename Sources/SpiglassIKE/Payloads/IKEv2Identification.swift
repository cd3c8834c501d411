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

    /// ID Type (1) + RESERVED (3).
    static let headerLength = 4

    static func parse(_ reader: inout ByteReader) -> Result<IKEv2Identification, IKEParseProblem> {
        if let problem = IKEFraming.needs(reader, headerLength, .v2, .identification) { return .failure(problem) }
        let type = reader.readUInt8() ?? 0
        reader.skip(3)
        return .success(IKEv2Identification(type: type, data: reader.readBytes(reader.remaining) ?? []))
    }
}
