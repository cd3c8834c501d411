import Foundation
import SpiglassWire

/// Reads tcpdump's `-E` secrets syntax (print-esp.c, `esp_print_decode_onesecret`), as a file
/// or as the inline string:
///
///     # comment
///     0x12345678@192.1.2.45 3des-cbc-hmac96:0x4043434545464649494a4a4c4c4f4f515152525454575758
///     0xa@3ffe::2 aes128-cbc-hmac96:aescbcencryption
///     aes256-cbc:0x…                  (no spi@addr: the default SA, for any SPI and address)
///     file other-secrets.txt          (read another secrets file here)
///     ikev2 I 0x0001020304050607 0xc02e7a3031a03188 sha1:0x4ea8… aes128:0x3f44…
///
/// - `spi@addr`: the SPI as C's `strtoul(…, 0)` reads it (`0x` hex, a leading `0` octal,
///   else decimal); `addr` is the *destination* address, IPv4 or IPv6. The source is any.
/// - `algo`: `des-cbc`, `3des-cbc`, `blowfish-cbc` (`bf-cbc`), `rc3-cbc`, `cast128-cbc`,
///   `none`, `aes128-cbc`, `aes192-cbc`, `aes256-cbc` (tcpdump strips `-cbc` and asks
///   OpenSSL, so `3des`, `aes128` … work too). A `-hmac96` suffix means a 12-byte ICV that
///   tcpdump strips without checking: `unchecked-96` here. tcpdump has no ESP
///   authentication key (no `,authkey` form): its integrity name in `ikev2` lines is
///   ignored and nothing else takes one.
/// - `secret`: `0x` + hex (an even number of digits), or the ASCII text itself; 256
///   bytes at most, as in tcpdump.
/// - Several SAs may share a line separated by commas (the inline `-E` form). A comma
///   starts a new SA only when what follows looks like one (`spi@addr …`, `algo:`,
///   `file`, `ikev2`); otherwise it belongs to an ASCII secret.
/// - `file PATH`: PATH is read in place, relative to the including file's directory and, unless
///   `KeyFileIncludes.anywhere` allows any path, inside it (no absolute path, no "..", no
///   symbolic link leading out); only a regular file (no FIFO, device, /proc or /sys file);
///   includes nest at most 8 deep and a cycle is an error. Neither the path nor what the file
///   holds is echoed in errors.
/// - `ikev2 I|R 0xSPIi 0xSPIr integ:key encr:key`: the initiator's (I: SK_ai, SK_ei) or
///   responder's (R: SK_ar, SK_er) keys of one IKEv2 SA; the I and R lines of one SPI
///   pair make one IKE SA.
///
/// As in tcpdump, a later SA for the same SPI and address replaces an earlier one, and
/// the default SA (the last one given) applies only when no specific SA matches, so it
/// is put after all others. Spiglass is stricter than tcpdump on malformed values (odd hex
/// digit counts, trailing garbage after an SPI): those are errors, not silent guesses.
enum TcpdumpSecretsParser: KeyDumpText {
    static let maxIncludeDepth = 8
    static let maxSecretBytes = 256

    // MARK: - Detection

    static func looksLike(_ text: String) -> Bool {
        var checked = 0
        for raw in text.utf8.split(separator: UInt8(ascii: "\n"), maxSplits: 256, omittingEmptySubsequences: true) {
            checked += 1
            if checked > 200 || raw.count > KeyFileLimits.maxLineBytes { return false }
            let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            return looksLikeSA(Substring(line))
        }
        return false
    }

    /// True when `text` starts like one SA of the syntax.
    static func looksLikeSA(_ text: Substring) -> Bool {
        let text = text.drop { $0 == " " || $0 == "\t" }
        let first = text.prefix { $0 != " " && $0 != "\t" }
        let word = first.lowercased()
        if word == "ikev2" || word == "file" { return first.count < text.count }
        if first.count < text.count {
            // spi@addr algo:secret
            guard let at = first.firstIndex(of: "@"), parseSPI(first[..<at]) != nil,
                IPAddress(first[first.index(after: at)...]) != nil
            else { return false }
            let rest = text[first.endIndex...].drop { $0 == " " || $0 == "\t" }
            guard let colon = rest.firstIndex(of: ":") else { return false }
            return espAlgorithm(String(rest[..<colon])) != nil
        }
        guard let colon = first.firstIndex(of: ":") else { return false }
        return espAlgorithm(String(first[..<colon])) != nil
    }

