import Foundation

#if canImport(Glibc)
    import Glibc
    private let systemRead = Glibc.read
#elseif canImport(Darwin)
    import Darwin
    private let systemRead = Darwin.read
#endif

/// The key-file formats Spiglass reads.
public enum KeyFileFormat: String, Sendable, CaseIterable {
    case native
    case wiresharkESP = "wireshark-esp"
    case wiresharkIKEv1 = "wireshark-ikev1"
    case wiresharkIKEv2 = "wireshark-ikev2"
    case tcpdump
    case xfrm
    case setkey
    case strongswanLog = "strongswan-log"
    /// `swanctl --list-conns` output: policies only.
    case swanctlList = "swanctl-list"
    /// `swanctl.conf`: policies only (its secrets are not read).
    case swanctlConf = "swanctl-conf"
}

/// Where the includes of a key file (tcpdump's `file PATH`) may point. Either way an included
/// file must be a regular file (not a FIFO, a device, or a /proc or /sys file), and neither its
/// path nor its content is echoed in errors.
public enum KeyFileIncludes: Sendable {
    /// A relative path, resolved from the including file's directory, that stays in it or
    /// below: no absolute path, no "..", no symbolic link leading out.
    case confined
    /// Any path, absolute ones included (`--allow-absolute-includes`).
    case anywhere
}

/// Loads key files into a `KeySet`, detecting each file's format from its content.
public enum KeyFileLoader {
    /// Reads and parses `path`, in `format` or the detected one. A file that other users can
    /// read or write (and any file it includes) gets a warning in `permissionWarnings`.
    public static func loadKeys(path: String, format: KeyFileFormat? = nil, includes: KeyFileIncludes = .confined)
        throws -> KeySet
    {
        let (text, warning) = try readKeyFile(path: path)
        var keys = try parseKeys(text, file: path, format: format, includes: includes)
        if let warning, holdsSecrets(keys, format: format ?? detect(text)) {
            keys.permissionWarnings.removeAll { $0.file == path }
            keys.permissionWarnings.insert(warning, at: 0)
        }
        return keys
    }

    /// Whether a file's permissions matter: a file of policies alone holds no secret, except
    /// swanctl.conf, whose `secrets` section Spiglass does not read but others can.
    public static func holdsSecrets(_ keys: KeySet, format: KeyFileFormat?) -> Bool {
        !(keys.sas.isEmpty && keys.ikeSAs.isEmpty && !keys.policies.isEmpty) || format == .swanctlConf
    }

    /// The warning a key file deserves when users other than its owner may read or write it
    /// (a regular file whose mode has any group or other bit): like ssh's "UNPROTECTED
    /// PRIVATE KEY FILE", but a warning, since captures are often analysed on shared test
    /// machines on purpose. nil for a private file, for anything but a regular file (a pipe,
    /// /dev/stdin) and for a path that cannot be read (reading it will say why).
    public static func permissionWarning(path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return permissionWarning(path: path, mode: info.st_mode)
    }

    static func permissionWarning(path: String, mode: mode_t) -> String? {
        guard (mode & S_IFMT) == S_IFREG else { return nil }
        let permissions = UInt32(mode) & 0o7777
        guard permissions & 0o077 != 0, !KeyFileReach.shieldedByDirectory(path) else { return nil }
        let readable = permissions & 0o044 != 0
        let writable = permissions & 0o022 != 0
        let access = readable && writable ? "readable and writable" : (readable ? "readable" : "writable")
        let octal = String(permissions, radix: 8)
        let shown = String(repeating: "0", count: max(0, 4 - octal.count)) + octal
        return "key file '\(path)' is \(access) by other users (mode \(shown)); restrict it with chmod 600"
    }

