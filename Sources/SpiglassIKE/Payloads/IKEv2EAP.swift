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

    static func parse(_ bytes: [UInt8], range: Range<Int>, problems: inout [IKEv2ParseProblem]) -> Result<IKEv2EAP, IKEv2ParseProblem> {
        let start = range.lowerBound
        guard range.count >= headerLength else {
            return .failure(IKEv2ParseProblem(.truncatedBody, offset: start, "EAP: body of \(range.count) bytes, needs \(headerLength)"))
        }
        let code = bytes[start]
        let length = Int(IKEv2Wire.u16(bytes, start + 2))
        guard length >= headerLength, length <= range.count else {
            return .failure(IKEv2ParseProblem(.badEAPLength, offset: start + 2, "EAP: length \(length), payload body \(range.count) bytes"))
        }
        var eap = IKEv2EAP(code: code, identifier: bytes[start + 1], type: nil, data: [])
        let hasType = code == 1 || code == 2 || code == 5 || code == 6
        if hasType {
            guard length > headerLength else {
                return .failure(IKEv2ParseProblem(.badEAPLength, offset: start + 2, "EAP \(IKEv2Names.eapCodeName(code)): length \(length) leaves no Type"))
            }
            eap.type = bytes[start + headerLength]
            eap.data = Array(bytes[(start + headerLength + 1)..<(start + length)])
        } else {
            eap.data = Array(bytes[(start + headerLength)..<(start + length)])
        }
        if length < range.count {
            problems.append(IKEv2ParseProblem(.trailingBytes, offset: start + length, "EAP: \(range.count - length) bytes after the EAP message"))
        }
        return .success(eap)
    }
}
