import SpiglassSAD

/// A weak algorithm's finding laid out for a narrow terminal: what is wrong as the fact, what
/// follows from it ("effect: packets can be altered undetected …") and the line of the RFC's
/// table ("rule: RFC 8221 5: ENCR_3DES SHOULD NOT") on rows of their own.
enum WeakAlgorithmRows {
    /// The finding with `subject` (", "IKE SA: PRF_HMAC_SHA1: ") before its fact.
    static func line(_ weak: WeakAlgorithm, in use: AlgorithmUse, subject: String = "") -> LaidOutLine {
        let summary = AlgorithmPolicy.summary(weak, in: use)
        let rule = AlgorithmPolicy.rule(weak, in: use)
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
