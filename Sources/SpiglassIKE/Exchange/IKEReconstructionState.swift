import SpiglassWire

/// Lookups the reconstruction keeps beside its records, filled in as the records grow.
struct IKEStoryLookups {
    /// IKE SA indices by SPIi (IKEv2 SPIs are chosen at random; collisions make a list).
    var ikeSAsByInitiatorSPI: [UInt64: [Int]] = [:]
    /// The CHILD_SA an ESP or AH SPI belongs to.
    var childBySPI: [SPI: Int] = [:]
    /// Fingerprints of messages per exchange, to tell retransmissions from new messages.
    var fingerprints: [IKEReconstruction.FingerprintKey: UInt64] = [:]
}

/// What is under way: the state machine of each IKE SA (the phase it is in and what it waits
/// for), messages still arriving in fragments, and the recent messages that a capture duplicate
/// is compared with.
struct IKEInFlight {
    var v1States: [Int: IKEv1SAState] = [:]
    var v2States: [Int: IKEv2SAState] = [:]
    /// RFC 7383 fragments, and ISAKMP fragments, waiting for the rest of their message.
    var fragments = IKEFragmentAssembler()
    var v1Fragments = IKEv1FragmentStore()
    /// Messages seen within the last `captureDuplicateWindow`, to compare new ones with.
    var recentMessages = RecentCopies()
}

/// Running totals that `IKEReconstruction.Limits` (and the named caps) are checked against.
struct IKEUsage {
    /// Warnings given (each once, at most 256 kinds).
    var diagnosticsSeen: Set<IKEDiagnostic> = []
    /// Bytes of the message records kept, and exchanges kept over all IKE SAs.
    var keptMessageBytes = 0
    var exchangeCount = 0
    /// IKEv1 messages remembered for retransmission checks, over all IKE SAs.
    var v1RememberedTotal = 0
}

/// IKE messages counted as they came, whether their records are kept or not.
public struct IKEMessageCounts: Sendable, Equatable {
    /// Every IKE message decoded, those decrypted, and those whose integrity check failed.
    public internal(set) var decoded = 0
    public internal(set) var decrypted = 0
    public internal(set) var integrityFailures = 0
    /// IKEv1 (ISAKMP) messages seen (fragments count once their message is whole).
    public internal(set) var ikev1 = 0
    /// Messages whose records were not kept (`Limits.maxMessagesKept`, `maxMessageBytesKept`).
    public internal(set) var dropped = 0
    /// Messages the capture held twice (see `IKEReconstruction.captureDuplicateWindow`).
    public internal(set) var captureDuplicates = 0
}
