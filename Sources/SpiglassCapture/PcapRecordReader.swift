import Glibc

/// Reads the records of a classic pcap file written in this machine's byte order straight from
/// its descriptor into a buffer of its own, for `CaptureReader`. Through libpcap a record costs
/// two `fread`s and a copy out of stdio's buffer into libpcap's (about 540 instructions for a
/// 1,400-byte packet); here it costs its header's four loads, and the packet is copied once,
/// by the caller, out of this buffer.
///
/// Only records that libpcap would hand out unchanged are read here: a whole 16-byte header
/// and all its captured bytes in the file, and a captured length within the snapshot length
/// (`limit`). Any other record (the end of the file, a cut record, a captured length beyond the
/// snapshot length or this buffer) goes to libpcap: the caller positions libpcap's FILE at
/// `position` and lets `pcap_next_ex` read it, so that every end and every damage is reported
/// in libpcap's words, then carries on here from where libpcap stopped (`resume`).
final class PcapRecordReader {
    /// One record: its header's fields, and its captured bytes, valid until the next call.
    struct Record {
        var seconds: Int32
        /// Microseconds or nanoseconds, as the file counts them (libpcap passes them through
        /// when the file is opened at its own resolution, as `CaptureReader` opens it).
        var fraction: Int32
        var capturedLength: UInt32
        var originalLength: UInt32
        var data: UnsafePointer<UInt8>
    }

    /// pcap's file header (magic, version, zone, sigfigs, snapshot length, link type) and
    /// record header (seconds, fraction, captured length, original length).
    static let fileHeaderLength = 24
    static let recordHeaderLength = 16
    /// a1b2c3d4 (microseconds) and a1b23c4d (nanoseconds), read in this machine's byte order:
    /// a file in the other order has its pseudo-headers swapped by libpcap, so it stays there.
    static let magics: Set<UInt32> = [0xA1B2_C3D4, 0xA1B2_3C4D]

    private let descriptor: Int32
    /// Largest captured length read here.
    private let limit: UInt32
    private let chunk: UnsafeMutableRawBufferPointer
    /// `chunk[start..<end]` holds the file's bytes from `position` on, not yet handed out.
    private var start = 0
    private var end = 0
    /// The file offset of the next record.
    private(set) var position: Int64 = Int64(PcapRecordReader.fileHeaderLength)

    /// Whether the file behind `descriptor` is a pcap that can be read here: one of `magics`
    /// in this machine's byte order, version 2.4 (older versions may swap the two lengths).
    static func reads(_ descriptor: Int32) -> Bool {
        var head = [UInt8](repeating: 0, count: fileHeaderLength)
        guard pread(descriptor, &head, fileHeaderLength, 0) == fileHeaderLength else { return false }
        return head.withUnsafeBytes { raw in
            magics.contains(raw.loadUnaligned(as: UInt32.self))
                && raw.loadUnaligned(fromByteOffset: 4, as: UInt16.self) == 2
                && raw.loadUnaligned(fromByteOffset: 6, as: UInt16.self) == 4
        }
    }

    /// `snapshot`: libpcap's snapshot length for the file (`pcap_snapshot`), `bufferLimit` the
    /// most the caller's packet buffer holds, `capacity` this reader's buffer.
    init(descriptor: Int32, snapshot: Int, bufferLimit: Int, capacity: Int) {
        self.descriptor = descriptor
        let size = max(capacity, 4096)
        chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        limit = UInt32(max(0, min(snapshot, bufferLimit, size - PcapRecordReader.recordHeaderLength)))
    }

    deinit { chunk.deallocate() }

    /// The next record, or nil when libpcap must read it (see the type's note).
    @inline(__always)
    func next() -> Record? {
        let header = PcapRecordReader.recordHeaderLength
        if end - start < header && !refill(header) { return nil }
        let head = UnsafeRawPointer(chunk.baseAddress!) + start
        let captured = head.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        guard captured <= limit else { return nil }
        let total = header + Int(captured)
        if end - start < total && !refill(total) { return nil }
        let at = UnsafeRawPointer(chunk.baseAddress!) + start
        let record = Record(
            seconds: at.loadUnaligned(as: Int32.self), fraction: at.loadUnaligned(fromByteOffset: 4, as: Int32.self),
            capturedLength: captured, originalLength: at.loadUnaligned(fromByteOffset: 12, as: UInt32.self),
            data: (at + header).assumingMemoryBound(to: UInt8.self))
        start += total
        position += Int64(total)
        return record
    }

    /// Moves what is left to the front and reads on; false when `count` bytes are still not
    /// there (the end of the file, or a read error, which libpcap then meets and reports).
    private func refill(_ count: Int) -> Bool {
        let base = chunk.baseAddress!
        let left = end - start
        if start > 0 {
            if left > 0 { base.copyMemory(from: base + start, byteCount: left) }
            start = 0
            end = left
        }
        while end < count {
            let got = pread(descriptor, base + end, chunk.count - end, off_t(position) + off_t(end))
            guard got > 0 else { return false }
            end += got
        }
        return true
    }

    /// libpcap read the records up to file offset `offset`: go on from there.
    func resume(at offset: Int64) {
        position = offset
        start = 0
        end = 0
    }
}
