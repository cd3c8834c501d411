/// A bounded queue of objects from one thread to another, and the spent objects going back
/// for reuse. A sender whose queue is full waits (back-pressure), so memory stays bounded by
/// `capacity` items. Every access to the queues holds the lock; an item belongs to the sender
/// until `send` and to the receiver after `receive`.
///
/// A waiting receiver is woken by every item: in a parallel run the reader, the workers and the
/// merger wait on each other through these queues, and a receiver left asleep until its queue
/// fills could wait for a sender that waits, through the others, for it. A sender waiting for
/// room is woken as soon as there is some.
final class HandoffChannel<Item: AnyObject>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var queue: [Item] = []
    private var spares: [Item] = []
    private var receiverWaiting = false
    private var senderWaiting = false
    /// Set before the threads that share the channel start (tests make it smaller).
    var capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func send(_ item: Item) {
        lock.withLock {
            while queue.count >= capacity {
                senderWaiting = true
                lock.wait()
            }
            senderWaiting = false
            queue.append(item)
            if receiverWaiting { lock.broadcast() }
        }
    }

    func receive() -> Item {
        lock.withLock {
            while queue.isEmpty {
                receiverWaiting = true
                lock.wait()
            }
            receiverWaiting = false
            if senderWaiting { lock.broadcast() }
            return queue.removeFirst()
        }
    }

    /// Keeps a spent item for `spare` (at most `capacity` of them).
    func recycle(_ item: Item) {
        lock.withLock { if spares.count < capacity { spares.append(item) } }
    }

    func spare() -> Item? {
        lock.withLock { spares.popLast() }
    }
}
