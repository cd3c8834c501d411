internal import CPcap
import Glibc

/// Hands a file being written to the disk in windows as it grows, so that `close`'s `fsync` has
/// almost nothing left to wait for, and lets the page cache forget each window once it is on
/// disk (the pattern of LTTng's trace writer and of `dd oflag=nocache`: `sync_file_range` to
/// start a window's writeback, then to wait for the window before it, then
/// `posix_fadvise(DONTNEED)`).
///
/// Why: without it, a 425 MB `-w` file is all dirty when the run ends, and the `fsync` before
/// the rename waited 0.13–0.23 s for it on the benchmark machine; with it, 0.002–0.02 s. The
/// writer waits for a window only one window behind the one it has just started, so it runs at
/// most two windows ahead of the disk: the dirty memory stays at two windows, and the same
/// few megabytes of page cache are reused instead of the whole file's worth (which, on a
/// virtual machine that returns free memory to its host, cost up to 1 s of system time a run).
/// The file's bytes are the same either way; only when they reach the disk changes.
public struct OutputWriteback {
    /// Bytes per window: 8 MiB; 1–32 MiB measured the same.
    public static let defaultWindow: Int64 = 8 << 20

    let window: Int64
    /// The bytes `[0, started)` have been handed to writeback.
    private var started: Int64 = 0
    /// Cleared when the file system does not support `sync_file_range` (its `fsync` then does
    /// all the work, as before).
    private var supported = true

    init(window: Int64 = OutputWriteback.defaultWindow) {
        self.window = max(window, 4096)
    }

    /// What `advance` found.
    enum Outcome: Equatable {
        case fine
        /// The disk reported an error for bytes already written (`errno`): the file is not
        /// what was written, and `fsync` would not report it again.
        case failed(Int32)
    }

    /// Starts the writeback of every whole window below `end` (the bytes written so far), waits
    /// for the window before each and drops it from the page cache.
    mutating func advance(descriptor: Int32, to end: Int64) -> Outcome {
        while supported && end - started >= window {
            if sync_file_range(descriptor, Int(started), Int(window), UInt32(SYNC_FILE_RANGE_WRITE)) != 0 {
                return stop()
            }
            if started >= window {
                let previous = started - window
                let wait = UInt32(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)
                if sync_file_range(descriptor, Int(previous), Int(window), wait) != 0 { return stop() }
                // Only clean pages are dropped: the window is on disk, its bytes stay in the file.
                _ = posix_fadvise(descriptor, Int(previous), Int(window), POSIX_FADV_DONTNEED)
            }
            started += window
        }
        return .fine
    }

    /// After a failed `sync_file_range`: an unsupported call (or one a signal cut short) leaves
    /// the work to `fsync`; anything else is a write error the caller reports.
    private mutating func stop() -> Outcome {
        let error = errno
        supported = false
        switch error {
        case ENOSYS, EINVAL, ESPIPE, EOPNOTSUPP, EINTR: return .fine
        default: return .failed(error)
        }
    }
}