    /// Reads a key file whole, within the size limit (errors name the file): its text, and its
    /// permission warning (`permissionWarning`). The bytes are read into a buffer of our
    /// own that is wiped before it is freed (the decoded `String` cannot be: Swift strings
    /// are immutable, and it is freed with the parse that uses it). The mode is checked on
    /// the opened descriptor, so it is that of the file actually read. With `regularOnly` (an
    /// included file) anything but a regular file outside /proc and /sys is refused, and a FIFO
    /// is refused at once instead of waiting for a writer.
    public static func readKeyFile(path: String, regularOnly: Bool = false) throws -> (
        text: String, warning: KeyFileNote?
    ) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | (regularOnly ? O_NONBLOCK : 0))
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == ENOENT, KeyArgument.mayHoldKeyMaterial(path) {
                // A key given where a file name goes: never echo it.
                throw KeyFileError(
                    .cannotRead, file: KeyArgument.hiddenName, line: 0,
                    "cannot read key file: \(reason); the argument is not shown because it looks like key material (give keys inline with --key)"
                )
            }
            throw KeyFileError(.cannotRead, file: path, line: 0, "cannot read key file: \(reason)")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw KeyFileError(
                .cannotRead, file: path, line: 0, "cannot read key file: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) != S_IFDIR else {
            throw KeyFileError(.cannotRead, file: path, line: 0, "is a directory, not a key file")
        }
        let regular = (info.st_mode & S_IFMT) == S_IFREG
        if regularOnly {
            guard regular else {
                throw KeyFileError(
                    .cannotRead, file: path, line: 0, "is not a regular file (a FIFO, a device or a socket)")
            }
            // /proc and /sys files say they are regular (of size 0) but are the machine's state.
            for pseudo in ["/proc", "/sys"] {
                var mount = stat()
                if stat(pseudo, &mount) == 0 && mount.st_dev == info.st_dev {
                    throw KeyFileError(.cannotRead, file: path, line: 0, "is a \(pseudo) file, not a key file")
                }
            }
        }
        if regular && Int(info.st_size) > KeyFileLimits.maxFileBytes {
            throw KeyFileError(
                .tooLarge, file: path, line: 0,
                "\(info.st_size) bytes; key files over \(KeyFileLimits.maxFileBytes) bytes are refused")
        }
        // A regular file is read into a buffer of its size (plus one byte, to see it grow);
        // anything else into one that grows, each old buffer wiped as it is replaced.
        var buffer = WipedBuffer(capacity: regular ? Int(info.st_size) + 1 : 1 << 16)
        defer { buffer.free() }
        while true {
            if buffer.count == buffer.capacity {
                guard buffer.capacity <= KeyFileLimits.maxFileBytes else { break }
                buffer.grow(to: min(buffer.capacity * 2, KeyFileLimits.maxFileBytes + 1))
            }
            let got = systemRead(descriptor, buffer.base + buffer.count, buffer.capacity - buffer.count)
            if got < 0 {
                if errno == EINTR { continue }
                throw KeyFileError(
                    .cannotRead, file: path, line: 0, "cannot read key file: \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            buffer.count += got
        }
        try KeyFileLimits.checkFileSize(buffer.count, file: path)
        let bytes = UnsafeRawBufferPointer(start: buffer.base, count: buffer.count)
        if let capture = CaptureFileSignature.kind(bytes) {
            throw KeyFileError(
                .captureFile, file: path, line: 0,
                regularOnly
                    ? "is a \(capture) capture file, not a key file"
                    : "is a \(capture) capture file, not a key file: were -r and -k swapped? (spiglass -r CAPTURE -k KEYFILE)"
            )
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let warning = permissionWarning(path: path, mode: info.st_mode).map {
            KeyFileNote(.warning, file: path, line: 0, $0)
        }
        return (text, warning)
    }

    /// Raw key-file bytes: wiped when the buffer grows and when it is freed.
    private struct WipedBuffer {
        private(set) var base: UnsafeMutableRawPointer
        private(set) var capacity: Int
        var count = 0

        init(capacity: Int) {
            self.capacity = max(capacity, 1)
            base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 1)
        }

        mutating func grow(to newCapacity: Int) {
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 1)
            bigger.copyMemory(from: base, byteCount: count)
            free()
            base = bigger
            capacity = newCapacity
        }

        func free() {
            SecretBytes.wipe(UnsafeMutableRawBufferPointer(start: base, count: capacity))
            base.deallocate()
        }
    }

    /// Keys given on the command line (`--key SPEC`): one line (or several) of any format that
    /// is read line by line, named "--key #N" in notes and errors, which never quote it.
    public static func loadInlineKeys(
        _ spec: String, index: Int, format: KeyFileFormat? = nil,
        includes: KeyFileIncludes = .confined
    ) throws -> KeySet {
        try parseKeys(spec, file: KeyArgument.inlineName(index), format: format, includes: includes)
    }

    /// The ESP and AH SAs of `path` (IKE SAs are dropped).
    public static func load(path: String) throws -> [SecurityAssociation] {
        try loadKeys(path: path).sas
    }

    /// Parses key-file text; `file` names it in errors and is where relative includes start.
    public static func parseKeys(
        _ text: String, file: String, format forced: KeyFileFormat? = nil,
        includes: KeyFileIncludes = .confined
    ) throws -> KeySet {
        guard let format = forced ?? detect(text) else {
            let line = firstMeaningfulLine(text)
            if line == 0 {
                // Only comments and blank lines (say, a converted file with nothing expressible).
                var empty = KeySet()
                empty.notes.append(
                    KeyFileNote(.warning, file: file, line: 0, "no SAs in this file (only comments or blank lines)"))
                return empty
            }
            throw KeyFileError(
                .unknownFormat, file: file, line: line,
                "not a key or policy file Spiglass recognises (native, Wireshark esp_sa/ikev1/ikev2 tables, tcpdump -E secrets, ip xfrm state/policy, setkey -D/-DP, strongSwan log, swanctl --list-conns, swanctl.conf); use --key-format to force one"
            )
        }
        var keys: KeySet
        switch format {
        case .native, .wiresharkESP, .wiresharkIKEv1, .wiresharkIKEv2:
            keys = try parseLineFormat(text, file: file, format: format)
        case .tcpdump, .xfrm, .setkey, .strongswanLog, .swanctlList, .swanctlConf:
            keys = try parseMultiLineFormat(text, file: file, format: format, includes: includes)
        }
        guard keys.sas.count + keys.ikeSAs.count + keys.policies.count <= KeyFileLimits.maxSAs else {
            throw KeyFileError(.tooLarge, file: file, line: 0, "more than \(KeyFileLimits.maxSAs) SAs")
        }
        return keys
    }

    /// Compatibility entry point: ESP/AH SAs only.
    public static func parse(_ text: String, file: String, format: KeyFileFormat? = nil) throws -> [SecurityAssociation]
    {
        try parseKeys(text, file: file, format: format).sas
    }

    /// Formats with one SA per line, `#` comments and blank lines.
    /// `firstLine` numbers the first line of `text` (`checkKeys` parses one line at a time).
    static func parseLineFormat(_ text: String, file: String, format: KeyFileFormat, firstLine: Int = 1) throws
        -> KeySet
    {
        var keys = KeySet()
        try KeyFileLines.forEach(text, file: file, firstLine: firstLine) { lineNumber, rawLine in
            let line = rawLine.drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{feff}" }
            if line.isEmpty || line.hasPrefix("#") { return }
            guard keys.sas.count + keys.ikeSAs.count + keys.policies.count < KeyFileLimits.maxSAs else {
                throw KeyFileError(.tooLarge, file: file, line: lineNumber, "more than \(KeyFileLimits.maxSAs) SAs")
            }
            switch format {
            case .wiresharkESP:
                let sa = try WiresharkESPSAParser.parseLine(line, file: file, lineNumber: lineNumber)
                keys.sas.append(sa)
                keys.notes.append(note(for: sa))
            case .wiresharkIKEv2:
                let sa = try WiresharkIKEParser.parseIKEv2Line(line, file: file, lineNumber: lineNumber)
                keys.ikeSAs.append(sa)
                keys.notes.append(note(for: sa))
            case .wiresharkIKEv1:
                let sa = try WiresharkIKEParser.parseIKEv1Line(line, file: file, lineNumber: lineNumber)
                keys.ikeSAs.append(sa)
                keys.notes.append(note(for: sa))
            default:
                switch try NativeKeyParser.parseLine(line, file: file, lineNumber: lineNumber) {
                case .ipsec(let sa):
                    keys.sas.append(sa)
                    keys.notes.append(note(for: sa))
                case .ike(let sa):
                    keys.ikeSAs.append(sa)
                    keys.notes.append(note(for: sa))
                case .policy(let policies):
                    keys.policies += policies
                    keys.notes.append(note(for: policies))
                }
            }
        }
        return keys
    }

    /// What `keys check` says about an understood SA.
    public static func note(for sa: SecurityAssociation) -> KeyFileNote {
        var text =
            "\(sa.ipsecProtocol.rawValue.uppercased()) SA spi=\(sa.spi.map { "0x" + String($0.rawValue, radix: 16) } ?? "*") \(sa.source) → \(sa.destination)"
        text += sa.ipsecProtocol == .ah ? " \(sa.integrity.name)" : " \(sa.algorithmDescription)"
        text += " (key \(sa.encryptionKey.count) bytes"
        if sa.integrity.verifies { text += ", auth key \(sa.integrityKey.count) bytes" }
        text += ")"
        if sa.extendedSequenceNumbers { text += " esn" }
        if case .unsupported(let name) = sa.encryption {
            return KeyFileNote(
                .warning, file: sa.origin.file, line: sa.origin.line,
                text + ": \(name) is not implemented yet; its packets will show as unsupported-algorithm")
        }
        return KeyFileNote(.understood, file: sa.origin.file, line: sa.origin.line, text)
    }

    public static func note(for sa: IKESecurityAssociation) -> KeyFileNote {
        var text = "IKEv\(sa.version.rawValue) SA ispi=\(String(sa.initiatorSPI, radix: 16))"
        if let r = sa.responderSPI { text += " rspi=\(String(r, radix: 16))" }
        if let e = sa.encryption { text += " \(e.name)" }
        if let i = sa.integrity { text += "/\(i.name)" }
        let given = [
            ("SK_d", sa.skD), ("SK_ei", sa.skEi), ("SK_er", sa.skEr), ("SK_ai", sa.skAi), ("SK_ar", sa.skAr),
            ("SK_pi", sa.skPi), ("SK_pr", sa.skPr), ("enc key", sa.ikev1EncryptionKey), ("SKEYID", sa.skeyid),
            ("SKEYID_d", sa.skeyidD), ("SKEYID_a", sa.skeyidA), ("SKEYID_e", sa.skeyidE),
        ]
        .filter { !$0.1.isEmpty }.map { "\($0.0) \($0.1.count)" }
        text += " (keys: \(given.joined(separator: ", ")))"
        return KeyFileNote(.understood, file: sa.origin.file, line: sa.origin.line, text)
    }

    static func firstMeaningfulLine(_ text: String) -> Int {
        var n = 0
        for line in KeyFileLines.of(text) {
            n += 1
            let t = line.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
            if !t.isEmpty && !t.hasPrefix("#") { return n }
        }
        return 0
    }
}

