import SpiglassCapture
import SpiglassSAD

/// One run of `analyze` or `ike`, from its configuration to its exit status: loads the keys,
/// refuses outputs that name an input, reads the captures with several threads when it can
/// (one otherwise, or when no thread can be started), follows a live interface with its
/// key reload and deadline, and ends with the warnings and the status. The CLI only turns
/// its arguments into a `Configuration` and the status into an exit code; tests run it in
/// process on string sinks.
public final class AnalysisSession {
    public let configuration: Configuration
    let errors: OutputSink
    let control: AnalysisSessionControl
    let makeOutput: (_ live: Bool) -> OutputSink
    let keyWarnings: KeyFileWarnings
    /// The live capture's ring, in bytes (for the "listening on" notice).
    private var liveRingBytes = 0

    /// `errors` takes warnings, errors and notices (standard error); `makeOutput` gives the
    /// reports' sink, line-buffered for a live capture (standard output, or standard error
    /// when -w writes the pcap to standard output).
    public init(
        _ configuration: Configuration, errors: OutputSink, control: AnalysisSessionControl = .none,
        output makeOutput: @escaping (_ live: Bool) -> OutputSink
    ) {
        self.configuration = configuration
        self.errors = errors
        self.control = control
        self.makeOutput = makeOutput
        self.keyWarnings = KeyFileWarnings(sink: errors, permissions: configuration.permissionWarnings)
    }

    /// Runs the capture once and says how it ended (the errors and warnings are already on
    /// `errors`).
    public func run() -> AnalysisStatus {
        let inputs: SessionInputs
        do { inputs = try prepare() } catch { return fail(error) }
        // Which packets an IKE SA owns is known to the thread that follows IKE alone.
        let threadCount =
            configuration.options.selection.followsIKE
            ? 1 : configuration.threads ?? ParallelAnalysis.defaultThreadCount
        let live = configuration.interface != nil
        if threadCount > 1, live || ParallelAnalysis.canRead(configuration.captures) {
            switch runParallel(inputs, threads: threadCount, live: live) {
            case .ran(let status): return status
            case .failed(let error): return fail(error)
            // No thread could be started: nothing was read yet, so one thread does it all.
            case .notStarted: break
            }
        }
        do { return try runSerial(inputs) } catch { return fail(error) }
    }

    /// The keys and options a run starts from, once its inputs were checked.
    struct SessionInputs {
        var keys: KeySet
        var sad: SADatabase
        var ahSAD: SADatabase
        var options: AnalysisOptions
    }

    private func prepare() throws -> SessionInputs {
        let keys = try keyWarnings.load(
            configuration.keyFiles, inline: configuration.inlineKeys,
            format: configuration.keyFormat, includes: configuration.includes)
        var options = configuration.options
        // No output may be written over a file the run reads (checked again where -w is opened).
        options.inputPaths = configuration.captures + configuration.keyFiles + keys.includedFiles
        try OutputFile.refuseInputs(output: "-", inputs: options.inputPaths)
        return SessionInputs(
            keys: keys, sad: Analyzer.espDatabase(keys), ahSAD: Analyzer.ahDatabase(keys),
            options: options)
    }

    private enum ParallelOutcome {
        case ran(AnalysisStatus)
        case failed(Error)
        case notStarted
    }

    /// Files, or an interface, read by several threads; the output is what one thread writes.
    private func runParallel(_ inputs: SessionInputs, threads: Int, live: Bool) -> ParallelOutcome {
        let output = makeOutput(live)
        let parallel: ParallelAnalysis
        var runControl = Analyzer.RunControl()
        do {
            if live {
                let reader = try openReader()
                var options = inputs.options
                options.flushEachPacket = true
                parallel = try ParallelAnalysis(
                    reader: reader, sad: inputs.sad, ahSAD: inputs.ahSAD, ikeKeys: inputs.keys.ikeSAs,
                    policies: inputs.keys.policies, options: options, threads: threads, output: output)
                // Workers and the reader notice from their own threads: one line at a time.
                let notices = SerializedLines(errors)
                parallel.setNotice { notices.write("spiglass: \($0)\n") }
                followLive(reader, control: &runControl)
            } else {
                parallel = try ParallelAnalysis(
                    paths: configuration.captures, filter: configuration.filter,
                    sad: inputs.sad, ahSAD: inputs.ahSAD, ikeKeys: inputs.keys.ikeSAs,
                    policies: inputs.keys.policies, options: inputs.options, threads: threads,
                    output: output)
            }
        } catch {
            return .failed(error)
        }
        let showProgress = configuration.showProgress && !live && parallel.fileSize != nil
        let progress = showProgress ? ProgressReporter(sink: errors) : nil
        let control = self.control
        runControl.maxFrames = configuration.maxFrames
        runControl.stopRequested = { control.stopRequested }
        guard let summary = try? parallel.run(progress: progress, control: runControl) else { return .notStarted }
        output.flush()
        return .ran(conclude(summary, output: output, live: live))
    }

