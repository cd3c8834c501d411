import SpiglassCrypto
import SpiglassSAD
import SpiglassWire

/// Builds outbound ESP packets (RFC 4303 3.3) with an SA's keys: used by tests to make the
/// packets a real peer cannot (transport mode, ESN, corrupted ICVs), and by the benchmark.
public final class ESPPacketBuilder {
    public let state: ESPCryptoState
    private var plain: [UInt8] = []
    private var sealed: [UInt8] = []

    public init(sa: SecurityAssociation) throws {
        self.state = try ESPCryptoState(sa: sa, encrypt: true)
    }

    /// Returns the ESP packet (SPI through ICV) carrying `payload` with next header
    /// `nextHeader`. `iv` defaults to random bytes; `padding` overrides the RFC 1, 2, 3, …
    /// padding bytes (for building bad packets).
    public func build(
        spi: SPI, sequence: UInt64, payload: [UInt8], nextHeader: UInt8,
        iv: [UInt8]? = nil, padding: [UInt8]? = nil, extraPadding: Int = 0
    ) throws -> [UInt8] {
        let sa = state.sa
        let ivLength = sa.encryption.ivLength
        let iv = iv ?? randomBytes(ivLength)
        precondition(iv.count == ivLength, "IV length")
        let block = max(sa.encryption.blockSize, 4)
        var padLength = (block - (payload.count + 2) % block) % block + extraPadding
        if let padding { padLength = padding.count }
        plain = payload
        if let padding {
            plain += padding
        } else {
            for i in 0..<padLength { plain.append(UInt8(truncatingIfNeeded: i + 1)) }
        }
        plain.append(UInt8(truncatingIfNeeded: padLength))
        plain.append(nextHeader)

        var packet: [UInt8] = []
        for shift in [24, 16, 8, 0] { packet.append(UInt8((spi.rawValue >> UInt32(shift)) & 0xff)) }
        let low = UInt32(truncatingIfNeeded: sequence)
        let high = UInt32(truncatingIfNeeded: sequence >> 32)
        for shift in [24, 16, 8, 0] { packet.append(UInt8((low >> UInt32(shift)) & 0xff)) }
        packet += iv
        let esn = sa.extendedSequenceNumbers
        state.setSequenceHigh(high)
        let icvLength = sa.icvLength
        sealed = [UInt8](repeating: 0, count: plain.count + 16)
        switch state.engine {
        case .null:
            packet += plain
        case .cbc(let context):
            let n = try context.run(
                iv: iv, ivRange: 0..<iv.count, input: plain, inputRange: 0..<plain.count, output: &sealed,
                outputOffset: 0)
            packet += sealed[0..<n]
        case .ctr(let context, let nonce):
            let block = nonce + iv + [0, 0, 0, 1]
            let n = try context.run(
                iv: block, ivRange: 0..<16, input: plain, inputRange: 0..<plain.count, output: &sealed, outputOffset: 0)
            packet += sealed[0..<n]
        case .aead(let context, _):
            let aadLength = state.prepareNonceAndAAD(packet: packet, espStart: 0, iv: iv)
            let n = try context.seal(
                nonce: state.nonce, aad: state.aad, aadRange: 0..<aadLength, input: plain, plaintext: 0..<plain.count,
                tagLength: icvLength, output: &sealed, outputOffset: 0)
            packet += sealed[0..<n]
            return packet
        case .gmac(let context, _):
            // RFC 4543: the payload goes out in clear; the tag covers header, IV and payload.
            let aadLength = state.prepareNonceAndAAD(packet: packet, espStart: 0, iv: iv)
            let ivStart = packet.count - iv.count
            packet += plain
            var tag = [UInt8](repeating: 0, count: icvLength)
            _ = try context.seal(
                nonce: state.nonce, aad: state.aad, aadRange: 0..<aadLength,
                extraAAD: packet, extraAADRange: ivStart..<packet.count,
                input: [], plaintext: 0..<0, tagLength: icvLength, output: &tag, outputOffset: 0)
            packet += tag
            return packet
        case .unsupported(let reason):
            throw CryptoError(.unsupportedAlgorithm, reason)
        }
        if let integrity = state.integrity {
            var icv = [UInt8](repeating: 0, count: icvLength)
            try integrity.compute(
                data: packet, range: 0..<packet.count, trailer: state.sequenceHighTrailer,
                trailerRange: esn ? 0..<4 : 0..<0, output: &icv, outputOffset: 0)
            packet += icv
        } else if icvLength > 0 {
            packet += [UInt8](repeating: 0, count: icvLength)
        }
        return packet
    }
}
