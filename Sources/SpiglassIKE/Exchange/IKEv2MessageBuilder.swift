/// Builds IKEv2 messages and payloads byte by byte (RFC 7296 3), for the benchmark and for
/// tests that need exchanges no fixture has. Encryption is `IKEv2MessageProtection.seal`.
public enum IKEv2MessageBuilder {
    /// The 28-byte header; the length is filled in by `clear` or `seal`.
    public static func header(
        initiatorSPI: UInt64, responderSPI: UInt64, exchange: UInt8, messageID: UInt32,
        response: Bool, fromInitiator: Bool
    ) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 28)
        for i in 0..<8 { h[i] = UInt8((initiatorSPI >> UInt64(56 - 8 * i)) & 0xff) }
        for i in 0..<8 { h[8 + i] = UInt8((responderSPI >> UInt64(56 - 8 * i)) & 0xff) }
        h[17] = 0x20
        h[18] = exchange
        h[19] = (response ? 0x20 : 0) | (fromInitiator ? 0x08 : 0)
        h.setBE32(20, messageID)
        return h
    }

    /// An unencrypted message: header, first payload type, payloads, length.
    public static func clear(_ header: [UInt8], firstPayload: UInt8, payloads: [UInt8]) -> [UInt8] {
        var message = header + payloads
        message[16] = firstPayload
        message.setBE32(24, UInt32(message.count))
        return message
    }

    /// A generic payload header (RFC 7296 3.2) in front of `body`.
    public static func payload(next: UInt8, body: [UInt8]) -> [UInt8] {
        let length = 4 + body.count
        return [next, 0, UInt8(length >> 8), UInt8(length & 0xff)] + body
    }

    /// An SA payload body with one ESP proposal: AES-CBC-128, HMAC-SHA2-256-128, no ESN.
    public static func espProposal(spi: UInt32) -> [UInt8] {
        let transforms: [[UInt8]] = [
            [3, 0, 0, 12, 1, 0, 0, 12, 0x80, 0x0e, 0, 128],  // ENCR_AES_CBC, key length 128
            [3, 0, 0, 8, 3, 0, 0, 12],  // AUTH_HMAC_SHA2_256_128
            [0, 0, 0, 8, 5, 0, 0, 0],  // no ESN
        ]
        let body = transforms.flatMap { $0 }
        let length = 8 + 4 + body.count
        return [0, 0, UInt8(length >> 8), UInt8(length & 0xff), 1, 3, 4, UInt8(transforms.count)]
            + [UInt8(spi >> 24), UInt8((spi >> 16) & 0xff), UInt8((spi >> 8) & 0xff), UInt8(spi & 0xff)] + body
    }

    /// A TS payload body with one IPv4 selector: first.0.0.0 to first.0.0.255, any protocol and port.
    public static func trafficSelector(_ first: UInt8) -> [UInt8] {
        [1, 0, 0, 0] + [7, 0, 0, 16, 0, 0, 0xff, 0xff] + [first, 0, 0, 0] + [first, 0, 0, 255]
    }
}
