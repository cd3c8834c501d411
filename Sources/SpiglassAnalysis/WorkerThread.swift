import Glibc

// The few thread primitives a parallel run needs, on POSIX threads. This file, `ReadingTurns`,
// `MergingTurns` and `IKEEventLog` hold all the code that shares memory between threads;
// everything else in a parallel run is owned by one thread at a time, handed over when a thread
// starts or under the lock of one of these, and read back after `join()`.

/// A mutex with one condition variable. The pthread objects live in allocated memory, which
/// never moves (a stored property of a class is not guaranteed a stable address).
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    /// Waits for `broadcast` with the lock held (it is released while waiting).
    func wait() { pthread_cond_wait(condition, mutex) }
    func broadcast() { pthread_cond_broadcast(condition) }

    func withLock<T>(_ body: () -> T) -> T {
        lock()
        defer { unlock() }
        return body()
    }
}

/// A POSIX thread running a closure. Whatever the closure captures is used by that thread
/// alone until `join()` returns (the caller's promise; hence `@unchecked Sendable` on the box).
final class WorkerThread {
    private final class Body: @unchecked Sendable {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private var thread = pthread_t()
    private var joined = false

    /// Starts the thread. Worker stacks get `stackSize` bytes whatever `ulimit -s` says.
    init(stackSize: Int = 16 << 20, _ body: @escaping () -> Void) throws {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let status = pthread_create(
            &thread, &attributes,
            { context in
                Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw ParallelAnalysisError("cannot start a worker thread: \(String(cString: strerror(status)))")
        }
    }

    /// Waits for the thread to end; its writes are visible afterwards.
    func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }
}

/// Holds threads back until every one of them has started, so that a failure to start one
/// can call the whole run off before any frame is read.
final class StartGate: @unchecked Sendable {
    private let lock = ConditionLock()
    private var decision: Bool? = nil

    /// Blocks until `open` is called; true means go.
    func wait() -> Bool {
        lock.withLock {
            while decision == nil { lock.wait() }
            return decision!
        }
    }

    func open(_ go: Bool) {
        lock.withLock {
            decision = go
            lock.broadcast()
        }
    }
}

/// Lines written to one sink from several threads, one whole line at a time: a live parallel
/// run's notices (warnings, key reloads) come from the reader and from every worker.
final class SerializedLines: @unchecked Sendable {
    private let lock = ConditionLock()
    private let sink: OutputSink

    init(_ sink: OutputSink) { self.sink = sink }

    func write(_ line: String) { lock.withLock { sink.write(line) } }
}

/// Why a parallel run could not start.
public struct ParallelAnalysisError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
