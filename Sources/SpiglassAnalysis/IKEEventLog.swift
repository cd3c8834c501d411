import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// What worker 0 of a parallel run, the only one that follows IKE, learns that the other
/// workers need, in frame order: the ESP and AH SAs keyed from SK_d, and the CHILD_SA each SPI
/// belongs to. Before a frame, a worker waits here until worker 0 has processed every
/// IKE-carrying frame before it (its "horizon", which the reader records), then applies what
/// those frames produced: so each frame sees exactly the keys and CHILD_SAs a single thread
/// would have at that point, with one copy of the IKE state for the whole run.
///
/// Like `ReadingTurns` and `MergingTurns`, this class shares memory between threads; every access
/// holds the lock.
final class IKEEventLog: @unchecked Sendable {
    enum Event {
        case derived(SecurityAssociation)
        case child(spi: SPI, selectors: NegotiatedSelectors)
    }

    private let lock = ConditionLock()
    private var events: [Event] = []
    /// Worker 0 has processed every IKE-carrying frame up to this one.
    private var progress = 0
    private var waiting = false

    /// Worker 0: the events of frame `frame` (maybe none), which it has now processed.
    func publish(_ new: [Event], through frame: Int) {
        lock.withLock {
            events += new
            progress = max(progress, frame)
            if waiting {
                waiting = false
                lock.broadcast()
            }
        }
    }

    /// Whether worker 0 is past `frame` already.
    func isPast(_ frame: Int) -> Bool {
        lock.withLock { progress >= frame }
    }

    /// Waits until worker 0 is past `frame`; then the events from number `start` on.
    func events(from start: Int, after frame: Int) -> ArraySlice<Event> {
        lock.withLock {
            while progress < frame {
                waiting = true
                lock.wait()
            }
            return events[min(start, events.count)...]
        }
    }
}

/// A worker's copy of the IKE story's SPI → CHILD_SA answers (`IKEReconstruction.childSA`),
/// kept from worker 0's events, with the CHILD_SA's selectors for the policy check. Shared by
/// the worker's analyzer and its `PolicyCheck`, on the worker's thread only.
final class ChildSAReplica {
    @exclusivity(unchecked) var bySPI: [SPI: Int] = [:]
    @exclusivity(unchecked) var selectors: [SPI: NegotiatedSelectors] = [:]
    /// Changes with every event, as `IKEReconstruction.childGeneration` does with every settled
    /// exchange: flows look their CHILD_SA up again only then.
    @exclusivity(unchecked) var generation = 0

    func apply(spi: SPI, _ negotiated: NegotiatedSelectors) {
        bySPI[spi] = negotiated.child
        selectors[spi] = negotiated
        generation += 1
    }
}
