internal import CPcap

/// Writes raw-IP packets (LINKTYPE_RAW) to a pcap file through libpcap's dump API, so any
/// tool can open the result.
public final class PcapWriter {
    private let dead: OpaquePointer
    private let dumper: OpaquePointer
    private let flushEachPacket: Bool
    public private(set) var packetsWritten = 0

    /// Opens `path` ("-" for standard output) for writing; the file header is written at once,
    /// so a capture that yields no packet still leaves a valid, empty pcap.
    public init(path: String, snapLength: Int32 = 262_144, flushEachPacket: Bool = false) throws {
        guard let dead = pcap_open_dead(DLT_RAW, snapLength) else {
            throw CaptureError(.cannotWrite, "cannot create a raw-IP pcap handle")
        }
        guard let dumper = pcap_dump_open(dead, path) else {
            let message = String(cString: pcap_geterr(dead))
            pcap_close(dead)
            throw CaptureError(.cannotWrite, "cannot write '\(path)': \(message)")
        }
        self.dead = dead
        self.dumper = dumper
        self.flushEachPacket = flushEachPacket
        pcap_dump_flush(dumper)
    }

    deinit {
        pcap_dump_close(dumper)
        pcap_close(dead)
    }

    /// Appends `bytes[range]` as one packet stamped `timestamp`.
    public func write(_ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp) {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return }
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(timestamp.seconds)
        header.ts.tv_usec = Int(timestamp.microseconds)
        header.caplen = UInt32(range.count)
        header.len = UInt32(range.count)
        let dumper = self.dumper
        bytes.withUnsafeBufferPointer { pointer in
            withUnsafePointer(to: &header) { headerPointer in
                pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), headerPointer,
                          pointer.baseAddress! + range.lowerBound)
            }
        }
        packetsWritten += 1
        if flushEachPacket { pcap_dump_flush(dumper) }
    }

    public func flush() { pcap_dump_flush(dumper) }
}
