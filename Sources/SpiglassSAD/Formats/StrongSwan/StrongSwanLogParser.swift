/// Reads the keys a strongSwan charon (or charon-systemd) logs at level 4 (`ike = 4`,
/// `chd = 4`), in every shape a system writes that log (`CharonLogLineDecoder`), and ties
/// each to its SA (`CharonKeyTracker`):
/// - IKEv2: `SKEYSEED` opens a key set, `Sk_d`, `Sk_ai`, `Sk_ar`, `Sk_ei`, `Sk_er`, `Sk_pi`,
///   `Sk_pr secret` fill it; IKEv1: `SKEYID`, `SKEYID_d/_a/_e` and `encryption key Ka`.
///   Algorithms from `selected proposal: IKE:…`.
/// - CHILD_SAs: `encryption|integrity initiator|responder key`, the `SPI 0x…, src A dst B`
///   lines after `adding inbound|outbound ESP SA`, and `[inbound ]CHILD_SA name{n}
///   established with SPIs <in>_i <out>_o`, which makes one SA per direction. Algorithms and
///   ESN from `selected proposal: ESP:…` (AEAD keys include the salt, as charon logs them).
/// A log is messy input: a key whose dump is cut, or that cannot be tied, is skipped with a
/// warning that names its lines; only a log over the size limits is refused.
enum StrongSwanLogParser {
    static let groups: Set<Substring> = [
        "DMN", "MGR", "IKE", "CHD", "JOB", "CFG", "KNL", "NET", "ASN", "ENC", "TNC",
        "IMC", "IMV", "PTS", "TLS", "APP", "ESP", "LIB",
    ]

    // MARK: - Detection

    /// A charon log: lines with a thread marker of a charon group, charon's journal entries,
    /// or key dumps.
    static func looksLike(_ text: String) -> Bool {
        var checked = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), maxSplits: 4096, omittingEmptySubsequences: true) {
            checked += 1
            if checked > 4000 { break }
            guard line.count <= KeyFileLimits.maxLineBytes else { continue }
            let s = Substring(String(decoding: line, as: UTF8.self))
            if let marker = CharonLogLineDecoder.threadMarker(in: s) {
                let group = s[s.index(after: s[marker.start...].firstIndex(of: "[")!)...].prefix(3)
                if groups.contains(group) { return true }
            }
            if s.contains("Sk_ei secret => ") || s.contains("encryption initiator key => ") { return true }
            if s.hasPrefix("{"), let object = FlatJSONObject(s) {
                let ident = (object.text("SYSLOG_IDENTIFIER") ?? object.text("_COMM") ?? "").lowercased()
                if object.text("MESSAGE") != nil, ident.contains("charon") { return true }
                if object.text("msg") != nil, object.text("thread") != nil, object.text("group") != nil { return true }
            }
        }
        return false
    }

    // MARK: - Parsing

    static func parse(_ text: String, file: String) throws -> KeySet {
        try KeyFileLimits.checkFileSize(text.utf8.count, file: file)
        let tracker = CharonKeyTracker(file: file)
        try KeyFileLines.forEach(text, file: file) { lineNumber, raw in
            var line = raw
            if lineNumber == 1, line.hasPrefix("\u{feff}") { line = line.dropFirst() }
            while let last = line.last, last == "\r" || last == " " || last == "\t" { line = line.dropLast() }
            if line.isEmpty { return }
            try tracker.consume(line, number: lineNumber)
        }
        return try tracker.finish()
    }
}
