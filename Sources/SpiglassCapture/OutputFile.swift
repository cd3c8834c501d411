import Glibc

/// A file Spiglass writes (the -w pcap, key tables), written so that it never touches an input
/// and never leaves a half-written file behind:
///
/// - A path that resolves to a file the run reads (same device and inode, after symbolic
///   links: another spelling, a symlink or a hard link) is refused before anything is opened
///   for writing (`refuseInputs`).
/// - A regular file (or a path that does not exist yet) is written to a temporary file in the
///   same directory, created with mode 0600, `O_CREAT | O_EXCL | O_NOFOLLOW` (nothing planted
///   there is followed or reused), and renamed over the path only when everything was written
///   and synced (`close`). Until then the path keeps what it held before (or stays absent); a
///   failed run removes the temporary file. A symbolic link at the path is replaced, never
///   followed. While it grows, the temporary file goes to the disk window by window
///   (`OutputWriteback`), so the sync before the rename has little left to do.
/// - With `publishAtOnce` (a live capture, whose file another tool follows), the temporary file
///   is renamed into place as soon as it is created; a failed write then cuts the file back to
///   the last complete record (`truncateToCommitted`).
/// - Standard output ("-") and special files (a FIFO, /dev/null, a terminal) are written in
///   place: nothing can be renamed there.
///
/// Every write, flush, sync, close and rename is checked; the first failure is kept
/// (`failure`) and reported by `close` with the file's name.
public final class OutputFile {
    /// The path as given ("-" for standard output).
    public let path: String
    /// Where the bytes go until `close`.
    public let descriptor: Int32
    /// The temporary file renamed over `path` by `close`; nil when written in place.
    private var temporary: String?
    /// Whether `path` is a regular file written through a temporary one (renamed already when
    /// published at once).
    private let replaces: Bool
    private var closed = false
    /// The first failure, as "cannot write 'x.pcap': No space left on device".
    public private(set) var failure: CaptureError? = nil
    /// Bytes known to be complete (see `truncateToCommitted`).
    private var committed: Int64 = 0
    /// The temporary file's early writeback; nil for a file written in place or published at
    /// once (another tool may be reading that one from the page cache).
    private var writeback: OutputWriteback?

    /// Opens `path` for writing after checking that it is none of `inputs` (files the run reads;
    /// "-" there stands for standard input).
    public convenience init(path: String, inputs: [String], publishAtOnce: Bool = false) throws {
        try self.init(
            path: path, inputs: inputs, publishAtOnce: publishAtOnce, writebackWindow: OutputWriteback.defaultWindow)
    }

