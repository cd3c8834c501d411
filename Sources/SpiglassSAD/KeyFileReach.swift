import Glibc

/// Whether other users can reach a key file at all: a file in a directory only its owner may
/// enter (like ~/.ssh, or a home directory of mode 0700) cannot be opened by them, whatever
/// the file's own mode, and deserves no permission warning.
enum KeyFileReach {
    /// True when some directory on the way to `path` (symbolic links resolved) has neither the
    /// group's nor the others' search bit: nobody but its owner (and root) gets through.
    static func shieldedByDirectory(_ path: String) -> Bool {
        guard let resolved = realpath(path, nil) else { return false }
        defer { free(resolved) }
        var directory = String(cString: resolved)
        while let slash = directory.lastIndex(of: "/") {
            directory = slash == directory.startIndex ? "/" : String(directory[..<slash])
            var info = stat()
            if stat(directory, &info) == 0, UInt32(info.st_mode) & 0o011 == 0 { return true }
            if directory == "/" { break }
        }
        return false
    }
}
