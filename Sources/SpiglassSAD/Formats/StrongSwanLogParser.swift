import SpiglassWire

/// Reads the keys a strongSwan charon daemon logs at level 4 (`ike = 4`, `chd = 4`): the
/// file-log form (`Nov 29 01:22:10 16[IKE] Sk_ei secret => 32 bytes @ 0x…` followed by
/// hexdump rows `   0: 8B D2 …  ascii`), the syslog form (`… host charon: 16[IKE] …`), and
/// journal lines (`charon-systemd[1234]: 16[IKE] …`, or without the thread number, with
/// hexdump rows indented below the message as journalctl prints them).
///
/// What is taken from the log:
/// - IKEv2 SA keys: `SKEYSEED` starts an IKE SA; `Sk_d`, `Sk_ai`, `Sk_ar`, `Sk_ei`, `Sk_er`,
///   `Sk_pi`, `Sk_pr` fill it. Its SPIs come from the first 16 bytes (the IKE header, or
///   the NAT-D input SPIi ‖ SPIr) of a `natd_chunk` or `octets = message + …` dump whose
///   SPIr is not zero, or from a `SPIs <16 hex>_i <16 hex>_r` line (charon's `mgr` log),
///   logged before the keys. Algorithms come from `selected proposal: IKE:…`.
/// - IKEv1 (best effort): `SKEYID` starts an SA; `SKEYID_d/_a/_e` and `encryption key Ka`
///   fill it; the cookies come from a `SPIs …_i …_r` line (IKEv1 has no NAT-D dump with
///   both cookies).
/// - CHILD_SAs: `encryption|integrity initiator|responder key` dumps, the
///   `SPI 0x…, src A dst B` lines after `adding inbound|outbound ESP SA`, and
///   `CHILD_SA name{n} established with SPIs <in>_i <out>_o`, which emits one SA per
///   direction. The initiator keys protect traffic from the exchange initiator: a host
///   that initiated the exchange (its thread last parsed a *response*, or it logged
///   `establishing CHILD_SA name{n}`) uses them outbound, a responder inbound.
///   Algorithms and ESN come from `selected proposal: ESP:…` (AEAD keys include the salt,
///   as charon logs them).
///
/// Lines of different threads interleave; each thread (the number before `[IKE]`) is
/// followed on its own: a dump belongs to its thread, and keys to the SPIs, proposal and
/// role seen on the same thread. A responder derives its IKE keys on another thread than
/// the IKE_SA_INIT one, so a value not seen on the key's thread is taken from the most
/// recent line of any thread. Rekeyed IKE SAs (CREATE_CHILD_SA) do not log their new SPIs
/// unless `mgr` logging shows them; such SAs are skipped with a warning.
enum StrongSwanLogParser: KeyDumpText {
    /// Key dumps larger than this are not keys.
    static let maxKeyBytes = 1024
    static let ikev2KeyNames: Set<String> = ["SKEYSEED", "Sk_d secret", "Sk_ai secret", "Sk_ar secret", "Sk_ei secret",
                                             "Sk_er secret", "Sk_pi secret", "Sk_pr secret"]
    static let ikev1KeyNames: Set<String> = ["SKEYID", "SKEYID_d", "SKEYID_a", "SKEYID_e", "encryption key Ka"]
    static let childKeyNames: Set<String> = ["encryption initiator key", "encryption responder key",
                                             "integrity initiator key", "integrity responder key"]
    /// Dumps whose first 16 bytes are SPIi ‖ SPIr.
    static let spiDumpNames: Set<String> = ["natd_chunk", "octets = message + nonce + prf(Sk_px, IDx')"]
    static let groups: Set<String> = ["DMN", "MGR", "IKE", "CHD", "JOB", "CFG", "KNL", "NET", "ASN", "ENC", "TNC",
                                      "IMC", "IMV", "PTS", "TLS", "APP", "ESP", "LIB"]

    // MARK: - Detection

