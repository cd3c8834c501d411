/// Turns the lines of a charon log, in any shape a system writes one, into `CharonLogLine`s.
///
/// The shapes, from strongSwan's loggers (src/libcharon/bus/listeners/file_logger.c,
/// sys_logger.c, src/charon-systemd) and what syslog daemons and journalctl add:
/// - filelog and stderr: `[TIME ]NN[GRP] [<name|N> ]message`, where TIME is whatever
///   `time_format` gives (with `.mmm` after it when `time_add_ms`), GRP is three capitals
///   and a digit after them with `log_level = yes`, and `<…>` appears with `ike_name = yes`;
/// - syslog: `TIME HOST charon[PID]: NN[GRP] [<name|N> ]message`, in any time format;
/// - charon-systemd's journal logger as journalctl prints it: `TIME HOST
///   charon-systemd[PID]: message`, no thread and no IKE SA, the rows of a multi-line
///   message indented under it;
/// - JSON lines: `journalctl -o json` (MESSAGE, THREAD, IKE_SA_UNIQUE_ID, IKE_SA_NAME,
///   _HOSTNAME, SYSLOG_IDENTIFIER, _PID) and strongSwan 6's `json = yes` filelog (thread,
///   ikesa-uniqueid, ikesa-name, msg); a multi-line message becomes one line per row.
struct CharonLogLineDecoder {
    /// Sources seen, interned ("" is the file's own daemon: filelog and stderr name none).
    private var sources: [String: Int] = ["": 0]
    /// The message the next indented line continues (journal short output only).
    private var continuable: (source: Int, thread: Int?, ikeSA: CharonIKESATag?)?

    /// The prefix is searched this far for the thread marker.
    static let maxPrefixBytes = 400
    /// `<name|N>`: connection names are short; a longer bracket is message text.
    static let maxTagBytes = 260

