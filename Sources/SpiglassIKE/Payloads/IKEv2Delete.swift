import SpiglassWire

/// D (RFC 7296 3.11): Protocol ID, SPI Size, Num of SPIs, SPIs.
public struct IKEv2Delete: Sendable, Equatable {
    public var protocolID: UInt8
    public var spiSize: UInt8
    public var spis: [[UInt8]]

    public init(protocolID: UInt8, spiSize: UInt8, spis: [[UInt8]]) {
        self.protocolID = protocolID
        self.spiSize = spiSize
        self.spis = spis
    }

    public var protocolName: String { IKEv2Names.protocolName(protocolID) }

    /// Protocol ID (1), SPI Size (1), Num of SPIs (2).
    static let headerLength = 4

    static func parse(
        _ reader: inout ByteReader,
        problems: inout [IKEParseProblem]
    ) -> Result<IKEv2Delete, IKEParseProblem> {
        let start = reader.offset
        guard reader.remaining >= headerLength, let protocolID = reader.readUInt8(), let spiSize = reader.readUInt8(),
            let count = reader.readUInt16()
        else {
            return .failure(
                IKEParseProblem(
                    .truncatedBody, offset: start,
                    .v2, in: .delete, .short(needed: headerLength, available: reader.remaining)))
        }
        return IKEFraming.deleteSPIs(
            &reader, count: Int(count), spiSize: Int(spiSize), countOffset: start + 2,
            limit: IKEv2Limits.maxDeleteSPIs, .v2, problems: &problems
        )
        .map { IKEv2Delete(protocolID: protocolID, spiSize: spiSize, spis: $0) }
    }
}
