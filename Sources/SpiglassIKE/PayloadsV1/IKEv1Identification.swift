import SpiglassWire

/// ID (RFC 2408 3.8 with the IPsec DOI's layout, RFC 2407 4.6.2): ID Type, Protocol ID, Port,
/// identification data. In phase 1 the protocol and port are 0 or UDP/500; in Quick Mode
/// client IDs they restrict the traffic the SA carries.
public struct IKEv1Identification: Sendable, Equatable {
    /// RFC 2407 4.6.2.1 ID type (`IKEv1Names.idTypeName`).
    public var type: UInt8
    /// IP protocol (0: any).
    public var protocolID: UInt8
    /// 0: any.
    public var port: UInt16
    public var data: [UInt8]

    public init(type: UInt8, protocolID: UInt8, port: UInt16, data: [UInt8]) {
        self.type = type
        self.protocolID = protocolID
        self.port = port
        self.data = data
    }

    /// "ID_IPV4_ADDR", "ID_FQDN", "ID_IPV4_ADDR_SUBNET", ...
    public var typeName: String { IKEv1Names.idTypeName(type) }

    /// ID Type (1), Protocol ID (1), Port (2).
    static let headerLength = 4

    static func parse(_ reader: inout ByteReader) -> Result<IKEv1Identification, IKEParseProblem> {
        let start = reader.offset
        guard reader.remaining >= headerLength, let type = reader.readUInt8(), let protocolID = reader.readUInt8(),
            let port = reader.readUInt16()
        else {
            return .failure(
                IKEParseProblem(
                    .truncatedBody, offset: start,
                    .v1, in: .identification, .short(needed: headerLength, available: reader.remaining)))
        }
        return .success(
            IKEv1Identification(
                type: type, protocolID: protocolID, port: port,
                data: reader.readBytes(reader.remaining) ?? []))
    }
}

/// N (RFC 2408 3.14): DOI, Protocol-ID, SPI Size, Notify Message Type, SPI, Notification Data.
public struct IKEv1Notification: Sendable, Equatable {
    public var doi: UInt32
    public var protocolID: UInt8
    /// Phase-1 notifications often carry the two cookies (16 bytes); AH/ESP ones the SA's SPI.
    public var spi: [UInt8]
    public var type: UInt16
    public var data: [UInt8]

    public init(doi: UInt32, protocolID: UInt8, spi: [UInt8], type: UInt16, data: [UInt8]) {
        self.doi = doi
        self.protocolID = protocolID
        self.spi = spi
        self.type = type
        self.data = data
    }

    /// "INVALID-PAYLOAD-TYPE", "INITIAL-CONTACT", "R-U-THERE", ... or "NOTIFY_<n>".
    public var name: String { IKEv1Names.notifyName(type) }

    /// RFC 2408 3.14.1: error types are 1..16383 (31..8191 reserved, 8192..16383 private
    /// use); 16384 and up are status types.
    public var isError: Bool { IKEv1Names.notifyIsError(type) }

    /// RFC 3706: the 32-bit sequence number of R-U-THERE / R-U-THERE-ACK.
    public var dpdSequence: UInt32? {
        guard type == IKEv1Names.Notify.rUThere || type == IKEv1Names.Notify.rUThereAck, data.count == 4 else {
            return nil
        }
        var reader = ByteReader(data)
        return reader.readUInt32()
    }

    /// RFC 2407 4.6.3.1: RESPONDER-LIFETIME data is SA attributes (life type and duration);
    /// nil for other types or data that does not parse.
    public var responderLifetimes: [IKEv1Lifetime]? {
        guard type == IKEv1Names.Notify.responderLifetime else { return nil }
        var ignored: [IKEParseProblem] = []
        var reader = ByteReader(data)
        guard
            case .success(let attributes) = IKEv1Attribute.parseList(
                &reader,
                limit: IKEv1Limits.maxNotificationAttributes,
                context: .notify(IKEv1Names.Notify.responderLifetime), problems: &ignored)
        else { return nil }
        let phase1 = protocolID == IKEv1Names.protoISAKMP
        return IKEv1Lifetime.pairs(
            attributes,
            typeAttribute: phase1 ? IKEv1Names.Phase1Attribute.lifeType : IKEv1Names.IPsecAttribute.lifeType,
            durationAttribute: phase1 ? IKEv1Names.Phase1Attribute.lifeDuration : IKEv1Names.IPsecAttribute.lifeDuration
        )
    }

    /// DOI (4), Protocol-ID (1), SPI Size (1), Notify Message Type (2).
    static let headerLength = 8

    static func parse(_ reader: inout ByteReader) -> Result<IKEv1Notification, IKEParseProblem> {
        let start = reader.offset
        guard reader.remaining >= headerLength, let doi = reader.readUInt32(), let protocolID = reader.readUInt8(),
            let spiSize = reader.readUInt8(), let type = reader.readUInt16()
        else {
            return .failure(
                IKEParseProblem(
                    .truncatedBody, offset: start,
                    .v1, in: .notify(nil), .short(needed: headerLength, available: reader.remaining)))
        }
        guard let spi = reader.readBytes(Int(spiSize)) else {
            return .failure(
                IKEParseProblem(
                    .badSPISize, offset: start + 5,
                    .v1, in: .notify(type), .length(Int(spiSize), available: reader.remaining)))
        }
        return .success(
            IKEv1Notification(
                doi: doi, protocolID: protocolID, spi: spi, type: type,
                data: reader.readBytes(reader.remaining) ?? []))
    }
}

/// D (RFC 2408 3.15): DOI, Protocol-Id, SPI Size, # of SPIs, SPIs.
public struct IKEv1Delete: Sendable, Equatable {
    public var doi: UInt32
    public var protocolID: UInt8
    public var spiSize: UInt8
    /// 16-byte cookie pairs for an ISAKMP SA, 4-byte SPIs for AH/ESP.
    public var spis: [[UInt8]]

    public init(doi: UInt32, protocolID: UInt8, spiSize: UInt8, spis: [[UInt8]]) {
        self.doi = doi
        self.protocolID = protocolID
        self.spiSize = spiSize
        self.spis = spis
    }

    /// "IKE", "AH", "ESP", "IPCOMP".
    public var protocolName: String { IKEv1Names.protocolName(protocolID) }

    /// DOI (4), Protocol-Id (1), SPI Size (1), # of SPIs (2).
    static let headerLength = 8

    static func parse(
        _ reader: inout ByteReader,
        problems: inout [IKEParseProblem]
    ) -> Result<IKEv1Delete, IKEParseProblem> {
        let start = reader.offset
        guard reader.remaining >= headerLength, let doi = reader.readUInt32(), let protocolID = reader.readUInt8(),
            let spiSize = reader.readUInt8(), let count = reader.readUInt16()
        else {
            return .failure(
                IKEParseProblem(
                    .truncatedBody, offset: start,
                    .v1, in: .delete, .short(needed: headerLength, available: reader.remaining)))
        }
        return IKEFraming.deleteSPIs(
            &reader, count: Int(count), spiSize: Int(spiSize), countOffset: start + 6,
            limit: IKEv1Limits.maxDeleteSPIs, .v1, problems: &problems
        )
        .map { IKEv1Delete(doi: doi, protocolID: protocolID, spiSize: spiSize, spis: $0) }
    }
}
