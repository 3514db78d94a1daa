import Synchronization
import Transport

/// Tasks waiting for a recovering client or channel to be usable again, kept in the state its
/// lock guards, so that checking the condition and parking a waiter are one critical section
/// and no wake-up is lost in between.
struct Waiters {
    typealias Continuation = CheckedContinuation<Void, any Error>

    private var next: UInt64 = 0
    private var pending: [UInt64: Continuation] = [:]

    /// Parks `continuation`; returns the ticket that `remove` takes.
    mutating func add(_ continuation: Continuation) -> UInt64 {
        next += 1
        pending[next] = continuation
        return next
    }

    mutating func remove(_ ticket: UInt64) -> Continuation? {
        pending.removeValue(forKey: ticket)
    }

    /// Every parked continuation, for the caller to resume once the lock is released.
    mutating func takeAll() -> [Continuation] {
        defer { pending = [:] }
        return Array(pending.values)
    }
}

/// Suspends until the continuation that `park` parks (in a `Waiters` under its owner's lock) is
/// resumed, at most `timeout` (nil: no limit), timed by `loop`. `park` returns nil when it
/// resumed the continuation itself (ready already, or failed); `unpark` takes a parked one back out.
///
/// - Throws: what the continuation is resumed with; `.timedOut(operation)` at the deadline;
///   `.cancelled` when the calling task is cancelled.
func waitParked(
    timeout: Duration?, on loop: EventLoop, operation: String,
    park: (Waiters.Continuation) -> UInt64?, unpark: @escaping @Sendable (UInt64) -> Waiters.Continuation?
) async throws(AMQPConnectionError) {
    // The ticket, once parked, and whether cancellation came first; the timer to withdraw.
    let parked = Mutex<(ticket: UInt64?, cancelled: Bool, timer: Scheduled?)>((nil, false, nil))
    defer { parked.withLock { $0.timer }?.cancel() }
    do {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiters.Continuation) in
                guard let ticket = park(continuation) else { return }
                let timer = timeout.map { timeout in
                    loop.scheduleTask(in: timeout) { unpark(ticket)?.resume(throwing: AMQPConnectionError.timedOut(operation: operation)) }
                }
                let cancelled = parked.withLock { state in
                    state = (ticket, state.cancelled, timer)
                    return state.cancelled
                }
                if cancelled { unpark(ticket)?.resume(throwing: AMQPConnectionError.cancelled) }
            }
        } onCancel: {
            let ticket = parked.withLock { state in
                state.cancelled = true
                return state.ticket
            }
            if let ticket { unpark(ticket)?.resume(throwing: AMQPConnectionError.cancelled) }
        }
    } catch {
        throw AMQPConnectionError(error)
    }
}