extension KeyFileLoader {
    /// For `keys check`: parses like `parseKeys`, but for one-SA-per-line formats goes on
    /// after a bad line, so that every rejected line is reported.
    public static func checkKeys(
        _ text: String, file: String, format forced: KeyFileFormat? = nil,
        includes: KeyFileIncludes = .confined
    ) -> (keys: KeySet, errors: [KeyFileError], format: KeyFileFormat?) {
        guard let format = forced ?? detect(text) else {
            do {
                _ = try parseKeys(text, file: file, format: forced, includes: includes)
            } catch let error as KeyFileError {
                return (KeySet(), [error], nil)
            } catch {}
            return (KeySet(), [], nil)
        }
        switch format {
        case .native, .wiresharkESP, .wiresharkIKEv1, .wiresharkIKEv2:
            var keys = KeySet()
            var errors: [KeyFileError] = []
            var lineNumber = 0
            for rawLine in KeyFileLines.of(text) {
                lineNumber += 1
                let line = rawLine.drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{feff}" }
                if line.isEmpty || line.hasPrefix("#") { continue }
                // Parse the line alone, keeping its number, so one bad line does not hide the rest.
                do {
                    keys.merge(try parseLineFormat(String(line), file: file, format: format, firstLine: lineNumber))
                } catch let error as KeyFileError {
                    errors.append(error)
                } catch {}
                if errors.count >= 10_000 { break }
            }
            return (keys, errors, format)
        default:
            do {
                return (try parseKeys(text, file: file, format: format, includes: includes), [], format)
            } catch let error as KeyFileError {
                return (KeySet(), [error], format)
            } catch {
                return (KeySet(), [], format)
            }
        }
    }
}