    // MARK: - Parsing

    struct Entry {
        var sa: SecurityAssociation
        var isDefault: Bool
    }

    final class Context {
        var entries: [Entry] = []
        var ike: [IKESecurityAssociation] = []
        var ikeIndex: [[UInt64]: Int] = [:]
        var ikeRoles: [Int: (i: SAOrigin?, r: SAOrigin?)] = [:]
        var notes: [KeyFileNote] = []
        var includes: KeyFileIncludes = .confined

        func note(_ kind: KeyFileNote.Kind, _ file: String, _ line: Int, _ message: String) {
            notes.append(KeyFileNote(kind, file: file, line: line, message))
        }

        func checkCount(_ file: String, _ line: Int) throws {
            guard entries.count + ike.count < KeyFileLimits.maxSAs else {
                throw KeyFileError(.tooLarge, file: file, line: line, "more than \(KeyFileLimits.maxSAs) SAs")
            }
        }
    }

    static func parse(
        _ text: String, file: String, readFile: (String) throws -> String, includes: KeyFileIncludes = .confined,
        depth: Int = 0
    ) throws -> KeySet {
        let ctx = Context()
        ctx.includes = includes
        try parseText(text, file: file, readFile: readFile, depth: depth, chain: [normalize(file)], ctx: ctx)
        return finish(ctx)
    }

    static func parseText(
        _ text: String, file: String, readFile: (String) throws -> String, depth: Int,
        chain: [String], ctx: Context
    ) throws {
        try KeyFileLimits.checkFileSize(text.utf8.count, file: file)
        try KeyFileLines.forEach(text, file: file) { lineNumber, raw in
            let line = Substring(raw.trimmingCharacters(in: .whitespaces))
            if line.isEmpty || line.hasPrefix("#") { return }
            let first = line.prefix { $0 != " " && $0 != "\t" }.lowercased()
            if first == "file" {
                try include(
                    line, file: file, line: lineNumber, readFile: readFile, depth: depth, chain: chain, ctx: ctx)
                return
            }
            for piece in splitSAs(line) {
                try decodeOne(
                    piece, file: file, line: lineNumber, readFile: readFile, depth: depth, chain: chain, ctx: ctx)
            }
        }
    }

    /// Splits the inline form "sa1,sa2"; a comma not followed by something that looks like
    /// an SA stays inside the current one (an ASCII secret with a comma).
    static func splitSAs(_ line: Substring) -> [Substring] {
        guard line.contains(",") else { return [line] }
        var pieces: [Substring] = []
        var start = line.startIndex
        var index = line.startIndex
        while index < line.endIndex {
            if line[index] == "," {
                let next = line.index(after: index)
                if looksLikeSA(line[next...].prefix { $0 != "," }) || isIncludeOrIKE(line[next...]) {
                    pieces.append(line[start..<index])
                    start = next
                }
            }
            index = line.index(after: index)
        }
        pieces.append(line[start...])
        return pieces.map { Substring($0.trimmingCharacters(in: .whitespaces)) }.filter { !$0.isEmpty }
    }

    static func isIncludeOrIKE(_ text: Substring) -> Bool {
        let word = text.drop { $0 == " " || $0 == "\t" }.prefix { $0 != " " && $0 != "\t" }.lowercased()
        return word == "file" || word == "ikev2"
    }

