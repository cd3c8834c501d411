/// N (RFC 7296 3.10): Protocol ID, SPI Size, Notify Message Type, SPI, Notification Data.
public struct IKEv2Notify: Sendable, Equatable {
    public var protocolID: UInt8
    public var spi: [UInt8]
    public var type: UInt16
    public var data: [UInt8]

    public init(protocolID: UInt8, spi: [UInt8], type: UInt16, data: [UInt8]) {
        self.protocolID = protocolID
        self.spi = spi
        self.type = type
        self.data = data
    }

    /// IANA name ("NO_PROPOSAL_CHOSEN", "NAT_DETECTION_SOURCE_IP", ...) or "NOTIFY_<n>".
    public var name: String { IKEv2Names.notifyName(type) }

    /// Error types are 0..16383 (RFC 7296 3.10.1).
    public var isError: Bool { IKEv2Names.notifyIsError(type) }

    /// Protocol ID (1), SPI Size (1), Notify Message Type (2).
    static let headerLength = 4

    static func parse(_ bytes: [UInt8], range: Range<Int>) -> Result<IKEv2Notify, IKEv2ParseProblem> {
        let start = range.lowerBound
        guard range.count >= headerLength else {
            return .failure(IKEv2ParseProblem(.truncatedBody, offset: start, "N: body of \(range.count) bytes, needs \(headerLength)"))
        }
        let spiSize = Int(bytes[start + 1])
        let type = IKEv2Wire.u16(bytes, start + 2)
        guard headerLength + spiSize <= range.count else {
            return .failure(IKEv2ParseProblem(.badSPISize, offset: start + 1,
                                              "N(\(IKEv2Names.notifyName(type))): SPI size \(spiSize), \(range.count - headerLength) bytes left"))
        }
        let spiEnd = start + headerLength + spiSize
        return .success(IKEv2Notify(protocolID: bytes[start], spi: Array(bytes[(start + headerLength)..<spiEnd]), type: type,
                                    data: Array(bytes[spiEnd..<range.upperBound])))
    }
}
