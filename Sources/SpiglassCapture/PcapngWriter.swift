import Glibc

/// Writes packets to a pcapng file (`PcapngBlock`): the Section Header Block first, an
/// Interface Description Block for each link type as its first packet comes, and an Enhanced
/// Packet Block with a comment per packet. The file is an `OutputFile`, as `PcapWriter`'s is:
/// never one the run reads, written beside its path and put in place by `close` only when
/// complete (or, for a live capture, in place from the start and cut back to its last
/// complete block on a failure).
///
/// The writer gives each link type an interface number in the order the types first appear in
/// the file. A parallel run's workers prepare blocks apart (`PcapngBlock.appendPacket`) with the
/// packet's DLT_ link type in the Interface ID; the merge renumbers them as they are written
/// (`GatheredRecords`, through `interface(dlt:describingNewInto:)`), so the file is the one a
/// single thread writes.
public final class PcapngWriter {
    private let output: OutputFile
    private let flushEachPacket: Bool
    private let snapLength: UInt32
    /// Whether the interfaces count microseconds or nanoseconds (if_tsresol 6 or 9).
    public let resolution: TimestampResolution
    /// The name and description of each link type's (DLT_) interface; none for a type not here.
    private let interfaceNames: [Int32: InterfaceName]
    /// Blocks not yet handed to the file: written out per `stagingCapacity` bytes (or at once
    /// when each packet is flushed).
    // One thread writes; no overlapping access.
    @exclusivity(unchecked) private var staging: [UInt8] = []
    /// Interface number of each link type (DLT_) written so far.
    @exclusivity(unchecked) private var interfaces: [Int32: UInt32] = [:]
    /// Bytes handed to the file so far.
    private var written: Int64 = 0
    private var closed = false
    public private(set) var packetsWritten = 0
    private static let stagingCapacity = 256 << 10

    /// Opens `path` ("-" for standard output) for writing, refusing any of `inputs` (see
    /// `OutputFile`), and writes the Section Header Block at once, so a capture that yields no
    /// packet still leaves a valid, empty pcapng. With `flushEachPacket` (live captures) the
    /// file is in place from the start and each packet is written as it comes.
    /// `interfaceNames` names the interface of each link type (DLT_) the file may hold.
    /// `resolution`: nanoseconds for a run with a nanosecond input, whose times it keeps
    /// (blocks prepared for the file must be stamped at the same resolution).
    public init(
        path: String, snapLength: Int32 = 262_144, flushEachPacket: Bool = false, inputs: [String] = [],
        interfaceNames: [Int32: InterfaceName] = [:], resolution: TimestampResolution = .microseconds
    ) throws {
        output = try OutputFile(path: path, inputs: inputs, publishAtOnce: flushEachPacket)
        self.flushEachPacket = flushEachPacket
        self.snapLength = UInt32(clamping: snapLength)
        self.interfaceNames = interfaceNames
        self.resolution = resolution
        staging.reserveCapacity(PcapngWriter.stagingCapacity + (64 << 10))
        PcapngBlock.appendSectionHeader(application: "Spiglass", to: &staging)
        drain()
    }

    deinit {
        if !closed { output.discard() }
    }

    /// The first write failure, naming the file; nil while all is well.
    public var failure: CaptureError? { output.failure }

    /// Appends one packet, `bytes[range]` of link type `dlt`, with `comment[commentRange]`: its
    /// interface's description first when the type is new, then its block, staged in place.
    public func write(
        _ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp, dlt: Int32, comment: [UInt8],
        commentRange: Range<Int>
    ) {
        guard failure == nil else { return }
        let number = interface(dlt: dlt)
        PcapngBlock.appendPacket(
            bytes, range: range, timestamp: timestamp, resolution: resolution, interface: number,
            comment: comment, commentRange: commentRange, to: &staging)
        packetsWritten += 1
        if flushEachPacket || staging.count >= PcapngWriter.stagingCapacity { drain() }
    }

    /// The interface number of link type `dlt`, its description staged when it is new.
    private func interface(dlt: Int32) -> UInt32 { interface(dlt: dlt, describingNewInto: &staging) }

    /// The interface number of link type `dlt`; when the type is new, its Interface
    /// Description Block is appended to `blocks`, which must reach the file before the type's
    /// first packet.
    func interface(dlt: Int32, describingNewInto blocks: inout [UInt8]) -> UInt32 {
        if let known = interfaces[dlt] { return known }
        let number = UInt32(interfaces.count)
        interfaces[dlt] = number
        let names = interfaceNames[dlt]
        PcapngBlock.appendInterface(
            linkType: PcapngBlock.fileLinkType(dlt: dlt), snapLength: snapLength, name: names?.name ?? "",
            description: names?.description ?? "", resolution: resolution, to: &blocks)
        return number
    }

    /// Writes blocks straight from where they lie (no copy on the way: see `GatheredRecords`):
    /// `vectors` point to `bytes` bytes of whole blocks, `count` of them packets, their
    /// interface numbers and descriptions in place. After what was written before them.
    func writeBlocks(vectors: UnsafeMutableBufferPointer<iovec>, bytes: Int, count: Int) {
        guard failure == nil, !vectors.isEmpty else { return }
        drain()
        output.write(vectors: vectors)
        guard failure == nil else { return }
        packetsWritten += count
        written += Int64(bytes)
        output.markCommitted(written)
    }

    /// What an Interface Description Block says of its interface (`if_name`, `if_description`).
    public struct InterfaceName: Sendable, Equatable {
        public var name: String
        public var description: String

        public init(name: String, description: String) {
            self.name = name
            self.description = description
        }
    }

    /// Hands everything written so far to the system (not yet in place: see `close`).
    public func flush() { drain() }

    /// Writes what is staged, then finishes the file (`OutputFile.close`: synced and put in
    /// place, or on failure removed and the path left as it was). Throws the first failure,
    /// naming the file. Idempotent.
    public func close() throws {
        if !closed {
            drain()
            closed = true
        }
        try output.close()
    }

    /// Writes the staged blocks; they are complete, so the file may be cut back to them.
    private func drain() {
        guard !staging.isEmpty else { return }
        defer { staging.removeAll(keepingCapacity: true) }
        guard failure == nil else { return }
        output.write(staging)
        if failure == nil {
            written += Int64(staging.count)
            output.markCommitted(written)
        }
    }
}
