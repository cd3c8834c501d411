import SpiglassCapture

/// The -w file of a run: a pcap of the decrypted packets (raw IP, or with `--keep-outer` the
/// inputs' link type), or a pcapng whose packets carry their provenance as comments
/// (`ProvenanceComment`). At most one of the two is open.
struct DecryptedOutput {
    let pcap: PcapWriter?
    let pcapng: PcapngWriter?

    /// Opens the file `options` ask for (none without -w).
    init(_ options: AnalysisOptions) throws {
        guard let path = options.writePath else {
            (pcap, pcapng) = (nil, nil)
            return
        }
        switch options.writeFormat {
        case .pcap:
            pcap = try PcapWriter(
                path: path, flushEachPacket: options.flushEachPacket, inputs: options.inputPaths,
                dlt: options.keepOuter ? options.writeLinkType : nil, resolution: options.writeResolution)
            pcapng = nil
        case .pcapng:
            pcap = nil
            pcapng = try PcapngWriter(
                path: path, flushEachPacket: options.flushEachPacket, inputs: options.inputPaths,
                interfaceNames: options.writeInterfaceNames, resolution: options.writeResolution)
        }
    }

    /// A parallel run's records on their way to the file (`gather`, `writeGathered`).
    let gathered = GatheredRecords()

    /// Takes `count` records a worker prepared (pcap records or pcapng blocks, as the file is),
    /// bytes `range` of `buffer`, which is source `source` of the next `writeGathered`: they
    /// are written from there, after those gathered before them.
    func gather(_ buffer: [UInt8], range: Range<Int>, count: Int, source: Int) {
        if let pcapng {
            gathered.addBlocks(buffer, range: range, count: count, source: source, writer: pcapng)
        } else if pcap != nil {
            gathered.addRecords(range: range, count: count, source: source)
        }
    }

    /// Writes the gathered records; `sources[i]` is the buffer of source i (unchanged since
    /// its records were gathered).
    func writeGathered(sources: [[UInt8]]) {
        gathered.write(sources: sources, pcap: pcap, pcapng: pcapng)
    }

    func close() throws {
        try pcap?.close()
        try pcapng?.close()
    }

    /// The link type of a pcap -w file with `--keep-outer` over `sources`: theirs, which must
    /// be one (a pcap file has a single link type; a pcapng has an interface per type). Nil
    /// when no such file is written.
    static func keepOuterLinkType(_ options: AnalysisOptions, sources: [CaptureStream.Source]) throws -> Int32? {
        guard options.keepOuter, options.writePath != nil, options.writeFormat == .pcap else { return nil }
        let types = sources.map(\.linkType)
        guard let first = types.first else { return nil }
        if let other = sources.first(where: { $0.linkType != first }) {
            let name = sources[0].linkTypeName
            throw CaptureError(
                .cannotWrite,
                "--keep-outer: a pcap file holds one link type, and '\(other.path)' is \(other.linkTypeName) where '\(sources[0].path)' is \(name); write pcapng instead (-w NAME.pcapng), which keeps each"
            )
        }
        return first
    }
}
