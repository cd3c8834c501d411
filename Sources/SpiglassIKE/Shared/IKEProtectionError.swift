/// Why an IKE message could not be opened (decrypted, its ICV or HASH checked), or an IKE SA
/// not be used to open any: the shape IKEv2 (`IKEv2ProtectionError`, SK and SKF payloads) and
/// IKEv1 (`IKEv1ProtectionError`, ISAKMP encryption and HASH payloads) share, each over its
/// own codes, since the two versions fail in different ways. Tests compare `code`; `offset`
/// (into the caller's byte array) says where, when one place is to blame; `reason` is for
/// people and gives the lengths involved.
public struct IKEProtectionError<Code>: Error, Equatable, Sendable, CustomStringConvertible
where Code: RawRepresentable<String> & Sendable & Equatable {
    public let code: Code
    public let offset: Int?
    public let reason: String

    public init(_ code: Code, offset: Int? = nil, _ reason: String) {
        self.code = code
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        if let offset { return "\(code.rawValue) at offset \(offset): \(reason)" }
        return "\(code.rawValue): \(reason)"
    }
}
