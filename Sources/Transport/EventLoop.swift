#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// One thread waiting in `epoll_wait` for the sockets registered with it, running the timers and
/// tasks scheduled on it in between.
///
/// Sockets are registered edge-triggered once for their lifetime, so the loop only turns readiness
/// edges into resumed continuations; the reads and writes themselves run in the calling task.
///
/// The loop is also a `TaskExecutor`: a task started with `Task(executorPreference: loop)` runs on
/// the loop thread, so a continuation the loop resumes for it continues without a thread hop.
/// Such tasks must not block.
public final class EventLoop: TaskExecutor, Sendable {
    private let epollFD: Int32
    /// The eventfd that interrupts `epoll_wait`. Written from any thread, so it is closed only in
    /// `deinit`: whoever writes it holds a reference, and the loop thread holds one while it runs.
    private let wakeFD: Int32
    /// The system calls this loop and its sockets use.
    let calls: LinuxCalls
    /// Tasks and timers are scheduled from any thread and taken by the loop thread; the lock is held
    /// only to move them in and out.
    private let shared = Mutex(Shared())
    /// The loop thread's `pthread_t`, once it runs.
    private let thread = Atomic<UInt>(0)

    private enum Work: Sendable {
        case closure(@Sendable () -> Void)
        case job(UnownedJob)
    }

    private struct Shared {
        var work: [Work] = []
        var timers = TimerQueue()
        /// The loop thread is in (or about to enter) `epoll_wait` until this deadline.
        var sleepingUntil: UInt64? = nil
        var wakePending = false
        /// Set by `stop()`; the thread then ends, and `deinit` closes the descriptors.
        var stopping = false
        var stopped = false

        /// Whether work due at `deadline` must interrupt the loop's current `epoll_wait`; claims the
        /// single pending wake-up so a burst of submissions writes the eventfd once.
        mutating func needsWake(before deadline: UInt64) -> Bool {
            guard let sleepingUntil, deadline < sleepingUntil, !wakePending else { return false }
            wakePending = true
            return true
        }
    }

    /// Creates the epoll instance and the wake-up eventfd and starts the loop thread.
    /// - Throws: `TransportError.system` naming the call that failed (`epoll_create1`, `eventfd`,
    ///   `epoll_ctl`, `pthread_create`); nothing is left open then.
    init(calls: LinuxCalls) throws(TransportError) {
        ignoreSIGPIPE
        self.calls = calls
        let epollFD = calls.epollCreate1(Epoll.cloexec)
        guard epollFD >= 0 else { throw .system(operation: "epoll_create1", address: nil, errno: errno) }
        let wakeFD = calls.eventfd(0, EventFDFlags.nonblock | EventFDFlags.cloexec)
        guard wakeFD >= 0 else {
            let code = errno
            Glibc.close(epollFD)
            throw .system(operation: "eventfd", address: nil, errno: code)
        }
        // Level-triggered with data 0, which no registration pointer can be.
        let added = withUnsafeTemporaryAllocation(byteCount: Epoll.eventSize, alignment: 8) { raw in
            Epoll.store(events: Epoll.in, data: 0, into: raw.baseAddress!)
            return calls.epollCtl(epollFD, Epoll.ctlAdd, wakeFD, raw.baseAddress!)
        }
        guard added == 0 else {
            let code = errno
            Glibc.close(wakeFD)
            Glibc.close(epollFD)
            throw .system(operation: "epoll_ctl", address: nil, errno: code)
        }
        self.epollFD = epollFD
        self.wakeFD = wakeFD
        // Should the thread not start, `deinit` closes both descriptors.
        try startThread { [self] in run() }
    }

    deinit {
        Glibc.close(wakeFD)
        Glibc.close(epollFD)
    }

    /// Ends the loop thread; the descriptors are closed once the loop is released. Only for a
    /// loop nothing was registered with: a group that failed to start all its loops stops the
    /// ones it did start.
    func stop() {
        shared.withLock { $0.stopping = true }
        signalWake()
    }

    /// Whether a timer is scheduled; tests wait on it to know a timed wait has begun.
    var hasTimers: Bool { shared.withLock { !$0.timers.isEmpty } }

    /// Whether the loop thread has ended after `stop()`.
    var hasStopped: Bool { shared.withLock { $0.stopped } }

