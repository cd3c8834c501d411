internal import CPcap
import Glibc

/// Hands a file being written to the disk in windows as it grows, so that `close`'s `fsync` has
/// almost nothing left to wait for: `sync_file_range(WRITE)` starts a window's writeback as soon
/// as it is complete, and the window two behind it is waited for (the pattern of LTTng's trace
/// writer), so the writer waits only when the disk is more than two windows behind and at most
/// three windows are dirty.
///
/// Why, measured on the 2-core benchmark machine (ext4, 425 MB `-w` file): without it the whole
/// file is dirty when the run ends, and the `fsync` before the rename waited 0.13–0.20 s with
/// nothing else left to do; with it, 0.002–0.018 s, the writeback having gone on while the
/// workers decrypted. The windows stay in the page cache: dropping them too
/// (`posix_fadvise(DONTNEED)`, as `dd oflag=nocache` does) made renaming over a previous output
/// 0.04–0.09 s cheaper, but reading the new file back (the next thing a user does with it)
/// then took 0.17–2.0 s from the disk instead of 0.03 s from memory. The file's bytes are the
/// same either way; only when they reach the disk changes.
public struct OutputWriteback {
    /// Bytes per window: 8 MiB; 1–32 MiB measured the same.
    public static let defaultWindow: Int64 = 8 << 20

    let window: Int64
    /// The bytes `[0, started)` have been handed to writeback.
    private(set) var started: Int64 = 0
    /// Cleared when the file system does not support `sync_file_range` (its `fsync` then does
    /// all the work, as before).
    private(set) var supported = true

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

    /// Starts the writeback of every whole window below `end` (the bytes written so far) and
    /// waits for the window two before each.
    mutating func advance(descriptor: Int32, to end: Int64) -> Outcome {
        while supported && end - started >= window {
            if sync_file_range(descriptor, Int(started), Int(window), UInt32(SYNC_FILE_RANGE_WRITE)) != 0 {
                return stop()
            }
            if started >= 2 * window {
                let previous = started - 2 * window
                let wait = UInt32(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)
                if sync_file_range(descriptor, Int(previous), Int(window), wait) != 0 { return stop() }
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
