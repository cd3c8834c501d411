internal import CPcap
import Glibc

/// Writes raw-IP packets (LINKTYPE_RAW, or the link type given) to a pcap file through
/// libpcap's dump API, so any tool can open the result. The file is an `OutputFile`: never one the run reads, written
/// beside its path and put in place by `close` only when complete. Every write is checked;
/// after the first failure nothing more is written, and `close` reports it (naming the file)
/// and leaves the path as it was.
public final class PcapWriter {
    private let dead: OpaquePointer
    private let dumper: OpaquePointer
    /// libpcap's stdio stream over (a duplicate of) `output.descriptor`.
    private let file: UnsafeMutablePointer<FILE>
    private let output: OutputFile
    private let flushEachPacket: Bool
    /// Whether the file counts nanoseconds (magic a1b23c4d) or microseconds.
    public let resolution: TimestampResolution
    /// Set by the first failed write; later writes are skipped.
    @exclusivity(unchecked) private var failed = false
    @exclusivity(unchecked) public private(set) var packetsWritten = 0
    /// Records not yet handed to stdio. `pcap_dump` makes two locked `fwrite` calls per packet,
    /// which cost as much as a fifth of a 1400-byte AES-GCM decryption; staged records go out in
    /// one call per `stagingCapacity` bytes. Not used when each packet is flushed (live).
    // One thread writes; no overlapping access.
    @exclusivity(unchecked) private var staging: [UInt8] = []
    @exclusivity(unchecked) private var stagedBytes = 0
    private static let stagingCapacity = 256 << 10

    /// Opens `path` ("-" for standard output) for writing, refusing any of `inputs` (the files
    /// the run reads; see `OutputFile`). The file header is written at once, so a capture that
    /// yields no packet still leaves a valid, empty pcap. Records go out in blocks of
    /// `stagingCapacity` bytes (see `staging`, and `writeRecords`), which stdio writes straight
    /// through, so the file needs no buffer of its own. With `flushEachPacket` (live captures,
    /// whose file another tool may follow) the file is in place from the start and each record
    /// is flushed as it comes. `dlt`: the packets' link type (DLT_), raw IP when nil.
    /// `resolution`: nanoseconds for a run with a nanosecond input, whose times it keeps.
    public init(
        path: String, snapLength: Int32 = 262_144, flushEachPacket: Bool = false, inputs: [String] = [],
        dlt: Int32? = nil, resolution: TimestampResolution = .microseconds
    ) throws {
        let output = try OutputFile(path: path, inputs: inputs, publishAtOnce: flushEachPacket)
        let precision = CaptureReader.pcapPrecision(resolution)
        guard let dead = pcap_open_dead_with_tstamp_precision(dlt ?? DLT_RAW, snapLength, precision) else {
            throw CaptureError(.cannotWrite, "cannot create a pcap handle for link type \(dlt ?? DLT_RAW)")
        }
        let copy = fcntl(output.descriptor, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0, let file = fdopen(copy, "w") else {
            if copy >= 0 { Glibc.close(copy) }
            pcap_close(dead)
            output.fail("cannot write")
            throw output.failure!
        }
        guard let dumper = pcap_dump_fopen(dead, file) else {
            let message = String(cString: pcap_geterr(dead))
            fclose(file)
            pcap_close(dead)
            throw CaptureError(.cannotWrite, "cannot write '\(path)': \(message)")
        }
        self.dead = dead
        self.dumper = dumper
        self.file = file
        self.output = output
        self.flushEachPacket = flushEachPacket
        self.resolution = resolution
        if !flushEachPacket { staging = [UInt8](repeating: 0, count: PcapWriter.stagingCapacity) }
        if pcap_dump_flush(dumper) != 0 { noteFailure() } else { output.markCommitted(Int64(ftello(file))) }
    }

    deinit {
        try? close()
        pcap_dump_close(dumper)
        pcap_close(dead)
    }

    /// The first write failure, naming the file; nil while all is well.
    public var failure: CaptureError? { output.failure }

    /// libpcap's DLT_RAW, the link type of decrypted packets written alone.
    public static let rawIPLinkType: Int32 = DLT_RAW

    private var closed = false

    /// Writes what is staged, then finishes the file (`OutputFile.close`: synced and put in
    /// place, or on failure removed and the path left as it was). Throws the first failure,
    /// naming the file. Idempotent.
    public func close() throws {
        if !closed {
            closed = true
            drainStaging()
            if !failed && (pcap_dump_flush(dumper) != 0 || ferror(file) != 0) { noteFailure() }
        }
        try output.close()
    }

    /// The first failure: remembered with its reason, and nothing written after it.
    private func noteFailure() {
        guard !failed else { return }
        failed = true
        output.fail("cannot write")
        // What stdio still holds must not reach the file when the stream is closed.
        __fpurge(file)
        output.truncateToCommitted()
    }

    /// Appends `bytes[range]` as one packet stamped `timestamp`.
    public func write(_ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp) {
        guard !failed, range.lowerBound >= 0, range.upperBound <= bytes.count else { return }
        if !flushEachPacket && range.count <= PcapWriter.stagingCapacity - PcapWriter.recordHeaderLength {
            stageRecord(bytes, range: range, timestamp: timestamp, resolution: resolution)
            packetsWritten += 1
            return
        }
        drainStaging()
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(timestamp.seconds)
        header.ts.tv_usec = Int(PcapWriter.fraction(timestamp, resolution))
        header.caplen = UInt32(range.count)
        header.len = UInt32(range.count)
        let dumper = self.dumper
        bytes.withUnsafeBufferPointer { pointer in
            withUnsafePointer(to: &header) { headerPointer in
                pcap_dump(
                    UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), headerPointer,
                    pointer.baseAddress! + range.lowerBound)
            }
        }
        packetsWritten += 1
        if flushEachPacket { flushRecords() } else if ferror(file) != 0 { noteFailure() }
    }

