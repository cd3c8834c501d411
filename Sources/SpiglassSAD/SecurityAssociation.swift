import SpiglassWire

/// Where an SA came from, so every report and error can point back at the key file line.
public struct SAOrigin: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// A derived SA's origin as a terminal shows it ("SK_d of IKE SA 1a2b3c4d… (charon.log:3)"):
    /// the IKE SPI abbreviated and the key file by name, where `file` has both whole.
    public var terse: String?

    public init(file: String, line: Int, terse: String? = nil) {
        self.file = file
        self.line = line
        self.terse = terse
    }

    /// An SA that no key file gives: Spiglass derived it (`file` says from what). It has no
    /// line to point at.
    public static func derived(_ how: String, terse: String? = nil) -> SAOrigin {
        SAOrigin(file: how, line: 0, terse: terse)
    }

    /// "charon-A.log:333": the key file by name, not by path, and the line.
    public var named: String {
        guard line > 0 else { return terse ?? file }
        return "\(file.split(separator: "/").last.map(String.init) ?? file):\(line)"
    }

    public var description: String { line > 0 ? "\(file):\(line)" : file }
}

/// The IPsec protocol an SA protects packets with.
public enum IPsecProtocol: String, Sendable, Equatable, Hashable {
    case esp
    case ah
}

/// IPsec mode, when the key source states it (ip xfrm, setkey); otherwise the next header of
/// each decrypted packet tells.
public enum IPsecMode: String, Sendable, Equatable, Hashable {
    case tunnel
    case transport
    case beet
}

/// One ESP or AH SA as a user configured it. Patterns may cover more than one real flow.
public struct SecurityAssociation: Sendable, Equatable, Hashable {
    public var ipsecProtocol: IPsecProtocol = .esp
    /// nil matches any SPI (Wireshark's "*").
    public var spi: SPI?
    public var source: AddressPattern
    public var destination: AddressPattern
    public var encryption: EncryptionAlgorithm
    /// Wiped when the last copy of the SA is freed; prints as "<N-byte key>".
    public var encryptionKey: SecretBytes
    public var integrity: IntegrityAlgorithm
    public var integrityKey: SecretBytes
    /// RFC 4303 extended (64-bit) sequence numbers.
    public var extendedSequenceNumbers: Bool
    /// High 32 bits of the sequence number at the start of the capture (ESN only).
    public var initialSequenceHigh: UInt32
    public var origin: SAOrigin
    /// Stated by some sources; informative.
    public var mode: IPsecMode? = nil
    /// Anti-replay window size the source states (ip xfrm `replay-window`, setkey `replay=`).
    public var replayWindow: UInt32? = nil
    /// RFC 3948 UDP encapsulation ports the source states (ip xfrm `encap espinudp`).
    public var encapsulationPorts: UDPPortPair? = nil
    /// A name from the source (strongSwan CHILD_SA name), for reports.
    public var label: String? = nil

    /// The keys may be `SecretBytes` (kept as they are) or any other byte collection (copied
    /// into `SecretBytes`; the caller's copy is the caller's to wipe).
    public init(
        spi: SPI?, source: AddressPattern = .any, destination: AddressPattern = .any,
        encryption: EncryptionAlgorithm, encryptionKey: some Collection<UInt8>,
        integrity: IntegrityAlgorithm = .null, integrityKey: some Collection<UInt8> = SecretBytes(),
        extendedSequenceNumbers: Bool = false, initialSequenceHigh: UInt32 = 0,
        origin: SAOrigin = SAOrigin(file: "<inline>", line: 0)
    ) {
        self.spi = spi
        self.source = source
        self.destination = destination
        self.encryption = encryption
        self.encryptionKey = SecretBytes(encryptionKey)
        self.integrity = integrity
        self.integrityKey = SecretBytes(integrityKey)
        self.extendedSequenceNumbers = extendedSequenceNumbers
        self.initialSequenceHigh = initialSequenceHigh
        self.origin = origin
    }

    /// ICV bytes at the end of each packet.
    public var icvLength: Int { encryption.isAEAD ? encryption.aeadICVLength : integrity.icvLength }

    /// "aes-cbc-128/hmac-sha2-256-128" or "aes-gcm-128-16".
    public var algorithmDescription: String {
        let enc = encryption.displayName(keyLength: encryptionKey.count)
        if encryption.isAEAD { return enc }
        return enc + "/" + integrity.name
    }
}

/// A UDP source and destination port.
public struct UDPPortPair: Sendable, Equatable, Hashable {
    public var source: UInt16
    public var destination: UInt16

    public init(source: UInt16, destination: UInt16) {
        self.source = source
        self.destination = destination
    }
}
