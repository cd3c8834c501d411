import Glibc
import SpiglassCapture
import SpiglassESP
import SpiglassSAD

/// The pipeline over a capture file on several threads, with output identical to a
/// single-threaded run: the same lines and the same -w bytes, in the same order, whatever the
/// thread count.
///
/// How: the workers read the file once, in turns (`ReadingTurns`, through one `FrameRouter`),
/// reassemble IP fragments (once for the run), and deal each frame to one of the N worker
/// `Analyzer`s: an ESP or AH frame to the worker
/// that owns its outermost SPI; IKE messages and RFC 8229 streams to worker 0, which alone
/// follows IKE and publishes the ESP keys it derives from SK_d and the CHILD_SA of each SPI
/// (`IKEEventLog`), which the others apply before the first frame that follows; the rest to
/// worker 0. So the run holds one copy of the IKE story, the reassembly and the TCP streams,
/// whatever N: each bound holds for the run. Workers file their output (report text and -w
/// records) per frame into bounded queues and write it in frame order themselves, in turns
/// (`MergingTurns`; the -w records go to the file from where the workers prepared them); the
/// calling thread only starts and joins them. A full queue holds its worker back, and a full
/// batch queue stops the reading until its worker takes a batch, so memory stays bounded: at
/// most `queueCapacity` + 2 chunks of a few hundred KiB and `batchQueueCapacity` + 3 batches of
/// at most a MiB per worker. At the end the flows (disjoint
/// by SPI) are put in the order a single thread finds them, the counters summed, the ICV
/// failures diagnosed for the run, the diagnostics merged in first-raised order, and worker 0,
/// which holds the IKE story, prints the tables.
///
/// A flow's per-packet state (anti-replay window, ESN inference) lives with its owner, so it
/// matches a single-threaded run as long as a flow's packets share an outermost SPI. Cases
/// where they do not are left as they are, rare as they are: the same inner SA nested inside
/// two different outer SAs, one flow arriving both inside an RFC 8229 TCP stream and outside
/// it, and an AH SA that carries IKE besides other traffic. So is a capture with more flows than
/// a worker's share of `maxTrackedFlows` (the bound is shared out among the workers).
///
/// A live capture is dealt out the same way, as it is read (`init(reader:)`): whenever the
/// capture's ring is empty the frames read so far go to the workers at once, so that every packet
/// is reported (and written to -w) within the read timeout, in capture order. Standard input runs
/// on one thread (`Analyzer.run`).
public final class ParallelAnalysis {
    public let threadCount: Int
    let workers: [Analyzer]
    /// Each worker's part in the run (`workers[i]` is given `shards[i]`).
    let shards: [Shard]
    let router: FrameRouter
    let merging: MergingTurns
    let merge: FrameOrderMerge
    let output: OutputSink
    let writer: DecryptedOutput
    private var started = false

    /// Size of the capture file.
    public var fileSize: Int64? { router.reader.fileSize }

    /// The merged flows, in the order a single-threaded run lists them (after `run`).
    public private(set) var flows: [FlowStatistics] = []

    /// Chunks queued per worker before it waits for the merge.
    static let queueCapacity = 16
    /// Batches of frames queued per worker before its reader stops reading (see `ReadingTurns`).
    static let batchQueueCapacity = 4
    /// This run's `batchQueueCapacity` (tests make it smaller).
    var batchCapacity = ParallelAnalysis.batchQueueCapacity

    /// Makes the run's queues hold at most `chunks` chunks and `batches` batches per worker,
    /// and its rounds `roundFrames` frames: tests run the hand-over at its tightest. Before `run`.
    func setQueueCapacities(chunks: Int, batches: Int, roundFrames: Int) {
        precondition(!started, "queues are sized before the run")
        merging.capacity = max(1, chunks)
        batchCapacity = max(1, batches)
        router.roundFrames = max(1, roundFrames)
    }

