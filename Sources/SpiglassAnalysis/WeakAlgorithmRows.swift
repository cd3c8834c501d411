import SpiglassSAD

/// A weak algorithm's finding laid out for a narrow terminal: what is wrong as the fact, what
/// follows from it ("effect: packets can be altered undetected …") and the line of the RFC's
/// table ("rule: RFC 8221 5: ENCR_3DES SHOULD NOT") on rows of their own.
enum WeakAlgorithmRows {
    /// The finding with `subject` ("IKE SA: ") before its fact; the transform that was
    /// negotiated ("MODP_2048_256") after the rule when the rule's line does not name it.
    static func line(_ weak: WeakAlgorithm, in use: AlgorithmUse, subject: String = "", transform: String? = nil)
        -> LaidOutLine
    {
        let summary = AlgorithmPolicy.summary(weak, in: use)
        var rule = AlgorithmPolicy.rule(weak, in: use)
        if let transform, !rule.contains(transform) { rule += " (\(transform))" }
        // "encryption without integrity: packets can be altered …": the fact, then its effect.
        guard let colon = summary.range(of: ": ") else {
            return LaidOutLine(
                whole: subject + AlgorithmPolicy.reason(weak, in: use), headline: subject + summary,
                rows: ["rule: \(rule)"])
        }
        return LaidOutLine(
            whole: subject + AlgorithmPolicy.reason(weak, in: use), headline: subject + summary[..<colon.lowerBound],
            rows: ["effect: \(summary[colon.upperBound...])", "rule: \(rule)"])
    }
}
