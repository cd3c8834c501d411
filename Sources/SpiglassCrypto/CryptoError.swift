internal import CCrypto

/// The one error type of the crypto module. Tests compare `code`; `reason` is for people.
public struct CryptoError: Error, CustomStringConvertible, Hashable {
    public enum Code: String, Sendable {
        case unsupportedAlgorithm
        case invalidKeyLength
        case invalidLength
        case openssl
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }

    /// Builds an `.openssl` error carrying the whole OpenSSL error queue, so that no stale
    /// entry is left behind to be misreported by a later, unrelated call.
    static func openssl(_ what: String) -> CryptoError {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            let text = buffer.withUnsafeMutableBufferPointer { pointer -> String in
                ERR_error_string_n(code, pointer.baseAddress, pointer.count)
                return String(cString: pointer.baseAddress!)
            }
            messages.append(text)
        }
        let detail = messages.isEmpty ? "" : " (" + messages.joined(separator: "; ") + ")"
        return CryptoError(.openssl, what + detail)
    }
}
