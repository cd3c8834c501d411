import SpiglassCapture
import SpiglassIKE
import SpiglassWire

/// Everything a run of `spiglass analyze` is configured with; the CLI builds one of these.
public struct AnalysisOptions: Sendable {
    public enum Format: String, Sendable {
        case text
        case json
    }

    /// What the run reports: every packet (`analyze`), the IKE story (`ike`), or one HTML
    /// page of both (`report`, whatever the format).
    public enum Report: String, Sendable {
        case packets
        case ike
        case html
    }

    /// The -w file's format.
    public enum WriteFormat: String, Sendable, CaseIterable {
        case pcap
        case pcapng
    }

    public var format: Format = .text
    public var report: Report = .packets
    /// `ike --summary`: one line per IKE SA instead of the messages and ladders (text only).
    public var ikeSummary = false
    /// `-V`: under each packet or IKE message, its full dissection (text only).
    public var packetDetails = false
    /// Add the ESP/AH SAs that IKE exchanges negotiated, keyed from SK_d, to the SAD.
    public var deriveChildKeys = true
    /// Decrypt IKEv2 messages whose integrity check fails, marked unauthenticated.
    public var ikeDecryptDespiteIntegrityFailure = false
    /// No per-packet lines, only the summary (tshark's -q).
    public var quiet = false
    /// Width and colour of text reports (a terminal's, or none for a pipe).
    public var display = TextDisplay.plain
    /// Leave frames that are not IPsec (and break no policy) out of the per-packet list.
    public var hideNonIPsec = false
    /// Path of the decrypted-output pcap (-w), "-" for standard output.
    public var writePath: String? = nil
    /// The files the run reads (captures, key files and their includes; "-" for standard
    /// input): the -w path may resolve to none of them (`OutputFile.refuseInputs`).
    public var inputPaths: [String] = []
    /// Flush the -w file after every packet (for live captures followed by another tool).
    public var flushEachPacket = false
    /// The -w file's format: pcap, or pcapng with each packet's provenance as its comment.
    public var writeFormat: WriteFormat = .pcap
    /// -w gets each decrypted packet inside its frame's outer headers and link layer
    /// (`--keep-outer`), in place of the ESP.
    public var keepOuter = false
    /// The link type (DLT_) of a pcap -w file with `keepOuter`: the inputs' one
    /// (`DecryptedOutput.keepOuterLinkType`); raw IP when nil.
    public var writeLinkType: Int32? = nil
    /// The name and description of each link type's interface in a pcapng -w file
    /// (`PcapngInterfaceNames`; named from the inputs when the run starts, unless given).
    public var writeInterfaceNames: [Int32: PcapngWriter.InterfaceName] = [:]
    /// The timestamp resolution of the -w file: the finest of the inputs' (set when the run
    /// starts), so that a nanosecond capture's decrypted packets keep their nanoseconds.
    public var writeResolution = TimestampResolution.microseconds
    /// Anti-replay window assumed when inferring ESN high bits.
    public var replayWindow: UInt32 = 64
    /// ESP inside decrypted ESP is decrypted too, up to this depth.
    public var maxNesting = 4
    /// TCP ports carrying RFC 8229 IKE/ESP streams (empty: none).
    public var tcpEncapsulationPorts: Set<UInt16> = [4500]
    /// Recognise NULL-encrypted ESP without keys (RFC 5879) and show its payload.
    public var espNullHeuristic = true
    /// Copies of an ESP, AH or IKE packet less than this far apart (microseconds; 0: none) are the
    /// capture seeing one packet twice (`capture-duplicate`), not a replay or retransmission.
    public var captureDuplicateWindow: Int64 = 1000
    /// Observed ESP flows tracked individually; more are counted together.
    public var maxTrackedFlows = 100_000
    /// Bounds of IP reassembly, RFC 8229 streams and the IKE story (`ResourceLimit` names
    /// the ones a user may move).
    public var fragmentLimits = FragmentReassembler.Limits()
    public var tcpLimits = TCPEncapsulation.Limits()
    public var ikeLimits = IKEReconstruction.Limits()
    /// What the reports show (`--spi`, `--ike-sa`, `--from`, `--to`); everything is analysed.
    public var selection = ReportSelection()

    public init() {}
}
