import SpiglassESP
import SpiglassWire

/// Capture duplicates: the second copy of an ESP or AH packet that the capture saw twice
/// (see `CaptureDuplicateFilter`) is counted apart, not as a replay, and not processed again.
extension Analyzer {
    /// What the check found: a copy (reported), or the flow of a first sighting of outermost
    /// ESP, which the decryption then uses instead of looking it up again.
    enum DuplicateCheck {
        case copy
        case first(espFlow: Int?)
    }

    /// Whether the frame's outermost ESP or AH packet is a copy the capture already holds.
    /// When it is, the record says so (with the SA it belongs to) and its flow counts it.
    func checkCaptureDuplicate(_ bytes: [UInt8], ip: IPLayer, layers: IPsecLayers) -> DuplicateCheck {
        let time = record.timestamp.totalMicroseconds
        let window = options.captureDuplicateWindow
        if let ah = layers.ah.first {
            let key = FlowKey(
                spi: ah.spi, source: ip.source, destination: ip.destination, udpEncapsulated: false, ipsecProtocol: .ah)
            guard let flowNumber = flow(for: key, time: record.timestamp),
                let original = flows[flowNumber].duplicates.original(
                    of: bytes, range: ah.range.lowerBound..<ip.end, sequence: ah.sequence,
                    time: time, frame: record.frame, window: window)
            else { return .first(espFlow: nil) }
            summary.ahPackets += 1
            record.ah.append(
                AHLayer(
                    header: ah, sequence: UInt64(ah.sequence), verdict: .captureDuplicate,
                    saIndex: flows[flowNumber].saIndex, saMatch: flows[flowNumber].saMatch, replay: nil,
                    detail: duplicateDetail(original)))
            flows[flowNumber].captureDuplicates += 1
        } else if case .esp(let esp, let ports) = layers.payload {
            let key = FlowKey(
                spi: esp.spi, source: ip.source, destination: ip.destination, udpEncapsulated: ports != nil)
            guard let flowNumber = flow(for: key, time: record.timestamp) else { return .first(espFlow: nil) }
            guard
                let original = flows[flowNumber].duplicates.original(
                    of: bytes, range: esp.range, sequence: esp.sequence, time: time,
                    frame: record.frame, window: window)
            else { return .first(espFlow: flowNumber) }
            summary.espPackets += 1
            record.udpPorts = ports
            var layer = ESPLayer(
                spi: esp.spi, sequence: UInt64(esp.sequence), verdict: .captureDuplicate, icv: .none,
                saIndex: flows[flowNumber].saIndex, saMatch: flows[flowNumber].saMatch, nextHeader: nil, padLength: nil,
                length: esp.range.count, tunnel: nil, udpPorts: ports, detail: duplicateDetail(original))
            layer.childSA = flows[flowNumber].childSA
            record.esp.append(layer)
            flows[flowNumber].captureDuplicates += 1
        } else {
            return .first(espFlow: nil)
        }
        record.verdict = .captureDuplicate
        return .copy
    }

    /// "same bytes as frame 5".
    private func duplicateDetail(_ original: Int) -> String {
        "same bytes as frame \(original)"
    }
}
