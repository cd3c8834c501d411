import Foundation
import SpiglassAnalysis
import SpiglassCapture

/// A live interface played from a capture file, for tests of live runs without a network: the
/// file's frames come as packets, a read timeout (the ring found empty) follows each frame that
/// `timeoutsAfter` names, the frames `dropped` names never come and libpcap's counters say the
/// kernel dropped them (unless `countDrops` is false: then they went missing before the capture
/// point, as network loss does). `afterTimeout` runs on the reading thread at the read that
/// follows a timeout, with the number of frames delivered by then: the reader has had its chance
/// to hand them on. `afterPacket` runs as each frame is delivered, with the number delivered.
final class ScriptedLiveSource: FrameSource {
    private let file: CaptureStream
    let timeoutsAfter: Set<Int>
    let dropped: Set<Int>
    let countDrops: Bool
    var afterTimeout: ((Int) -> Void)? = nil
    var afterPacket: ((Int) -> Void)? = nil
    private var read = 0
    private var delivered = 0
    private var timeoutDue = false
    private var timeoutGiven = false

    init(_ path: String, timeoutsAfter: Set<Int> = [], dropped: Set<Int> = [], countDrops: Bool = true) throws {
        file = try CaptureStream(paths: [path])
        self.timeoutsAfter = timeoutsAfter
        self.dropped = dropped
        self.countDrops = countDrops
    }

    var sources: [CaptureStream.Source] { file.sources }
    var isLive: Bool { true }
    var warning: String? { nil }
    var fileSize: Int64? { nil }
    var bytePosition: Int64? { nil }
    var buffer: [UInt8] { file.buffer }

    func next() -> CaptureReader.Next {
        if timeoutGiven {
            timeoutGiven = false
            afterTimeout?(delivered)
        }
        if timeoutDue {
            timeoutDue = false
            timeoutGiven = true
            return .timeout
        }
        while true {
            guard case .packet(let header) = file.next() else { return .end }
            read += 1
            if dropped.contains(read) { continue }
            delivered += 1
            afterPacket?(delivered)
            timeoutDue = timeoutsAfter.contains(read)
            return .packet(header)
        }
    }

    func statistics() -> (received: UInt32, dropped: UInt32, interfaceDropped: UInt32)? {
        (UInt32(delivered), countDrops ? UInt32(dropped.count) : 0, 0)
    }
}

/// Report text written from one thread and read from another (a parallel run's workers write,
/// a test's frame source watches).
final class LockedStringSink: OutputSink, @unchecked Sendable {
    private let lock = NSLock()
    private var storage = ""

    func write(_ text: String) { lock.withLock { storage += text } }
    func flush() {}
    var text: String { lock.withLock { storage } }

    /// Waits up to `seconds` for at least `count` lines; whether they came.
    func waitForLines(_ count: Int, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if text.split(separator: "\n").count >= count { return true }
            usleep(2000)
        }
        return false
    }
}
