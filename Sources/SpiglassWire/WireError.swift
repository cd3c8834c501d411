/// Why a packet could not be dissected: the layer, where in the frame, and the lengths
/// involved, so a diagnostic can say exactly what was wrong.
public struct WireError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case truncated
        case badVersion
        case badHeaderLength
        case badTotalLength
        case tooManyHeaders
        case unsupportedLinkType
        case notIP
    }

    public let code: Code
    public let layer: String
    public let offset: Int
    public let detail: String

    public init(_ code: Code, layer: String, offset: Int, _ detail: String) {
        self.code = code
        self.layer = layer
        self.offset = offset
        self.detail = detail
    }

    public var description: String { "\(layer) at offset \(offset): \(detail)" }
}
