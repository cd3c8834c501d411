import SpiglassCapture
import SpiglassESP
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// The verdict a packet gets in reports.
public enum PacketVerdict: String, Sendable, Equatable, CaseIterable {
    case decrypted
    case icvFailed = "icv-failed"
    /// Decrypted, but not to the packet its trailer announces (see `PlaintextCheck`): with a
    /// good ICV, a wrong encryption key, algorithm or key length. Never released.
    case garbled
    case dummy
    case malformed
    case noSA = "no-sa"
    case unsupportedAlgorithm = "unsupported-algorithm"
    /// IKE message (summarised by header).
    case ike
    /// AH whose SA checks nothing ("unchecked" integrity): header shown, ICV not verified.
    case ah
    /// AH ICV verified (and no ESP inside).
    case ahVerified = "ah-verified"
    /// AH ICV did not verify: nothing from the packet is released.
    case ahICVFailed = "ah-icv-failed"
    case natKeepalive = "nat-keepalive"
    /// No key, but the packet is ESP with NULL encryption (RFC 5879 heuristics): its payload
    /// is shown, unauthenticated, and not written to -w.
    case espNull = "esp-null"
    /// A TCP segment on an RFC 8229 port that completed no message (its bytes are held).
    case tcpSegment = "tcp-segment"
    /// Held for IP reassembly; the frame completing the datagram reports it.
    case fragment
    case notIPsec = "not-ipsec"
    /// The frame could not be decoded up to IP (unsupported link type, not IP).
    case undecodable
    /// The capture's snapshot length cut the packet: what is missing cannot be checked, so
    /// it is neither verified nor failed (nor blamed on the keys).
    case truncated
    /// The same bytes as an earlier frame within the duplicate window: the capture saw one
    /// packet twice (two interfaces, a SPAN port, a capture merged with itself). Counted
    /// apart; neither a replay nor processed again.
    case captureDuplicate = "capture-duplicate"

    init(_ esp: ESPVerdict) {
        switch esp {
        case .decrypted: self = .decrypted
        case .icvFailed: self = .icvFailed
        case .garbled: self = .garbled
        case .dummy: self = .dummy
        case .malformed: self = .malformed
        case .unsupportedAlgorithm: self = .unsupportedAlgorithm
        }
    }
}

/// One ESP layer of a packet (nested tunnels give more than one).
public struct ESPLayer: Sendable, Equatable {
    public var spi: SPI
    /// Full sequence number (with inferred high bits when the SA uses ESN).
    public var sequence: UInt64
    public var verdict: PacketVerdict
    public var icv: ICVStatus
    /// Index of the SA in the SAD, when one matched.
    public var saIndex: Int?
    public var saMatch: SADatabase.MatchKind?
    public var nextHeader: UInt8?
    public var padLength: Int?
    public var length: Int
    public var tunnel: Bool?
    public var udpPorts: (source: UInt16, destination: UInt16)?
    public var detail: String?
    /// The anti-replay window's verdict (nil when the packet did not authenticate).
    public var replay: ReplayWindow.Outcome? = nil
    /// The CHILD_SA (index in the IKE reconstruction) an exchange negotiated this SPI in.
    public var childSA: Int? = nil
    /// The padding bytes were RFC 4303's default 1, 2, 3, … (reported when not, on a released packet).
    public var defaultPadding = true
    /// The flow (index in the run's flows) this layer was counted in, for the policy check.
    var flowNumber: Int? = nil

    public static func == (a: ESPLayer, b: ESPLayer) -> Bool {
        a.spi == b.spi && a.sequence == b.sequence && a.verdict == b.verdict && a.icv == b.icv && a.saIndex == b.saIndex
            && a.nextHeader == b.nextHeader && a.length == b.length
    }
}

/// One AH header of a packet and what its verification gave.
public struct AHLayer: Sendable, Equatable {
    public var header: AHHeader
    public var sequence: UInt64
    /// `.ahVerified`, `.ahICVFailed`, `.ah` (unchecked), `.noSA` or `.malformed`.
    public var verdict: PacketVerdict
    public var saIndex: Int?
    public var saMatch: SADatabase.MatchKind?
    public var replay: ReplayWindow.Outcome?
    public var detail: String?
    /// The flow (index in the run's flows) this header was counted in, for the report's sparklines.
    var flowNumber: Int? = nil
}

