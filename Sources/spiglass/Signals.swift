import Glibc
import SpiglassCapture
import Synchronization

/// Signal-driven requests for a running capture: stop (SIGINT, SIGTERM, and SIGALRM for
/// --duration) and reload the key files (SIGHUP). The handlers set atomic flags and wake the
/// blocked capture read; the capture loop acts on the flags.
enum Signals {
    private static let stop = Atomic<Bool>(false)
    private static let reload = Atomic<Bool>(false)

    static func install() {
        // A parent may have left these blocked (the mask survives exec): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGINT, SIGTERM, SIGALRM, SIGHUP] { sigaddset(&set, signal) }
        sigprocmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in Signals.requestStop() }
        signal(SIGTERM) { _ in Signals.requestStop() }
        signal(SIGALRM) { _ in Signals.requestStop() }
        signal(SIGHUP) { _ in
            Signals.reload.store(true, ordering: .relaxed)
            CaptureReader.interruptLiveCapture()
        }
    }

    private static func requestStop() {
        stop.store(true, ordering: .relaxed)
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

    /// True once per SIGHUP received.
    static func takeReloadRequest() -> Bool { reload.exchange(false, ordering: .relaxed) }
}
