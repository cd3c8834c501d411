import SpiglassCapture
import SpiglassSAD
import SpiglassWire

/// Turns packet records and the final tables into output.
protocol Reporter {
    /// The inputs the frames will come from; with more than one, every record names its
    /// file and its frame there.
    func begin(sources: [String])
    /// The inputs' link types, as "EN10MB (DLT 1)" (the HTML report shows them).
    func linkTypes(_ descriptions: [String])
    func packet(_ record: PacketRecord, sad: SADatabase, ahSAD: SADatabase, startTime: Timestamp)
    func finish(
        summary: AnalysisSummary, flows: [FlowStatistics], sad: SADatabase, ahSAD: SADatabase, untrackedFlowPackets: Int
    )
    /// The IKE SAs (indexes in `IKEReconstruction.ikeSAs`) `finish` shows, when a selection
    /// names them (`ReportSelection`); called before `finish`, only then.
    func select(ikeSAs: Set<Int>)
}

extension Reporter {
    func select(ikeSAs: Set<Int>) {}
}

extension Reporter {
    func linkTypes(_ descriptions: [String]) {}
}

/// The inputs a run reads, as reports name them: nothing for a single input, and with
/// several each record's file and its frame number there.
struct SourceNames {
    private(set) var paths: [String] = []
    /// What text lines show: the file names, or the paths when two files share a name.
    private var shortNames: [String] = []

    init(_ paths: [String] = []) {
        self.paths = paths.count > 1 ? paths : []
        shortNames = SourceNames.shortNames(self.paths)
    }

    /// The files' names, or their paths when two share a name.
    static func shortNames(_ paths: [String]) -> [String] {
        let names = paths.map { $0.split(separator: "/").last.map(String.init) ?? $0 }
        return Set(names).count == names.count ? names : paths
    }

    /// "part_00001.pcap:7" for a record of a multi-file run, nil otherwise.
    func label(_ record: PacketRecord) -> String? {
        guard record.source < shortNames.count else { return nil }
        return "\(shortNames[record.source]):\(record.sourceFrame)"
    }

    func path(_ record: PacketRecord) -> String? {
        record.source < paths.count ? paths[record.source] : nil
    }

    /// Adds `file` and `file_frame` to a JSON record of a multi-file run.
    func add(_ record: PacketRecord, to object: inout JSONObject) {
        guard let path = path(record) else { return }
        object.string("file", path)
        object.int("file_frame", record.sourceFrame)
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

    /// `protectionFollows`: the line goes on with the message's protection in words
    /// ("encrypted, no keys"), which says "encrypted" itself.
    static func ike(_ ike: IKEHeader, protectionFollows: Bool = false) -> String {
        var text = ike.exchangeName
        if ike.isIKEv2 { text += ike.isResponse ? " response" : " request" }
        text += " mid=\(ike.messageID) ispi=\(ike.initiatorSPI.ikeSPIHex) rspi=\(ike.responderSPI.ikeSPIHex)"
        if ike.isEncrypted && !protectionFollows { text += " encrypted" }
        return text
    }
}
