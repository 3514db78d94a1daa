import Transport

/// Deadlines of publishes and `waitUntilUnblocked` calls: one timer of the socket's loop, armed
/// at the earliest deadline among them.
///
/// A timer per publish would be an entry added to and removed from the loop's heap per message;
/// with one, a burst of publishes with the same timeout arms nothing after the first (each later
/// deadline is no earlier), and the timer fires about once per timeout while publishes flow.
extension AMQPConnection {
    /// Makes sure the timer fires no later than `deadline`.
    func armWaiterDeadline(_ deadline: ContinuousClock.Instant, _ state: inout State) {
        if let armed = state.waiterDeadline {
            guard deadline < armed.at else { return }
            armed.timer.cancel()
        }
        let timer = eventLoop.scheduleTask(at: deadline) { [weak self] in self?.failExpiredWaiters() }
        state.waiterDeadline = (deadline, timer)
    }

    /// Fails the waiters past their deadline and arms the timer for the earliest one left.
    private func failExpiredWaiters() {
        let now = ContinuousClock.now
        state.withLock { state in
            state.waiterDeadline = nil
            var next: ContinuousClock.Instant?
            for (ticket, waiter) in state.publishWaiters {
                guard waiter.deadline <= now else {
                    next = min(next ?? waiter.deadline, waiter.deadline)
                    continue
                }
                state.publishWaiters[ticket] = nil
                let error: AMQPConnectionError =
                    if waiter.sent { .timedOut(operation: "publisher confirm") }
                    else if let reason = state.blockedReason { .blockedTimedOut(reason: reason) }
                    else { .timedOut(operation: "publish waiting for room in the confirm window") }
                waiter.continuation.resume(throwing: error)
            }
            for (ticket, waiter) in state.unblockWaiters {
                guard waiter.deadline <= now else {
                    next = min(next ?? waiter.deadline, waiter.deadline)
                    continue
                }
                state.unblockWaiters[ticket] = nil
                waiter.continuation.resume(throwing: AMQPConnectionError.blockedTimedOut(reason: state.blockedReason ?? ""))
            }
            if let next, state.finished == nil { armWaiterDeadline(next, &state) }
        }
    }
}