    /// Calls `emit` with each message line `raw` holds (none for lines of other programs).
    mutating func decode(_ raw: Substring, emit: (CharonLogLine) throws -> Void) rethrows {
        guard let first = raw.utf8.first else { return }
        if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            if let previous = continuable {
                try emit(
                    CharonLogLine(
                        source: previous.source, thread: previous.thread, ikeSA: previous.ikeSA,
                        text: raw, isContinuation: true))
            }
            return
        }
        continuable = nil
        if first == UInt8(ascii: "{"), let object = FlatJSONObject(raw) {
            try decodeJSON(object, emit: emit)
            return
        }
        if let line = decodePrefixed(raw) {
            try emit(line)
            return
        }
        if let line = decodeJournalShort(raw) {
            continuable = (line.source, line.thread, line.ikeSA)
            try emit(line)
        }
    }

    // MARK: - Prefixed lines (filelog, stderr, syslog)

    /// A line with the `NN[GRP]` marker; the text before it may name a syslog host and tag.
    mutating func decodePrefixed(_ raw: Substring, source fixed: Int? = nil) -> CharonLogLine? {
        guard let marker = Self.threadMarker(in: raw) else { return nil }
        let source = fixed ?? intern(Self.syslogSource(raw[..<marker.start]) ?? "")
        var text = raw[marker.messageStart...]
        let tag = Self.ikeSATag(&text)
        return CharonLogLine(source: source, thread: marker.thread, ikeSA: tag, text: text, isContinuation: false)
    }

    /// `NN[GRP]` or `NN[GRP4]` at a word boundary, followed by a blank or the end of the line.
    static func threadMarker(in line: Substring) -> (start: String.Index, thread: Int, messageStart: String.Index)? {
        let utf8 = line.utf8
        let end = utf8.index(utf8.startIndex, offsetBy: maxPrefixBytes, limitedBy: utf8.endIndex) ?? utf8.endIndex
        var bracket = utf8.startIndex
        while let found = utf8[bracket..<end].firstIndex(of: UInt8(ascii: "[")) {
            bracket = utf8.index(after: found)
            // One to five digits before it, at a word boundary.
            var digitStart = found
            var digits = 0
            while digitStart > utf8.startIndex, digits < 5 {
                let before = utf8.index(before: digitStart)
                guard isDigit(utf8[before]) else { break }
                digitStart = before
                digits += 1
            }
            guard digits > 0 else { continue }
            if digitStart > utf8.startIndex {
                let c = utf8[utf8.index(before: digitStart)]
                guard c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: ":") else { continue }
            }
            // Three capitals, an optional level digit, "]", then a blank or the end.
            var j = bracket
            var letters = 0
            while j < end, letters < 3, utf8[j] >= UInt8(ascii: "A"), utf8[j] <= UInt8(ascii: "Z") {
                j = utf8.index(after: j)
                letters += 1
            }
            guard letters == 3, j < end else { continue }
            if isDigit(utf8[j]) { j = utf8.index(after: j) }
            guard j < end, utf8[j] == UInt8(ascii: "]") else { continue }
            let afterBracket = utf8.index(after: j)
            guard afterBracket == utf8.endIndex || utf8[afterBracket] == UInt8(ascii: " ") else { continue }
            let thread = utf8[digitStart..<found].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            let messageStart = afterBracket == utf8.endIndex ? afterBracket : utf8.index(after: afterBracket)
            return (digitStart, thread, messageStart)
        }
        return nil
    }

    /// Takes a leading `<name|N> ` or `<N> ` off `text`.
    static func ikeSATag(_ text: inout Substring) -> CharonIKESATag? {
        guard text.utf8.first == UInt8(ascii: "<"),
            let close = text.utf8.prefix(maxTagBytes).firstIndex(of: UInt8(ascii: ">"))
        else { return nil }
        let inner = text[text.index(after: text.startIndex)..<close]
        let bar = inner.lastIndex(of: "|")
        let digits = bar.map { inner[inner.index(after: $0)...] } ?? inner
        guard !digits.isEmpty, digits.utf8.count <= 10, digits.utf8.allSatisfy(isDigit), let id = UInt32(digits) else {
            return nil
        }
        var rest = text[text.index(after: close)...]
        if rest.utf8.first == UInt8(ascii: " ") { rest = rest.dropFirst() }
        text = rest
        return CharonIKESATag(uniqueID: id, name: bar.map { inner[..<$0] })
    }

    /// "Dec  6 17:43:02 gw charon: " → "gw charon"; a filelog time prefix names no source.
    static func syslogSource(_ prefix: Substring) -> String? {
        guard let last = prefix.utf8.last(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }),
            last == UInt8(ascii: ":")
        else { return nil }
        var p = prefix
        while let last = p.last, last == " " || last == "\t" { p = p.dropLast() }
        p = p.dropLast()
        let words = p.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let tag = words.last, tag.contains(where: \.isLetter) else { return nil }
        let host = words.count >= 2 ? words[words.count - 2] : ""
        return "\(host) \(tag)"
    }

    // MARK: - journalctl short output (charon-systemd's journal logger)

    /// `TIME HOST charon-systemd[PID]: message`: the identifier names a charon.
    mutating func decodeJournalShort(_ raw: Substring) -> CharonLogLine? {
        guard let separator = raw.utf8.prefix(Self.maxPrefixBytes).firstRange(of: ": ".utf8) else { return nil }
        let prefix = raw[..<separator.lowerBound]
        let words = prefix.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 2, let tag = words.last else { return nil }
        let ident = tag.prefix { $0 != "[" }.lowercased()
        guard ident.contains("charon") || ident.contains("strongswan") else { return nil }
        let source = intern("\(words[words.count - 2]) \(tag)")
        return CharonLogLine(
            source: source, thread: nil, ikeSA: nil, text: raw[separator.upperBound...], isContinuation: false)
    }

    // MARK: - JSON lines

    mutating func decodeJSON(_ object: FlatJSONObject, emit: (CharonLogLine) throws -> Void) rethrows {
        let message: String
        var thread: Int?
        var tag: CharonIKESATag?
        var source = 0
        if let journal = object.text("MESSAGE") {
            message = journal
            thread = object.integer("THREAD")
            if let id = object.text("IKE_SA_UNIQUE_ID").flatMap({ UInt32($0) }) {
                tag = CharonIKESATag(uniqueID: id, name: object.text("IKE_SA_NAME").map { Substring($0) })
            }
            let ident = object.text("SYSLOG_IDENTIFIER") ?? object.text("_COMM") ?? ""
            source = intern("\(object.text("_HOSTNAME") ?? "") \(ident)[\(object.text("_PID") ?? "")]")
        } else if let own = object.text("msg") {
            message = own
            thread = object.integer("thread")
            if let id = object.text("ikesa-uniqueid").flatMap({ UInt32($0) }) {
                tag = CharonIKESATag(uniqueID: id, name: object.text("ikesa-name").map { Substring($0) })
            }
        } else {
            return
        }
        var first = true
        for row in message.split(separator: "\n", omittingEmptySubsequences: false) {
            if first, thread == nil, let prefixed = decodePrefixed(row, source: source) {
                // A syslog line that journald stored: the marker is in the message.
                thread = prefixed.thread
                tag = prefixed.ikeSA
                try emit(prefixed)
            } else {
                try emit(CharonLogLine(source: source, thread: thread, ikeSA: tag, text: row, isContinuation: !first))
            }
            first = false
        }
    }

    // MARK: - Helpers

    /// Daemons (syslog hosts and tags) told apart; the lines of any further ones share one.
    static let maxSources = 10_000

    private mutating func intern(_ source: String) -> Int {
        if let index = sources[source] { return index }
        guard sources.count < Self.maxSources else { return Self.maxSources }
        let index = sources.count
        sources[source] = index
        return index
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}
