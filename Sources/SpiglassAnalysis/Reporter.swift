import SpiglassCapture
import SpiglassSAD
import SpiglassWire

/// Turns packet records and the final tables into output.
protocol Reporter {
    func packet(_ record: PacketRecord, sad: SADatabase, ahSAD: SADatabase, startTime: Timestamp)
    func finish(summary: AnalysisSummary, flows: [FlowStatistics], sad: SADatabase, ahSAD: SADatabase, untrackedFlowPackets: Int)
}

extension UInt32 {
    var spiHex: String {
        let s = String(self, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - s.count) + s
    }
}

extension UInt64 {
    var ikeSPIHex: String {
        let s = String(self, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// Words shared by both reporters.
enum Describe {
    static func protocolLabel(_ record: PacketRecord) -> String {
        let tcp = record.tcpMessage != nil ? "-in-TCP" : ""
        if !record.esp.isEmpty { return record.udpPorts == nil ? "ESP" + tcp : "ESP-in-UDP" }
        if let ike = record.ike { return (ike.isIKEv2 ? "IKEv2" : "ISAKMP") + tcp }
        if record.verdict == .tcpSegment { return "TCP" }
        if record.verdict == .natKeepalive { return "NAT-keepalive" }
        if !record.ah.isEmpty { return "AH" }
        if let outer = record.outer { return outer.protocolName }
        return "-"
    }

    static func ike(_ ike: IKEHeader) -> String {
        var text = ike.exchangeName
        if ike.isIKEv2 { text += ike.isResponse ? " response" : " request" }
        text += " mid=\(ike.messageID) ispi=\(ike.initiatorSPI.ikeSPIHex) rspi=\(ike.responderSPI.ikeSPIHex)"
        if ike.isEncrypted { text += " encrypted" }
        return text
    }
}
