import Foundation
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

/// Just enough ISAKMP for these tests: payload chains, SA transform attributes, messages of a
/// capture (UDP 500/4500, IKEv1 fragments reassembled) and charon's key dumps.
enum IKEv1CryptoWire {
    struct Payload {
        var type: UInt8
        /// After the 4-byte generic header.
        var body: [UInt8]
        var offset: Int
        var length: Int
    }

    struct Message {
        var frame: Int
        var source: [UInt8]
        var bytes: [UInt8]
        var encrypted: Bool { bytes.count >= 28 && bytes[19] & 1 != 0 }
        var messageID: UInt32 { be32(bytes, 20) }
        var exchangeType: UInt8 { bytes[18] }
    }

    static func be32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
    }

    static func be64(_ b: [UInt8], _ o: Int) -> UInt64 { UInt64(be32(b, o)) << 32 | UInt64(be32(b, o + 4)) }

    /// The chain `bytes[start..<end]` whose first payload is `first`; nil if it does not fit.
    static func payloads(_ bytes: [UInt8], from start: Int, to end: Int, first: UInt8) -> [Payload]? {
        var type = first
        var offset = start
        var out: [Payload] = []
        while type != 0 {
            guard offset + 4 <= end, out.count < 100 else { return nil }
            let length = Int(bytes.be16(offset + 2))
            guard length >= 4, offset + length <= end else { return nil }
            out.append(
                Payload(
                    type: type, body: Array(bytes[(offset + 4)..<(offset + length)]), offset: offset, length: length))
            type = bytes[offset]
            offset += length
        }
        return out
    }

    /// The clear payloads of an unencrypted message.
    static func clearPayloads(_ message: [UInt8]) -> [Payload]? {
        guard message.count >= 28 else { return nil }
        let declared = Int(be32(message, 24))
        return payloads(message, from: 28, to: min(declared, message.count), first: message[16])
    }

    /// The payloads of a decrypted message, padding excluded.
    static func payloads(_ plaintext: IKEv1Plaintext) -> [Payload]? {
        payloads(plaintext.decrypted, from: 0, to: plaintext.payloadsLength, first: plaintext.firstPayloadType)
    }

    static func first(_ type: UInt8, in payloads: [Payload]) -> Payload? { payloads.first { $0.type == type } }

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The first payload of `type`; throws when there is none.
    static func need(_ type: UInt8, in payloads: [Payload]) throws -> Payload {
        guard let payload = first(type, in: payloads) else {
            throw Missing(description: "no payload of type \(type) in \(payloads.map(\.type))")
        }
        return payload
    }

    /// Protocol-Id and SPI of the first proposal of an SA payload body (RFC 2408 3.4, 3.5).
    static func proposalSPI(_ saBody: [UInt8]) -> (protocolID: UInt8, spi: [UInt8])? {
        guard saBody.count >= 16 else { return nil }
        let spiSize = Int(saBody[14])
        guard saBody.count >= 16 + spiSize else { return nil }
        return (saBody[13], Array(saBody[16..<(16 + spiSize)]))
    }

    /// The basic (TV) attributes of the first transform of the first proposal of an SA body.
    static func transformAttributes(_ saBody: [UInt8]) -> [UInt16: UInt16]? {
        guard saBody.count >= 16 else { return nil }
        let transform = 16 + Int(saBody[14])
        guard saBody.count >= transform + 8 else { return nil }
        let end = min(saBody.count, transform + Int(saBody.be16(transform + 2)))
        var offset = transform + 8
        var attributes: [UInt16: UInt16] = [:]
        while offset + 4 <= end {
            let type = saBody.be16(offset)
            if type & 0x8000 != 0 {
                attributes[type & 0x7fff] = saBody.be16(offset + 2)
                offset += 4
            } else {
                offset += 4 + Int(saBody.be16(offset + 2))
            }
        }
        return attributes
    }

    /// The ISAKMP messages of an Ethernet/IPv4 capture in frame order; on port 4500 the
    /// non-ESP marker is removed and ESP skipped. IKEv1 fragments (payload 132: ID (2),
    /// number (1), flags (1, bit 0 = last), data) are reassembled into the message they carry,
    /// reported at the frame of the last fragment.
    static func messages(capture path: String) throws -> [Message] {
        let reader = try CaptureReader(path: path)
        var frame = 0
        var out: [Message] = []
        var fragments: [UInt16: [UInt8: [UInt8]]] = [:]
        while case .packet(let header) = reader.next() {
            frame += 1
            let bytes = Array(reader.buffer[0..<min(header.capturedLength, reader.buffer.count)])
            guard bytes.count >= 42, bytes[12] == 0x08, bytes[13] == 0x00, bytes[23] == 17 else { continue }
            let udp = 14 + Int(bytes[14] & 0x0f) * 4
            guard bytes.count >= udp + 8 else { continue }
            let ports = [bytes.be16(udp), bytes.be16(udp + 2)]
            var start = udp + 8
            let end = min(bytes.count, udp + Int(bytes.be16(udp + 4)))
            if ports.contains(4500) {
                guard end - start >= 4, bytes[start..<(start + 4)].allSatisfy({ $0 == 0 }) else { continue }
                start += 4
            } else if !ports.contains(500) {
                continue
            }
            guard end - start >= 28 else { continue }
            let message = Array(bytes[start..<end])
            let source = Array(bytes[26..<30])
            if message[16] == 132, message.count >= 36 {
                let length = Int(message.be16(30))
                guard length >= 8, 28 + length <= message.count else { continue }
                let id = message.be16(32)
                fragments[id, default: [:]][message[34]] = Array(message[36..<(28 + length)])
                if message[35] & 1 != 0, let pieces = fragments.removeValue(forKey: id) {
                    out.append(
                        Message(frame: frame, source: source, bytes: pieces.keys.sorted().flatMap { pieces[$0]! }))
                }
                continue
            }
            out.append(Message(frame: frame, source: source, bytes: message))
        }
        return out
    }

    /// charon's `NAME => N bytes @ 0x...` dumps (ike/chd level 4), by name, in log order.
    static func charonDumps(_ path: String) throws -> [String: [[UInt8]]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var dumps: [String: [[UInt8]]] = [:]
        var current: (name: String, bytes: [UInt8])?
        func flush() {
            if let current { dumps[current.name, default: []].append(current.bytes) }
            current = nil
        }
        for line in text.split(separator: "\n") {
            guard let marker = line.range(of: "[IKE] ") ?? line.range(of: "[CHD] ") else {
                flush()
                continue
            }
            let rest = line[marker.upperBound...]
            if let arrow = rest.range(of: " => "), rest.contains(" bytes @ ") {
                flush()
                current = (String(rest[..<arrow.lowerBound]), [])
                continue
            }
            let trimmed = rest.drop(while: { $0 == " " })
            guard current != nil, let colon = trimmed.firstIndex(of: ":"), trimmed[..<colon].allSatisfy(\.isNumber)
            else {
                flush()
                continue
            }
            let hexPart = trimmed[trimmed.index(after: colon)...].prefix(49)
            for token in hexPart.split(separator: " ") where token.count == 2 {
                guard let byte = UInt8(token, radix: 16) else { break }
                current!.bytes.append(byte)
            }
        }
        flush()
        return dumps
    }
}

func v1Code(_ body: () throws -> Void) -> IKEv1ProtectionCode? {
    do {
        try body()
        return nil
    } catch let error as IKEv1ProtectionError {
        return error.code
    } catch {
        return nil
    }
}

func derivationCode(_ body: () throws -> Void) -> IKEKeyDerivationError.Code? {
    do {
        try body()
        return nil
    } catch let error as IKEKeyDerivationError {
        return error.code
    } catch {
        return nil
    }
}

extension Result where Failure == IKEv1ProtectionError {
    var v1Code: IKEv1ProtectionCode? {
        if case .failure(let error) = self { return error.code }
        return nil
    }
}

func v1SA(initiator: UInt64, responder: UInt64? = nil) -> IKESecurityAssociation {
    IKESecurityAssociation(
        version: .v1, initiatorSPI: initiator, responderSPI: responder, origin: SAOrigin(file: "test", line: 1))
}
