/// The run's warnings on a terminal too narrow for one: the subject on the "Warning:" row, what
/// is wrong and what follows from it on labelled rows under it. Warnings reach the reports as
/// the sentences JSON carries; the shapes laid out here are those the analysis itself words
/// (timestamps out of range, a key file's unusable IKE keys); any other stays one line.
enum WarningText {
    static let crafted = " (a damaged or crafted capture): "

    /// `label` ("Warning:", "warning:") and `message` as one line or laid out.
    static func line(_ label: String, _ message: String) -> LaidOutLine {
        let whole = "\(label) \(message)"
        // "frame 1: timestamp 9223372036854 s since 1970 lies outside the years 0000-9999 (a
        // damaged or crafted capture): shown as an invalid time …".
        if let cause = message.range(of: crafted),
            let outside = message[..<cause.lowerBound].range(of: " lies outside ")
                ?? message[..<cause.lowerBound].range(of: " is outside ")
        {
            return LaidOutLine(
                whole: whole, headline: "\(label) \(message[..<outside.lowerBound])",
                rows: [
                    "outside: \(message[outside.upperBound..<cause.lowerBound]) (a damaged or crafted capture)",
                    // "shown as an invalid time": the label says "shown" once.
                    "shown: \(message[cause.upperBound...].trimmingPrefix("shown "))",
                ])
        }
        // "IKE SA 500d1235fe70942d (path/ikev2_decryption_table:1): keys unusable: reason".
        if message.hasPrefix("IKE SA "), let keys = message.range(of: "): keys unusable: "),
            let open = message[..<keys.lowerBound].range(of: " (")
        {
            let file = message[open.upperBound..<keys.lowerBound]
            return LaidOutLine(
                whole: whole, headline: "\(label) \(message[..<open.lowerBound]): keys unusable",
                rows: ["keys: \(file.split(separator: "/").last ?? file)"]
                    + LaidOutLine.causeRows(String(message[keys.upperBound...])))
        }
        // "capture read up to frame 4 only: the pcapng has an interface of … ; results cover the
        // frames before it" (`Analyzer.endMessage`).
        if let colon = message.range(of: " only: "), message.hasSuffix(resultsCover),
            let damage = MixedLinkTypeRows.rows(String(message[colon.upperBound...].dropLast(resultsCover.count)))
        {
            return LaidOutLine(
                whole: whole, headline: "\(label) \(message[..<colon.lowerBound]) only: \(damage.fact)",
                rows: damage.rows + ["results: cover the frames before it"])
        }
        return LaidOutLine(whole)
    }

    static let resultsCover = "; results cover the frames before it"
}
