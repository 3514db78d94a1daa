import Synchronization

extension EventLoop {
    /// Suspends the calling task for `duration`, timed by this loop (to the microsecond where the
    /// kernel has `epoll_pwait2`), not by the global executor's timers: a short sleep then wakes
    /// no other thread when the task runs on this loop, and is not stretched by timer leeway.
    /// - Throws: `CancellationError` as soon as the task is cancelled.
    public func sleep(for duration: Duration) async throws {
        try await sleep(untilMonotonic: deadline(after: duration) ?? .max)
    }

    /// Suspends the calling task until `deadline`, timed by this loop; see `sleep(for:)`.
    /// - Throws: `CancellationError` as soon as the task is cancelled.
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await sleep(untilMonotonic: monotonicDeadline(deadline))
    }

    private func sleep(untilMonotonic deadline: UInt64) async throws {
        let sleeper = Sleeper()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                guard sleeper.park(continuation) else { return }
                let timer = schedule(at: deadline) { sleeper.finish(with: nil) }
                if !sleeper.keep(timer) { cancelTimer(timer) }
            }
        } onCancel: {
            if let timer = sleeper.finish(with: CancellationError()) { cancelTimer(timer) }
        }
    }
}

extension EventLoopGroup {
    /// `EventLoop.sleep(for:)` on the calling thread's loop when it is one of this group's,
    /// otherwise on the next loop.
    public func sleep(for duration: Duration) async throws {
        try await currentOrNext().sleep(for: duration)
    }

    /// `EventLoop.sleep(until:)` on the calling thread's loop when it is one of this group's,
    /// otherwise on the next loop.
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await currentOrNext().sleep(until: deadline)
    }
}

/// One sleep's continuation, resumed once by whichever comes first: its timer or cancellation.
private final class Sleeper: Sendable {
    private enum State {
        case idle
        case sleeping(CheckedContinuation<Void, any Error>, timer: UInt64?)
        case done
    }

    private let state = Mutex(State.idle)

    /// Stores the continuation; false (having resumed it) when cancellation came first.
    func park(_ continuation: CheckedContinuation<Void, any Error>) -> Bool {
        let parked = state.withLock { state in
            guard case .idle = state else { return false }
            state = .sleeping(continuation, timer: nil)
            return true
        }
        if !parked { continuation.resume(throwing: CancellationError()) }
        return parked
    }

    /// Records the timer; false when the sleep already ended, so the timer must be cancelled.
    func keep(_ timer: UInt64) -> Bool {
        state.withLock { state in
            guard case .sleeping(let continuation, nil) = state else { return false }
            state = .sleeping(continuation, timer: timer)
            return true
        }
    }

    /// Ends the sleep, by its timer (`error` nil) or by cancellation; returns the timer to cancel.
    @discardableResult
    func finish(with error: (any Error)?) -> UInt64? {
        let ended = state.withLock { state -> (CheckedContinuation<Void, any Error>?, UInt64?) in
            defer { state = .done }
            guard case .sleeping(let continuation, let timer) = state else { return (nil, nil) }
            return (continuation, timer)
        }
        guard let continuation = ended.0 else { return nil }
        if let error { continuation.resume(throwing: error) } else { continuation.resume() }
        return ended.1
    }
}