    /// Runs `task` on the loop thread soon.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        submit(.closure(task))
    }

    /// Runs a job of a task that prefers this loop as its executor, on the loop thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    private func submit(_ work: Work) {
        let wake = shared.withLock { state -> Bool in
            state.work.append(work)
            return state.needsWake(before: 0)
        }
        if wake { signalWake() }
    }

    /// Runs `task` on the loop thread at `deadline`, unless the returned handle cancels it first.
    ///
    /// This is the one timer mechanism of the project: request timeouts, deadlines, backoff waits
    /// and heartbeats are all entries in a loop's timer heap (O(log n) to add or cancel, no task
    /// or thread per timer). `task` runs on the loop thread and must not block.
    @discardableResult
    public func scheduleTask(at deadline: ContinuousClock.Instant, _ task: @escaping @Sendable () -> Void) -> Scheduled {
        Scheduled(loop: self, id: schedule(at: monotonicDeadline(deadline), task))
    }

    /// Runs `task` on the loop thread after `delay`; see `scheduleTask(at:_:)`.
    @discardableResult
    public func scheduleTask(in delay: Duration, _ task: @escaping @Sendable () -> Void) -> Scheduled {
        Scheduled(loop: self, id: schedule(at: Transport.deadline(after: delay) ?? .max, task))
    }

    /// Runs `action` on the loop thread at `deadline` (monotonic ns) unless cancelled first.
    func schedule(at deadline: UInt64, _ action: @escaping @Sendable () -> Void) -> UInt64 {
        let (id, wake) = shared.withLock { state in
            (state.timers.schedule(at: deadline, action), state.needsWake(before: deadline))
        }
        if wake { signalWake() }
        return id
    }

    func cancelTimer(_ id: UInt64) {
        shared.withLock { $0.timers.cancel(id) }
    }

    /// Adds `fd` to the epoll set, edge-triggered for both directions, and returns 0 or the errno.
    /// `readiness` stays retained until `deregister` releases it on the loop thread.
    func register(fd: Int32, readiness: Readiness) -> Int32 {
        let pointer = Unmanaged.passRetained(readiness).toOpaque()
        let result = withUnsafeTemporaryAllocation(byteCount: Epoll.eventSize, alignment: 8) { raw in
            let events = Epoll.in | Epoll.out | Epoll.rdhup | Epoll.edgeTriggered
            Epoll.store(events: events, data: UInt64(UInt(bitPattern: pointer)), into: raw.baseAddress!)
            return calls.epollCtl(epollFD, Epoll.ctlAdd, fd, raw.baseAddress!)
        }
        guard result == 0 else {
            let code = errno
            Unmanaged<Readiness>.fromOpaque(pointer).release()
            return code
        }
        return 0
    }

    /// Removes `fd` from the epoll set. The retained `readiness` is released on the loop thread,
    /// after the batch of events being handled (which may still name it) is done.
    func deregister(fd: Int32, readiness: Readiness) {
        _ = calls.epollCtl(epollFD, Epoll.ctlDel, fd, nil)
        let pointer = UInt(bitPattern: Unmanaged.passUnretained(readiness).toOpaque())
        execute { Unmanaged<Readiness>.fromOpaque(UnsafeRawPointer(bitPattern: pointer)!).release() }
    }

    /// `epoll_pwait2` while the kernel has it, else `epoll_wait` with the timeout rounded up to
    /// whole milliseconds, so a timer never fires early (but a sub-millisecond one late).
    private func wait(_ events: UnsafeMutableRawPointer, _ capacity: Int32, nanoseconds: UInt64, precise: inout Bool) -> Int32 {
        if precise, let pwait2 = calls.epollPwait2 {
            let count: Int32
            if nanoseconds == .max {
                count = pwait2(epollFD, events, capacity, nil, nil)
            } else {
                var timeout = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
                count = pwait2(epollFD, events, capacity, &timeout, nil)
            }
            // EINTR is a signal, not a verdict on the call. Any other failure (ENOSYS from an old
            // kernel, EPERM from a seccomp profile that does not list the call) would fail every
            // time: use epoll_wait from now on rather than spin on it.
            guard count < 0 && errno != EINTR else { return count }
            precise = false
        }
        let milliseconds = nanoseconds == .max ? -1 : Int32(clamping: nanoseconds / 1_000_000 + (nanoseconds % 1_000_000 == 0 ? 0 : 1))
        return calls.epollWait(epollFD, events, capacity, milliseconds)
    }

    private func signalWake() {
        var one: UInt64 = 1
        _ = retryingEINTR { Glibc.write(wakeFD, &one, 8) }
    }

    /// Whether `run` is executing on the calling thread.
    package var isCurrent: Bool { thread.load(ordering: .relaxed) == UInt(pthread_self()) }

    private func run() {
        thread.store(UInt(pthread_self()), ordering: .relaxed)
        let capacity = 256
        let events = UnsafeMutableRawPointer.allocate(byteCount: capacity * Epoll.eventSize, alignment: 8)
        var nanosecondWaits = calls.epollPwait2 != nil
        while true {
            // nil: stop; .max: no deadline.
            let timeout = shared.withLock { state -> UInt64? in
                if state.stopping { return nil }
                if !state.work.isEmpty { return 0 }
                let deadline = state.timers.nextDeadline() ?? .max
                state.sleepingUntil = deadline
                state.wakePending = false
                guard deadline != .max else { return .max }
                let now = monotonicNanoseconds()
                return deadline > now ? deadline - now : 0
            }
            guard let timeout else { break }
            let count = wait(events, Int32(capacity), nanoseconds: timeout, precise: &nanosecondWaits)
            shared.withLock { $0.sleepingUntil = nil }
            for index in 0..<max(Int(count), 0) {
                let (mask, data) = Epoll.load(from: events + index * Epoll.eventSize)
                if data == 0 {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)
                } else {
                    Unmanaged<Readiness>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(data))!)
                        .takeUnretainedValue().handle(events: mask)
                }
            }
            let (work, expired) = shared.withLock { state -> ([Work], [TimerQueue.Action]) in
                var work: [Work] = []
                swap(&work, &state.work)
                let expired = state.timers.isEmpty ? [] : state.timers.popExpired(now: monotonicNanoseconds())
                return (work, expired)
            }
            for action in expired { action() }
            for item in work {
                switch item {
                case .closure(let closure): closure()
                case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
                }
            }
        }
        events.deallocate()
        shared.withLock { $0.stopped = true }
    }
}

/// A write to a socket the peer has closed raises SIGPIPE, whose default action ends the process.
/// Sends use MSG_NOSIGNAL; ignoring the signal once also covers any other write path.
private let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
