/// The one error type of the capture module.
public struct CaptureError: Error, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable {
        case cannotOpen
        case badFilter
        case cannotWrite
        /// An output path names a file the run reads.
        case outputIsInput
        case readFailed
        case permissionDenied
        case noSuchInterface
        case interfaceDown
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }
}