/// Everything reported about one captured frame. One value is reused for every frame.
public struct PacketRecord: Sendable {
    public var frame: Int = 0
    /// The input the frame came from (index into the analyzer's `sourcePaths`) and its number
    /// there: with several input files, frames are numbered as one stream and each also by
    /// its file.
    public var source = 0
    public var sourceFrame = 0
    public var timestamp = Timestamp(seconds: 0, microseconds: 0)
    public var capturedLength = 0
    /// The frame's length on the wire; larger than `capturedLength` when the capture cut it.
    public var originalLength = 0
    public var verdict: PacketVerdict = .notIPsec
    public var outer: PacketSummary? { didSet { setFields.insert(.outer) } }
    /// Frame numbers of the fragments this datagram was rebuilt from.
    public var reassembledFrom: Int = 0
    /// The frames (numbered in their file) of the fragments this datagram was rebuilt from.
    public var fragmentFrames = FragmentFrames()
    public var esp: [ESPLayer] = []
    public var ah: [AHLayer] = []
    public var ike: IKEHeader? { didSet { setFields.insert(.ike) } }
    /// The decoded IKE message this frame completed (nil for a fragment still pending).
    public var ikeMessage: IKEMessageRecord? { didSet { setFields.insert(.ikeMessage) } }
    public var ikeNonESPMarker = false
    public var udpPorts: (source: UInt16, destination: UInt16)?
    /// RFC 8229 TCP encapsulation: the ports, and which message of the segment this record is.
    public var tcpPorts: (source: UInt16, destination: UInt16)?
    public var tcpMessage: Int?
    /// The innermost decrypted packet.
    public var inner: PacketSummary? { didSet { setFields.insert(.inner) } }
    /// Bytes written to the -w file for this frame (0 when none).
    public var writtenLength = 0
    public var detail: String? { didSet { setFields.insert(.detail) } }
    /// A frame that is not IPsec, named as tshark names it (set for text reports only).
    public var clearFrame: FrameSummary? { didSet { setFields.insert(.clearFrame) } }
    /// The policy check's note: a decrypted packet outside its SA's selectors, or a leak.
    public var policy: PolicyNote? { didSet { setFields.insert(.policy) } }

    /// The optional fields above that were set since the last reset, which clears only these:
    /// most frames set none of them, and testing each (or assigning nil to a large optional,
    /// which copies a whole empty value over it) on every frame cost about 50 instructions.
    var setFields: SetFields = []

    struct SetFields: OptionSet {
        let rawValue: UInt8
        static let outer = SetFields(rawValue: 1 << 0)
        static let ike = SetFields(rawValue: 1 << 1)
        static let ikeMessage = SetFields(rawValue: 1 << 2)
        static let inner = SetFields(rawValue: 1 << 3)
        static let detail = SetFields(rawValue: 1 << 4)
        static let clearFrame = SetFields(rawValue: 1 << 5)
        static let policy = SetFields(rawValue: 1 << 6)
    }

    /// Records reported for this frame so far (more than one when a TCP segment carries several
    /// RFC 8229 messages).
    var reportedUnits = 0
    /// The snapshot length cut the frame's outermost IP datagram.
    var datagramCut = false

    /// True when the snapshot length cut the frame.
    public var isCut: Bool { capturedLength < originalLength }

    /// "captured 96 of 170 bytes", for a cut frame.
    public var cutDescription: String { "captured \(capturedLength) of \(originalLength) bytes" }

    /// Clears what one RFC 8229 message reports, keeping the frame's own fields.
    mutating func resetMessage(index: Int) {
        tcpMessage = index
        verdict = .notIPsec
        esp.removeAll(keepingCapacity: true)
        ike = nil
        ikeMessage = nil
        inner = nil
        writtenLength = 0
        detail = nil
        policy = nil
    }

    /// Clears the optional fields that were set (assigning them marks them set again, hence
    /// the mask is emptied last).
    private mutating func clearSetFields() {
        if setFields.contains(.outer) { outer = nil }
        if setFields.contains(.ike) { ike = nil }
        if setFields.contains(.ikeMessage) { ikeMessage = nil }
        if setFields.contains(.inner) { inner = nil }
        if setFields.contains(.detail) { detail = nil }
        if setFields.contains(.clearFrame) { clearFrame = nil }
        if setFields.contains(.policy) { policy = nil }
        setFields = []
    }

    mutating func reset(frame: Int, header: PacketHeader) {
        self.frame = frame
        reportedUnits = 0
        datagramCut = false
        source = header.source
        sourceFrame = header.sourceFrame
        timestamp = header.timestamp
        capturedLength = header.capturedLength
        originalLength = header.originalLength
        verdict = .notIPsec
        reassembledFrom = 0
        if fragmentFrames.count != 0 { fragmentFrames = FragmentFrames() }
        // Most frames hold one layer: removing it alone spares a generic range replacement.
        while !esp.isEmpty { esp.removeLast() }
        if !ah.isEmpty { ah.removeAll(keepingCapacity: true) }
        ikeNonESPMarker = false
        udpPorts = nil
        tcpPorts = nil
        tcpMessage = nil
        writtenLength = 0
        if !setFields.isEmpty { clearSetFields() }
    }
}
