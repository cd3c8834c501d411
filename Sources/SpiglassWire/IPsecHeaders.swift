/// RFC 4303 ESP header: SPI and low 32 bits of the sequence number; the rest is opaque
/// until an SA says how long the IV and ICV are.
public struct ESPHeader: Sendable, Equatable {
    public static let length = 8
    public var spi: SPI
    public var sequence: UInt32
    /// The ESP packet, from the SPI to the end of the ICV.
    public var range: Range<Int>

    /// The ESP packet that fills the reader: the reader is left at its end (what follows the
    /// header can only be divided by the SA's algorithms).
    public static func parse(_ reader: inout ByteReader) -> Result<ESPHeader, WireError> {
        let range = reader.remainingRange
        guard range.count >= length, let whole = reader.readRange(range.count) else {
            return .failure(
                WireError(
                    .truncated, layer: "ESP", offset: range.lowerBound, "\(range.count) bytes, header needs \(length)"))
        }
        return .success(
            ESPHeader(
                spi: SPI(reader.bytes.be32(whole.lowerBound)), sequence: reader.bytes.be32(whole.lowerBound + 4),
                range: whole))
    }
}

/// RFC 4302 AH header.
public struct AHHeader: Sendable, Equatable {
    public var nextHeader: UInt8
    public var spi: SPI
    public var sequence: UInt32
    public var icvRange: Range<Int>
    /// The whole AH header, ICV included.
    public var range: Range<Int>

    /// RFC 4302 2: next header, payload length, reserved, SPI, sequence number.
    public static let fixedLength = 12

    /// The AH header at the reader's cursor, whose end is the end of the datagram; the reader
    /// is left past the header.
    public static func parse(_ reader: inout ByteReader) -> Result<AHHeader, WireError> {
        let offset = reader.offset
        let available = reader.remaining
        guard let fixed = fixedPart(reader), let units = reader.peekUInt8(at: 1) else {
            return .failure(
                WireError(.truncated, layer: "AH", offset: offset, "needs \(fixedLength) bytes, \(available) left"))
        }
        // Payload Len is the AH length in 32-bit words minus 2.
        let total = (Int(units) + 2) * 4
        guard total >= fixedLength else {
            return .failure(
                WireError(.badHeaderLength, layer: "AH", offset: offset, "length \(total) < \(fixedLength)"))
        }
        guard let range = reader.readRange(total) else {
            return .failure(WireError(.truncated, layer: "AH", offset: offset, "length \(total), \(available) left"))
        }
        return .success(
            AHHeader(
                nextHeader: fixed.nextHeader, spi: fixed.spi, sequence: fixed.sequence,
                icvRange: (offset + fixedLength)..<range.upperBound, range: range))
    }

    /// The fixed part of an AH header at the reader's cursor, as far as it can be read (its
    /// length unchecked: the ICV taken to run to the reader's end), without moving the reader.
    public static func fixedPart(_ reader: ByteReader) -> AHHeader? {
        var reader = reader
        let offset = reader.offset
        guard let nextHeader = reader.readUInt8(), reader.skip(3), let spi = reader.readUInt32(),
            let sequence = reader.readUInt32()
        else { return nil }
        return AHHeader(
            nextHeader: nextHeader, spi: SPI(spi), sequence: sequence, icvRange: reader.remainingRange,
            range: offset..<reader.bounds.upperBound)
    }
}

/// The fixed IKE header (RFC 7296 section 3.1; RFC 2408 section 3.1 for ISAKMP), enough to
/// say which exchange a packet belongs to. Full IKE parsing lives elsewhere.
public struct IKEHeader: Sendable, Equatable {
    public static let length = 28
    public var initiatorSPI: UInt64
    public var responderSPI: UInt64
    public var nextPayload: UInt8
    public var majorVersion: UInt8
    public var minorVersion: UInt8
    public var exchangeType: IKEExchangeType
    public var flags: UInt8
    public var messageID: UInt32
    public var length: UInt32
    public var range: Range<Int>

