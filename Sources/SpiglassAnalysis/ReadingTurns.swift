/// The workers of a parallel run read the capture themselves, in turns: there is no reading
/// thread. A worker whose queue of frame batches is empty takes the turn (if no other worker
/// holds it), reads a round through the `FrameRouter` (one batch per worker: its own frames
/// and those of every other worker), queues each batch to its worker, and goes back to its own
/// work as soon as its queue holds something. So the reading is done by whichever worker is idle,
/// on the core it already runs on, and the hand-over costs no thread of its own.
///
/// Queues are bounded (`capacity` batches per worker, as the memory bound requires), and the
/// reader never waits for room while it holds the turn, which the worker it would wait for may
/// need (a worker waiting for IKE from worker 0, or for frames, must never wait for a reader
/// that waits for it): a round that does not fit stays pending, the turn is given up, and the
/// round is queued by the next turn, taken once some worker has emptied a place in its queue.
/// The router and the pending round belong to the turn's holder; everything else here is
/// shared and held under the lock.
final class ReadingTurns: @unchecked Sendable {
    private let lock = ConditionLock()
    private let router: FrameRouter
    private let control: Analyzer.RunControl
    /// Batches queued per worker before its reader stops reading.
    let capacity: Int
    /// A worker takes the turn when it has this many batches or fewer left.
    private let lowWater: Int
    /// A worker gives the turn up once its queue holds this many batches.
    private let highWater: Int

    // Under the lock.
    private var queues: [[FrameBatch]]
    private var spares: [FrameBatch] = []
    /// A worker is reading: the router and `pending` are its alone until it gives the turn up.
    private var turnTaken = false
    /// The pending round does not fit: no turn is worth taking until some worker takes a batch.
    private var stalled = false
    /// The last round is queued: there is nothing left to read.
    private var exhausted = false
    /// Workers waiting for a batch with none queued.
    private var idle = 0

    // The turn holder's.
    /// The round read last, the batches not yet queued (nil once queued).
    private var pending: [FrameBatch?] = []

    init(router: FrameRouter, control: Analyzer.RunControl, capacity: Int) {
        self.router = router
        self.control = control
        self.capacity = max(1, capacity)
        // A live capture's reader must not sit in a read (up to the read timeout) while frames
        // of its own wait: it reads only with nothing to do, and stops at its first batch.
        let live = router.reader.isLive
        self.lowWater = live ? 0 : self.capacity / 2
        self.highWater = live ? 1 : self.capacity
        self.queues = Array(repeating: [], count: router.workerCount)
        router.spare = { [unowned self] in self.lock.withLock { self.spares.popLast() } }
    }

    /// The next batch of frames for `worker`, in the order they were read: from its queue, or
    /// read by this worker in its turn. Waits while another worker reads, or while the round
    /// read last waits for room in a queue other than this worker's.
    func next(for worker: Int) -> FrameBatch {
        lock.lock()
        defer { lock.unlock() }
        while true {
            // Reads ahead while work is left, so that the other workers rarely find their queues
            // empty while this one reads; but leaves the reading to a worker with nothing to do
            // (woken below, it takes the turn), as one that owns most of the traffic then reads
            // nothing.
            let queued = queues[worker].count
            if !turnTaken && !stalled && !exhausted && (queued == 0 || (queued <= lowWater && idle == 0)) {
                takeTurn(worker)
                continue
            }
            if !queues[worker].isEmpty {
                let batch = queues[worker].removeFirst()
                // Room for the pending round, perhaps: let the next turn try.
                stalled = false
                lock.broadcast()
                return batch
            }
            idle += 1
            lock.wait()
            idle -= 1
        }
    }

    /// Keeps a spent batch to be filled again. (A batch is made only when there is no spare,
    /// so there are never more spares than batches in flight at once.)
    func recycle(_ batch: FrameBatch) {
        lock.withLock { spares.append(batch) }
    }

    /// Called and returns with the lock held; reads without it. Queues the pending round, then
    /// reads rounds and queues them until this worker's queue is full (for a live capture:
    /// holds a batch), a round does not fit, or the capture is read.
    private func takeTurn(_ worker: Int) {
        turnTaken = true
        defer {
            turnTaken = false
            lock.broadcast()
        }
        while true {
            queuePending()
            if stalled || exhausted || queues[worker].count >= highWater { return }
            lock.unlock()
            pending = router.readRound(control: control)
            lock.lock()
        }
    }

    /// Under the lock: queues what fits of the pending round (each worker's batches stay in
    /// order, as a round is read only once the one before it is all queued). Sets `stalled`
    /// when some of it is left, `exhausted` once the last round is all queued.
    private func queuePending() {
        var left = false
        for worker in pending.indices {
            guard let batch = pending[worker] else { continue }
            if queues[worker].count < capacity {
                queues[worker].append(batch)
                pending[worker] = nil
            } else {
                left = true
            }
        }
        stalled = left
        if !left { pending.removeAll(keepingCapacity: true) }
        exhausted = !left && router.exhausted
        lock.broadcast()
    }
}