extension KeyFileError {
    /// 1-based column of the field this error names, found in the text of its line: the
    /// `field=` of a native line, or the n-th comma-separated field of a Wireshark line.
    public func column(in text: String) -> Int? {
        guard line > 0, let sourceLine = KeyFileLines.line(line, of: text) else { return nil }
        return column(inLine: sourceLine)
    }

    /// The same, given the text of the error's line: a caller with many errors splits the
    /// file once (`KeyFileLines.of`) instead of walking to each error's line again.
    public func column(inLine sourceLine: Substring) -> Int? {
        guard let field else { return nil }
        let source = Array(sourceLine)
        let needle = Array(field + "=")
        if source.count >= needle.count {
            for i in 0...(source.count - needle.count) where source[i..<(i + needle.count)].elementsEqual(needle) {
                if i == 0 || source[i - 1] == " " || source[i - 1] == "\t" { return i + 1 }
            }
        }
        let columns = WiresharkESPSAParser.columnNames + ["initiator cookie", "encryption key"]
        if let index = WiresharkESPSAParser.columnNames.firstIndex(of: field) ?? WiresharkIKEParser.ikev2Columns
            .firstIndex(of: field)
            ?? (columns.firstIndex(of: field).map { $0 - WiresharkESPSAParser.columnNames.count })
        {
            var commas = 0
            var inQuotes = false
            for (i, c) in source.enumerated() {
                if commas == index { return i + 1 }
                if c == "\"" { inQuotes.toggle() }
                if c == "," && !inQuotes { commas += 1 }
            }
        }
        return nil
    }
}
