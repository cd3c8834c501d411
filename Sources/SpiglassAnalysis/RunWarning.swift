import SpiglassCapture
import SpiglassIKE

/// One of the run's warnings, as raised: the warnings a terminal lays out carry their fields,
/// from which both of their forms are made here, side by side: the sentence (piped output,
/// `--wide`, JSON, HTML, standard error) and the terminal's headline with labelled rows. A
/// warning with no layout of its own is its sentence (`other`) and stays one line everywhere.
public enum RunWarning: Sendable, Equatable {
    /// Frame `frame`'s microseconds (nanoseconds) field held `field`, outside 0-999,999
    /// (0-999,999,999), and was carried into the seconds (`TimestampAudit`).
    case timestampFraction(frame: Int, field: Int64, resolution: TimestampResolution)
    /// Frame `frame`'s time, `seconds` since 1970, is outside the years RFC 3339 can write.
    case timestampOutOfRange(frame: Int, seconds: Int64)
    /// What the IKE reconstruction says once per run (a key file's unusable IKE keys among it).
    case ike(IKEDiagnostic)
    /// A stream of one file ended early after frame `frames`; or, `damage.file` set, one file
    /// of several did, frame `frames` of the stream.
    case captureEnded(frames: Int, damage: CaptureDamage)
    /// A stop request ended the reading of a file after frame `frames`.
    case readingStopped(frames: Int)
    /// ICV failures on more SAs than the run diagnoses (`Analyzer.maxICVDiagnoses`).
    case icvDiagnosisBound
    /// Any other warning, in its words.
    case other(String)

    /// The warning as one sentence.
    public var sentence: String {
        switch self {
        case .timestampFraction(let frame, let field, let resolution):
            let (unit, range) = Self.fractionWords(resolution)
            return "frame \(frame): timestamp \(unit) field \(field) is outside \(range)\(Self.crafted)"
                + ": \(Self.carried)"
        case .timestampOutOfRange(let frame, let seconds):
            return "frame \(frame): timestamp \(seconds) s since 1970 lies outside \(Self.years)\(Self.crafted)"
                + ": shown \(Self.invalidTime)"
        case .ike(let diagnostic): return IKEDiagnosticText.text(diagnostic)
        case .captureEnded(let frames, let damage):
            guard damage.file == nil else {
                return "\(CaptureDamageText.sentence(damage)) (frame \(frames) of the stream)"
            }
            return
                "\(Self.endFact(frames: frames, damage)): \(CaptureDamageText.sentence(damage)); \(Self.resultsCover)"
        case .readingStopped(let frames):
            return "reading stopped by a signal after frame \(frames); \(Self.resultsCover)"
        case .icvDiagnosisBound:
            return
                "ICV failures on more than \(Analyzer.maxICVDiagnoses) SAs: the causes of the others are not looked for"
        case .other(let message): return message
        }
    }

    /// The warning after `label` ("Warning:", "warning:"): one line, with the headline and
    /// labelled rows a terminal too narrow for it shows instead.
    func line(_ label: String) -> LaidOutLine {
        let whole = "\(label) \(sentence)"
        switch self {
        case .timestampFraction(let frame, let field, let resolution):
            let (unit, range) = Self.fractionWords(resolution)
            return LaidOutLine(
                whole: whole, headline: "\(label) frame \(frame): timestamp \(unit) field \(field)",
                rows: ["outside: \(range)\(Self.crafted)", "shown: \(Self.carried)"])
        case .timestampOutOfRange(let frame, let seconds):
            return LaidOutLine(
                whole: whole, headline: "\(label) frame \(frame): timestamp \(seconds) s since 1970",
                // "shown as an invalid time": the label says "shown" once.
                rows: ["outside: \(Self.years)\(Self.crafted)", "shown: \(Self.invalidTime)"])
        case .ike(.keysUnusable(let why)):
            guard case .v2(let error) = why.error else { return LaidOutLine(whole) }
            // The key file by its name: its directory is the run's, and long.
            let origin = why.origin.description
            return LaidOutLine(
                whole: whole, headline: "\(label) \(IKEProtectionErrorText.keySet(why)): keys unusable",
                rows: ["keys: \(origin.split(separator: "/").last.map(String.init) ?? origin)"]
                    + LaidOutLine.causeRows(IKEProtectionErrorText.description(error)))
        case .captureEnded(let frames, let damage):
            guard damage.file == nil, let laidOut = CaptureDamageText.laidOut(damage) else { return LaidOutLine(whole) }
            return LaidOutLine(
                whole: whole, headline: "\(label) \(Self.endFact(frames: frames, damage)): \(laidOut.fact)",
                rows: laidOut.rows + ["results: cover the frames before it"])
        default:
            return LaidOutLine(whole)
        }
    }

    /// How far a stream of one file was read: damaged, or sound but beyond what libpcap reads.
    private static func endFact(frames: Int, _ damage: CaptureDamage) -> String {
        damage.unreadable ? "capture read up to frame \(frames) only" : "capture damaged after frame \(frames)"
    }

    private static func fractionWords(_ resolution: TimestampResolution) -> (unit: String, range: String) {
        resolution == .microseconds ? ("microseconds", "0-999999") : ("nanoseconds", "0-999999999")
    }

    private static let crafted = " (a damaged or crafted capture)"
    private static let years = "the years 0000-9999"
    private static let carried = "carried into the seconds, here and in any later such frame"
    private static let invalidTime = "as an invalid time (null in JSON), and times relative to it saturate"
    private static let resultsCover = "results cover the frames before it"
}
