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

    /// Standard input as a stream that serves first the head read here for its resolution,
    /// then the rest (standard input cannot be read twice).
    static func openStandardInput() -> (UnsafeMutablePointer<FILE>, TimestampResolution)? {
        var head: [UInt8] = []
        let take = { (count: Int) -> [UInt8]? in
            guard head.count + count <= maxStreamHead else { return nil }
            var bytes = [UInt8](repeating: 0, count: count)
            var got = 0
            while got < count {
                let step = bytes.withUnsafeMutableBytes { Glibc.read(STDIN_FILENO, $0.baseAddress! + got, count - got) }
                if step < 0 && errno == EINTR { continue }
                guard step > 0 else { break }
                got += step
            }
            head.append(contentsOf: bytes[0..<got])
            return got == count ? bytes : nil
        }
        let resolution = CaptureFileResolution.resolution(read: take, skip: { take($0) != nil })
        let input = Unmanaged.passRetained(PrefixedInput(head: head))
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
        return (file, resolution)
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

/// Standard input after its head was read: the head again, then the rest of standard input
/// (read from its descriptor: stdio's stream of it is never used, so holds nothing back).
final class PrefixedInput {
    private let head: [UInt8]
    private var served = 0

    init(head: [UInt8]) { self.head = head }

    func read(into buffer: UnsafeMutablePointer<CChar>, _ size: Int) -> Int {
        guard served < head.count else { return Glibc.read(STDIN_FILENO, buffer, size) }
        let count = min(size, head.count - served)
        head.withUnsafeBytes { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + served, byteCount: count)
        }
        served += count
        return count
    }
}