    static func decodeOne(
        _ piece: Substring, file: String, line: Int, readFile: (String) throws -> String, depth: Int,
        chain: [String], ctx: Context
    ) throws {
        let firstToken = piece.prefix { $0 != " " && $0 != "\t" }
        let rest = piece[firstToken.endIndex...].drop { $0 == " " || $0 == "\t" }
        let word = firstToken.lowercased()
        if word == "file" {
            try include(piece, file: file, line: line, readFile: readFile, depth: depth, chain: chain, ctx: ctx)
            return
        }
        if word == "ikev2" {
            try ikeLine(rest, file: file, line: line, ctx: ctx)
            return
        }
        var spi: UInt32? = nil
        var destination = AddressPattern.any
        let decode: Substring
        if rest.isEmpty {
            decode = firstToken
        } else {
            guard let at = firstToken.firstIndex(of: "@") else {
                // The word is not echoed: it may be the algo:secret field.
                throw KeyFileError(
                    .syntax, file: file, line: line, field: "spi",
                    "expected SPI@address before the algorithm (e.g. 0x12345678@192.0.2.1); the first word has no '@'")
            }
            let spiText = firstToken[..<at]
            guard let value = parseSPI(spiText) else {
                throw KeyFileError(
                    .badValue, file: file, line: line, field: "spi",
                    "'\(redacted(spiText))' is not a 32-bit SPI (0x hex, octal or decimal)")
            }
            spi = value
            let addressText = firstToken[firstToken.index(after: at)...]
            guard let address = IPAddress(addressText) else {
                throw KeyFileError(
                    .badValue, file: file, line: line, field: "address",
                    "'\(redacted(addressText))' is not an IPv4 or IPv6 address")
            }
            destination = .exact(address)
            decode = rest
        }
        guard let colon = decode.firstIndex(of: ":") else {
            // Not echoed: without its 'algo:' the field may be the secret alone.
            throw KeyFileError(
                .syntax, file: file, line: line, field: "algorithm",
                "expected algo:secret (e.g. aes128-cbc-hmac96:0x…); there is no ':'")
        }
        let algoName = String(decode[..<colon])
        guard let (encryption, bits, integrity) = espAlgorithm(algoName) else {
            let hint = AlgorithmNames.didYouMean(algoName, among: knownESPNames)
            throw KeyFileError(
                .unknownAlgorithm, file: file, line: line, field: "algorithm",
                "unknown tcpdump algorithm '\(redacted(algoName))'\(hint)")
        }
        var key = try secret(decode[decode.index(after: colon)...], file: file, line: line, field: "secret")
        if encryption == .null, !key.isEmpty {
            ctx.note(.warning, file, line, "'\(redacted(algoName))' encrypts nothing; its secret is ignored")
            key = []
        }
        var sa = SecurityAssociation(
            spi: spi.map { SPI($0) }, source: .any, destination: destination, encryption: encryption,
            encryptionKey: key,
            integrity: integrity, origin: SAOrigin(file: file, line: line))
        try SAValidation.checkKeys(
            &sa, file: file, line: line, encryptionField: "secret", integrityField: "secret", requiredKeyBits: bits)
        try ctx.checkCount(file, line)
        ctx.entries.append(Entry(sa: sa, isDefault: spi == nil))
        let target = spi.map { "SPI 0x\(String($0, radix: 16)) to \(destination)" } ?? "default SA (any SPI)"
        if case .unsupported(let name) = encryption {
            ctx.note(.warning, file, line, "\(target): \(name) is not supported yet")
        } else {
            ctx.note(.understood, file, line, "\(target): \(sa.algorithmDescription)")
        }
    }

