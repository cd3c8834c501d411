import SpiglassCapture
import SpiglassIKE
import SpiglassWire

/// How an analyzer takes part in a run, given to it when it is made: it sees every frame of
/// the run (`WholeRun`), or it is one worker of a parallel run (`Shard`), dealt the frames it
/// owns by a reader that has done the run-wide work once (the timestamp audit, the capture's
/// copies of fragments, reassembly), whose output is merged into frame order for -w and the
/// report, and whose ICV failures are diagnosed over all the workers. The analyzer asks it rather than asking which kind of run it is in.
protocol FrameOwnership: AnyObject {
    /// Whether this analyzer follows IKE (alone in a run, or worker 0 of a parallel one).
    var followsIKE: Bool { get }
    /// Where the analyzers that do not follow IKE learn worker 0's CHILD_SAs (nil for those
    /// that follow it).
    var childReplica: ChildSAReplica? { get }
    /// Whether this analyzer makes the run's ICV-failure diagnoses (and says when there were
    /// too many to make) itself: a parallel run makes them once, over all its workers.
    var diagnosesForTheRun: Bool { get }
    /// How many ESP and AH flows this analyzer may track: the run's bound, or its share of it.
    func flowLimit(_ options: AnalysisOptions) -> Int
    /// What is wrong with the timestamp of frame `frame` (see `TimestampAudit`).
    func auditTimestamp(_ header: PacketHeader, frame: Int) -> [RunWarning]
    /// What becomes of the IP fragment `ip` in `bytes`: a copy the capture already holds, or
    /// what reassembly made of it.
    /// (`frame` numbers the fragment in the run, `sourceFrame` in its file.)
    func fragmentFate(
        _ bytes: [UInt8], ip: IPLayer, time: Int64, frame: Int, sourceFrame: Int, window: Int64
    ) -> FragmentFate
    /// Keeps a released packet for -w; false when -w was not asked for.
    func writePacket(_ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp) -> Bool
    /// Keeps a released packet for a pcapng -w: `bytes[range]` of link type `dlt` (DLT_), with
    /// `comment[commentRange]`; false when no pcapng is written.
    func writePacketBlock(
        _ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp, dlt: Int32, comment: [UInt8],
        commentRange: Range<Int>
    ) -> Bool
    /// An IKE event the other workers of a parallel run must apply.
    func publish(_ event: IKEEventLog.Event)
    /// Hooks what the others must learn of the IKE story `ike` (the SPIs of CHILD_SAs).
    func follow(_ ike: IKEReconstruction)
    /// Ends the output this analyzer writes itself (the -w file of a run alone).
    func closeOutput() throws
}

/// What becomes of one IP fragment.
enum FragmentFate {
    /// The same bytes as this earlier frame: kept out of reassembly, which has the first copy.
    case copy(of: Int)
    case reassembly(FragmentReassembler.Outcome)
}

/// An analyzer that sees every frame of its run (one thread, a live capture, standard input):
/// it does the run-wide work itself.
final class WholeRun: FrameOwnership {
    let reassembler: FragmentReassembler
    /// IP fragments seen lately, to recognise the capture's own duplicates of them.
    @exclusivity(unchecked) var fragmentCopies = RecentCopies()
    // Checked for every frame, by one thread (see the exclusivity note on `InboundProcessor`).
    @exclusivity(unchecked) var timestampAudit = TimestampAudit()
    let writer: PcapWriter?
    let pcapngWriter: PcapngWriter?

    init(options: AnalysisOptions) throws {
        reassembler = FragmentReassembler(limits: options.fragmentLimits)
        let output = try DecryptedOutput(options)
        writer = output.pcap
        pcapngWriter = output.pcapng
    }

    var followsIKE: Bool { true }
    var childReplica: ChildSAReplica? { nil }
    var diagnosesForTheRun: Bool { true }

    func flowLimit(_ options: AnalysisOptions) -> Int { options.maxTrackedFlows }

    func auditTimestamp(_ header: PacketHeader, frame: Int) -> [RunWarning] {
        timestampAudit.check(header, frame: frame)
    }

    func fragmentFate(
        _ bytes: [UInt8], ip: IPLayer, time: Int64, frame: Int, sourceFrame: Int, window: Int64
    ) -> FragmentFate {
        if let original = fragmentCopies.original(fragment: ip, bytes: bytes, time: time, frame: frame, window: window)
        {
            return .copy(of: original)
        }
        return .reassembly(reassembler.add(bytes, ip: ip, time: time, frame: sourceFrame))
    }

    func writePacket(_ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp) -> Bool {
        // Through the optional, not a binding: a bound copy of the writer is retained and released.
        writer?.write(bytes, range: range, timestamp: timestamp) != nil
    }

    func writePacketBlock(
        _ bytes: [UInt8], range: Range<Int>, timestamp: Timestamp, dlt: Int32, comment: [UInt8],
        commentRange: Range<Int>
    ) -> Bool {
        guard let pcapngWriter else { return false }
        pcapngWriter.write(
            bytes, range: range, timestamp: timestamp, dlt: dlt, comment: comment, commentRange: commentRange)
        return true
    }

    func publish(_ event: IKEEventLog.Event) {}

    func follow(_ ike: IKEReconstruction) {}

    func closeOutput() throws {
        try writer?.close()
        try pcapngWriter?.close()
    }
}