    public static func parse(_ bytes: [UInt8], range: Range<Int>) -> IKEHeader? {
        guard range.count >= length, range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        let o = range.lowerBound
        return IKEHeader(
            initiatorSPI: bytes.be64(o), responderSPI: bytes.be64(o + 8), nextPayload: bytes[o + 16],
            majorVersion: bytes[o + 17] >> 4, minorVersion: bytes[o + 17] & 0x0f,
            exchangeType: IKEExchangeType(majorVersion: bytes[o + 17] >> 4, rawValue: bytes[o + 18]),
            flags: bytes[o + 19],
            messageID: bytes.be32(o + 20), length: bytes.be32(o + 24), range: range)
    }

    public var isIKEv2: Bool { majorVersion == 2 }
    public var isResponse: Bool { isIKEv2 ? flags & 0x20 != 0 : false }
    public var isInitiator: Bool { isIKEv2 ? flags & 0x08 != 0 : false }
    public var isEncrypted: Bool { isIKEv2 ? nextPayload == 46 || nextPayload == 53 : flags & 0x01 != 0 }

    public var exchangeName: String { exchangeType.name }
}

/// UDP ports with IPsec meaning.
public enum IPsecPorts {
    public static let ike: UInt16 = 500
    public static let natTraversal: UInt16 = 4500
}

/// What an IP payload turned out to be, as far as IPsec is concerned.
public enum IPsecPayload: Sendable, Equatable {
    /// ESP; `udpPorts` is set for RFC 3948 UDP encapsulation.
    case esp(ESPHeader, udpPorts: (source: UInt16, destination: UInt16)?)
    /// IKE on UDP 500 or, after the 4-byte non-ESP marker, on UDP 4500.
    case ike(IKEHeader, udpPorts: (source: UInt16, destination: UInt16), nonESPMarker: Bool)
    /// RFC 3948 NAT-keepalive: a single 0xFF byte on UDP 4500.
    case natKeepalive(udpPorts: (source: UInt16, destination: UInt16))
    /// Something IPsec-shaped that is too short or inconsistent to use.
    case malformed(WireError)
    /// Any other protocol.
    case other(protocolNumber: UInt8, udpPorts: (source: UInt16, destination: UInt16)?)

    public static func == (a: IPsecPayload, b: IPsecPayload) -> Bool {
        switch (a, b) {
        case (.esp(let x, let p), .esp(let y, let q)):
            return x == y && p?.source == q?.source && p?.destination == q?.destination
        case (.ike(let x, let p, let m), .ike(let y, let q, let n)): return x == y && p == q && m == n
        case (.natKeepalive(let p), .natKeepalive(let q)): return p == q
        case (.malformed(let x), .malformed(let y)): return x == y
        case (.other(let x, let p), .other(let y, let q)):
            return x == y && p?.source == q?.source && p?.destination == q?.destination
        default: return false
        }
    }
}

/// Result of looking through the IP payload: AH headers passed on the way, then the payload.
public struct IPsecLayers: Sendable, Equatable {
    /// AH headers in order (AH may wrap ESP, RFC 4301 bundles). At most `maxAH`.
    public var ah: [AHHeader]
    public var payload: IPsecPayload
    /// An AH header too short or too long for the packet, as far as it could be read (its SPI
    /// and sequence number, when the fixed 12 bytes are there).
    public var brokenAH: AHHeader? = nil

    public static let maxAH = 2

