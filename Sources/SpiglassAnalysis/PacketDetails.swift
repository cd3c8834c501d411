import SpiglassESP
import SpiglassSAD
import SpiglassWire

/// `analyze -V`: under a packet's line, its layers and fields, like tshark's packet details:
/// the frame, the outer IP and UDP/TCP, each ESP layer (SPI, sequence number with ESN, the SA
/// and its algorithms, ICV result, padding, next header, replay), each AH header, the inner
/// packet, and an IKE message's header and payloads (`IKEMessageDetails`).
enum PacketDetails {
    static let indent = "      "

    static func lines(_ record: PacketRecord, sad: SADatabase, ahSAD: SADatabase) -> String {
        var out = [
            "Frame \(record.frame): \(record.capturedLength) bytes captured (\(record.originalLength) on the wire)"
        ]
        if let outer = record.outer {
            out.append(
                "IPv\(outer.version) \(outer.source) → \(outer.destination), protocol \(outer.protocolName) (\(outer.protocolNumber)), length \(outer.length)"
            )
        }
        if let ports = record.udpPorts { out.append("UDP \(ports.source) → \(ports.destination)") }
        if let ports = record.tcpPorts { out.append("TCP \(ports.source) → \(ports.destination)") }
        for ah in record.ah { out += Self.ah(ah, sad: ahSAD) }
        for layer in record.esp { out += Self.esp(layer, sad: sad) }
        if let inner = record.inner {
            out.append(
                "Inner: IPv\(inner.version) \(inner.source) → \(inner.destination) \(inner.detail), length \(inner.length)"
            )
        }
        var text = out.map { indent + $0 + "\n" }.joined()
        if let message = record.ikeMessage { text += IKEMessageDetails.lines(message, indent: indent) }
        return text
    }

    /// "ESP SPI 0x23bd9917, Sequence 1", then the SA, the ICV and what decryption found.
    static func esp(_ layer: ESPLayer, sad: SADatabase) -> [String] {
        let sa = layer.saIndex.flatMap { sad.entries.indices.contains($0) ? sad.entries[$0] : nil }
        var sequence = "Sequence \(layer.sequence)"
        if sa?.extendedSequenceNumbers == true {
            sequence += " (ESN: high \(layer.sequence >> 32), low \(layer.sequence & 0xffff_ffff) on the wire)"
        }
        var lines = ["ESP SPI \(layer.spi.description), \(sequence), \(layer.length) bytes"]
        if let sa {
            var line = "  SA: \(sa.algorithmDescription), keys from \(sa.origin.description)"
            if sa.extendedSequenceNumbers { line += ", ESN" }
            if layer.saMatch == .spiOnly { line += ", matched by SPI only" }
            lines.append(line)
            lines.append("  ICV: \(icvWords(layer.icv))\(sa.icvLength > 0 ? " (\(sa.icvLength) bytes)" : "")")
        } else {
            lines.append("  SA: none (no key for this SPI)")
        }
        lines.append("  Result: \(layer.verdict.rawValue)\(layer.detail.map { " (\($0))" } ?? "")")
        if let next = layer.nextHeader {
            var line = "  Next Header: \(IPProtocol.name(next)) (\(next))"
            if let pad = layer.padLength {
                line += ", Pad Length: \(pad)\(layer.defaultPadding ? "" : " (non-default padding)")"
            }
            lines.append(line)
        }
        if let replay = layer.replay { lines.append("  Replay: \(replay.rawValue)") }
        return lines
    }

    static func ah(_ ah: AHLayer, sad: SADatabase) -> [String] {
        let sa = ah.saIndex.flatMap { sad.entries.indices.contains($0) ? sad.entries[$0] : nil }
        var lines = [
            "AH SPI \(ah.header.spi.description), Sequence \(ah.sequence), Next Header \(IPProtocol.name(ah.header.nextHeader)) (\(ah.header.nextHeader)), ICV \(ah.header.icvRange.count) bytes"
        ]
        if let sa { lines.append("  SA: \(sa.integrity.name), keys from \(sa.origin.description)") }
        lines.append("  Result: \(ah.verdict.rawValue)\(ah.detail.map { " (\($0))" } ?? "")")
        if let replay = ah.replay { lines.append("  Replay: \(replay.rawValue)") }
        return lines
    }

    static func icvWords(_ status: ICVStatus) -> String {
        switch status {
        case .good: return "verified"
        case .failed: return "mismatch"
        case .unchecked: return "not checked (unknown integrity algorithm)"
        case .none: return "none (the SA has no integrity)"
        }
    }
}
