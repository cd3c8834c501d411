internal import CPcap
import Glibc

/// Writes raw-IP packets (LINKTYPE_RAW) to a pcap file through libpcap's dump API, so any
/// tool can open the result.
public final class PcapWriter {
    private let dead: OpaquePointer
    private let dumper: OpaquePointer
    private let flushEachPacket: Bool
    public private(set) var packetsWritten = 0
    /// Records not yet handed to stdio. `pcap_dump` makes two locked `fwrite` calls per packet,
    /// which cost as much as a fifth of a 1400-byte AES-GCM decryption; staged records go out
    /// in one call per `stagingCapacity` bytes. Not used when each packet is flushed (live).
    // One thread writes; no overlapping access.
    @exclusivity(unchecked) private var staging: [UInt8] = []
    @exclusivity(unchecked) private var stagedBytes = 0
    private static let stagingCapacity = 256 << 10

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
        if !flushEachPacket { staging = [UInt8](repeating: 0, count: PcapWriter.stagingCapacity) }
        pcap_dump_flush(dumper)
    }

    deinit {
        drainStaging()
        pcap_dump_close(dumper)
        pcap_close(dead)
    }

    /// Appends `bytes[range]` as one packet stamped `timestamp`.
    public func write(_ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp) {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return }
        if !flushEachPacket && range.count <= PcapWriter.stagingCapacity - 16 {
            stage(bytes, range: range, timestamp: timestamp)
            packetsWritten += 1
            return
        }
        drainStaging()
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

    public func flush() {
        drainStaging()
        pcap_dump_flush(dumper)
    }

    /// Copies the record `write` would make into `staging`, draining it first when full. The
    /// caller has checked that the record fits in an empty buffer.
    private func stage(_ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp) {
        if stagedBytes + 16 + range.count > staging.count { drainStaging() }
        // libpcap's pcap_dump stores these as 32-bit fields in host order, cutting the seconds
        // the same way.
        let fields = (UInt32(truncatingIfNeeded: timestamp.seconds), UInt32(truncatingIfNeeded: timestamp.microseconds),
                      UInt32(truncatingIfNeeded: range.count), UInt32(truncatingIfNeeded: range.count))
        let start = stagedBytes
        staging.withUnsafeMutableBytes { target in
            withUnsafeBytes(of: fields) { target.baseAddress!.advanced(by: start).copyMemory(from: $0.baseAddress!, byteCount: 16) }
            guard !range.isEmpty else { return }
            bytes.withUnsafeBytes { source in
                target.baseAddress!.advanced(by: start + 16).copyMemory(from: source.baseAddress!.advanced(by: range.lowerBound),
                                                                        byteCount: range.count)
            }
        }
        stagedBytes = start + 16 + range.count
    }

    /// Hands the staged records to stdio (in order, before anything written after them).
    private func drainStaging() {
        guard stagedBytes > 0, let file = pcap_dump_file(dumper) else { return }
        let count = stagedBytes
        staging.withUnsafeBufferPointer { pointer in
            _ = fwrite(pointer.baseAddress!, 1, count, file)
        }
        stagedBytes = 0
    }

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
        drainStaging()
        buffer.withUnsafeBufferPointer { pointer in
            _ = fwrite(pointer.baseAddress! + range.lowerBound, 1, range.count, file)
        }
        packetsWritten += count
        if flushEachPacket { pcap_dump_flush(dumper) }
    }
}
