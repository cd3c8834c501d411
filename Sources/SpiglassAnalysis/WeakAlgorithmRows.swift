import SpiglassSAD

/// A weak algorithm's finding laid out for a narrow terminal: what is wrong as the fact, what
/// follows from it ("effect: packets can be altered undetected …") and the line of the RFC's
/// table ("rule: RFC 8221 5: ENCR_3DES SHOULD NOT") on rows of their own.
enum WeakAlgorithmRows {
    /// The longest fact kept whole on its row.
    static let maximumFact = 51

    /// The finding with `subject` ("IKE SA: ") before its fact; the transform that was
    /// negotiated ("MODP_2048_256") after the rule when the rule's line does not name it.
    static func line(_ weak: WeakAlgorithm, in use: AlgorithmUse, subject: String = "", transform: String? = nil)
        -> LaidOutLine
    {
        let summary = AlgorithmPolicy.summary(weak, in: use)
        var rule = AlgorithmPolicy.rule(weak, in: use)
        if let transform, !rule.contains(transform) { rule += " (\(transform))" }
        // "encryption without integrity: packets can be altered …", too long for the fact's row
        // after the longest subject ("  finding: rekeyed CHILD_SA: ", 29 of 80 columns): the
        // fact, then its effect on a row of its own.
        guard summary.count > maximumFact, let colon = summary.range(of: ": ") else {
            return LaidOutLine(
                whole: subject + AlgorithmPolicy.reason(weak, in: use), headline: subject + summary,
                rows: ["rule: \(rule)"])
        }
        return LaidOutLine(
            whole: subject + AlgorithmPolicy.reason(weak, in: use), headline: subject + summary[..<colon.lowerBound],
            rows: ["effect: \(summary[colon.upperBound...])", "rule: \(rule)"])
    }
}
