import ArgumentParser
import Glibc

/// The capture files `-r` names: each argument is a path or, when no file has that name, a
/// shell-style pattern (`-r 'dir/*.pcap'`) that Spiglass expands itself, so that quoting it
/// works and thousands of rotated files fit no command-line limit. The order does not matter
/// for the analysis (the files are merged by time); the same file named twice is read once.
enum CaptureFiles {
    struct Expanded {
        var paths: [String]
        /// Files named more than once, for a warning.
        var repeated: [String]
    }

    static func expand(_ arguments: [String]) throws -> Expanded {
        var paths: [String] = []
        var repeated: [String] = []
        var seen: Set<String> = []
        for argument in arguments {
            for path in try matches(argument) {
                // The same file by two names (a glob and an explicit path, a symlink) is one input.
                let identity = realPath(path) ?? path
                if seen.insert(identity).inserted {
                    paths.append(path)
                } else {
                    repeated.append(path)
                }
            }
        }
        return Expanded(paths: paths, repeated: repeated)
    }

    /// The files one argument names: itself when it exists (or is "-", or has no pattern
    /// characters: opening it reports what is wrong), else the pattern's matches in name order.
    static func matches(_ argument: String) throws -> [String] {
        var info = stat()
        if argument == "-" || stat(argument, &info) == 0 || !argument.contains(where: { "*?[".contains($0) }) {
            return [argument]
        }
        var found = glob_t()
        defer { globfree(&found) }
        let status = glob(argument, 0, nil, &found)
        guard status == 0 else {
            if status == GLOB_NOMATCH { throw ValidationError("no capture file matches '\(argument)'") }
            throw ValidationError("cannot expand '\(argument)' (glob error \(status))")
        }
        var paths: [String] = []
        for index in 0..<Int(found.gl_pathc) {
            if let path = found.gl_pathv[index] { paths.append(String(cString: path)) }
        }
        return paths
    }

    private static func realPath(_ path: String) -> String? {
        guard path != "-", let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
