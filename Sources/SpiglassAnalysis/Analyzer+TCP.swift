import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire

/// RFC 8229: ESP and IKE messages out of TCP streams.
extension Analyzer {
    /// RFC 8229: ESP and IKE inside a TCP stream on the configured ports. Each complete
    /// message is processed and reported on its own; a segment that completes none is
    /// reported once, as TCP.
    func processTCP(_ bytes: [UInt8], ip: IPLayer, start: Int) {
        var reader = ByteReader(bytes, range: start..<ip.end)
        guard case .success(let segment) = TCPEncapsulation.segment(&reader),
            options.tcpEncapsulationPorts.contains(segment.sourcePort)
                || options.tcpEncapsulationPorts.contains(segment.destinationPort)
        else { return }
        record.tcpPorts = (segment.sourcePort, segment.destinationPort)
        record.verdict = .tcpSegment
        let key = TCPEncapsulation.ConnectionKey(
            source: ip.source, sourcePort: segment.sourcePort,
            destination: ip.destination, destinationPort: segment.destinationPort)
        let messages = tcpStreams.add(bytes, segment: segment, key: key)
        for problem in tcpStreams.takeProblems() { diagnose(problem) }
        for (index, message) in messages.enumerated() {
            record.resetMessage(index: index + 1)
            switch message {
            case .esp(let packet):
                summary.espPackets += 1
                var reader = ByteReader(packet)
                if case .success(let esp) = ESPHeader.parse(&reader) {
                    processESP(packet, ip: ip, esp: esp, ports: nil, depth: 0, headerBytes: bytes)
                } else {
                    record.verdict = .malformed
                    record.detail = "ESP message of \(packet.count) bytes in the TCP stream"
                }
            case .ike(let message):
                summary.ikePackets += 1
                if let header = IKEHeader.parse(message, range: 0..<message.count) {
                    record.ike = header
                    record.verdict = .ike
                    processIKE(
                        message, range: 0..<message.count, source: ip.source, destination: ip.destination,
                        ports: (segment.sourcePort, segment.destinationPort), transport: .tcp)
                } else {
                    record.verdict = .malformed
                    record.detail = "IKE message of \(message.count) bytes in the TCP stream"
                }
            }
            emit()
        }
    }
}
