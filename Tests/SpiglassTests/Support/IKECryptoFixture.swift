import Foundation
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

/// The IKE messages of a fixture capture and a little payload walking of their own (the
/// IKE payload parser lives elsewhere; these tests must not depend on it).
enum IKECryptoFixture {
    static let cases = StrongSwanFixtureTests.cases

    struct Message {
        var frame: Int
        var port: UInt16
        /// The IKE message, from its 28-byte header (non-ESP marker removed on UDP 4500).
        var bytes: [UInt8]

        var exchangeType: UInt8 { bytes[18] }
        var sentByInitiator: Bool { bytes[19] & 0x08 != 0 }
        var isResponse: Bool { bytes[19] & 0x20 != 0 }
        var firstPayloadType: UInt8 { bytes[16] }
    }

    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    /// Every UDP 500 payload and every UDP 4500 payload that starts with the four-byte zero
    /// non-ESP marker (RFC 3948 2.2), in capture order.
    static func messages(_ name: String) throws -> [Message] {
        let reader = try CaptureReader(path: Paths.fixture("strongswan/\(name)/capture.pcap"))
        guard let link = LinkType(dlt: reader.linkType) else {
            throw ReadError(description: "link type \(reader.linkType)")
        }
        var out: [Message] = []
        var frame = 0
        reading: while true {
            switch reader.next() {
            case .packet(let header):
                frame += 1
                let bytes = reader.buffer
                let length = header.capturedLength
                var wire = ByteReader(bytes, range: 0..<length)
                guard case .success(let info) = LinkDecoder.decode(&wire, as: link),
                    case .success(let ip) = IPLayer.parse(&wire, announcedVersion: info.announcedVersion),
                    ip.protocolNumber == IPProtocol.udp, ip.headerEnd + 8 <= ip.end
                else { continue }
                let source = bytes.be16(ip.headerEnd)
                let destination = bytes.be16(ip.headerEnd + 2)
                var payload = (ip.headerEnd + 8)..<ip.end
                if source == 4500 || destination == 4500 {
                    guard payload.count >= 4, bytes[payload.lowerBound..<(payload.lowerBound + 4)] == [0, 0, 0, 0]
                    else { continue }
                    payload = (payload.lowerBound + 4)..<payload.upperBound
                } else if source != 500 && destination != 500 {
                    continue
                }
                out.append(Message(frame: frame, port: destination, bytes: Array(bytes[payload])))
            case .end:
                break reading
            case .damaged(let why):
                throw ReadError(description: "\(why)")
            case .timeout, .interrupted:
                break reading
            }
        }
        return out
    }

    /// The payloads of a chain that starts with `first` at `bytes[offset...]` and must end
    /// exactly at `end`: (type, body) pairs, or nil when the lengths do not add up.
    static func walk(_ bytes: [UInt8], first: UInt8, from offset: Int, to end: Int) -> [(type: UInt8, body: [UInt8])]? {
        var type = first
        var offset = offset
        var out: [(UInt8, [UInt8])] = []
        while type != 0 {
            guard offset + 4 <= end, out.count < 64 else { return nil }
            let length = Int(bytes.be16(offset + 2))
            guard length >= 4, offset + length <= end else { return nil }
            out.append((type, Array(bytes[(offset + 4)..<(offset + length)])))
            type = bytes[offset]
            offset += length
        }
        return offset == end ? out : nil
    }

    /// The body of the Nonce payload (type 40) of an unencrypted IKE_SA_INIT message.
    static func nonce(_ message: Message) -> [UInt8]? {
        walk(message.bytes, first: message.firstPayloadType, from: 28, to: message.bytes.count)?.first {
            $0.type == 40
        }?.body
    }

    /// The IKE SA of a case from its Wireshark table (SK_e*, SK_a*, algorithms).
    static func tableSA(_ name: String) throws -> IKESecurityAssociation {
        let keys = try KeyFileLoader.loadKeys(path: Paths.fixture("strongswan/\(name)/ikev2_decryption_table"))
        return try #require(keys.ikeSAs.first)
    }

    /// The IKE SA of a case from charon's log (adds the PRF and SK_d).
    static func logSA(_ name: String) throws -> IKESecurityAssociation {
        let keys = try KeyFileLoader.loadKeys(path: Paths.fixture("strongswan/\(name)/charon-A.log"))
        return try #require(keys.ikeSAs.first)
    }
}