    /// Classifies the IP payload of protocol `proto` that fills the reader.
    public static func classify(_ reader: consuming ByteReader, protocolNumber proto: UInt8) -> IPsecLayers {
        var ah: [AHHeader] = []
        var proto = proto
        while proto == IPProtocol.ah {
            guard ah.count < maxAH else {
                return IPsecLayers(
                    ah: ah,
                    payload: .malformed(
                        WireError(
                            .tooManyHeaders, layer: "AH", offset: reader.offset, "more than \(maxAH) nested AH headers")
                    ))
            }
            switch AHHeader.parse(&reader) {
            case .failure(let error):
                var layers = IPsecLayers(ah: ah, payload: .malformed(error))
                layers.brokenAH = AHHeader.fixedPart(reader)
                return layers
            case .success(let header):
                ah.append(header)
                proto = header.nextHeader
            }
        }
        return IPsecLayers(ah: ah, payload: classifyPayload(reader, protocolNumber: proto))
    }

    /// The payload after any AH headers, filling the reader.
    public static func classifyPayload(_ reader: consuming ByteReader, protocolNumber proto: UInt8) -> IPsecPayload {
        switch proto {
        case IPProtocol.esp:
            switch ESPHeader.parse(&reader) {
            case .success(let esp): return .esp(esp, udpPorts: nil)
            case .failure(let error): return .malformed(error)
            }
        case IPProtocol.udp:
            return classifyUDP(&reader)
        default:
            return .other(protocolNumber: proto, udpPorts: nil)
        }
    }

    /// UDP: IKE on port 500, or on 4500 after the non-ESP marker; NAT-keepalives; ESP in UDP
    /// (RFC 3948).
    static func classifyUDP(_ reader: inout ByteReader) -> IPsecPayload {
        let start = reader.offset
        guard let source = reader.readUInt16(), let destination = reader.readUInt16(),
            let udpLength = reader.readUInt16().map(Int.init),
            reader.skip(2)
        else {
            return .malformed(
                WireError(
                    .truncated, layer: "UDP", offset: start, "\(reader.bounds.upperBound - start) bytes, header needs 8"
                ))
        }
        let ports = (source: source, destination: destination)
        // Trust the UDP length when it is consistent; it trims Ethernet padding.
        let end = reader.bounds.upperBound
        let payloadEnd = (udpLength >= 8 && start + udpLength <= end) ? start + udpLength : end
        let payloadStart = start + 8
        var payload = ByteReader(reader.bytes, range: payloadStart..<payloadEnd)
        let payloadCount = payload.remaining
        let onNATT = ports.source == IPsecPorts.natTraversal || ports.destination == IPsecPorts.natTraversal
        let onIKE = ports.source == IPsecPorts.ike || ports.destination == IPsecPorts.ike
        if onNATT {
            if payloadCount == 1 && payload.peekUInt8() == 0xff { return .natKeepalive(udpPorts: ports) }
            if payloadCount >= 4 && payload.peekUInt8() == 0 && payload.peekUInt8(at: 1) == 0
                && payload.peekUInt8(at: 2) == 0
                && payload.peekUInt8(at: 3) == 0
            {
                // RFC 3948 2.2: four zero bytes (the non-ESP marker) precede IKE.
                guard let ike = IKEHeader.parse(reader.bytes, range: (payloadStart + 4)..<payloadEnd) else {
                    return .malformed(
                        WireError(
                            .truncated, layer: "IKE", offset: payloadStart + 4,
                            "\(payloadCount - 4) bytes, header needs 28"))
                }
                return .ike(ike, udpPorts: ports, nonESPMarker: true)
            }
            guard case .success(let esp) = ESPHeader.parse(&payload) else {
                return .malformed(
                    WireError(
                        .truncated, layer: "ESP-in-UDP", offset: payloadStart,
                        "\(payloadCount) bytes, ESP header needs 8"))
            }
            return .esp(esp, udpPorts: ports)
        }
        if onIKE {
            guard let ike = IKEHeader.parse(reader.bytes, range: payloadStart..<payloadEnd) else {
                return .malformed(
                    WireError(.truncated, layer: "IKE", offset: payloadStart, "\(payloadCount) bytes, header needs 28"))
            }
            return .ike(ike, udpPorts: ports, nonESPMarker: false)
        }
        return .other(protocolNumber: IPProtocol.udp, udpPorts: ports)
    }
}
