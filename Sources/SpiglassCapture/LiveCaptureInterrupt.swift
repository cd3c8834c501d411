internal import CPcap

/// The live capture handle a signal handler may interrupt. A signal handler cannot reach
/// any object, so the one live handle of the process is kept here.
enum LiveCaptureInterrupt {
    nonisolated(unsafe) private static var handle: OpaquePointer? = nil

    static func register(_ live: OpaquePointer) { handle = live }

    static func clear(_ live: OpaquePointer) {
        if handle == live { handle = nil }
    }

    static func interrupt() {
        if let handle { pcap_breakloop(handle) }
    }
}
