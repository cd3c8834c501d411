/// RFC 4303 ESP header: SPI and low 32 bits of the sequence number; the rest is opaque
/// until an SA says how long the IV and ICV are.
public struct ESPHeader: Sendable, Equatable {
    public static let length = 8
    public var spi: UInt32
    public var sequence: UInt32
    /// The ESP packet, from the SPI to the end of the ICV.
    public var range: Range<Int>

    public static func parse(_ bytes: [UInt8], range: Range<Int>) -> ESPHeader? {
        guard range.count >= length, range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        return ESPHeader(spi: bytes.be32(range.lowerBound), sequence: bytes.be32(range.lowerBound + 4), range: range)
    }
}

/// RFC 4302 AH header.
public struct AHHeader: Sendable, Equatable {
    public var nextHeader: UInt8
    public var spi: UInt32
    public var sequence: UInt32
    public var icvRange: Range<Int>
    /// The whole AH header, ICV included.
    public var range: Range<Int>

    public static func parse(_ bytes: [UInt8], at offset: Int, end: Int) -> Result<AHHeader, WireError> {
        guard offset + 12 <= end else {
            return .failure(WireError(.truncated, layer: "AH", offset: offset, "needs 12 bytes, \(end - offset) left"))
        }
        // Payload Len is the AH length in 32-bit words minus 2.
        let total = (Int(bytes[offset + 1]) + 2) * 4
        guard total >= 12 else {
            return .failure(WireError(.badHeaderLength, layer: "AH", offset: offset, "length \(total) < 12"))
        }
        guard offset + total <= end else {
            return .failure(WireError(.truncated, layer: "AH", offset: offset, "length \(total), \(end - offset) left"))
        }
        return .success(AHHeader(nextHeader: bytes[offset], spi: bytes.be32(offset + 4), sequence: bytes.be32(offset + 8),
                                 icvRange: (offset + 12)..<(offset + total), range: offset..<(offset + total)))
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
        return IKEHeader(initiatorSPI: bytes.be64(o), responderSPI: bytes.be64(o + 8), nextPayload: bytes[o + 16],
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
        case (.esp(let x, let p), .esp(let y, let q)): return x == y && p?.source == q?.source && p?.destination == q?.destination
        case (.ike(let x, let p, let m), .ike(let y, let q, let n)): return x == y && p == q && m == n
        case (.natKeepalive(let p), .natKeepalive(let q)): return p == q
        case (.malformed(let x), .malformed(let y)): return x == y
        case (.other(let x, let p), .other(let y, let q)): return x == y && p?.source == q?.source && p?.destination == q?.destination
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

    /// Classifies `bytes[start..<end]`, an IP payload of protocol `proto`.
    public static func classify(_ bytes: [UInt8], protocolNumber proto: UInt8, start: Int, end: Int) -> IPsecLayers {
        var ah: [AHHeader] = []
        var proto = proto
        var cursor = start
        while proto == IPProtocol.ah {
            guard ah.count < maxAH else {
                return IPsecLayers(ah: ah, payload: .malformed(WireError(.tooManyHeaders, layer: "AH", offset: cursor, "more than \(maxAH) nested AH headers")))
            }
            switch AHHeader.parse(bytes, at: cursor, end: end) {
            case .failure(let error):
                var layers = IPsecLayers(ah: ah, payload: .malformed(error))
                if cursor + 12 <= end {
                    layers.brokenAH = AHHeader(nextHeader: bytes[cursor], spi: bytes.be32(cursor + 4), sequence: bytes.be32(cursor + 8),
                                               icvRange: (cursor + 12)..<end, range: cursor..<end)
                }
                return layers
            case .success(let header):
                ah.append(header)
                proto = header.nextHeader
                cursor = header.range.upperBound
            }
        }
        return IPsecLayers(ah: ah, payload: classifyPayload(bytes, protocolNumber: proto, start: cursor, end: end))
    }

    public static func classifyPayload(_ bytes: [UInt8], protocolNumber proto: UInt8, start: Int, end: Int) -> IPsecPayload {
        switch proto {
        case IPProtocol.esp:
            guard let esp = ESPHeader.parse(bytes, range: start..<end) else {
                return .malformed(WireError(.truncated, layer: "ESP", offset: start, "\(end - start) bytes, header needs 8"))
            }
            return .esp(esp, udpPorts: nil)
        case IPProtocol.udp:
            guard end - start >= 8 else {
                return .malformed(WireError(.truncated, layer: "UDP", offset: start, "\(end - start) bytes, header needs 8"))
            }
            let ports = (source: bytes.be16(start), destination: bytes.be16(start + 2))
            let udpLength = Int(bytes.be16(start + 4))
            // Trust the UDP length when it is consistent; it trims Ethernet padding.
            let payloadEnd = (udpLength >= 8 && start + udpLength <= end) ? start + udpLength : end
            let payloadStart = start + 8
            let payloadCount = payloadEnd - payloadStart
            let onNATT = ports.source == IPsecPorts.natTraversal || ports.destination == IPsecPorts.natTraversal
            let onIKE = ports.source == IPsecPorts.ike || ports.destination == IPsecPorts.ike
            if onNATT {
                if payloadCount == 1 && bytes[payloadStart] == 0xff { return .natKeepalive(udpPorts: ports) }
                if payloadCount >= 4 && bytes.be32(payloadStart) == 0 {
                    // RFC 3948 2.2: four zero bytes (the non-ESP marker) precede IKE.
                    guard let ike = IKEHeader.parse(bytes, range: (payloadStart + 4)..<payloadEnd) else {
                        return .malformed(WireError(.truncated, layer: "IKE", offset: payloadStart + 4, "\(payloadCount - 4) bytes, header needs 28"))
                    }
                    return .ike(ike, udpPorts: ports, nonESPMarker: true)
                }
                guard let esp = ESPHeader.parse(bytes, range: payloadStart..<payloadEnd) else {
                    return .malformed(WireError(.truncated, layer: "ESP-in-UDP", offset: payloadStart, "\(payloadCount) bytes, ESP header needs 8"))
                }
                return .esp(esp, udpPorts: ports)
            }
            if onIKE {
                guard let ike = IKEHeader.parse(bytes, range: payloadStart..<payloadEnd) else {
                    return .malformed(WireError(.truncated, layer: "IKE", offset: payloadStart, "\(payloadCount) bytes, header needs 28"))
                }
                return .ike(ike, udpPorts: ports, nonESPMarker: false)
            }
            return .other(protocolNumber: proto, udpPorts: ports)
        default:
            return .other(protocolNumber: proto, udpPorts: nil)
        }
    }
}
