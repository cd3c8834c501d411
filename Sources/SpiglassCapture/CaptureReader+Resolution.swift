internal import CPcap
import Glibc

// Reading each input at its own timestamp resolution (`CaptureFileResolution`): the head of a
// file is read before libpcap opens it, which it then does at that precision.
extension CaptureReader {
    /// A stream's head (standard input, gzip) is read for its resolution up to this many bytes:
    /// the rest of a very long head counts as microseconds.
    static let maxStreamHead = 1 << 20

    /// libpcap's precision for `resolution`.
    static func pcapPrecision(_ resolution: TimestampResolution) -> UInt32 {
        UInt32(resolution == .microseconds ? PCAP_TSTAMP_PRECISION_MICRO : PCAP_TSTAMP_PRECISION_NANO)
    }

    /// The resolution of the file open as `descriptor`, read with `pread` (the stream the
    /// descriptor belongs to is not moved).
    static func resolution(ofFile descriptor: Int32) -> TimestampResolution {
        var offset: off_t = 0
        return CaptureFileResolution.resolution(
            read: { count in
                var bytes = [UInt8](repeating: 0, count: count)
                let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, offset) }
                guard got == count else { return nil }
                offset += off_t(count)
                return bytes
            },
            skip: { count in
                offset += off_t(count)
                return true
            })
    }

    /// The resolution of gzip'd `path`, from a decompression of its head of its own.
    static func resolution(ofGzip path: String) -> TimestampResolution {
        guard let gzip = gzopen(path, "rb") else { return .microseconds }
        defer { gzclose(gzip) }
        var consumed = 0
        return CaptureFileResolution.resolution(
            read: { count in
                guard consumed + count <= maxStreamHead else { return nil }
                var bytes = [UInt8](repeating: 0, count: count)
                let got = bytes.withUnsafeMutableBytes { gzread(gzip, $0.baseAddress, UInt32(count)) }
                consumed += count
                return got == count ? bytes : nil
            },
            skip: { count in
                guard consumed + count <= maxStreamHead else { return false }
                consumed += count
                return gzseek(gzip, .init(count), SEEK_CUR) >= 0
            })
    }

    /// Whether `path` names something that can be read only once: a pipe (bash's `<(…)` is
    /// `/dev/fd/N`), a FIFO, a character device or a socket. A regular file, a directory or a
    /// missing path is left to the file path and its messages.
    public static func isStream(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        let type = info.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFDIR
    }

    /// The stream read from `descriptor` (standard input, or a pipe this stream then owns and
    /// closes), serving first the head read here for its resolution, then the rest: a stream
    /// cannot be read twice.
    /// `gzipped` says whether the head is gzip's magic (1f 8b): a stream is not decompressed.
    static func openStream(_ descriptor: Int32) -> (
        file: UnsafeMutablePointer<FILE>, resolution: TimestampResolution, gzipped: Bool
    )? {
        var head: [UInt8] = []
        let take = { (count: Int) -> [UInt8]? in
            guard head.count + count <= maxStreamHead else { return nil }
            var bytes = [UInt8](repeating: 0, count: count)
            var got = 0
            while got < count {
                let step = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + got, count - got) }
                if step < 0 && errno == EINTR { continue }
                guard step > 0 else { break }
                got += step
            }
            head.append(contentsOf: bytes[0..<got])
            return got == count ? bytes : nil
        }
        let resolution = CaptureFileResolution.resolution(read: take, skip: { take($0) != nil })
        let input = Unmanaged.passRetained(PrefixedInput(head: head, descriptor: descriptor))
        var io = cookie_io_functions_t()
        io.read = { cookie, buffer, size in
            guard let cookie, let buffer else { return -1 }
            return Unmanaged<PrefixedInput>.fromOpaque(cookie).takeUnretainedValue().read(into: buffer, size)
        }
        io.close = { cookie in
            if let cookie { Unmanaged<PrefixedInput>.fromOpaque(cookie).release() }
            return 0
        }
        guard let file = fopencookie(input.toOpaque(), "r", io) else {
            input.release()
            return nil
        }
        return (file, resolution, head.starts(with: [0x1f, 0x8b]))
    }

    /// The timestamp of a record libpcap read at `resolution`, and its fraction field when that
    /// was out of range (libpcap copies a pcap record's field as it is, up to 0xffffffff).
    @inline(__always)
    static func timestamp(_ time: timeval, resolution: TimestampResolution) -> (Timestamp, outOfRange: Int64?) {
        let fraction = Int64(time.tv_usec)
        let (timestamp, carried) =
            resolution == .microseconds
            ? Timestamp.normalised(seconds: Int64(time.tv_sec), microseconds: fraction)
            : Timestamp.normalised(seconds: Int64(time.tv_sec), nanoseconds: fraction)
        return (timestamp, carried ? fraction : nil)
    }
}

/// A stream after its head was read: the head again, then the rest, read from its descriptor
/// (stdio's stream of standard input is never used, so holds nothing back). A descriptor other
/// than standard input's is closed with this.
final class PrefixedInput {
    private let head: [UInt8]
    private let descriptor: Int32
    private var served = 0

    init(head: [UInt8], descriptor: Int32) {
        self.head = head
        self.descriptor = descriptor
    }

    deinit { if descriptor != STDIN_FILENO { close(descriptor) } }

    func read(into buffer: UnsafeMutablePointer<CChar>, _ size: Int) -> Int {
        guard served < head.count else { return Glibc.read(descriptor, buffer, size) }
        let count = min(size, head.count - served)
        head.withUnsafeBytes { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + served, byteCount: count)
        }
        served += count
        return count
    }
}