    /// Hands everything written so far to the system (not yet in place: see `close`).
    public func flush() {
        drainStaging()
        flushRecords()
    }

    /// Flushes stdio's buffer; the records up to here are complete.
    private func flushRecords() {
        guard !failed else { return }
        if pcap_dump_flush(dumper) != 0 || ferror(file) != 0 {
            noteFailure()
        } else {
            output.markCommitted(Int64(ftello(file)))
        }
    }

    /// A record's fraction field: microseconds, or nanoseconds in a nanosecond file.
    @inline(__always)
    private static func fraction(_ timestamp: Timestamp, _ resolution: TimestampResolution) -> Int32 {
        resolution == .microseconds ? timestamp.microseconds : timestamp.nanoseconds
    }

    /// The header `pcap_dump` writes before a packet of `length` bytes: seconds, microseconds
    /// (nanoseconds), captured and original length, 32 bits each in host order (the seconds cut
    /// the same way).
    private static func recordHeader(length: Int, timestamp: Timestamp, resolution: TimestampResolution) -> (
        UInt32, UInt32, UInt32, UInt32
    ) {
        (
            UInt32(truncatingIfNeeded: timestamp.seconds),
            UInt32(truncatingIfNeeded: fraction(timestamp, resolution)),
            UInt32(truncatingIfNeeded: length), UInt32(truncatingIfNeeded: length)
        )
    }

    /// The length of `recordHeader`.
    private static let recordHeaderLength = 16

    /// Copies the record of `bytes[range]` (header, then packet) into `staging` in one step:
    /// the per-packet path of `write`, which `range.count + recordHeaderLength` bytes fit.
    @inline(__always)
    private func stageRecord(
        _ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp, resolution: TimestampResolution
    ) {
        let length = PcapWriter.recordHeaderLength + range.count
        if stagedBytes + length > staging.count { drainStaging() }
        let start = stagedBytes
        let header = PcapWriter.recordHeader(length: range.count, timestamp: timestamp, resolution: resolution)
        staging.withUnsafeMutableBytes { target in
            let base = target.baseAddress! + start
            withUnsafeBytes(of: header) { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            bytes.withUnsafeBytes { packet in
                (base + PcapWriter.recordHeaderLength).copyMemory(
                    from: packet.baseAddress! + range.lowerBound, byteCount: range.count)
            }
        }
        stagedBytes = start + length
    }

    /// Hands the staged records to stdio (in order, before anything written after them).
    private func drainStaging() {
        guard stagedBytes > 0 else { return }
        let count = stagedBytes
        stagedBytes = 0
        guard !failed else { return }
        let written = staging.withUnsafeBufferPointer { pointer in fwrite(pointer.baseAddress!, 1, count, file) }
        if written != count { noteFailure() } else { startWriteback() }
    }

    /// Lets the file go to the disk while it grows (`OutputFile.startWriteback`), noting a
    /// failure the disk reports.
    private func startWriteback() {
        output.startWriteback()
        if output.failure != nil { noteFailure() }
    }

    /// Appends to `buffer` the record `write(bytes, range:, timestamp:)` would write, byte for
    /// byte: the header of the pcap format this writer uses (host byte order; seconds,
    /// microseconds or, at `resolution` nanoseconds, nanoseconds, captured and original length,
    /// 32 bits each), then the packet. Pure Swift, for threads that prepare records which
    /// `writeRecords` later writes in order.
    public static func appendRecord(
        _ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp, resolution: TimestampResolution,
        to buffer: inout [UInt8]
    ) {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return }
        withUnsafeBytes(of: recordHeader(length: range.count, timestamp: timestamp, resolution: resolution)) {
            buffer.append(contentsOf: $0)
        }
        // Through a pointer: no slice, so no reference counting after the copy.
        bytes.withUnsafeBufferPointer { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// Writes records prepared by `appendRecord` straight from where they lie (no copy on the
    /// way: see `GatheredRecords`): `vectors` point to `count` whole records. After what was
    /// written before them; complete once written, so a live file may be cut back to them.
    func writeRecords(vectors: UnsafeMutableBufferPointer<iovec>, count: Int) {
        guard !failed, !vectors.isEmpty else { return }
        drainStaging()
        // The descriptor is written below stdio: nothing may be left in its buffer.
        guard fflush(file) == 0 else { return noteFailure() }
        output.write(vectors: vectors)
        guard output.failure == nil else { return noteFailure() }
        packetsWritten += count
        // (Not `ftello`: stdio may answer from the offset it last knew.)
        if flushEachPacket, case let offset = lseek(output.descriptor, 0, SEEK_CUR), offset >= 0 {
            output.markCommitted(Int64(offset))
        }
    }
}