    /// Online processors: the default thread count.
    public static var defaultThreadCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Whether `paths` can be read by several threads: regular files (not a pipe, not
    /// standard input).
    public static func canRead(_ paths: [String]) -> Bool {
        paths.allSatisfy { path in
            var info = stat()
            return path != "-" && stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        }
    }

    public static func canRead(_ path: String) -> Bool { canRead([path]) }

    public convenience init(
        path: String, filter: String? = nil, sad: SADatabase, ahSAD: SADatabase = SADatabase(),
        ikeKeys: [IKESecurityAssociation] = [], policies: [SecurityPolicy] = [], options: AnalysisOptions,
        threads: Int, output: OutputSink
    ) throws {
        try self.init(
            paths: [path], filter: filter, sad: sad, ahSAD: ahSAD, ikeKeys: ikeKeys, policies: policies,
            options: options,
            threads: threads, output: output)
    }

    /// Opens the captures (with `filter`, when given), merged by time into one stream as a
    /// single-threaded run reads them, and the -w file. Errors are those of a single-threaded
    /// run, in the same order: capture, filter, -w.
    public convenience init(
        paths: [String], filter: String? = nil, sad: SADatabase, ahSAD: SADatabase = SADatabase(),
        ikeKeys: [IKESecurityAssociation] = [], policies: [SecurityPolicy] = [], options: AnalysisOptions, threads: Int,
        output: OutputSink
    ) throws {
        // Plain buffered reads, not a memory mapping: a file cut shorter while mapped would
        // fault (SIGBUS) and end the run, and no input may do that.
        let reader = try CaptureStream(paths: paths, filter: filter)
        guard reader.fileSize != nil else {
            throw ParallelAnalysisError(
                "'\(paths.joined(separator: "', '"))' not all regular files: read them with one thread")
        }
        try self.init(
            reader: reader, sad: sad, ahSAD: ahSAD, ikeKeys: ikeKeys, policies: policies, options: options,
            threads: threads, output: output)
    }

    /// Deals the frames of an open source (regular files, or a live capture) to `threads`
    /// workers, and opens the -w file (flushed as each frame's records go out when
    /// `options.flushEachPacket`, as for a live capture).
    public init(
        reader: any FrameSource, sad: SADatabase, ahSAD: SADatabase = SADatabase(),
        ikeKeys: [IKESecurityAssociation] = [], policies: [SecurityPolicy] = [], options: AnalysisOptions, threads: Int,
        output: OutputSink
    ) throws {
        let count = max(1, threads)
        // Before any worker touches OpenSSL: a legacy-provider load in one worker must not
        // race with another worker's first fetch (see `prepareCryptoForThreads`).
        _ = prepareCryptoForThreads()
        guard reader.fileSize != nil || reader.isLive else {
            throw ParallelAnalysisError("a source read once (standard input): read it with one thread")
        }
        var options = options
        options.writeLinkType = try DecryptedOutput.keepOuterLinkType(options, sources: reader.sources)
        PcapngInterfaceNames.name(&options, sources: reader.sources, live: reader.isLive)
        options.writeResolution = reader.sources.finestTimestampResolution
        writer = try DecryptedOutput(options)
        var workerOptions = options
        workerOptions.writePath = nil
        workerOptions.flushEachPacket = false
        var workers: [Analyzer] = []
        var shards: [Shard] = []
        let merge = FrameOrderMerge(workers: count, output: output, writer: writer)
        let merging = MergingTurns(merge: merge, workers: count, capacity: ParallelAnalysis.queueCapacity)
        let ikeEvents = IKEEventLog()
        for index in 0..<count {
            let sink = ShardOutput(merging: merging, worker: index, writeResolution: options.writeResolution)
            // The flows bound is shared out: SPIs are dealt in turn, so the shares fill evenly.
            let flowShare = options.maxTrackedFlows / count + (index < options.maxTrackedFlows % count ? 1 : 0)
            let shard = Shard(
                index: index, output: sink, writesPackets: options.writePath != nil, ikeEvents: ikeEvents,
                flowShare: flowShare, fragmentLimits: options.fragmentLimits)
            // Each worker gets SAs of its own: values that share storage share reference counts,
            // and counting on one cache line from several cores costs more than the decryption.
            let worker = try Analyzer(
                sad: sad.unshared(), ahSAD: ahSAD.unshared(), ikeKeys: ikeKeys, policies: policies,
                options: workerOptions, output: sink, ownership: shard)
            workers.append(worker)
            shards.append(shard)
        }
        self.threadCount = count
        self.router = FrameRouter(
            reader: reader, workerCount: count, tcpEncapsulationPorts: options.tcpEncapsulationPorts,
            fragmentLimits: options.fragmentLimits, duplicateWindow: options.captureDuplicateWindow)
        self.workers = workers
        self.shards = shards
        self.merging = merging
        self.merge = merge
        self.output = output
    }

    /// Runs the workers, which merge their output; then prints the tables and returns the
    /// summary, as `Analyzer.run` does. Throws only when the threads cannot be started, and
    /// then before anything is read or written (but the -w file header). Runs once.
    public func run(
        progress: ProgressReporter? = nil, maxFrames: Int? = nil,
        stopRequested: @escaping @Sendable () -> Bool = { false }
    ) throws -> AnalysisSummary {
        var control = Analyzer.RunControl()
        control.maxFrames = maxFrames
        control.stopRequested = stopRequested
        return try run(progress: progress, control: control)
    }

    /// Called at once, from any of the run's threads (one at a time), with the warnings and
    /// events (key reloads) of a live capture, whose summary comes only at the end.
    public func setNotice(_ notice: @escaping (String) -> Void) {
        for worker in workers { worker.notice = notice }
        router.notice = notice
    }

    /// `run(progress:maxFrames:stopRequested:)` with the whole of a live capture's control: its
    /// deadline and key reloads besides.
    public func run(progress: ProgressReporter? = nil, control: Analyzer.RunControl) throws -> AnalysisSummary {
        precondition(!started, "a ParallelAnalysis runs once")
        started = true
        let gate = StartGate()
        var threads: [WorkerThread] = []
        let router = self.router
        let sources = router.reader.sources
        let turns = ReadingTurns(router: router, control: control, capacity: batchCapacity)
        let bodies: [() -> Void] = workers.enumerated().map { index, worker in
            let shard = shards[index]
            return { worker.runShard(turns, sources: sources, shard: shard) }
        }
        if let warning = router.reader.warning { workers[0].diagnose(warning) }
        for body in bodies {
            do {
                threads.append(
                    try WorkerThread {
                        guard gate.wait() else { return }
                        body()
                    })
            } catch {
                gate.open(false)
                for thread in threads { thread.join() }
                throw error
            }
        }
        merge.progress = progress
        merge.total = router.reader.fileSize ?? 0
        gate.open(true)
        for thread in threads { thread.join() }
        let merged = merging.finish()
        assert(merged, "output left unmerged after the last chunk was filed")
        progress?.finish()
        return finish()
    }

    /// Merges the workers' state into worker 0 and lets it print the tables.
    func finish() -> AnalysisSummary {
        let first = workers[0]
        // Frames, bytes, times and damage are the reader's; the rest is per owner.
        var summary = first.summary
        summary.frames = router.frames
        summary.filterExcluded = router.filterExcluded
        summary.bytes = router.bytes
        summary.firstTime = router.firstTime
        summary.lastTime = router.lastTime
        summary.damages = router.damages.map(\.damage)
        summary.stoppedEarly = router.stoppedEarly
        summary.capture = router.captureStatistics
        var untracked = first.flowTable.untrackedPackets
        for worker in workers.dropFirst() {
            summary.verdicts.add(worker.summary.verdicts)
            summary.hiddenFrames += worker.summary.hiddenFrames
            summary.espPackets += worker.summary.espPackets
            summary.ahPackets += worker.summary.ahPackets
            summary.ikePackets += worker.summary.ikePackets
            summary.written += worker.summary.written
            if let selected = worker.summary.selectedFrames {
                summary.selectedFrames = (summary.selectedFrames ?? 0) + selected
            }
            untracked += worker.flowTable.untrackedPackets
        }
        // Flows in the order they were first seen, as one thread appends them.
        var owned: [(frame: Int, worker: Int, index: Int)] = []
        for (w, worker) in workers.enumerated() {
            for index in worker.flows.indices { owned.append((worker.flows[index].firstFrame, w, index)) }
        }
        owned.sort { ($0.frame, $0.worker, $0.index) < ($1.frame, $1.worker, $1.index) }
        var merged = owned.map { workers[$0.worker].flows[$0.index] }
        if let report = first.reporter as? HTMLReporter {
            report.merge(
                workers.compactMap { $0.reporter as? HTMLReporter }, order: owned.map { ($0.worker, $0.index) })
        }
        // The ICV diagnoses of the whole run: the first SAs to fail, over all workers.
        let (outcomes, boundPassedAt) = Analyzer.resolveICVDiagnoses(workers, flows: &merged)
        let (diagnostics, frames) = mergedDiagnostics(icvBoundPassedAt: boundPassedAt)
        first.summary = summary
        first.flowTable.replace(with: merged, untrackedPackets: untracked)
        first.icvState.outcomes = outcomes
        first.diagnostics.replace(warnings: diagnostics, frames: frames)
        shards[0].output.forward = output
        first.finish()
        first.closeWriter(writer)
        flows = first.flows
        return first.summary
    }

    /// The run's diagnostics in the order they were first raised, once each, at most as many
    /// as one thread keeps, with the frame of each.
    private func mergedDiagnostics(icvBoundPassedAt boundPassedAt: Int?) -> (warnings: [RunWarning], frames: [Int]) {
        var raised: [(frame: Int, worker: Int, index: Int)] = []
        for (w, worker) in workers.enumerated() {
            for index in worker.diagnostics.warnings.indices {
                raised.append((worker.diagnostics.frames[index], w, index))
            }
        }
        // The reader's timestamp warnings come first in their frame, as a single thread raises
        // them before it looks at the frame's contents; the run's ICV-diagnosis bound is raised
        // where the run passed it.
        var runWarnings = router.timestampWarnings
        if let boundPassedAt { runWarnings.append((boundPassedAt, .icvDiagnosisBound)) }
        for (index, raisedByRun) in runWarnings.enumerated() {
            let bound = if case .icvDiagnosisBound = raisedByRun.warning { true } else { false }
            raised.append((raisedByRun.frame, bound ? workers.count : -1, index))
        }
        raised.sort { ($0.frame, $0.worker, $0.index) < ($1.frame, $1.worker, $1.index) }
        // Where a single thread raises each damage: after the frames read before it (a single
        // damaged file ends the run, so its message comes last; so does a stop by a signal).
        let single = router.reader.sources.count == 1
        var damageMessages = router.damages.map { damage in
            (RunWarning.captureEnded(frames: damage.frames, damage: damage.damage), single ? Int.max : damage.frames)
        }
        if router.stoppedEarly { damageMessages.append((.readingStopped(frames: router.frames), Int.max)) }
        // `raised` is in order; a damage noticed after frame n goes after frame n's diagnostics.
        var messages: [(RunWarning, Int)] = []
        var pending = damageMessages[...]
        for entry in raised {
            while let damage = pending.first, damage.1 < entry.frame {
                messages.append(damage)
                pending = pending.dropFirst()
            }
            messages.append(
                (
                    entry.worker < 0 || entry.worker == workers.count
                        ? runWarnings[entry.index].warning
                        : workers[entry.worker].diagnostics.warnings[entry.index], entry.frame
                ))
        }
        messages += pending
        var log = DiagnosticLog()
        for (warning, frame) in messages { log.raise(warning, frame: frame) }
        return (log.warnings, log.frames)
    }
}

extension SADatabase {
    /// The same SAs in storage of their own (see `SecurityAssociation.unshared`).
    func unshared() -> SADatabase { SADatabase(entries.map { $0.unshared() }) }
}

extension SecurityAssociation {
    /// The same SA with fresh copies of what the per-packet path retains (keys, names).
    func unshared() -> SecurityAssociation {
        var copy = self
        copy.encryptionKey = encryptionKey.unshared()
        copy.integrityKey = integrityKey.unshared()
        copy.origin.file = String(decoding: freshCopy(Array(origin.file.utf8)), as: UTF8.self)
        copy.label = label.map { String(decoding: freshCopy(Array($0.utf8)), as: UTF8.self) }
        return copy
    }
}

/// An array with the same elements in a buffer of its own.
private func freshCopy<T>(_ array: [T]) -> [T] {
    var copy: [T] = []
    copy.reserveCapacity(array.count)
    copy.append(contentsOf: array)
    return copy
}
