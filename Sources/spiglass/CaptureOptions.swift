import ArgumentParser
import Glibc
import SpiglassAnalysis
import SpiglassCapture
import SpiglassSAD

/// The options `analyze` and `ike` share (capture source, keys, filter, output), and the run
/// both make: the same pipeline with a different report.
struct CaptureOptions: ParsableArguments {
    @Option(name: .customShort("r"), help: ArgumentHelp("Capture file to read (pcap or pcapng); repeat it, or give a quoted pattern such as 'dir/*.pcap', to read several files merged by time; '-' reads standard input.", valueName: "capture"))
    var read: [String] = []

    @Option(name: .customShort("i"), help: ArgumentHelp("Capture live on this interface ('spiglass interfaces' lists them).", valueName: "interface"))
    var interface: String?

    @Option(name: .customShort("k"), help: ArgumentHelp("Key file (format detected); repeat to merge several.", valueName: "keyfile"))
    var keys: [String] = []

    @OptionGroup var inline: InlineKeyOptions

    @Option(name: .long, help: ArgumentHelp("Force the key-file format instead of detecting it (\(KeyFileFormat.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "format"))
    var keyFormat: KeyFileFormat?

    @Flag(name: .long, help: "Let a tcpdump key file include (file PATH) any regular file, by an absolute path too; by default only files in the including file's folder.")
    var allowAbsoluteIncludes = false

    @Option(name: .customShort("f"), help: ArgumentHelp("BPF filter (tcpdump syntax), compiled for the capture's link type.", valueName: "filter"))
    var filter: String?

    @Option(name: .customShort("w"), help: ArgumentHelp("Write every decrypted inner packet to this pcap (raw IP); '-' for standard output.", valueName: "file"))
    var write: String?

    @Flag(name: .long, help: "One JSON object per line instead of text.")
    var json = false

    @Flag(name: .customShort("q"), help: "No per-packet lines; only the SA table and summary.")
    var quiet = false

    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after this many packets.", valueName: "count"))
    var count: Int?

    @Option(name: .long, help: ArgumentHelp("Live capture: stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @Flag(name: .long, help: "Live capture: do not put the interface in promiscuous mode.")
    var noPromisc = false

    @Option(name: .customShort("s"), help: ArgumentHelp("Live capture: snapshot length in bytes.", valueName: "snaplen"))
    var snapLength: Int32 = 262_144

    @Option(name: .long, help: "Anti-replay window assumed when inferring ESN high bits.")
    var replayWindow: UInt32 = 64

    @Option(name: .long, help: ArgumentHelp("Copies of a packet less than this many seconds apart are the capture seeing it twice (capture-duplicate), not a replay (default 0.001; 0 turns this off).", valueName: "seconds"))
    var duplicateWindow: Double = 0.001

    @Flag(name: .long, help: "Never draw the progress bar.")
    var noProgress = false

    @Flag(name: .long, help: "Do not look for NULL-encrypted ESP in packets without keys (RFC 5879 heuristics).")
    var noEspNullHeuristic = false

    @Option(name: .long, help: ArgumentHelp("TCP port carrying RFC 8229 IKE/ESP streams (repeatable; default 4500; 0 turns it off).", valueName: "port"))
    var tcpEncapPort: [UInt16] = []

    @Option(name: .long, help: ArgumentHelp("Threads for reading a capture file (default: all cores); the output is the same whatever the count. Live capture (-i) and standard input (-r -) always use one.", valueName: "n"))
    var threads: Int?

    @Option(name: .customLong("limit"), help: ArgumentHelp("Move a bound on what is kept, NAME=VALUE (repeatable): \(ResourceLimit.allCases.map(\.rawValue).joined(separator: ", ")). See the README.", valueName: "name=value"))
    var limits: [String] = []

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit with status 4 when one of these happened (comma-separated, repeatable): \(RunEvent.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "kind,..."))
    var failOn: [String] = []

    /// `--fail-on`'s kinds (checked in validate()).
    var failOnEvents: [RunEvent] {
        failOn.flatMap { $0.split(separator: ",") }.compactMap { RunEvent(rawValue: $0.trimmingCharacters(in: .whitespaces).lowercased()) }
    }

    func validate() throws {
        if read.isEmpty == (interface == nil) { throw ValidationError("give -r CAPTURE (one or more) or -i INTERFACE, not both") }
        if read.count > 1 && read.contains("-") { throw ValidationError("-r - (standard input) cannot be combined with other capture files") }
        if replayWindow == 0 { throw ValidationError("--replay-window must be at least 1") }
        if !(0...3600).contains(duplicateWindow) { throw ValidationError("--duplicate-window must be between 0 and 3600 seconds") }
        if let count, count < 1 { throw ValidationError("-c must be at least 1") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be a positive number of seconds") }
        if duration != nil && interface == nil { throw ValidationError("--duration applies to live captures (-i)") }
        if !(64...262_144).contains(snapLength) { throw ValidationError("-s must be between 64 and 262144") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256") }
        for word in failOn.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let kind = word.trimmingCharacters(in: .whitespaces).lowercased()
            guard RunEvent(rawValue: kind) != nil else {
                throw ValidationError("--fail-on: '\(kind)' is not one of \(RunEvent.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        var scratch = AnalysisOptions()
        for setting in limits {
            do { try ResourceLimit.apply(setting, to: &scratch) } catch { throw ValidationError("--limit: \(error)") }
        }
    }

    @Flag(name: .long, help: "Do not derive CHILD_SA keys from the IKE SAs' SK_d (keys come from the key files only).")
    var noDerive = false

    @Flag(name: .long, help: "Decrypt IKEv2 messages whose integrity check fails (as tshark does); what they show is marked unauthenticated.")
    var ikeNoIntegrity = false

    func execute(report: AnalysisOptions.Report) throws {
        // From the start: Ctrl-C or SIGTERM at any point ends the run at a record boundary, with
        // its outputs finished and its summary (see `Signals`).
        Signals.install(live: interface != nil)
        let errors = FileDescriptorSink(descriptor: 2, lineBuffered: true)
        func fail(_ error: Error) -> ExitCode {
            errors.write("spiglass: error: \(error)\n")
            return ExitCode(1)
        }
        let expanded: CaptureFiles.Expanded
        do { expanded = try CaptureFiles.expand(read) } catch { throw fail(error) }
        let paths = expanded.paths
        for path in expanded.repeated { errors.write("spiglass: warning: '\(path)' is named more than once: read once\n") }
        let keySet: KeySet
        let keyWarnings = KeyFileWarnings(sink: errors)
        do {
            keySet = try keyWarnings.load(keys, inline: inline, format: keyFormat, allowAbsoluteIncludes: allowAbsoluteIncludes)
        } catch {
            throw fail(error)
        }
        let sad = Analyzer.espDatabase(keySet), ahSAD = Analyzer.ahDatabase(keySet)
        var options = analysisOptions(report: report, live: interface != nil)
        // No output may be written over a file the run reads (checked again where -w is opened).
        options.inputPaths = paths + keys + keySet.includedFiles
        do {
            try FileOutput.refuseStandardOutput(inputs: options.inputPaths)
        } catch {
            throw fail(error)
        }
        let threadCount = threads ?? ParallelAnalysis.defaultThreadCount
        if threadCount > 1, !paths.isEmpty, ParallelAnalysis.canRead(paths) {
            // Files read by several threads; the output is what one thread writes.
            let parallel: ParallelAnalysis
            let output = outputSink()
            do {
                parallel = try ParallelAnalysis(paths: paths, filter: filter, sad: sad, ahSAD: ahSAD, ikeKeys: keySet.ikeSAs,
                                                policies: keySet.policies, options: options, threads: threadCount, output: output)
            } catch {
                throw fail(error)
            }
            let progress: ProgressReporter? =
                (!noProgress && isatty(1) == 1 && isatty(2) == 1 && parallel.fileSize != nil) ? ProgressReporter(sink: errors) : nil
            if let summary = try? parallel.run(progress: progress, maxFrames: count, stopRequested: { Signals.stopRequested }) {
                output.flush()
                try conclude(summary, errors: errors, output: output)
                return
            }
            // No thread could be started: nothing was read yet, so one thread does it all.
        }
        let reader: CaptureStream
        do {
            if let interface {
                var live = CaptureReader.LiveOptions()
                live.promiscuous = !noPromisc
                live.snapLength = snapLength
                let device = try CaptureReader(interface: interface, options: live)
                if let filter { try device.setFilter(filter) }
                reader = CaptureStream(reader: device, path: interface)
            } else {
                reader = try CaptureStream(paths: paths, filter: filter)
            }
        } catch {
            throw fail(error)
        }
        let live = reader.isLive
        let output = outputSink(live: live)
        let analyzer: Analyzer
        do {
            analyzer = try Analyzer(sad: sad, ahSAD: ahSAD, ikeKeys: keySet.ikeSAs, policies: keySet.policies, options: options,
                                    output: output)
        } catch {
            throw fail(error)
        }
        var control = Analyzer.RunControl()
        control.maxFrames = count
        control.stopRequested = { Signals.stopRequested }
        if live {
            analyzer.notice = { errors.write("spiglass: \($0)\n") }
            if let duration {
                control.deadline = ProgressReporter.now() + duration
                Signals.stop(after: duration)
            }
            let keyFiles = keys, inlineKeys = inline.specs, format = keyFormat
            let includes: KeyFileIncludes = allowAbsoluteIncludes ? .anywhere : .confined
            control.reloadRequested = {
                guard Signals.takeReloadRequest() else { return nil }
                do {
                    let fresh = try Analyzer.loadKeySet(keyFiles, inline: inlineKeys, format: format, includes: includes)
                    keyWarnings.report(fresh)
                    return fresh
                } catch {
                    errors.write("spiglass: error: key reload failed, keeping the old keys: \(error)\n")
                    return nil
                }
            }
            errors.write("spiglass: listening on \(interface!), link-type \(reader.sources[0].linkTypeName), snapshot length \(snapLength) bytes\n")
        }
        let progress: ProgressReporter? =
            (!noProgress && !live && isatty(1) == 1 && isatty(2) == 1 && reader.fileSize != nil) ? ProgressReporter(sink: errors) : nil
        let summary = analyzer.run(reader, progress: progress, control: control)
        output.flush()
        try conclude(summary, errors: errors, output: output, live: live)
    }

    /// What the run is configured with (the CLI's options as the library takes them).
    func analysisOptions(report: AnalysisOptions.Report, live: Bool) -> AnalysisOptions {
        var options = AnalysisOptions()
        options.format = json ? .json : .text
        options.report = report
        options.deriveChildKeys = !noDerive
        options.ikeDecryptDespiteIntegrityFailure = ikeNoIntegrity
        options.quiet = quiet || write == "-"
        options.writePath = write
        options.replayWindow = replayWindow
        options.captureDuplicateWindow = Int64((duplicateWindow * 1_000_000).rounded())
        options.espNullHeuristic = !noEspNullHeuristic
        if !tcpEncapPort.isEmpty { options.tcpEncapsulationPorts = Set(tcpEncapPort.filter { $0 != 0 }) }
        // Live: another tool may follow the -w file, and every line must appear as it happens.
        options.flushEachPacket = live
        // Checked in validate().
        for setting in limits { try? ResourceLimit.apply(setting, to: &options) }
        return options
    }

    /// Standard output, or standard error when -w writes the pcap to standard output.
    func outputSink(live: Bool = false) -> FileDescriptorSink {
        FileDescriptorSink(descriptor: write == "-" ? 2 : 1, lineBuffered: live)
    }

    /// After the run: warnings on standard error (JSON keeps them off standard output), the
    /// live counters, and the exit status: 3 when an output (the -w file, the reports) could
    /// not be written completely, 128 + the signal when SIGINT or SIGTERM stopped the reading
    /// of a file (as a shell reports it), 2 for a damaged capture, else 4 when an event
    /// `--fail-on` names happened.
    func conclude(_ summary: AnalysisSummary, errors: FileDescriptorSink, output: FileDescriptorSink, live: Bool = false) throws {
        if json || live {
            for message in summary.diagnostics where !live { errors.write("spiglass: warning: \(message)\n") }
        }
        if json, let capture = summary.capture {
            errors.write("spiglass: \(capture.received) packets received by filter, \(capture.dropped) dropped by kernel, \(capture.interfaceDropped) dropped by interface\n")
        }
        var outputFailed = false
        for failure in [summary.outputFailure, output.failure].compactMap({ $0 }) {
            errors.write("spiglass: error: \(failure)\n")
            outputFailed = true
        }
        if outputFailed { throw ExitCode(FileOutput.failedOutputStatus) }
        if summary.stoppedEarly, let signal = Signals.receivedStopSignal { throw ExitCode(128 + signal) }
        if summary.damage != nil { throw ExitCode(2) }
        var seen: Set<RunEvent> = []
        let happened = failOnEvents.filter { summary.events[$0] > 0 && seen.insert($0).inserted }
        if !happened.isEmpty {
            errors.write("spiglass: --fail-on: \(happened.map { "\($0.rawValue) (\(summary.events[$0]))" }.joined(separator: ", "))\n")
            throw ExitCode(CaptureOptions.failOnExitStatus)
        }
    }

    /// The exit status of a run in which an event `--fail-on` asked about happened.
    static let failOnExitStatus: Int32 = 4
}