    private func runSerial(_ inputs: SessionInputs) throws -> AnalysisStatus {
        let reader = try openReader()
        let live = reader.isLive
        let output = makeOutput(live)
        var options = inputs.options
        // Live: another tool may follow the -w file, and every line must appear as it happens.
        options.flushEachPacket = live
        options.writeLinkType = try DecryptedOutput.keepOuterLinkType(options, sources: reader.sources)
        PcapngInterfaceNames.name(&options, sources: reader.sources, live: reader.isLive)
        options.writeResolution = reader.sources.finestTimestampResolution
        let analyzer = try Analyzer(
            sad: inputs.sad, ahSAD: inputs.ahSAD, ikeKeys: inputs.keys.ikeSAs,
            policies: inputs.keys.policies, options: options, output: output)
        var runControl = Analyzer.RunControl()
        runControl.maxFrames = configuration.maxFrames
        let control = self.control
        runControl.stopRequested = { control.stopRequested }
        if live {
            let errors = self.errors
            analyzer.notice = { errors.write("spiglass: \($0)\n") }
            followLive(reader, control: &runControl)
        }
        let showProgress = configuration.showProgress && !live && reader.fileSize != nil
        let progress = showProgress ? ProgressReporter(sink: errors) : nil
        let summary = analyzer.run(reader, progress: progress, control: runControl)
        output.flush()
        return conclude(summary, output: output, live: live)
    }

    private func openReader() throws -> CaptureStream {
        guard let argument = configuration.interface else {
            return try CaptureStream(paths: configuration.captures, filter: configuration.filter)
        }
        let interface = try InterfaceArgument.resolve(argument)
        let device = try CaptureReader(interface: interface, options: configuration.liveOptions)
        liveRingBytes = device.ringBytes
        if let filter = configuration.filter { try device.setFilter(filter) }
        return CaptureStream(reader: device, path: interface)
    }

    /// A live capture's deadline and key reload (SIGHUP in the CLI), and its first notice.
    private func followLive(_ reader: CaptureStream, control runControl: inout Analyzer.RunControl) {
        let errors = self.errors
        let control = self.control
        let keyWarnings = self.keyWarnings
        if let duration = configuration.duration {
            runControl.deadline = ProgressReporter.now() + duration
            control.stop(after: duration)
        }
        let files = configuration.keyFiles
        let inline = configuration.inlineKeys
        let format = configuration.keyFormat
        let includes = configuration.includes
        runControl.reloadRequested = {
            guard control.takeReloadRequest() else { return nil }
            do {
                let fresh = try Analyzer.loadKeySet(files, inline: inline, format: format, includes: includes)
                keyWarnings.report(fresh)
                return fresh
            } catch {
                errors.write("spiglass: error: key reload failed, keeping the old keys: \(error)\n")
                return nil
            }
        }
        errors.write(
            "spiglass: listening on \(reader.sources[0].path), "
                + "link-type \(reader.sources[0].linkTypeName), snapshot length \(configuration.liveOptions.snapLength) bytes, "
                + "buffer \(liveRingBytes / 1024) KiB\n"
        )
    }

    private func fail(_ error: Error) -> AnalysisStatus {
        errors.write("spiglass: error: \(error)\n")
        return .inputUnusable
    }

    /// After the run: warnings (JSON keeps them off the reports), the live counters, and the
    /// status, in this order of precedence: an output not written completely, a stop signal
    /// while reading a file, a damaged capture, an event `failOn` names.
    private func conclude(_ summary: AnalysisSummary, output: OutputSink, live: Bool) -> AnalysisStatus {
        let json = configuration.options.format == .json
        if json || live {
            for message in summary.diagnostics where !live { errors.write("spiglass: warning: \(message)\n") }
        }
        if json, let capture = summary.capture {
            errors.write(
                "spiglass: \(capture.received) packets received by filter, "
                    + "\(capture.dropped) dropped by kernel, \(capture.interfaceDropped) dropped by interface\n")
        }
        let failures = [summary.outputFailure, output.failure].compactMap { $0 }
        for failure in failures { errors.write("spiglass: error: \(failure)\n") }
        if !failures.isEmpty { return .outputIncomplete }
        if summary.stoppedEarly, let signal = control.receivedStopSignal { return .stopped(signal: signal) }
        if !summary.damages.isEmpty { return .damagedCapture }
        var seen: Set<RunEvent> = []
        let happened = configuration.failOn.filter { summary.events[$0] > 0 && seen.insert($0).inserted }
        guard happened.isEmpty else {
            let list = happened.map { "\($0.rawValue) (\(summary.events[$0]))" }.joined(separator: ", ")
            errors.write("spiglass: --fail-on: \(list)\n")
            return .failOn(happened)
        }
        return .completed
    }
}
