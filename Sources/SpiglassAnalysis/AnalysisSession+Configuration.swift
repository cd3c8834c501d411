import SpiglassCapture
import SpiglassSAD

extension AnalysisSession {
    /// What a run reads and how: the command line of `analyze` and `ike` as the library takes
    /// it. Either `captures` (paths already expanded, "-" for standard input) or `interface`.
    public struct Configuration {
        public var captures: [String] = []
        public var interface: String?
        /// Promiscuous mode and snapshot length of a live capture.
        public var liveOptions = CaptureReader.LiveOptions()
        public var keyFiles: [String] = []
        /// `--key` specs, each one line of any key format.
        public var inlineKeys: [String] = []
        public var keyFormat: KeyFileFormat?
        public var includes: KeyFileIncludes = .confined
        /// Warn about key files other users may read or write (`KeyFileWarnings`).
        public var permissionWarnings = true
        public var filter: String?
        /// Reports, -w, limits and the rest of what the analysis itself is set up with.
        public var options = AnalysisOptions()
        /// Threads for reading capture files (nil: all cores).
        public var threads: Int?
        /// Stop after this many frames (`-c`).
        public var maxFrames: Int?
        /// Live capture: stop after this many seconds.
        public var duration: Double?
        /// Draw the progress bar on `errors` for a capture file (the caller knows whether a
        /// terminal shows it).
        public var showProgress = false
        /// Events that make the run end with `.failOn`.
        public var failOn: [RunEvent] = []

        public init() {}
    }
}

/// What a session asks of its surroundings while it runs: in the CLI, the signal handlers
/// (SIGINT/SIGTERM stop, SIGHUP reloads the keys, SIGALRM ends a live capture's --duration).
public protocol AnalysisSessionControl: Sendable {
    /// Polled between records: true ends the run at a record boundary, with its summary.
    var stopRequested: Bool { get }
    /// True once per key reload asked for (live captures).
    func takeReloadRequest() -> Bool
    /// Arranges for `stopRequested` to become true after `seconds` (live --duration).
    func stop(after seconds: Double)
    /// The signal that stopped the run, when one did.
    var receivedStopSignal: Int32? { get }
}

/// A run nothing outside stops or reloads (tests; `AnalysisSessionControl.none`).
public struct UninterruptedRun: AnalysisSessionControl {
    public init() {}
    public var stopRequested: Bool { false }
    public func takeReloadRequest() -> Bool { false }
    public func stop(after seconds: Double) {}
    public var receivedStopSignal: Int32? { nil }
}

extension AnalysisSessionControl where Self == UninterruptedRun {
    public static var none: UninterruptedRun { UninterruptedRun() }
}

/// How a run ended, each with the exit status the CLI documents.
public enum AnalysisStatus: Equatable, Sendable {
    /// The capture was read, whatever its packets' verdicts.
    case completed
    /// An input could not be used (capture, interface, filter, key file, an output naming an input).
    case inputUnusable
    /// A capture file is damaged; results cover the frames before the damage.
    case damagedCapture
    /// An output (-w, the reports) could not be written completely.
    case outputIncomplete
    /// Events the configuration's `failOn` names happened.
    case failOn([RunEvent])
    /// SIGINT or SIGTERM stopped the reading of a file.
    case stopped(signal: Int32)

    public var exitStatus: Int32 {
        switch self {
        case .completed: 0
        case .inputUnusable: 1
        case .damagedCapture: 2
        case .outputIncomplete: 3
        case .failOn: 4
        case .stopped(let signal): 128 + signal
        }
    }
}
