import SpiglassCapture
import SpiglassWire

/// How an IKE message reached the wire.
public enum IKETransport: String, Sendable, Equatable {
    /// UDP, usually port 500.
    case udp
    /// UDP 4500 after the four-byte non-ESP marker (RFC 3948).
    case udpEncapsulated = "udp-4500"
    /// RFC 8229 TCP encapsulation.
    case tcp
}

/// One IKE message as the capture carried it: what the reconstruction consumes.
public struct IKEDatagram: Sendable {
    /// 1-based capture frame number.
    public var frame: Int
    /// Capture time, at the resolution of the input that stamped it.
    public var time: Timestamp
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var transport: IKETransport
    /// The IKE message is `bytes[range]`, starting at its IKE header.
    public var bytes: [UInt8]
    public var range: Range<Int>
    /// The capture's snapshot length cut the message: `range` holds only its start.
    public var cutByCapture = false

    public init(
        frame: Int, time: Timestamp, source: IPAddress, destination: IPAddress, sourcePort: UInt16,
        destinationPort: UInt16,
        transport: IKETransport, bytes: [UInt8], range: Range<Int>
    ) {
        self.frame = frame
        self.time = time
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.transport = transport
        self.bytes = bytes
        self.range = range
    }
}

/// An IKE SA's identity on the wire: IKEv2 SPIi and SPIr (or the IKEv1 cookies).
public struct IKESPIPair: Sendable, Hashable, CustomStringConvertible {
    public var initiator: UInt64
    public var responder: UInt64

    public init(initiator: UInt64, responder: UInt64) {
        self.initiator = initiator
        self.responder = responder
    }

    public var description: String { initiator.ikeSPIHex + "_i " + responder.ikeSPIHex + "_r" }
}
