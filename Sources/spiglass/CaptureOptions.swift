import ArgumentParser
import Glibc
import SpiglassAnalysis
import SpiglassCapture
import SpiglassSAD

/// The options `analyze` and `ike` share (capture source, keys, filter, output), turned into
/// the `AnalysisSession` both run: the same pipeline with a different report.
struct CaptureOptions: ParsableArguments {
    @Option(
        name: .customShort("r"),
        help: ArgumentHelp(
            "Capture file to read (pcap or pcapng); repeat it, or give a quoted pattern such as 'dir/*.pcap', to read several files merged by time; '-' reads standard input.",
            valueName: "capture"))
    var read: [String] = []

    @Option(
        name: .customShort("i"),
        help: ArgumentHelp("Capture live on this interface ('spiglass interfaces' lists them).", valueName: "interface")
    )
    var interface: String?

    @Option(
        name: .customShort("k"),
        help: ArgumentHelp("Key file (format detected); repeat to merge several.", valueName: "keyfile"))
    var keys: [String] = []

    @OptionGroup var inline: InlineKeyOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Force the key-file format instead of detecting it.",
            valueName: "format"))
    var keyFormat: KeyFileFormat?

    @Flag(
        name: .long,
        help:
            "Let a tcpdump key file include (file PATH) any regular file, by an absolute path too; by default only files in the including file's folder."
    )
    var allowAbsoluteIncludes = false

    @Flag(
        name: .long,
        help:
            "Do not warn about key files other users can read or write (a file in a directory only its owner can enter gets no warning anyway)."
    )
    var noPermissionWarning = false

    @Option(
        name: .customShort("f"),
        help: ArgumentHelp("BPF filter (tcpdump syntax), compiled for the capture's link type.", valueName: "filter"))
    var filter: String?

    @OptionGroup(title: "Selection (what is shown; every frame is still analysed)") var selection: SelectionOptions

    @Option(
        name: .customShort("w"),
        help: ArgumentHelp(
            "Write every decrypted inner packet to this pcap (raw IP), or pcapng for a name ending in .pcapng; '-' for standard output.",
            valueName: "file"))
    var write: String?

    @OptionGroup var writeOptions: WriteOptions

    @Flag(
        name: .long,
        help:
            "JSON Lines instead of text: one JSON object per line (jq reads it as is; python3 -m json.tool needs --json-lines)."
    )
    var json = false

    @Flag(name: .customShort("q"), help: "No per-packet lines; only the SA table and summary.")
    var quiet = false

    @OptionGroup var terminal: TerminalOptions
    @Flag(
        name: .customShort("V"),
        help: "Under each packet or IKE message, its full dissection: every payload with its fields (like tshark -V).")
    var details = false

    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after this many packets.", valueName: "count"))
    var count: Int?

    @Option(name: .long, help: ArgumentHelp("Live capture: stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @Flag(name: .long, help: "Live capture: do not put the interface in promiscuous mode.")
    var noPromisc = false

    @Option(
        name: .customShort("s"), help: ArgumentHelp("Live capture: snapshot length in bytes.", valueName: "snaplen"))
    var snapLength: Int32 = 262_144

    @Option(
        name: [.customShort("B"), .customLong("buffer-size")],
        help: ArgumentHelp(
            "Live capture: libpcap's ring buffer in KiB, as tcpdump's -B (default: 100 ms of the link's speed, 16 to 128 MiB; 32 MiB when the link does not say).",
            valueName: "KiB"))
    var bufferSize: Int?

    @Option(name: .long, help: "Anti-replay window assumed when inferring ESN high bits.")
    var replayWindow: UInt32 = 64

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Copies of a packet less than this many seconds apart are the capture seeing it twice (capture-duplicate), not a replay; 0 turns this off.",
            valueName: "seconds"))
    var duplicateWindow: Double = 0.001

    @Flag(name: .long, help: "Never draw the progress bar.")
    var noProgress = false

    @Flag(name: .long, help: "Do not look for NULL-encrypted ESP in packets without keys (RFC 5879 heuristics).")
    var noEspNullHeuristic = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "TCP port carrying RFC 8229 IKE/ESP streams (repeatable; default 4500; 0 turns it off).", valueName: "port")
    )
    var tcpEncapPort: [UInt16] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Threads for reading a capture file or an interface (default: all cores); the output is the same whatever the count. Standard input (-r -) always uses one.",
            valueName: "n"))
    var threads: Int?

    @Option(
        name: .customLong("limit"),
        help: ArgumentHelp(
            "Move a bound on what is kept, NAME=VALUE (repeatable): \(ResourceLimit.allCases.map(\.rawValue).joined(separator: ", ")); 'spiglass analyze --help' lists what each bounds and its default.",
            valueName: "name=value"))
    var limits: [LimitArgument] = []

    @Option(
        name: .customLong("fail-on"),
        help: ArgumentHelp(
            "Exit with status 4 when one of these happened (comma-separated, repeatable): \(RunEvent.allCases.map(\.rawValue).joined(separator: ", ")).",
            valueName: "kind,..."))
    var failOn: [String] = []

    /// `--fail-on`'s kinds (checked in validate()).
    var failOnEvents: [RunEvent] {
        failOn.flatMap { $0.split(separator: ",") }.compactMap {
            RunEvent(rawValue: $0.trimmingCharacters(in: .whitespaces).lowercased())
        }
    }

    func validate() throws {
        if read.isEmpty == (interface == nil) {
            throw ValidationError("give -r CAPTURE (one or more) or -i INTERFACE, not both")
        }
        if read.count > 1 && read.contains("-") {
            throw ValidationError("-r - (standard input) cannot be combined with other capture files")
        }
        if read.count > 1, let pipe = read.first(where: CaptureReader.isStream) {
            throw ValidationError(
                "-r \(pipe) is a pipe, read only once: it cannot be combined with other capture files")
        }
        if details && json { throw ValidationError("-V is for text; --json already gives every payload's fields") }
        if replayWindow == 0 { throw ValidationError("--replay-window must be at least 1") }
        if !(0...3600).contains(duplicateWindow) {
            throw ValidationError("--duplicate-window must be between 0 and 3600 seconds")
        }
        if let count, count < 1 { throw ValidationError("-c must be at least 1") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be a positive number of seconds") }
        if duration != nil && interface == nil { throw ValidationError("--duration applies to live captures (-i)") }
        if !(64...262_144).contains(snapLength) { throw ValidationError("-s must be between 64 and 262144") }
        if let bufferSize {
            if interface == nil { throw ValidationError("-B applies to live captures (-i)") }
            // libpcap takes the size in bytes as a C int.
            if !(1...CaptureOptions.maxBufferKiB).contains(bufferSize) {
                throw ValidationError("-B must be between 1 and \(CaptureOptions.maxBufferKiB) KiB")
            }
        }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256") }
        for word in failOn.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let kind = word.trimmingCharacters(in: .whitespaces).lowercased()
            guard RunEvent(rawValue: kind) != nil else {
                throw ValidationError(
                    "--fail-on: '\(kind)' is not one of \(RunEvent.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        for case .failure(let error) in limits.map(\.parsed) { throw ValidationError("--limit: \(error)") }
        try writeOptions.check(write: write)
    }

    /// The largest -B: just under 2 GiB, libpcap's limit.
    static let maxBufferKiB = Int(Int32.max) / 1024

    @Flag(name: .long, help: "Do not derive CHILD_SA keys from the IKE SAs' SK_d (keys come from the key files only).")
    var noDerive = false

    @Flag(
        name: .long,
        help:
            "Decrypt IKEv2 messages whose integrity check fails (as tshark does); what they show is marked unauthenticated."
    )
    var ikeNoIntegrity = false

    /// Runs the capture (`AnalysisSession`) and exits with its status; `page`: where the HTML
    /// report goes (`ReportPage`), instead of standard output.
    func execute(report: AnalysisOptions.Report, ikeSummary: Bool = false, page: ReportPage? = nil) throws {
        // From the start: Ctrl-C or SIGTERM at any point ends the run at a record boundary, with
        // its outputs finished and its summary (see `Signals`).
        Signals.install(live: interface != nil)
        let errors = FileDescriptorSink(descriptor: 2, lineBuffered: true)
        let expanded: CaptureFiles.Expanded
        do {
            expanded = try CaptureFiles.expand(read)
        } catch {
            errors.write("spiglass: error: \(error)\n")
            throw ExitCode(AnalysisStatus.inputUnusable.exitStatus)
        }
        for path in expanded.repeated {
            errors.write("spiglass: warning: '\(path)' is named more than once: read once\n")
        }
        let toStandardError = write == "-"
        let display = terminal.display(descriptor: toStandardError ? 2 : 1, json: json || page != nil)
        try page?.refuseInputs(expanded.paths + keys, errors: errors)
        let pageSink: OutputSink? = page?.sink
        let session = AnalysisSession(
            configuration(report: report, captures: expanded.paths, ikeSummary: ikeSummary), errors: errors,
            control: SignalControl()
        ) { live in
            if let pageSink { return pageSink }
            let sink = FileDescriptorSink(descriptor: toStandardError ? 2 : 1, lineBuffered: live)
            return display.isPlain ? sink : TerminalSink(sink, display: display)
        }
        var status = session.run()
        if let page { status = page.write(after: status, inputs: expanded.paths + keys, errors: errors) }
        if status != .completed { throw ExitCode(status.exitStatus) }
    }

    /// What the run is configured with (the CLI's options as the library takes them).
    func configuration(report: AnalysisOptions.Report, captures: [String], ikeSummary: Bool = false)
        -> AnalysisSession.Configuration
    {
        var configuration = AnalysisSession.Configuration()
        configuration.captures = captures
        configuration.interface = interface
        configuration.liveOptions.promiscuous = !noPromisc
        configuration.liveOptions.snapLength = snapLength
        configuration.liveOptions.bufferBytes = bufferSize.map { $0 * 1024 }
        configuration.keyFiles = keys
        configuration.inlineKeys = inline.specs
        configuration.keyFormat = keyFormat
        configuration.includes = allowAbsoluteIncludes ? .anywhere : .confined
        configuration.permissionWarnings = !noPermissionWarning
        configuration.filter = filter
        configuration.options = analysisOptions(report: report)
        configuration.options.ikeSummary = ikeSummary
        configuration.threads = threads
        configuration.maxFrames = count
        configuration.duration = duration
        configuration.showProgress = !noProgress && isatty(1) == 1 && isatty(2) == 1
        configuration.failOn = failOnEvents
        return configuration
    }

    /// The analysis options of the run (`AnalysisSession` adds the inputs and live flushing).
    func analysisOptions(report: AnalysisOptions.Report) -> AnalysisOptions {
        var options = AnalysisOptions()
        options.format = json ? .json : .text
        options.report = report
        options.packetDetails = details
        options.deriveChildKeys = !noDerive
        options.ikeDecryptDespiteIntegrityFailure = ikeNoIntegrity
        options.quiet = report != .html && (quiet || write == "-")
        options.display = terminal.display(descriptor: write == "-" ? 2 : 1, json: json || report == .html)
        options.hideNonIPsec =
            report != .html && terminal.hidesNonIPsec(descriptor: write == "-" ? 2 : 1, json: json)
        options.writePath = write
        writeOptions.apply(to: &options, path: write)
        options.replayWindow = replayWindow
        options.captureDuplicateWindow = Int64((duplicateWindow * 1_000_000).rounded())
        options.espNullHeuristic = !noEspNullHeuristic
        options.selection = selection.selection
        if !tcpEncapPort.isEmpty { options.tcpEncapsulationPorts = Set(tcpEncapPort.filter { $0 != 0 }) }
        for case .success(let setting) in limits.map(\.parsed) { setting.apply(to: &options) }
        return options
    }
}
