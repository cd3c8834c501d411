import SpiglassWire

/// EAP (RFC 7296 3.16): one EAP message (RFC 3748 4): Code, Identifier, Length, and for
/// Request/Response (and RFC 6696 Initiate/Finish) a Type, then the type data.
public struct IKEv2EAP: Sendable, Equatable {
    public var code: UInt8
    public var identifier: UInt8
    public var type: UInt8?
    /// Type data (after Type), within the EAP Length.
    public var data: [UInt8]

    public init(code: UInt8, identifier: UInt8, type: UInt8?, data: [UInt8]) {
        self.code = code
        self.identifier = identifier
        self.type = type
        self.data = data
    }

    public var codeName: String { IKEv2Names.eapCodeName(code) }
    public var typeName: String? { type.map(IKEv2Names.eapTypeName) }

    /// Code (1), Identifier (1), Length (2).
    static let headerLength = 4

    static func parse(
        _ reader: inout ByteReader,
        problems: inout [IKEParseProblem]
    ) -> Result<IKEv2EAP, IKEParseProblem> {
        let start = reader.offset
        let bodyLength = reader.remaining
        guard bodyLength >= headerLength, let code = reader.readUInt8(), let identifier = reader.readUInt8(),
            let lengthField = reader.readUInt16()
        else {
            return .failure(
                IKEParseProblem(
                    .truncatedBody, offset: start,
                    .v2, in: .eap(code: nil), .short(needed: headerLength, available: bodyLength)))
        }
        let length = Int(lengthField)
        guard length >= headerLength, var message = reader.readReader(length - headerLength) else {
            return .failure(
                IKEParseProblem(
                    .badEAPLength, offset: start + 2,
                    .v2, in: .eap(code: code), .length(length, available: bodyLength)))
        }
        var eap = IKEv2EAP(code: code, identifier: identifier, type: nil, data: [])
        if code == 1 || code == 2 || code == 5 || code == 6 {
            guard let type = message.readUInt8() else {
                return .failure(
                    IKEParseProblem(
                        .badEAPLength, offset: start + 2,
                        .v2, in: .eap(code: code), .belowHeader(length, header: headerLength + 1)))
            }
            eap.type = type
        }
        eap.data = message.readBytes(message.remaining) ?? []
        if !reader.isAtEnd {
            problems.append(
                IKEParseProblem(
                    .trailingBytes, offset: reader.offset,
                    .v2, in: .eap(code: code), .trailing(reader.remaining, after: nil)))
        }
        return .success(eap)
    }
}
