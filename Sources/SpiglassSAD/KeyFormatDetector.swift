extension KeyFileLoader {
    /// Guesses a key file's format from its content. Distinctive multi-line formats (logs,
    /// xfrm and setkey dumps) are tried first; then the first meaningful line decides.
    public static func detect(_ text: String) -> KeyFileFormat? {
        if let format = detectMultiLineFormat(text) { return format }
        for rawLine in KeyFileLines.of(text).prefix(10_000) {
            let line = rawLine.drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{feff}" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            let word = line.prefix { !$0.isWhitespace }.lowercased()
            if word == "esp" || word == "ah" || word == "ike" || word == "policy" { return .native }
            if line.hasPrefix("\"IPv") || line.hasPrefix("IPv4,") || line.hasPrefix("IPv6,")
                || line.hasPrefix("\"Any\"") || line.hasPrefix("\"*\"")
            {
                return .wiresharkESP
            }
            if let fields = try? WiresharkESPSAParser.splitUATLine(line, file: "", lineNumber: 0) {
                let first = fields.first ?? ""
                let isCookie = first.count == 16 && first.allSatisfy(\.isHexDigit)
                if isCookie && fields.count == 8 { return .wiresharkIKEv2 }
                if isCookie && fields.count == 2 { return .wiresharkIKEv1 }
            }
            if looksLikeTcpdump(text) { return .tcpdump }
            return nil
        }
        return nil
    }
}
