import Glibc

extension OutputFile {
    /// `writev` takes at most this many pieces at once (Linux's UIO_MAXIOV, glibc's IOV_MAX).
    public static let maxVectors = 1024

    /// Writes the bytes `vectors` point to, in order and whole, `maxVectors` pieces per system
    /// call (a short write is continued where it stopped, which moves the pieces: they are the
    /// caller's scratch). A failure is kept in `failure`, as `write` keeps it, and nothing more
    /// is written. The file then goes to the disk as it grows, as after `write(_:)`.
    public func write(vectors: UnsafeMutableBufferPointer<iovec>) {
        guard let base = vectors.baseAddress else { return }
        defer { startWriteback() }
        var first = 0
        while failure == nil {
            while first < vectors.count && vectors[first].iov_len == 0 { first += 1 }
            guard first < vectors.count else { return }
            let written = writev(descriptor, base + first, Int32(min(vectors.count - first, OutputFile.maxVectors)))
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                if written == 0 { errno = EIO }
                fail("cannot write")
                return
            }
            var left = written
            while left > 0 {
                let length = vectors[first].iov_len
                if left >= length {
                    left -= length
                    first += 1
                } else {
                    vectors[first].iov_base = vectors[first].iov_base.map { $0 + left }
                    vectors[first].iov_len = length - left
                    left = 0
                }
            }
        }
    }
}