    /// `file PATH`.
    static func include(
        _ text: Substring, file: String, line: Int, readFile: (String) throws -> String, depth: Int,
        chain: [String], ctx: Context
    ) throws {
        let path = text.drop { $0 != " " && $0 != "\t" }.trimmingCharacters(in: .whitespaces)
        guard !path.isEmpty else {
            throw KeyFileError(.missingField, file: file, line: line, field: "file", "'file' needs a path")
        }
        guard depth + 1 <= maxIncludeDepth else {
            throw KeyFileError(
                .tooLarge, file: file, line: line, field: "file", "includes nest deeper than \(maxIncludeDepth) files")
        }
        var resolved = path
        if !path.hasPrefix("/"), let slash = file.lastIndex(of: "/") {
            resolved = String(file[...slash]) + path
        }
        if ctx.includes == .confined {
            try checkConfined(path, resolved: resolved, file: file, line: line)
        }
        let normalized = normalize(resolved)
        if chain.contains(normalized) {
            throw KeyFileError(
                .badValue, file: file, line: line, field: "file",
                "this include makes a cycle (\(chain.count) files deep)")
        }
        let text: String
        do {
            text = try readFile(resolved)
        } catch let error as KeyFileError {
            // Said at the include line, without the path (the file's own name is not echoed).
            throw KeyFileError(error.code, file: file, line: line, field: "file", "the included file: \(error.message)")
        } catch {
            throw KeyFileError(.cannotRead, file: file, line: line, field: "file", "cannot read the included file")
        }
        ctx.note(.understood, file, line, "includes the file named here")
        try parseText(text, file: resolved, readFile: readFile, depth: depth + 1, chain: chain + [normalized], ctx: ctx)
    }

