/// The workers of a parallel run merge their output themselves, in turns, as they read the
/// capture in turns (`ReadingTurns`): there is no merging thread. A worker files each chunk of
/// its output (`file`) in its bounded queue and then, if no other worker holds the merging turn,
/// takes it and writes every entry that can go out in frame order (`FrameOrderMerge`), on the
/// core it already runs on; if another holds it, that one merges the new chunk before giving
/// the turn up. The calling thread only starts and joins the workers.
///
/// Why nothing stalls:
/// - Nothing mergeable is left while the turn is free. A chunk filed while the turn is free is
///   merged by its filer, who takes the turn at once (under the same lock); one filed while the
///   turn is held marks `filedDuringTurn`, and the holder merges again before giving the turn up
///   (checked and given up under the lock: the "re-check after release" of such hand-overs).
/// - The merge itself never waits: it stops at the first chunk that is not filed yet.
/// - A worker whose queue is full waits, and only for room. By the first point its chunks cannot
///   go out before the output of the worker the merge stopped at, `m`, which has nothing queued
///   (the merge would have taken it): so `m` is not waiting for room, and once it files, a turn
///   merges (`m`'s own, or the holder's second pass) and wakes the waiters as it gives room
///   (`take` broadcasts). `m` does not wait for them either: a worker holding the reading turn
///   never waits (`ReadingTurns`), and `m` sends its chunk before it waits for a batch, or for
///   worker 0's IKE (`catchUpWithIKE`), so that everything it was given is filed. Could `m` wait for
///   a batch the reader cannot queue because a full worker takes none? Then `m` has processed
///   the round still pending and filed through its end, while that worker has not reached it:
///   the merge would stop at that worker, not at `m`. Could `m` wait for worker 0 to pass an IKE
///   frame while worker 0 waits for room? Worker 0's queued output would then come before that
///   IKE frame, so before `m`'s next frame, and the merge would stop at worker 0, which has
///   chunks queued: it would not have stopped.
/// - A worker never waits for room while it holds the merging turn (it files before taking it)
///   or the reading turn (reading files nothing).
///
/// Memory stays bounded: a worker makes a chunk only when it has no spare, and at most
/// `capacity` of its chunks are queued, one is at the merge's cursor and one is being filled.
/// The queues are shared and held under the lock; the merge belongs to the turn's holder.
final class MergingTurns: @unchecked Sendable {
    private let lock = ConditionLock()
    private let merge: FrameOrderMerge
    /// Chunks queued per worker before it waits for the merge. Set before the run.
    var capacity: Int

    // Under the lock.
    private var queues: [[ShardChunk]]
    private var spares: [[ShardChunk]]
    /// A worker is merging: the merge is its alone until it gives the turn up.
    private var turnTaken = false
    /// A chunk was filed while the turn was taken: the holder merges again before giving it up.
    private var filedDuringTurn = false
    /// Workers waiting for room in their queue.
    private var waiting = 0

    init(merge: FrameOrderMerge, workers: Int, capacity: Int) {
        self.merge = merge
        self.capacity = max(1, capacity)
        queues = Array(repeating: [], count: workers)
        spares = Array(repeating: [], count: workers)
    }

    /// A spent chunk of `worker`'s to fill again, if there is one.
    func spare(for worker: Int) -> ShardChunk? {
        lock.withLock { spares[worker].popLast() }
    }

    /// Queues `worker`'s chunk (waiting for room in a full queue) and merges it and whatever
    /// else can go out, unless another worker is merging, which then does.
    func file(_ chunk: ShardChunk, from worker: Int) {
        lock.lock()
        defer { lock.unlock() }
        while queues[worker].count >= capacity {
            waiting += 1
            lock.wait()
            waiting -= 1
        }
        queues[worker].append(chunk)
        if turnTaken {
            filedDuringTurn = true
            return
        }
        takeTurn()
    }

    /// Called and returns with the lock held; merges without it, until no chunk was filed
    /// during the last pass.
    private func takeTurn() {
        turnTaken = true
        repeat {
            filedDuringTurn = false
            lock.unlock()
            merge.writeAvailable(take: take, giveBack: giveBack)
            lock.lock()
        } while filedDuringTurn
        turnTaken = false
    }

    /// The merge's: `worker`'s next chunk, if filed. Its queue then has room.
    private func take(_ worker: Int) -> ShardChunk? {
        lock.withLock {
            guard !queues[worker].isEmpty else { return nil }
            if waiting > 0 { lock.broadcast() }
            return queues[worker].removeFirst()
        }
    }

    /// The merge's: a chunk written out, to be filled again.
    private func giveBack(_ worker: Int, _ spent: ShardChunk) {
        lock.withLock { if spares[worker].count < capacity { spares[worker].append(spent) } }
    }

    /// After the workers are joined: whether everything was written (it is, by the reasoning
    /// above; a last pass makes sure).
    func finish() -> Bool {
        let merged = merge.finished
        if !merged { merge.writeAvailable(take: take, giveBack: giveBack) }
        return merged
    }
}
