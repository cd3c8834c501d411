import SpiglassCapture

/// Collects the fragments of RFC 7383 messages until each message is whole. Every fragment
/// is its own encrypted unit, so what is kept per fragment is its plaintext (when keys
/// opened it) and the frame that carried it. Pending messages, fragments per message and
/// bytes held are bounded: hostile captures cannot make it grow without limit.
struct IKEFragmentAssembler {
    /// Which message a fragment belongs to: the IKE SA, the message ID and the direction.
    struct MessageKey: Hashable {
        var initiatorSPI: UInt64
        var responderSPI: UInt64
        var messageID: UInt32
        var isResponse: Bool
        var fromInitiator: Bool
    }

    struct Fragment {
        var frame: Int
        var time: Timestamp
        var wireLength: Int
        /// Decrypted content, nil when it could not be decrypted.
        var plaintext: [UInt8]?
        /// The first inner payload type (only fragment 1's counts).
        var firstPayload: UInt8
        var integrity: IKEIntegrityVerdict
        /// Why it did not open (nil: not opened).
        var failure: IKEDecryptionFailure?
        var fingerprint: UInt64
    }

    struct Whole {
        var fragments: [Fragment]
        var total: Int
    }

    enum Outcome {
        case pending
        case complete(Whole)
        case dropped(IKEFragmentDrop)
    }

    /// RFC 7383 2.5.3 lets a message have up to 65535 fragments; real ones have a handful.
    static let maxFragmentsPerMessage = 256
    /// Messages whose fragments are still arriving, across all IKE SAs.
    static let maxPendingMessages = 128
    /// Plaintext bytes held over all pending messages.
    static let maxHeldBytes = 4 << 20

    private var pending: [MessageKey: (total: Int, fragments: [Int: Fragment], bytes: Int, order: Int)] = [:]
    private var heldBytes = 0
    private var arrivals = 0

    mutating func add(_ fragment: Fragment, number: Int, total: Int, key: MessageKey) -> Outcome {
        guard total >= 1, number >= 1, number <= total else {
            return .dropped(.outOfRange(number: number, total: total))
        }
        guard total <= IKEFragmentAssembler.maxFragmentsPerMessage else {
            return .dropped(.tooManyFragments(total: total, limit: IKEFragmentAssembler.maxFragmentsPerMessage))
        }
        arrivals += 1
        var entry = pending[key] ?? (total: total, fragments: [:], bytes: 0, order: arrivals)
        if entry.total != total {
            // RFC 7383 2.6: a sender that re-fragments (smaller size after retransmissions)
            // starts over with a new total; the old pieces are useless.
            heldBytes -= entry.bytes
            entry = (total: total, fragments: [:], bytes: 0, order: arrivals)
        }
        let size = fragment.plaintext?.count ?? 0
        if entry.fragments[number] == nil {
            if pending[key] == nil && pending.count >= IKEFragmentAssembler.maxPendingMessages {
                evictOldest()
            }
            while heldBytes + size > IKEFragmentAssembler.maxHeldBytes, !pending.isEmpty {
                evictOldest()
            }
            guard heldBytes + size <= IKEFragmentAssembler.maxHeldBytes else {
                return .dropped(.overBudget(bytes: size, limit: IKEFragmentAssembler.maxHeldBytes))
            }
            entry.fragments[number] = fragment
            entry.bytes += size
            heldBytes += size
        }
        if entry.fragments.count == entry.total {
            pending[key] = nil
            heldBytes -= entry.bytes
            let ordered = (1...entry.total).compactMap { entry.fragments[$0] }
            return .complete(Whole(fragments: ordered, total: entry.total))
        }
        pending[key] = entry
        return .pending
    }

    /// Messages still incomplete (reported at the end).
    var pendingCount: Int { pending.count }

    private mutating func evictOldest() {
        guard let oldest = pending.min(by: { $0.value.order < $1.value.order }) else { return }
        heldBytes -= oldest.value.bytes
        pending[oldest.key] = nil
    }
}