    /// Refuses an include that could read outside the including file's directory: an absolute
    /// path, a ".." component, or a path whose real location (symbolic links resolved) is not in
    /// that directory or below. A path that does not exist is left to the read, which says so.
    static func checkConfined(_ path: String, resolved: String, file: String, line: Int) throws {
        if path.hasPrefix("/") || path.split(separator: "/").contains("..") {
            throw KeyFileError(
                .badValue, file: file, line: line, field: "file",
                "an include must stay in the including file's folder (a relative path without '..'); --allow-absolute-includes lifts this"
            )
        }
        let directory = file.lastIndex(of: "/").map { String(file[...$0]) } ?? "./"
        guard let base = realPath(directory), let target = realPath(resolved) else { return }
        guard target.hasPrefix(base == "/" ? "/" : base + "/") else {
            throw KeyFileError(
                .badValue, file: file, line: line, field: "file",
                "the included file lies outside the including file's folder (through a symbolic link); --allow-absolute-includes lifts this"
            )
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// "a/./b/../c" → "a/c", lexically (for cycle detection only).
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            parts.append(part)
        }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    /// `ikev2 I|R 0xSPIi 0xSPIr integ:key encr:key` (the word `ikev2` already read).
    static func ikeLine(_ rest: Substring, file: String, line: Int, ctx: Context) throws {
        let keys = try ikeLineKeys(rest, file: file, line: line, ctx: ctx)
        try addIKEKeys(keys, file: file, line: line, ctx: ctx)
    }

    /// What one `ikev2` line gives: one side's keys of the IKE SA with these SPIs.
    struct IKELineKeys {
        var initiator: Bool
        var spis: (initiator: UInt64, responder: UInt64)
        var encryption: IKEEncryptionAlgorithm
        var integrity: IKEIntegrityAlgorithm
        var encryptionKey: SecretBytes
        var integrityKey: SecretBytes
    }

    /// Reads an `ikev2` line's fields, with warnings on their lengths.
    static func ikeLineKeys(_ rest: Substring, file: String, line: Int, ctx: Context) throws -> IKELineKeys {
        let fields = rest.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let names = ["role", "spi-i", "spi-r", "integ", "encr"]
        guard fields.count >= 5 else {
            throw KeyFileError(
                .missingField, file: file, line: line, field: names[fields.count],
                "ikev2 lines are 'ikev2 I|R 0xSPIi 0xSPIr integ:key encr:key'")
        }
        if fields.count > 5 {
            ctx.note(.warning, file, line, "ikev2 line: \(fields.count - 5) extra field(s) ignored, as tcpdump does")
        }
        let initiator: Bool
        switch fields[0] {
        case "I": initiator = true
        case "R": initiator = false
        default:
            throw KeyFileError(
                .badValue, file: file, line: line, field: "role",
                "'\(redacted(fields[0]))' is not I (initiator) or R (responder)")
        }
        func cookie(_ text: Substring, _ field: String) throws -> UInt64 {
            guard text.count == 18, text.hasPrefix("0x") || text.hasPrefix("0X"),
                let value = UInt64(text.dropFirst(2), radix: 16),
                text.dropFirst(2).allSatisfy({ $0.isHexDigit })
            else {
                throw KeyFileError(
                    .badValue, file: file, line: line, field: field,
                    "'\(redacted(text))' is not 0x followed by 16 hex digits")
            }
            return value
        }
        let spii = try cookie(fields[1], "spi-i")
        let spir = try cookie(fields[2], "spi-r")
        func split(_ text: Substring, _ field: String) throws -> (String, Substring) {
            guard let colon = text.firstIndex(of: ":") else {
                // Not echoed: without its 'name:' the field may be the key alone.
                throw KeyFileError(
                    .syntax, file: file, line: line, field: field,
                    "expected name:key (e.g. sha256:0x…); there is no ':'")
            }
            return (String(text[..<colon]), text[text.index(after: colon)...])
        }
        let (integName, integText) = try split(fields[3], "integ")
        let (encName, encText) = try split(fields[4], "encr")
        guard let integrity = ikeIntegrity(integName) else {
            let hint = AlgorithmNames.didYouMean(integName, among: ["sha1", "md5", "sha256", "sha384", "sha512"])
            throw KeyFileError(
                .unknownAlgorithm, file: file, line: line, field: "integ",
                "unknown integrity algorithm '\(redacted(integName))'\(hint)")
        }
        guard let encryption = ikeEncryption(encName) else {
            let hint = AlgorithmNames.didYouMean(encName, among: ["aes128", "aes192", "aes256", "3des"])
            throw KeyFileError(
                .unknownAlgorithm, file: file, line: line, field: "encr",
                "unknown encryption algorithm '\(redacted(encName))'\(hint)")
        }
        let integKey = try secret(integText, file: file, line: line, field: "integ")
        let encKey = try secret(encText, file: file, line: line, field: "encr")
        if let length = encryption.keyMaterialLength, length != encKey.count {
            ctx.note(
                .warning, file, line, "\(encryption.name) takes a \(length)-byte key, this one has \(encKey.count)")
        }
        if let length = hmacKeyLength(integrity), length != integKey.count {
            ctx.note(
                .warning, file, line,
                "\(integrity.name) usually has a \(length)-byte key in IKEv2, this one has \(integKey.count)")
        }
        return IKELineKeys(
            initiator: initiator, spis: (spii, spir), encryption: encryption, integrity: integrity,
            encryptionKey: encKey, integrityKey: integKey)
    }

    /// Files one `ikev2` line's keys under the IKE SA of its SPIs (the I and R lines make one).
    static func addIKEKeys(_ keys: IKELineKeys, file: String, line: Int, ctx: Context) throws {
        let (spii, spir) = keys.spis
        let encryption = keys.encryption
        let integrity = keys.integrity
        let initiator = keys.initiator
        let origin = SAOrigin(file: file, line: line)
        let index: Int
        if let existing = ctx.ikeIndex[[spii, spir]] {
            index = existing
            let sa = ctx.ike[index]
            if sa.encryption != encryption || sa.integrity != integrity {
                ctx.note(
                    .warning, file, line,
                    "the I and R lines of this SA name different algorithms; keeping \(sa.encryption?.name ?? "?")/\(sa.integrity?.name ?? "?")"
                )
            }
        } else {
            try ctx.checkCount(file, line)
            var sa = IKESecurityAssociation(version: .v2, initiatorSPI: spii, responderSPI: spir, origin: origin)
            sa.encryption = encryption
            sa.integrity = integrity
            index = ctx.ike.count
            ctx.ike.append(sa)
            ctx.ikeIndex[[spii, spir]] = index
        }
        var roles = ctx.ikeRoles[index] ?? (nil, nil)
        if let earlier = initiator ? roles.i : roles.r {
            ctx.note(
                .warning, earlier.file, earlier.line,
                "superseded by \(file):\(line) (the same SPIs and role again; the later line wins, as in tcpdump)")
        }
        if initiator {
            ctx.ike[index].skAi = keys.integrityKey
            ctx.ike[index].skEi = keys.encryptionKey
            roles.i = origin
        } else {
            ctx.ike[index].skAr = keys.integrityKey
            ctx.ike[index].skEr = keys.encryptionKey
            roles.r = origin
        }
        ctx.ikeRoles[index] = roles
        ctx.note(
            .understood, file, line,
            "IKEv2 SA \(hex64(spii))_i \(hex64(spir))_r: \(initiator ? "initiator (SK_ai, SK_ei)" : "responder (SK_ar, SK_er)") keys, \(encryption.name)/\(integrity.name)"
        )
    }

    static func finish(_ ctx: Context) -> KeySet {
        var keys = KeySet()
        keys.notes = ctx.notes
        // Later SAs for the same SPI and destination replace earlier ones; the last default wins.
        var lastIndex: [String: Int] = [:]
        var lastDefault: Int? = nil
        for (i, entry) in ctx.entries.enumerated() {
            if entry.isDefault { lastDefault = i } else { lastIndex[key(entry.sa)] = i }
        }
        for (i, entry) in ctx.entries.enumerated() {
            if let last = entry.isDefault ? lastDefault : lastIndex[key(entry.sa)], last != i {
                let o = ctx.entries[last].sa.origin
                let note =
                    entry.isDefault
                    ? "default SA superseded by \(o.file):\(o.line) (tcpdump keeps the last default)"
                    : "superseded by \(o.file):\(o.line) (same SPI and address; tcpdump uses the later one)"
                keys.notes.append(KeyFileNote(.warning, file: entry.sa.origin.file, line: entry.sa.origin.line, note))
            } else if !entry.isDefault {
                keys.sas.append(entry.sa)
            }
        }
        if let last = lastDefault { keys.sas.append(ctx.entries[last].sa) }
        keys.ikeSAs = ctx.ike
        return keys
    }

    static func key(_ sa: SecurityAssociation) -> String { "\(sa.spi.map(String.init) ?? "*")@\(sa.destination)" }

    // MARK: - Values

    /// strtoul(text, &end, 0) over the whole text: 0x hex, leading-0 octal, or decimal; 32 bits.
    static func parseSPI(_ text: Substring) -> UInt32? {
        guard !text.isEmpty, text.count <= 34 else { return nil }
        let value: UInt64?
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            let digits = text.dropFirst(2)
            value = digits.isEmpty || !digits.allSatisfy({ $0.isHexDigit }) ? nil : UInt64(digits, radix: 16)
        } else if text.hasPrefix("0"), text.count > 1 {
            value = text.allSatisfy({ $0 >= "0" && $0 <= "7" }) ? UInt64(text, radix: 8) : nil
        } else {
            value = text.allSatisfy({ $0 >= "0" && $0 <= "9" }) ? UInt64(text) : nil
        }
        guard let value, value <= UInt64(UInt32.max) else { return nil }
        return UInt32(value)
    }

