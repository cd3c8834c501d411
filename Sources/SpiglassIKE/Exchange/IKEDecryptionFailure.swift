import SpiglassSAD

/// Why a message whose IKE SA has keys did not open. SpiglassAnalysis words it.
public indirect enum IKEDecryptionFailure: Sendable, Hashable {
    /// The IKEv2 SK or SKF payload did not open.
    case v2(IKEv2ProtectionError)
    /// The IKEv1 message did not decrypt, or its IV could not be had.
    case v1(IKEv1ProtectionError)
    /// The key set cannot make a message protection (nil: not tried yet, so no reason known).
    case keysUnusable(IKEKeysUnusable?)
    /// A fragment of the message did not open (nil: it was not opened).
    case fragment(IKEDecryptionFailure?)
    /// IKEv1: the IV needs both KE payloads of phase 1, which the capture cut (`cut`) or lacks.
    case ivNeedsKEPayloads(cut: Bool)
}

/// A key set that cannot make a message protection: which one, and why.
public struct IKEKeysUnusable: Sendable, Hashable {
    public enum Error: Sendable, Hashable {
        case v2(IKEv2ProtectionError)
        case v1(IKEv1ProtectionError)
    }

    /// The key set's initiator SPI (IKEv1: cookie) and where it came from.
    public var initiatorSPI: UInt64
    public var origin: SAOrigin
    public var error: Error

    public init(_ key: IKESecurityAssociation, _ error: Error) {
        initiatorSPI = key.initiatorSPI
        origin = key.origin
        self.error = error
    }
}