    static func looksLike(_ text: String) -> Bool {
        var checked = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), maxSplits: 4096, omittingEmptySubsequences: true) {
            checked += 1
            if checked > 4000 { break }
            guard line.count <= KeyFileLimits.maxLineBytes else { continue }
            let s = Substring(String(decoding: line, as: UTF8.self))
            if let marker = threadMarker(in: s), groups.contains(marker.group) { return true }
            if s.contains("Sk_ei secret => ") || s.contains("encryption initiator key => ") { return true }
        }
        return false
    }

    // MARK: - Line model

    /// `NN[GRP] ` inside a line: the thread, the group, and the message after it.
    static func threadMarker(in line: Substring) -> (thread: Int, group: String, message: Substring)? {
        let chars = Array(line.utf8.prefix(320))
        var i = 0
        while i < chars.count {
            if chars[i] == UInt8(ascii: "[") {
                // digits before
                var d = i
                while d > 0, d > i - 4, isDigit(chars[d - 1]) { d -= 1 }
                let digitCount = i - d
                let boundaryOK = d == 0 || chars[d - 1] == UInt8(ascii: " ") || chars[d - 1] == UInt8(ascii: ":") || chars[d - 1] == UInt8(ascii: "\t")
                if digitCount >= 1, digitCount <= 3, boundaryOK {
                    var j = i + 1
                    while j < chars.count, j - i - 1 < 5, chars[j] >= UInt8(ascii: "A"), chars[j] <= UInt8(ascii: "Z") { j += 1 }
                    let letters = j - i - 1
                    if letters >= 3, letters <= 5, j < chars.count, chars[j] == UInt8(ascii: "]"),
                       j + 1 == chars.count || chars[j + 1] == UInt8(ascii: " ") {
                        let thread = chars[d..<i].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
                        let group = String(decoding: chars[(i + 1)..<j], as: UTF8.self)
                        let start = line.utf8.index(line.utf8.startIndex, offsetBy: min(j + 2, chars.count))
                        return (thread, group, line[start...])
                    }
                }
            }
            i += 1
        }
        return nil
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    static func isHex(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f"))
    }
    static func hexValue(_ c: UInt8) -> UInt8 {
        if isDigit(c) { return c - UInt8(ascii: "0") }
        if c >= UInt8(ascii: "a") { return c - UInt8(ascii: "a") + 10 }
        return c - UInt8(ascii: "A") + 10
    }

    struct LogLine {
        /// nil when the line carries no thread number (journal output).
        var thread: Int?
        var message: Substring
        /// An indented line without a prefix: a continuation of the previous message.
        var continuation: Bool
    }

    static func classify(_ line: Substring) -> LogLine {
        if let marker = threadMarker(in: line) {
            return LogLine(thread: marker.thread, message: stripIKEName(marker.message), continuation: false)
        }
        if let charon = line.firstRange(of: "charon") {
            let rest = line[charon.upperBound...]
            if let colon = rest.firstRange(of: ": "), rest.distance(from: rest.startIndex, to: colon.lowerBound) <= 24 {
                return LogLine(thread: nil, message: stripIKEName(rest[colon.upperBound...]), continuation: false)
            }
        }
        if let first = line.first, first == " " || first == "\t" {
            return LogLine(thread: nil, message: line, continuation: true)
        }
        return LogLine(thread: nil, message: stripIKEName(line), continuation: false)
    }

    /// Drops the `<conn|1> ` prefix that `ike_name = yes` adds.
    static func stripIKEName(_ message: Substring) -> Substring {
        guard message.hasPrefix("<"), let close = message.prefix(200).firstIndex(of: ">") else { return message }
        let inner = message[message.index(after: message.startIndex)..<close]
        guard inner.contains("|") else { return message }
        var rest = message[message.index(after: close)...]
        if rest.hasPrefix(" ") { rest = rest.dropFirst() }
        return rest
    }

    /// A hexdump row `  16: 46 40 B6 92 00 00        F@....`: its offset and bytes (at most 16).
    static func hexRow(_ message: Substring) -> (offset: Int, bytes: [UInt8])? {
        let c = Array(message.utf8.prefix(200))
        var i = 0
        while i < c.count, c[i] == UInt8(ascii: " ") || c[i] == UInt8(ascii: "\t") { i += 1 }
        let digitStart = i
        var offset = 0
        while i < c.count, isDigit(c[i]), i - digitStart < 9 { offset = offset * 10 + Int(c[i] - UInt8(ascii: "0")); i += 1 }
        guard i > digitStart, i + 1 < c.count, c[i] == UInt8(ascii: ":"), c[i + 1] == UInt8(ascii: " ") else { return nil }
        i += 2
        var bytes: [UInt8] = []
        while bytes.count < 16, i + 1 < c.count, isHex(c[i]), isHex(c[i + 1]) {
            guard i + 2 == c.count || c[i + 2] == UInt8(ascii: " ") else { break }
            bytes.append(hexValue(c[i]) << 4 | hexValue(c[i + 1]))
            i += 3
            // Two blanks end the hex columns; the ASCII column follows.
            if i < c.count, c[i] == UInt8(ascii: " ") { break }
        }
        guard !bytes.isEmpty else { return nil }
        return (offset, bytes)
    }

    /// `NAME => N bytes @ 0x…`.
    static func dumpHeader(_ message: Substring) -> (name: String, length: Int)? {
        guard let arrow = message.firstRange(of: " => ") else { return nil }
        let rest = message[arrow.upperBound...]
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 9, rest[digits.endIndex...].hasPrefix(" bytes"), let length = Int(digits) else { return nil }
        let name = message[..<arrow.lowerBound].trimmingCharacters(in: .whitespaces)
        return (name, length)
    }

    // MARK: - State

    enum Role { case request, response }

    struct PendingDump {
        var name: String
        var length: Int
        var bytes: [UInt8] = []
        var line: Int
        /// Only the first 16 bytes matter (SPI source); no error when it stops early.
        var spiSource: Bool
    }

    struct IKEBuild {
        var sa: IKESecurityAssociation
        var line: Int
        var spis: (UInt64, UInt64)?
        var proposal: (text: String, line: Int)?
        var keyLines: [String: Int] = [:]
    }

    struct SPILine {
        var spi: UInt32
        var source: IPAddress?
        var destination: IPAddress?
        var inbound: Bool?
        var ah: Bool
    }

    struct ChildBuild {
        var keys: [String: SecretBytes] = [:]
        var keyLines: [String: Int] = [:]
        var spis: [SPILine] = []
        var encryptionName: String?
        var integrityName: String?
    }

    struct ThreadState {
        var pending: PendingDump?
        var spiPair: (UInt64, UInt64)?
        var ikeProposal: (text: String, line: Int)?
        var espProposal: (text: String, line: Int)?
        var lastParsed: Role?
        var direction: (inbound: Bool, ah: Bool)?
        var ike: IKEBuild?
        var child: ChildBuild?
    }

    final class Context {
        let file: String
        var keys = KeySet()
        var threads: [Int: ThreadState] = [:]
        var globalSPIPair: (UInt64, UInt64)?
        var globalIKEProposal: (text: String, line: Int)?
        var globalESPProposal: (text: String, line: Int)?
        var initiatedChildren: Set<String> = []
        var sawInitiating = false
        var awaitingSPIs: [IKEBuild] = []
        var usedPairs: Set<[UInt64]> = []
        var ignored = 0

        init(file: String) { self.file = file }

        func note(_ kind: KeyFileNote.Kind, _ line: Int, _ message: String) {
            keys.notes.append(KeyFileNote(kind, file: file, line: line, message))
        }

        func checkCount(_ line: Int) throws {
            guard keys.sas.count + keys.ikeSAs.count < KeyFileLimits.maxSAs else {
                throw KeyFileError(.tooLarge, file: file, line: line, "more than \(KeyFileLimits.maxSAs) SAs")
            }
        }
    }

    // MARK: - Parsing

    static func parse(_ text: String, file: String) throws -> KeySet {
        guard text.utf8.count <= KeyFileLimits.maxFileBytes else {
            throw KeyFileError(.tooLarge, file: file, line: 0, "key files over \(KeyFileLimits.maxFileBytes) bytes are refused")
        }
        let ctx = Context(file: file)
        var lineNumber = 0
        var lastThread = -1
        for raw in KeyFileLines.of(text) {
            lineNumber += 1
            guard raw.utf8.count <= KeyFileLimits.maxLineBytes else {
                throw KeyFileError(.tooLarge, file: file, line: lineNumber, "line longer than \(KeyFileLimits.maxLineBytes) bytes")
            }
            var line = raw
            while let last = line.last, last == "\r" || last == " " || last == "\t" { line = line.dropLast() }
            if line.isEmpty { continue }
            let parsed = classify(line)
            let thread = parsed.continuation ? lastThread : (parsed.thread ?? -1)
            lastThread = thread
            try handle(parsed.message, thread: thread, line: lineNumber, ctx: ctx)
        }
        // Dumps still open at the end of the file.
        for (_, state) in ctx.threads.sorted(by: { $0.key < $1.key }) {
            if let pending = state.pending, !pending.spiSource {
                throw truncated(pending, file: file)
            }
        }
        for thread in ctx.threads.keys.sorted() {
            if let build = ctx.threads[thread]?.ike {
                ctx.threads[thread]?.ike = nil
                try finishIKE(build, ctx: ctx)
            }
            if let child = ctx.threads[thread]?.child, !child.keys.isEmpty {
                let first = child.keyLines.values.min() ?? 0
                ctx.note(.warning, first, "CHILD_SA keys logged but no 'CHILD_SA … established with SPIs' line follows on this thread; no SA made from them")
            }
        }
        for build in ctx.awaitingSPIs {
            ctx.note(.warning, build.line, "IKE_SA keys logged, but the log never shows its SPIs (no natd_chunk/octets dump or 'SPIs …_i …_r' line); skipped")
        }
        if ctx.ignored > 0 {
            ctx.note(.ignored, 0, "\(ctx.ignored) log lines carry nothing about keys")
        }
        return ctx.keys
    }

    static func truncated(_ pending: PendingDump, file: String) -> KeyFileError {
        if pending.bytes.isEmpty {
            return KeyFileError(.syntax, file: file, line: pending.line, field: pending.name,
                                "'\(pending.name) => \(pending.length) bytes' is not followed by its hexdump")
        }
        return KeyFileError(.syntax, file: file, line: pending.line, field: pending.name,
                            "hexdump of '\(pending.name)' ends after \(pending.bytes.count) of \(pending.length) bytes")
    }

    static func handle(_ message: Substring, thread: Int, line: Int, ctx: Context) throws {
        var state = ctx.threads[thread] ?? ThreadState()
        defer { ctx.threads[thread] = state }

        // 1. A dump in progress on this thread takes its rows.
        if var pending = state.pending {
            if let row = hexRow(message) {
                if pending.spiSource {
                    if row.offset == pending.bytes.count {
                        pending.bytes += row.bytes
                        if pending.bytes.count < 16 && pending.bytes.count < pending.length {
                            state.pending = pending
                            return
                        }
                    }
                    // The rest of this dump is not needed; its rows are skipped as unused.
                    state.pending = nil
                    deliverSPIDump(pending, state: &state, ctx: ctx)
                    return
                }
                guard row.offset == pending.bytes.count else {
                    throw KeyFileError(.syntax, file: ctx.file, line: line, field: pending.name,
                                       "hexdump row at offset \(row.offset), expected \(pending.bytes.count)")
                }
                let expected = min(16, pending.length - pending.bytes.count)
                guard row.bytes.count == expected else {
                    throw KeyFileError(.syntax, file: ctx.file, line: line, field: pending.name,
                                       "hexdump row has \(row.bytes.count) bytes, expected \(expected)")
                }
                pending.bytes += row.bytes
                if pending.bytes.count == pending.length {
                    state.pending = nil
                    try deliverKey(pending.name, SecretBytes(pending.bytes), line: pending.line, state: &state, ctx: ctx)
                } else {
                    state.pending = pending
                }
                return
            }
            if pending.spiSource {
                state.pending = nil
                deliverSPIDump(pending, state: &state, ctx: ctx)
            } else {
                throw truncated(pending, file: ctx.file)
            }
        }

        // 2. A dump header.
        if let header = dumpHeader(message) {
            let name = header.name
            if ikev2KeyNames.contains(name) || ikev1KeyNames.contains(name) || childKeyNames.contains(name) {
                guard header.length <= maxKeyBytes else {
                    throw KeyFileError(.badValue, file: ctx.file, line: line, field: name, "\(header.length) bytes is not a key length")
                }
                if header.length == 0 {
                    try deliverKey(name, SecretBytes(), line: line, state: &state, ctx: ctx)
                } else {
                    state.pending = PendingDump(name: name, length: header.length, line: line, spiSource: false)
                }
                return
            }
            if spiDumpNames.contains(name), header.length >= 16 {
                state.pending = PendingDump(name: name, length: header.length, line: line, spiSource: true)
                return
            }
            ctx.ignored += 1
            return
        }
        if hexRow(message) != nil {
            // Rows of a dump we do not use.
            return
        }

        let text = message.trimmingCharacters(in: .whitespaces)
        // 3. Lines that tie keys to SPIs, roles and algorithms.
        if let range = text.firstRange(of: "selected proposal: ") {
            let proposal = String(text[range.upperBound...]).trimmingCharacters(in: .whitespaces)
            if proposal.hasPrefix("IKE:") {
                state.ikeProposal = (String(proposal.dropFirst(4)), line)
                ctx.globalIKEProposal = state.ikeProposal
                ctx.note(.understood, line, "IKE proposal \(proposal.dropFirst(4))")
            } else if proposal.hasPrefix("ESP:") || proposal.hasPrefix("AH:") {
                state.espProposal = (proposal, line)
                ctx.globalESPProposal = state.espProposal
                ctx.note(.understood, line, "CHILD_SA proposal \(proposal)")
            } else {
                ctx.ignored += 1
            }
            return
        }
        if text.hasPrefix("parsed "), let kind = parsedRole(text) {
            state.lastParsed = kind
            ctx.ignored += 1
            return
        }
        if text.hasPrefix("establishing CHILD_SA ") {
            let name = text.dropFirst("establishing CHILD_SA ".count).prefix { $0 != " " }
            ctx.initiatedChildren.insert(String(name))
            ctx.ignored += 1
            return
        }
        if text.hasPrefix("initiating IKE_SA ") || text.hasPrefix("initiating Main Mode") || text.hasPrefix("initiating Aggressive Mode") {
            ctx.sawInitiating = true
            ctx.ignored += 1
            return
        }
        if text.hasPrefix("adding inbound ") || text.hasPrefix("adding outbound ") {
            state.direction = (text.hasPrefix("adding inbound "), text.contains(" AH SA"))
            ctx.ignored += 1
            return
        }
        if text.hasPrefix("SPI 0x"), let spiLine = parseSPILine(text, direction: state.direction) {
            var child = state.child ?? ChildBuild()
            if child.spis.count < 64 { child.spis.append(spiLine) }
            state.child = child
            state.direction = nil
            return
        }
        if text.hasPrefix("using "), text.hasSuffix(" for encryption") || text.hasSuffix(" for integrity") {
            var child = state.child ?? ChildBuild()
            let name = String(text.dropFirst(6).prefix { $0 != " " })
            if text.hasSuffix(" for encryption") { child.encryptionName = name } else { child.integrityName = name }
            state.child = child
            return
        }
        if text.hasPrefix("CHILD_SA "), text.contains(" established with SPIs ") {
            try finishChild(text, line: line, state: &state, ctx: ctx)
            return
        }
        if let pair = spiPairText(text) {
            setSPIPair(pair, line: line, state: &state, ctx: ctx)
            ctx.note(.understood, line, "IKE SPIs \(hex64(pair.0))_i \(hex64(pair.1))_r")
            return
        }
        ctx.ignored += 1
    }

    static func parsedRole(_ text: String) -> Role? {
        // "parsed IKE_AUTH response 1 [ … ]"
        let words = text.split(separator: " ", maxSplits: 4)
        guard words.count >= 3 else { return nil }
        if words[2] == "request" { return .request }
        if words[2] == "response" { return .response }
        return nil
    }

    static func parseSPILine(_ text: String, direction: (inbound: Bool, ah: Bool)?) -> SPILine? {
        // "SPI 0xf8aeee77, src 10.99.0.2 dst 10.99.0.1"
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," })
        guard words.count >= 2, words[1].hasPrefix("0x"), let spi = UInt32(words[1].dropFirst(2), radix: 16) else { return nil }
        var source: IPAddress? = nil, destination: IPAddress? = nil
        var i = 2
        while i + 1 < words.count {
            if words[i] == "src" { source = IPAddress(hostPart(words[i + 1])) }
            if words[i] == "dst" { destination = IPAddress(hostPart(words[i + 1])) }
            i += 1
        }
        return SPILine(spi: spi, source: source, destination: destination, inbound: direction?.inbound, ah: direction?.ah ?? false)
    }

    /// "10.0.0.1[4500]" → "10.0.0.1".
    static func hostPart(_ word: Substring) -> Substring {
        if let bracket = word.firstIndex(of: "[") { return word[..<bracket] }
        return word
    }

    /// "… SPIs 79f54b97b88d732e_i* d370a4356fcbc654_r …"
    static func spiPairText(_ text: String) -> (UInt64, UInt64)? {
        guard let range = text.firstRange(of: "SPIs ") else { return nil }
        let words = text[range.upperBound...].split(separator: " ", maxSplits: 2)
        guard words.count >= 2 else { return nil }
        func value(_ w: Substring, _ suffix: String) -> UInt64? {
            var w = w
            if w.hasSuffix("*") { w = w.dropLast() }
            guard w.hasSuffix(suffix) else { return nil }
            let digits = w.dropLast(suffix.count)
            guard digits.count == 16 else { return nil }
            return UInt64(digits, radix: 16)
        }
        guard let i = value(words[0], "_i"), let r = value(words[1], "_r"), i != 0 else { return nil }
        return (i, r)
    }

    static func setSPIPair(_ pair: (UInt64, UInt64), line: Int, state: inout ThreadState, ctx: Context) {
        // A pair already given to an IKE SA (later dumps of the same exchange) is no news.
        guard pair.0 != 0, pair.1 != 0, !ctx.usedPairs.contains([pair.0, pair.1]) else { return }
        state.spiPair = pair
        ctx.globalSPIPair = pair
        if !ctx.awaitingSPIs.isEmpty {
            var build = ctx.awaitingSPIs.removeFirst()
            build.spis = pair
            ctx.usedPairs.insert([pair.0, pair.1])
            state.spiPair = nil
            ctx.globalSPIPair = nil
            ctx.note(.warning, build.line, "IKE_SA SPIs taken from line \(line), logged after its keys")
            try? emitIKE(build, ctx: ctx)
        }
    }

    static func deliverSPIDump(_ pending: PendingDump, state: inout ThreadState, ctx: Context) {
        guard pending.bytes.count >= 16 else { return }
        let b = pending.bytes
        let i = b[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let r = b[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        setSPIPair((i, r), line: pending.line, state: &state, ctx: ctx)
    }

    static func deliverKey(_ name: String, _ bytes: SecretBytes, line: Int, state: inout ThreadState, ctx: Context) throws {
        ctx.note(.understood, line, "\(name) (\(bytes.count) bytes)")
        if childKeyNames.contains(name) {
            var child = state.child ?? ChildBuild()
            if child.keys[name] != nil {
                let first = child.keyLines.values.min() ?? line
                ctx.note(.warning, first, "CHILD_SA keys logged but no 'CHILD_SA … established with SPIs' line follows on this thread; no SA made from them")
                child = ChildBuild()
            }
            child.keys[name] = bytes
            child.keyLines[name] = line
            state.child = child
            return
        }
        let v1 = ikev1KeyNames.contains(name)
        let starts = name == "SKEYSEED" || name == "SKEYID"
        if let build = state.ike, starts || build.keyLines[name] != nil || (build.sa.version == .v1) != v1 {
            state.ike = nil
            try finishIKE(build, ctx: ctx)
        }
        if state.ike == nil {
            let spis = state.spiPair ?? ctx.globalSPIPair
            state.spiPair = nil
            if let spis {
                ctx.globalSPIPair = nil
                ctx.usedPairs.insert([spis.0, spis.1])
            }
            let sa = IKESecurityAssociation(version: v1 ? .v1 : .v2, initiatorSPI: spis?.0 ?? 0, responderSPI: spis?.1,
                                            origin: SAOrigin(file: ctx.file, line: line))
            state.ike = IKEBuild(sa: sa, line: line, spis: spis, proposal: state.ikeProposal ?? ctx.globalIKEProposal)
        }
        state.ike!.keyLines[name] = line
        switch name {
        case "Sk_d secret": state.ike!.sa.skD = bytes
        case "Sk_ai secret": state.ike!.sa.skAi = bytes
        case "Sk_ar secret": state.ike!.sa.skAr = bytes
        case "Sk_ei secret": state.ike!.sa.skEi = bytes
        case "Sk_er secret": state.ike!.sa.skEr = bytes
        case "Sk_pi secret": state.ike!.sa.skPi = bytes
        case "Sk_pr secret": state.ike!.sa.skPr = bytes
        case "SKEYID": state.ike!.sa.skeyid = bytes
        case "SKEYID_d": state.ike!.sa.skeyidD = bytes
        case "SKEYID_a": state.ike!.sa.skeyidA = bytes
        case "SKEYID_e": state.ike!.sa.skeyidE = bytes
        case "encryption key Ka": state.ike!.sa.ikev1EncryptionKey = bytes
        default: break // SKEYSEED itself is not kept
        }
    }

    static func finishIKE(_ build: IKEBuild, ctx: Context) throws {
        if build.spis == nil {
            guard ctx.awaitingSPIs.count < 1024 else { return }
            ctx.awaitingSPIs.append(build)
            return
        }
        try emitIKE(build, ctx: ctx)
    }

    static func emitIKE(_ build: IKEBuild, ctx: Context) throws {
        guard let spis = build.spis else { return }
        try ctx.checkCount(build.line)
        var sa = build.sa
        sa.initiatorSPI = spis.0
        sa.responderSPI = spis.1
        var unknown: [String] = []
        if let proposal = build.proposal {
            for token in proposal.text.split(separator: "/") {
                let t = String(token)
                if sa.encryption == nil, let enc = ikeEncryption(t) { sa.encryption = enc; continue }
                if sa.integrity == nil, let integ = ikeIntegrity(t) { sa.integrity = integ; continue }
                if sa.prf == nil, let prf = ikePRF(t) { sa.prf = prf; continue }
                if isGroupOrFlag(t) { continue }
                unknown.append(t)
            }
            if sa.integrity == nil, sa.encryption?.isAEAD == true { sa.integrity = IKEIntegrityAlgorithm.none }
        }
        let version = sa.version == .v2 ? "IKEv2" : "IKEv1"
        var message = "\(version) SA \(hex64(spis.0))_i \(hex64(spis.1))_r"
        if let enc = sa.encryption { message += " \(enc.name)" }
        if let integ = sa.integrity { message += "/\(integ.name)" }
        if let prf = sa.prf { message += "/prf-\(prf.name)" }
        if build.proposal == nil {
            ctx.note(.warning, build.line, message + ": no 'selected proposal: IKE:' line before its keys; algorithms unknown")
        } else if !unknown.isEmpty {
            ctx.note(.warning, build.line, message + ": proposal names not understood: \(unknown.joined(separator: ", "))")
        } else {
            ctx.note(.understood, build.line, message)
        }
        if let enc = sa.encryption, let length = enc.keyMaterialLength, sa.version == .v2, !sa.skEi.isEmpty, sa.skEi.count != length {
            ctx.note(.warning, build.keyLines["Sk_ei secret"] ?? build.line, "Sk_ei has \(sa.skEi.count) bytes but \(enc.name) takes \(length)")
        }
        ctx.keys.ikeSAs.append(sa)
    }

    static func finishChild(_ text: String, line: Int, state: inout ThreadState, ctx: Context) throws {
        // "CHILD_SA net{1} established with SPIs f8aeee77_i 5e81594e_o and TS …"
        let afterPrefix = text.dropFirst("CHILD_SA ".count)
        let fullName = String(afterPrefix.prefix { $0 != " " })
        let label = String(fullName.prefix { $0 != "{" })
        guard let range = text.firstRange(of: " established with SPIs ") else { return }
        let words = text[range.upperBound...].split(separator: " ", maxSplits: 2)
        func spi(_ w: Substring?, _ suffix: String) -> UInt32? {
            guard let w, w.hasSuffix(suffix) else { return nil }
            let digits = w.dropLast(suffix.count)
            guard digits.count == 8 else { return nil }
            return UInt32(digits, radix: 16)
        }
        guard let inSPI = spi(words.first, "_i"), let outSPI = spi(words.count > 1 ? words[1] : nil, "_o") else {
            throw KeyFileError(.syntax, file: ctx.file, line: line, field: "SPIs", "expected 'established with SPIs <8 hex>_i <8 hex>_o'")
        }
        let child = state.child
        state.child = nil
        guard let child, child.keys["encryption initiator key"] != nil || child.keys["integrity initiator key"] != nil else {
            ctx.note(.warning, line, "CHILD_SA \(fullName) established, but its keys are not in the log on this thread (chd log level below 4?)")
            return
        }
        // Which side initiated the exchange that made this CHILD_SA.
        let initiator: Bool
        switch state.lastParsed {
        case .response?: initiator = true
        case .request?: initiator = false
        case nil:
            if ctx.initiatedChildren.contains(fullName) {
                initiator = true
            } else {
                initiator = ctx.sawInitiating
                ctx.note(.warning, line, "CHILD_SA \(fullName): no parsed request/response on this thread; assuming this host was the \(initiator ? "initiator" : "responder")")
            }
        }
        guard let proposal = state.espProposal ?? ctx.globalESPProposal else {
            ctx.note(.warning, line, "CHILD_SA \(fullName): no 'selected proposal: ESP:' line before it; algorithms unknown, no SA made")
            return
        }
        let ah = proposal.text.hasPrefix("AH:") || child.spis.contains { $0.ah }
        let tokens = proposal.text.drop { $0 != ":" }.dropFirst().split(separator: "/").map(String.init)
        var encryption: (EncryptionAlgorithm, Int?)? = ah ? (.null, nil) : nil
        var integrity: IntegrityAlgorithm? = nil
        var esn = false
        var unknown: [String] = []
        for t in tokens {
            if t == "EXT_SEQ" { esn = true; continue }
            if t == "NO_EXT_SEQ" { continue }
            if encryption == nil, let e = espEncryption(t) { encryption = e; continue }
            if integrity == nil, let i = espIntegrity(t) { integrity = i; continue }
            if isGroupOrFlag(t) { continue }
            unknown.append(t)
        }
        if encryption == nil, let name = child.encryptionName { encryption = espEncryption(name) }
        if integrity == nil, let name = child.integrityName { integrity = espIntegrity(name) }
        guard let (enc, keyBits) = encryption else {
            throw KeyFileError(.unknownAlgorithm, file: ctx.file, line: proposal.line, field: "proposal",
                               "no encryption algorithm Spiglass knows in this proposal")
        }
        if !unknown.isEmpty {
            ctx.note(.warning, proposal.line, "proposal names not understood: \(unknown.joined(separator: ", "))")
        }
        let integ = enc.isAEAD ? IntegrityAlgorithm.null : (integrity ?? .null)
        // The initiator→responder direction first, then the other.
        let directions: [(spi: UInt32, keys: String)] = initiator
            ? [(outSPI, "initiator"), (inSPI, "responder")]
            : [(inSPI, "initiator"), (outSPI, "responder")]
        for (spi, side) in directions {
            let encName = "encryption \(side) key", integName = "integrity \(side) key"
            let keyLine = child.keyLines[encName] ?? child.keyLines[integName] ?? line
            let spiInfo = child.spis.last { $0.spi == spi }
            var sa = SecurityAssociation(spi: spi,
                                         source: spiInfo?.source.map { .exact($0) } ?? .any,
                                         destination: spiInfo?.destination.map { .exact($0) } ?? .any,
                                         encryption: enc, encryptionKey: ah ? SecretBytes() : (child.keys[encName] ?? SecretBytes()),
                                         integrity: integ, integrityKey: enc.isAEAD ? SecretBytes() : (child.keys[integName] ?? SecretBytes()),
                                         extendedSequenceNumbers: esn, origin: SAOrigin(file: ctx.file, line: line))
            sa.ipsecProtocol = ah ? .ah : .esp
            sa.label = label
            try SAValidation.checkKeys(&sa, file: ctx.file, line: keyLine, encryptionField: encName, integrityField: integName,
                                       requiredKeyBits: keyBits)
            try ctx.checkCount(line)
            ctx.keys.sas.append(sa)
            var message = "CHILD_SA \(label) \(ah ? "AH" : "ESP") SPI 0x\(String(spi, radix: 16)) \(sa.source) → \(sa.destination) \(sa.algorithmDescription) (\(side) keys)"
            if esn { message += " esn" }
            if spiInfo == nil {
                ctx.note(.warning, line, message + ": no 'SPI 0x…, src … dst …' line, addresses unknown")
            } else if case .unsupported(let name) = enc {
                ctx.note(.warning, line, message + ": \(name) is not supported yet")
            } else {
                ctx.note(.understood, line, message)
            }
        }
    }

    // MARK: - strongSwan algorithm names (proposal tokens)

    static func isGroupOrFlag(_ t: String) -> Bool {
        t.hasPrefix("MODP_") || t.hasPrefix("ECP_") || t.hasPrefix("CURVE_") || t.hasPrefix("ECP") || t.hasPrefix("KE")
            || t.hasPrefix("ML_KEM") || t.hasPrefix("NTRU") || t.hasPrefix("BRAINPOOL") || t == "NO_EXT_SEQ" || t == "EXT_SEQ"
            || t.hasPrefix("PRF_") || t == "NULL_DH" || t.hasPrefix("MODP")
    }

    /// "AES_CBC_128" → ("AES_CBC", 128); "AES_GCM_16_256" → ("AES_GCM_16", 256).
    static func splitBits(_ t: String) -> (base: String, bits: Int?) {
        if let underscore = t.lastIndex(of: "_"), let bits = Int(t[t.index(after: underscore)...]),
           [64, 128, 192, 256, 448].contains(bits) {
            return (String(t[..<underscore]), bits)
        }
        return (t, nil)
    }

    static func espEncryption(_ t: String) -> (EncryptionAlgorithm, Int?)? {
        let (base, bits) = splitBits(t)
        switch base {
        case "AES_CBC": return (.aesCBC, bits)
        case "AES_CTR": return (.aesCTR, bits)
        case "AES_GCM_16": return (.aesGCM(icvLength: 16), bits)
        case "AES_GCM_12": return (.aesGCM(icvLength: 12), bits)
        case "AES_GCM_8": return (.aesGCM(icvLength: 8), bits)
        case "CHACHA20_POLY1305": return (.chaCha20Poly1305, nil)
        case "3DES_CBC": return (.tripleDESCBC, nil)
        case "NULL": return (.null, nil)
        case "DES_CBC": return (.desCBC, nil)
        case "BLOWFISH_CBC": return (.blowfishCBC, bits)
        case "CAST_CBC": return (.cast5CBC, bits)
        case "TWOFISH_CBC": return (.unsupported("twofish-cbc"), nil)
        case "AES_CCM_8": return (.aesCCM(icvLength: 8), bits)
        case "AES_CCM_12": return (.aesCCM(icvLength: 12), bits)
        case "AES_CCM_16": return (.aesCCM(icvLength: 16), bits)
        case "NULL_AES_GMAC": return (.aesNullGMAC, bits)
        case "CAMELLIA_CBC", "CAMELLIA_CTR", "CAMELLIA_CCM_8", "CAMELLIA_CCM_12",
             "CAMELLIA_CCM_16", "AES_GMAC", "SERPENT_CBC":
            return (.unsupported(base.lowercased().replacingUnderscores()), nil)
        default: return nil
        }
    }

    static func espIntegrity(_ t: String) -> IntegrityAlgorithm? {
        switch t {
        case "HMAC_MD5_96": return .hmacMD5_96
        case "HMAC_SHA1_96": return .hmacSHA1_96
        case "HMAC_SHA2_256_96": return .hmacSHA256_96
        case "HMAC_SHA2_256_128": return .hmacSHA256_128
        case "HMAC_SHA2_384_192": return .hmacSHA384_192
        case "HMAC_SHA2_512_256": return .hmacSHA512_256
        case "AES_XCBC_96": return .aesXCBC_96
        case "AES_CMAC_96": return .aesCMAC_96
        // Known lengths we cannot check (no such MAC in Spiglass yet).
        // RFC 4543 AUTH_AES_GMAC (AH only; rejected on ESP SAs at validation).
        case "AES_128_GMAC": return .aesGMAC(keyBits: 128)
        case "AES_192_GMAC": return .aesGMAC(keyBits: 192)
        case "AES_256_GMAC": return .aesGMAC(keyBits: 256)
        case "HMAC_SHA1_32": return .unchecked(icvLength: 4)
        case "HMAC_MD5_128": return .unchecked(icvLength: 16)
        case "HMAC_SHA1_160": return .unchecked(icvLength: 20)
        default: return nil
        }
    }

    static func ikeEncryption(_ t: String) -> IKEEncryptionAlgorithm? {
        let (base, bits) = splitBits(t)
        switch base {
        case "AES_CBC": return .aesCBC(keyBits: bits ?? 128)
        case "AES_CTR": return .aesCTR(keyBits: bits ?? 128)
        case "AES_GCM_16": return .aesGCM(keyBits: bits ?? 128, icvLength: 16)
        case "AES_GCM_12": return .aesGCM(keyBits: bits ?? 128, icvLength: 12)
        case "AES_GCM_8": return .aesGCM(keyBits: bits ?? 128, icvLength: 8)
        case "AES_CCM_16": return .aesCCM(keyBits: bits ?? 128, icvLength: 16)
        case "AES_CCM_12": return .aesCCM(keyBits: bits ?? 128, icvLength: 12)
        case "AES_CCM_8": return .aesCCM(keyBits: bits ?? 128, icvLength: 8)
        case "CHACHA20_POLY1305": return .chaCha20Poly1305
        case "3DES_CBC": return .tripleDES
        case "DES_CBC": return .des
        case "NULL": return .null
        case "CAMELLIA_CBC", "CAMELLIA_CTR", "BLOWFISH_CBC", "CAST_CBC", "TWOFISH_CBC", "SERPENT_CBC":
            return .other(t.lowercased().replacingUnderscores())
        default: return nil
        }
    }

    static func ikeIntegrity(_ t: String) -> IKEIntegrityAlgorithm? {
        switch t {
        case "HMAC_MD5_96": return .hmacMD5_96
        case "HMAC_SHA1_96": return .hmacSHA1_96
        case "HMAC_MD5_128": return .hmacMD5_128
        case "HMAC_SHA1_160": return .hmacSHA1_160
        case "AES_XCBC_96": return .aesXCBC_96
        case "AES_CMAC_96": return .aesCMAC_96
        case "HMAC_SHA2_256_128": return .hmacSHA256_128
        case "HMAC_SHA2_384_192": return .hmacSHA384_192
        case "HMAC_SHA2_512_256": return .hmacSHA512_256
        default: return nil
        }
    }

    static func ikePRF(_ t: String) -> IKEPRF? {
        switch t {
        case "PRF_HMAC_MD5": return .hmacMD5
        case "PRF_HMAC_SHA1": return .hmacSHA1
        case "PRF_HMAC_SHA2_256": return .hmacSHA256
        case "PRF_HMAC_SHA2_384": return .hmacSHA384
        case "PRF_HMAC_SHA2_512": return .hmacSHA512
        case "PRF_AES128_XCBC": return .aesXCBC
        case "PRF_AES128_CMAC": return .aesCMAC
        default: return nil
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
