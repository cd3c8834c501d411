import SpiglassIKE
import SpiglassWire

/// Everything a run of `spiglass analyze` is configured with; the CLI builds one of these.
public struct AnalysisOptions: Sendable {
    public enum Format: String, Sendable {
        case text
        case json
    }

    /// What the run reports: every packet (`analyze`) or the IKE story (`ike`).
    public enum Report: String, Sendable {
        case packets
        case ike
    }

    public var format: Format = .text
    public var report: Report = .packets
    /// Add the ESP/AH SAs that IKE exchanges negotiated, keyed from SK_d, to the SAD.
    public var deriveChildKeys = true
    /// Decrypt IKEv2 messages whose integrity check fails, marked unauthenticated.
    public var ikeDecryptDespiteIntegrityFailure = false
    /// No per-packet lines, only the summary (tshark's -q).
    public var quiet = false
    /// Path of the decrypted-output pcap (-w), "-" for standard output.
    public var writePath: String? = nil
    /// The files the run reads (captures, key files and their includes; "-" for standard
    /// input): the -w path may resolve to none of them (`OutputFile.refuseInputs`).
    public var inputPaths: [String] = []
    /// Flush the -w file after every packet (for live captures followed by another tool).
    public var flushEachPacket = false
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