    /// `init(path:inputs:publishAtOnce:)` with the bytes per window of the temporary file's
    /// early writeback (`OutputWriteback`; tests use small ones).
    public init(path: String, inputs: [String], publishAtOnce: Bool, writebackWindow: Int64) throws {
        self.path = path
        if path == "-" {
            try OutputFile.refuseInputs(output: path, inputs: inputs)
            descriptor = dup(STDOUT_FILENO)
            guard descriptor >= 0 else { throw OutputFile.error(path, "cannot use standard output") }
            temporary = nil
            replaces = false
            return
        }
        try OutputFile.refuseInputs(output: path, inputs: inputs)
        var info = stat()
        if stat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                throw CaptureError(.cannotWrite, "cannot write '\(path)': it is a directory")
            case S_IFREG:
                break
            default:
                // A FIFO, a device (/dev/null, /dev/full), a socket, a terminal: written as it is.
                let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)
                guard fd >= 0 else { throw OutputFile.error(path, "cannot open") }
                descriptor = fd
                temporary = nil
                replaces = false
                return
            }
        }
        let (fd, name) = try OutputFile.createTemporary(beside: path)
        descriptor = fd
        temporary = name
        replaces = true
        if publishAtOnce {
            guard rename(name, path) == 0 else {
                let failure = OutputFile.error(path, "cannot put the file in place")
                Glibc.close(fd)
                unlink(name)
                throw failure
            }
            temporary = nil
        } else {
            writeback = OutputWriteback(window: writebackWindow)
        }
    }

    deinit {
        if !closed { discard() }
    }

    /// Refuses an output path that resolves to one of `inputs`: the same file (device and inode,
    /// following symbolic links) reached by any name. "-" as the output means standard output,
    /// and as an input standard input; both are compared through their descriptors.
    public static func refuseInputs(output: String, inputs: [String]) throws {
        var target = stat()
        let found = output == "-" ? fstat(STDOUT_FILENO, &target) == 0 : stat(output, &target) == 0
        // A path that does not exist yet is no input; a pipe or a terminal holds no input file.
        guard found, (target.st_mode & S_IFMT) == S_IFREG || (target.st_mode & S_IFMT) == S_IFBLK else { return }
        for input in inputs {
            var source = stat()
            let read = input == "-" ? fstat(STDIN_FILENO, &source) == 0 : stat(input, &source) == 0
            guard read, source.st_dev == target.st_dev, source.st_ino == target.st_ino else { continue }
            let what = output == "-" ? "to standard output" : "'\(output)'"
            let other = input == "-" ? "standard input" : "'\(input)'"
            let how = input == output ? "" : " (the same file under another name or through a link)"
            throw CaptureError(.outputIsInput, "refusing to write \(what): it is the input \(other)\(how)")
        }
    }

    /// Writes `bytes` whole (a short write is continued); a failure is kept in `failure` and
    /// nothing more is written.
    public func write(_ bytes: [UInt8]) {
        var offset = 0
        while failure == nil && offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                if written == 0 { errno = EIO }
                fail("cannot write")
            }
        }
        startWriteback()
    }

    /// Hands the whole windows written so far to the disk (see `OutputWriteback`). For writers
    /// that write through a stream of their own over (a duplicate of) `descriptor`: call it
    /// after each large write; it reads the position the writes reached. A write error the
    /// disk reports here is kept in `failure`.
    public func startWriteback() {
        guard failure == nil, writeback != nil else { return }
        let end = lseek(descriptor, 0, SEEK_CUR)
        guard end > 0 else { return }
        if case .failed(let error) = writeback!.advance(descriptor: descriptor, to: Int64(end)) {
            errno = error
            fail("cannot write")
        }
    }

    /// Records a failure (keeping the first) from `errno`.
    public func fail(_ action: String) {
        if failure == nil { failure = OutputFile.error(path, action) }
    }

    /// Notes that the first `offset` bytes are complete records.
    public func markCommitted(_ offset: Int64) { committed = offset }

    /// After a failed write to a file published at once: cuts it back to its complete records.
    public func truncateToCommitted() {
        guard replaces, temporary == nil else { return }
        _ = ftruncate(descriptor, __off_t(committed))
    }

    /// Finishes the file: syncs it, closes it and renames it into place. On any failure (now or
    /// earlier) the temporary file is removed, so the path keeps its previous content (a file
    /// published at once is cut back to its complete records), and the error names the file
    /// and says what became of it. Idempotent.
    public func close() throws {
        guard !closed else {
            if let failure { throw failure }
            return
        }
        closed = true
        if failure == nil, replaces, fsync(descriptor) != 0 { fail("cannot sync") }
        if failure != nil { truncateToCommitted() }
        if Glibc.close(descriptor) != 0, failure == nil { fail("cannot close") }
        if failure == nil, let temporary, rename(temporary, path) != 0 { fail("cannot put the file in place") }
        if let failure {
            var outcome = ""
            if let temporary {
                unlink(temporary)
                outcome = "; '\(path)' was left as it was before this run"
            } else if replaces {
                outcome = "; '\(path)' holds the records written before the failure"
            }
            self.failure = CaptureError(failure.code, failure.reason + outcome)
            throw self.failure!
        }
        guard temporary != nil else { return }
        // The rename itself is durable once the directory is synced.
        let directory = open(OutputFile.directory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            Glibc.close(directory)
        }
    }

    /// Gives the file up: removes the temporary file (the path keeps what it held before) or
    /// cuts a published one back to its complete records.
    public func discard() {
        guard !closed else { return }
        closed = true
        truncateToCommitted()
        Glibc.close(descriptor)
        if let temporary { unlink(temporary) }
    }

    // MARK: - helpers

    static func error(_ path: String, _ action: String) -> CaptureError {
        let reason = String(cString: strerror(errno))
        let name = path == "-" ? "standard output" : "'\(path)'"
        return CaptureError(.cannotWrite, "\(action) \(name): \(reason)")
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// A new file ".NAME.spiglass-XXXXXXXX" beside `path`, mode 0600, that did not exist.
    static func createTemporary(beside path: String) throws -> (Int32, String) {
        let directory = directory(of: path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<16 {
            let suffix = String(generator.next() as UInt32, radix: 16)
            let name =
                (directory == "." && !path.hasPrefix("./") ? "" : directory + (directory == "/" ? "" : "/"))
                + ".\(base).spiglass-\(suffix)"
            let fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 { return (fd, name) }
            guard errno == EEXIST else { throw error(path, "cannot create a file beside") }
        }
        throw error(path, "cannot create a file beside")
    }
}
