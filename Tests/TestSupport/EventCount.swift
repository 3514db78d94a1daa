import Synchronization

/// Counts events and lets a test wait until a count is reached: ordering by the events
/// themselves rather than by sleeping. A wait gives up with `TestTimeout` after its timeout, so
/// a regression fails the test instead of hanging it.
public final class EventCount: Sendable {
    private struct State {
        var count = 0
        var nextID = 0
        var waiters: [Int: (target: Int, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var expired: Set<Int> = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Events recorded so far.
    public var value: Int { state.withLock { $0.count } }

    public func record() {
        let ready = state.withLock { state in
            state.count += 1
            let ready = state.waiters.filter { $0.value.target <= state.count }
            for id in ready.keys { state.waiters[id] = nil }
            return ready.values.map(\.continuation)
        }
        for waiter in ready { waiter.resume() }
    }

    /// Returns once `target` events were recorded. Waiting ignores cancellation.
    public func reached(_ target: Int, timeout: Duration = testPatience) async throws {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        // Owned by this wait: cancelled when it ends, whichever way.
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.expire(id, target: target, timeout: timeout)
        }
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Void, any Error>? in
                if state.count >= target { return .success(()) }
                if state.expired.remove(id) != nil { return .failure(TestTimeout(what: "\(target) events", limit: timeout)) }
                state.waiters[id] = (target, continuation)
                return nil
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    private func expire(_ id: Int, target: Int, timeout: Duration) {
        let waiter = state.withLock { state in
            guard let waiter = state.waiters.removeValue(forKey: id) else {
                state.expired.insert(id)
                return nil as CheckedContinuation<Void, any Error>?
            }
            return waiter.continuation
        }
        waiter?.resume(throwing: TestTimeout(what: "\(target) events (\(value) seen)", limit: timeout))
    }
}
