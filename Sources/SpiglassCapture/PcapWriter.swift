internal import CPcap
import Glibc

/// Writes raw-IP packets (LINKTYPE_RAW) to a pcap file through libpcap's dump API, so any
/// tool can open the result.
public final class PcapWriter {
    private let dead: OpaquePointer
    private let dumper: OpaquePointer
    private let flushEachPacket: Bool
    public private(set) var packetsWritten = 0

    /// Opens `path` ("-" for standard output) for writing; the file header is written at once,
    /// so a capture that yields no packet still leaves a valid, empty pcap.
    ///
    /// `bufferSize` (files only, not "-") gives the file a stdio buffer of that many bytes, so
    /// that writing costs one system call per buffer rather than one per few packets.
    public init(path: String, snapLength: Int32 = 262_144, flushEachPacket: Bool = false, bufferSize: Int? = nil) throws {
        guard let dead = pcap_open_dead(DLT_RAW, snapLength) else {
            throw CaptureError(.cannotWrite, "cannot create a raw-IP pcap handle")
        }
        let opened: OpaquePointer?
        if let bufferSize, path != "-" {
            if let file = fopen(path, "w") {
                // Before any write, as C requires; stdio allocates (and frees) the buffer itself.
                setvbuf(file, nil, _IOFBF, bufferSize)
                // On success libpcap owns the FILE and closes it in pcap_dump_close.
                opened = pcap_dump_fopen(dead, file)
                if opened == nil { fclose(file) }
            } else {
                // Worded as libpcap words it in pcap_dump_open.
                let message = "\(path): \(String(cString: strerror(errno)))"
                pcap_close(dead)
                throw CaptureError(.cannotWrite, "cannot write '\(path)': \(message)")
            }
        } else {
            opened = pcap_dump_open(dead, path)
        }
        guard let dumper = opened else {
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

    /// Appends to `buffer` the record `write(bytes, range:, timestamp:)` would write, byte for
    /// byte: the header of the pcap format this writer uses (host byte order; seconds,
    /// microseconds, captured and original length, 32 bits each), then the packet. Pure Swift,
    /// for threads that prepare records which `writeRecords` later writes in order.
    public static func appendRecord(_ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp, to buffer: inout [UInt8]) {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return }
        // libpcap's pcap_dump stores these as 32-bit fields, cutting the seconds the same way.
        let fields = (UInt32(truncatingIfNeeded: timestamp.seconds), UInt32(truncatingIfNeeded: timestamp.microseconds),
                      UInt32(truncatingIfNeeded: range.count), UInt32(truncatingIfNeeded: range.count))
        withUnsafeBytes(of: fields) { buffer.append(contentsOf: $0) }
        // Through a pointer: no slice, so no reference counting after the copy.
        bytes.withUnsafeBufferPointer { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// Writes records prepared by `appendRecord`: `buffer[range]` holds `count` whole records.
    public func writeRecords(_ buffer: [UInt8], range: Range<Int>, count: Int) {
        guard !range.isEmpty, range.lowerBound >= 0, range.upperBound <= buffer.count, let file = pcap_dump_file(dumper) else { return }
        buffer.withUnsafeBufferPointer { pointer in
            _ = fwrite(pointer.baseAddress! + range.lowerBound, 1, range.count, file)
        }
        packetsWritten += count
        if flushEachPacket { pcap_dump_flush(dumper) }
    }
}
