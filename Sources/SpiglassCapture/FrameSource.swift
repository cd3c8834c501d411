/// Where a run reads its frames from: a `CaptureStream` (files or an interface), or, in tests,
/// a source that plays frames, read timeouts and capture counters as a live interface would.
public protocol FrameSource: AnyObject {
    /// The inputs in stream order (`PacketHeader.source` indexes this).
    var sources: [CaptureStream.Source] { get }
    /// True for a live capture: read timeouts come, and libpcap counts what it dropped.
    var isLive: Bool { get }
    /// A warning the capture gave when it started, if any.
    var warning: String? { get }
    /// Sum of the files' sizes, when all are regular files.
    var fileSize: Int64? { get }
    /// Bytes of the files consumed so far, for progress reports.
    var bytePosition: Int64? { get }
    /// The bytes of the frame last returned by `next()`; `capturedLength` of them are valid.
    var buffer: [UInt8] { get }
    /// The next frame, or why there is none at hand.
    func next() -> CaptureReader.Next
    /// What the capture counted (live captures): received, dropped by the kernel, dropped by
    /// the interface.
    func statistics() -> (received: UInt32, dropped: UInt32, interfaceDropped: UInt32)?
}

extension CaptureStream: FrameSource {}