    /// `0x` + hex, or the ASCII text itself.
    static func secret(_ text: Substring, file: String, line: Int, field: String) throws -> SecretBytes {
        let bytes: SecretBytes
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            let digits = text.dropFirst(2)
            guard digits.allSatisfy({ $0.isHexDigit }), let decoded = KeyMaterial.hex(digits, strict: true) else {
                throw KeyFileError(
                    .badValue, file: file, line: line, field: field, "not an even number of hex digits after 0x")
            }
            bytes = decoded
        } else {
            bytes = SecretBytes(text.utf8)
        }
        guard !bytes.isEmpty else {
            throw KeyFileError(.badValue, file: file, line: line, field: field, "empty secret")
        }
        guard bytes.count <= maxSecretBytes else {
            throw KeyFileError(
                .badKeyLength, file: file, line: line, field: field,
                "secret of \(bytes.count) bytes; tcpdump takes at most \(maxSecretBytes)")
        }
        return bytes
    }

    static let knownESPNames = [
        "des-cbc", "3des-cbc", "blowfish-cbc", "rc3-cbc", "cast128-cbc", "none", "aes128-cbc",
        "aes192-cbc", "aes256-cbc", "3des-cbc-hmac96", "aes128-cbc-hmac96", "aes192-cbc-hmac96",
        "aes256-cbc-hmac96",
    ]

    /// tcpdump's `espprint_decode_encalgo`: strip `-hmac96` (12-byte unchecked ICV), strip
    /// `-cbc`, then the OpenSSL cipher name.
    static func espAlgorithm(_ raw: String) -> (EncryptionAlgorithm, Int?, IntegrityAlgorithm)? {
        guard raw.utf8.count <= 64 else { return nil }
        var name = raw.lowercased()
        var integrity = IntegrityAlgorithm.null
        if name.count > 7, name.hasSuffix("-hmac96") {
            name.removeLast(7)
            integrity = .unchecked(icvLength: 12)
        }
        if name.count > 4, name.hasSuffix("-cbc") { name.removeLast(4) }
        switch name {
        case "none", "null": return (.null, nil, integrity)
        case "3des", "des3", "des-ede3": return (.tripleDESCBC, nil, integrity)
        case "aes": return (.aesCBC, nil, integrity)
        case "aes128", "aes-128": return (.aesCBC, 128, integrity)
        case "aes192", "aes-192": return (.aesCBC, 192, integrity)
        case "aes256", "aes-256": return (.aesCBC, 256, integrity)
        case "des": return (.desCBC, nil, integrity)
        case "blowfish", "bf": return (.blowfishCBC, nil, integrity)
        case "cast128", "cast", "cast5": return (.cast5CBC, nil, integrity)
        case "rc3": return (.unsupported("rc3-cbc"), nil, integrity)
        default: return nil
        }
    }

    static func ikeEncryption(_ raw: String) -> IKEEncryptionAlgorithm? {
        guard raw.utf8.count <= 64 else { return nil }
        var name = raw.lowercased()
        if name.count > 4, name.hasSuffix("-cbc") { name.removeLast(4) }
        switch name {
        case "aes128", "aes-128": return .aesCBC(keyBits: 128)
        case "aes192", "aes-192": return .aesCBC(keyBits: 192)
        case "aes256", "aes-256": return .aesCBC(keyBits: 256)
        case "3des", "des3", "3des192", "des-ede3": return .tripleDES
        case "des": return .des
        case "null", "none": return .null
        default: return IKEEncryptionAlgorithm(nativeName: raw)
        }
    }

    static func ikeIntegrity(_ raw: String) -> IKEIntegrityAlgorithm? {
        guard raw.utf8.count <= 64 else { return nil }
        switch raw.lowercased() {
        case "sha1", "hmac-sha1": return .hmacSHA1_96
        case "md5", "hmac-md5": return .hmacMD5_96
        case "sha256", "sha2-256", "hmac-sha256": return .hmacSHA256_128
        case "sha384", "sha2-384", "hmac-sha384": return .hmacSHA384_192
        case "sha512", "sha2-512", "hmac-sha512": return .hmacSHA512_256
        case "none", "null": return IKEIntegrityAlgorithm.none
        default: return IKEIntegrityAlgorithm(nativeName: raw)
        }
    }

    /// IKEv2 HMAC integrity keys are as long as the hash output (RFC 7296 2.14, RFC 4868).
    static func hmacKeyLength(_ a: IKEIntegrityAlgorithm) -> Int? {
        switch a {
        case .hmacMD5_96, .hmacMD5_128: return 16
        case .hmacSHA1_96, .hmacSHA1_160: return 20
        case .hmacSHA256_128: return 32
        case .hmacSHA384_192: return 48
        case .hmacSHA512_256: return 64
        case .aesXCBC_96, .aesCMAC_96: return 16
        case .none: return 0
        }
    }
}
