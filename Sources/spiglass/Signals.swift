import Glibc
import SpiglassAnalysis
import SpiglassCapture
import Synchronization

/// Signal-driven requests for a running capture: stop (SIGINT, SIGTERM, and SIGALRM for
/// --duration) and reload the key files (SIGHUP, live captures). The handlers set atomic flags
/// and wake the blocked capture read; the run acts on the flags between records, so that a
/// stopped run still finishes its outputs and prints its summary. A second SIGINT or SIGTERM
/// ends the process at once (the -w file is then left as it was before the run).
enum Signals {
    private static let stop = Atomic<Bool>(false)
    private static let reload = Atomic<Bool>(false)
    /// The signal that asked to stop (0: none).
    private static let stopSignal = Atomic<Int32>(0)

    /// Installs the handlers: SIGINT and SIGTERM always; SIGALRM and SIGHUP for a live capture.
    static func install(live: Bool) {
        let signals = live ? [SIGINT, SIGTERM, SIGALRM, SIGHUP] : [SIGINT, SIGTERM]
        // A parent may have left these blocked (the mask survives exec): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        sigprocmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { Signals.requestStop($0) }
        signal(SIGTERM) { Signals.requestStop($0) }
        guard live else { return }
        signal(SIGALRM) { Signals.requestStop($0) }
        signal(SIGHUP) { _ in
            Signals.reload.store(true, ordering: .relaxed)
            CaptureReader.interruptLiveCapture()
        }
    }

    /// Async-signal-safe: atomics, `signal` and `raise` only.
    private static func requestStop(_ signal: Int32) {
        if stop.exchange(true, ordering: .relaxed) && signal != SIGALRM {
            // Asked twice: the default action (termination) now.
            Glibc.signal(signal, SIG_DFL)
            raise(signal)
            return
        }
        if signal != SIGALRM { stopSignal.store(signal, ordering: .relaxed) }
        CaptureReader.interruptLiveCapture()
    }

    /// Delivers SIGALRM after `seconds` (fractions allowed), ending the capture.
    static func stop(after seconds: Double) {
        var timer = itimerval()
        let whole = Int(seconds)
        timer.it_value.tv_sec = whole
        timer.it_value.tv_usec = Int((seconds - Double(whole)) * 1_000_000)
        setitimer(Int32(ITIMER_REAL.rawValue), &timer, nil)
    }

    static var stopRequested: Bool { stop.load(ordering: .relaxed) }

    /// SIGINT or SIGTERM, when one of them stopped the run.
    static var receivedStopSignal: Int32? {
        let signal = stopSignal.load(ordering: .relaxed)
        return signal == 0 ? nil : signal
    }

    /// True once per SIGHUP received.
    static func takeReloadRequest() -> Bool { reload.exchange(false, ordering: .relaxed) }
}

/// The signal handlers as a run's control (`AnalysisSession`).
struct SignalControl: AnalysisSessionControl {
    var stopRequested: Bool { Signals.stopRequested }
    func takeReloadRequest() -> Bool { Signals.takeReloadRequest() }
    func stop(after seconds: Double) { Signals.stop(after: seconds) }
    var receivedStopSignal: Int32? { Signals.receivedStopSignal }
}
