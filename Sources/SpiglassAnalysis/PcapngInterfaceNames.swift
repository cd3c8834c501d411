import SpiglassCapture
import SpiglassWire

/// The name and description of each interface of a pcapng -w file, so that Wireshark names
/// where a packet came from instead of showing "interface unknown": the raw-IP interface of
/// decrypted packets is named after the inputs ("decrypted by Spiglass from v2-gcm.pcap"),
/// and with `--keep-outer` each link type's interface after the inputs of that type ("outer
/// frames kept from v2-gcm.pcap"). Input names come from outside: escaped and cut as the
/// packets' comments have them (`ProvenanceComment`), and at most `maxNames` are listed.
enum PcapngInterfaceNames {
    /// More inputs than this are counted, not listed.
    static let maxNames = 4

    /// Gives `options` the names of its pcapng's interfaces over `sources`, unless the
    /// caller named them already.
    static func name(_ options: inout AnalysisOptions, sources: [CaptureStream.Source], live: Bool) {
        guard options.writeInterfaceNames.isEmpty else { return }
        options.writeInterfaceNames = of(options, sources: sources, live: live)
    }

    /// The interfaces' names by link type (DLT_); empty when no pcapng is written.
    static func of(_ options: AnalysisOptions, sources: [CaptureStream.Source], live: Bool) -> [Int32:
        PcapngWriter.InterfaceName]
    {
        guard options.writePath != nil, options.writeFormat == .pcapng, !sources.isEmpty else { return [:] }
        let names = SourceNames.shortNames(sources.map(\.path)).map {
            DisplayText.clipped(DisplayText.escaped($0), limit: ProvenanceComment.maxNameLength)
        }
        let origin = live ? "live capture on " : ""
        let everyName = list(names)
        var result: [Int32: PcapngWriter.InterfaceName] = [
            PcapWriter.rawIPLinkType: .init(
                name: everyName, description: "decrypted by Spiglass from \(origin)\(everyName)")
        ]
        guard options.keepOuter else { return result }
        var linkTypes: [Int32] = []
        for source in sources where !linkTypes.contains(source.linkType) { linkTypes.append(source.linkType) }
        for linkType in linkTypes {
            let ofType = list(zip(sources, names).filter { $0.0.linkType == linkType }.map(\.1))
            let kept = "outer frames kept from \(origin)\(ofType)"
            if let decrypted = result[linkType] {
                // Raw-IP inputs: their frames and the packets that could not be put back share it.
                result[linkType] = .init(name: decrypted.name, description: "\(decrypted.description); \(kept)")
            } else {
                result[linkType] = .init(name: ofType, description: kept)
            }
        }
        return result
    }

    /// "a.pcap, b.pcap", or "a.pcap, b.pcap, c.pcap, d.pcap and 3 more".
    static func list(_ names: [String]) -> String {
        let listed = names.prefix(maxNames).joined(separator: ", ")
        return names.count > maxNames ? "\(listed) and \(names.count - maxNames) more" : listed
    }
}
