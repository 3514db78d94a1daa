/// Deadlines of publishes and `waitUntilUnblocked` calls, watched by one sweeper task.
extension AMQPConnection {
    /// One task checks every deadline each 50 ms, rather than a timer task per publish, which
    /// would cost more than the publish itself. It runs only while some waiter has a deadline:
    /// it ends once none is left, and the next waiter starts it again.
    func startSweeper(_ state: inout State) {
        guard state.sweeper == nil else { return }
        state.sweeper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.sweepInterval)
                guard let self, self.failExpiredWaiters(now: .now) else { return }
            }
        }
    }

    static let sweepInterval: Duration = .milliseconds(50)

    /// Fails the waiters past their deadline; false (and the sweeper forgotten) when none is left.
    private func failExpiredWaiters(now: ContinuousClock.Instant) -> Bool {
        state.withLock { state in
            for (ticket, waiter) in state.publishWaiters where waiter.deadline <= now {
                state.publishWaiters[ticket] = nil
                let error: AMQPConnectionError =
                    if waiter.sent { .timedOut(operation: "publisher confirm") }
                    else if let reason = state.blockedReason { .blockedTimedOut(reason: reason) }
                    else { .timedOut(operation: "publish waiting for room in the confirm window") }
                waiter.continuation.resume(throwing: error)
            }
            for (ticket, waiter) in state.unblockWaiters where waiter.deadline <= now {
                state.unblockWaiters[ticket] = nil
                waiter.continuation.resume(throwing: AMQPConnectionError.blockedTimedOut(reason: state.blockedReason ?? ""))
            }
            guard state.publishWaiters.isEmpty && state.unblockWaiters.isEmpty else { return true }
            state.sweeper = nil
            return false
        }
    }
}
