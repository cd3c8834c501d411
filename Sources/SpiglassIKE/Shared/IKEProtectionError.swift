import SpiglassCrypto

/// Why an IKE message could not be opened (decrypted, its ICV or HASH checked), or an IKE SA
/// not be used to open any: the shape IKEv2 (`IKEv2ProtectionError`, SK and SKF payloads) and
/// IKEv1 (`IKEv1ProtectionError`, ISAKMP encryption and HASH payloads) share, each over its
/// own codes and details, since the two versions fail in different ways. Tests compare `code`;
/// `offset` (into the caller's byte array) says where, when one place is to blame; `detail`
/// holds the values the failed check compared. The words are SpiglassAnalysis's
/// (`IKEProtectionErrorText`).
public struct IKEProtectionError<Code, Detail>: Error, Hashable, Sendable, CustomStringConvertible
where Code: RawRepresentable<String> & Sendable & Hashable, Detail: Sendable & Hashable {
    public let code: Code
    public let offset: Int?
    public let detail: Detail

    public init(_ code: Code, offset: Int? = nil, _ detail: Detail) {
        self.code = code
        self.offset = offset
        self.detail = detail
    }

    /// The code and the place (for test messages; reports word the detail).
    public var description: String {
        if let offset { return "\(code.rawValue) at offset \(offset)" }
        return code.rawValue
    }
}

/// A failure of the crypto module behind an IKE error, kept as it came: its reason is OpenSSL's
/// or SpiglassCrypto's.
public enum IKECryptoFailure: Sendable, Hashable {
    case crypto(CryptoError)
    /// Any other error, as it describes itself.
    case other(String)

    /// The whole error as its module words it ("openssl: …").
    public var description: String {
        switch self {
        case .crypto(let error): return error.description
        case .other(let text): return text
        }
    }

    /// The module's reason alone.
    public var reason: String {
        switch self {
        case .crypto(let error): return error.reason
        case .other(let text): return text
        }
    }

    init(_ error: any Error) {
        if let error = error as? CryptoError {
            self = .crypto(error)
        } else {
            self = .other(String(describing: error))
        }
    }
}
