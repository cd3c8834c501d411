import SpiglassWire

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

    static func parse(_ reader: inout ByteReader) -> Result<IKEv2Notify, IKEParseProblem> {
        let start = reader.offset
        guard reader.remaining >= headerLength, let protocolID = reader.readUInt8(), let spiSize = reader.readUInt8(),
            let type = reader.readUInt16()
        else {
            return .failure(
                IKEParseProblem(
                    .truncatedBody, offset: start,
                    .v2, in: .notify(nil), .short(needed: headerLength, available: reader.remaining)))
        }
        guard let spi = reader.readBytes(Int(spiSize)) else {
            return .failure(
                IKEParseProblem(
                    .badSPISize, offset: start + 1,
                    .v2, in: .notify(type), .length(Int(spiSize), available: reader.remaining)))
        }
        return .success(
            IKEv2Notify(
                protocolID: protocolID, spi: spi, type: type,
                data: reader.readBytes(reader.remaining) ?? []))
    }
}
