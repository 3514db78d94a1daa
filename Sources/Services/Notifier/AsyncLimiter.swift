import Synchronization

/// Bounds how much work runs at once, in slots: an operation takes as many slots as it weighs
/// (at most the limit) and waits, in arrival order, until that many are free. A waiting caller
/// whose task is cancelled leaves the queue and throws `CancellationError`.
final class AsyncLimiter: Sendable {
    private struct Waiter {
        let id: UInt64
        let weight: Int
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var available: Int
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0

        /// Hands slots to the waiters at the front while they fit; first come, first served, so a
        /// heavy waiter is not passed over by lighter ones forever.
        mutating func admit() -> [CheckedContinuation<Void, any Error>] {
            var admitted: [CheckedContinuation<Void, any Error>] = []
            while let first = waiters.first, first.weight <= available {
                available -= first.weight
                admitted.append(waiters.removeFirst().continuation)
            }
            return admitted
        }
    }

    /// A lock, not an actor: releasing happens in `defer`, which cannot suspend.
    private let state: Mutex<State>
    let limit: Int

    /// Callers queued for slots now; tests wait on it to know a caller has reached its wait.
    var waiting: Int { state.withLock { $0.waiters.count } }

    init(limit: Int) {
        precondition(limit > 0, "a limiter lets at least one operation run")
        self.limit = limit
        state = Mutex(State(available: limit))
    }

    /// Runs `operation` once `weight` slots (at most the limit) are free.
    func run<T: Sendable>(weight: Int = 1, _ operation: () async throws -> T) async throws -> T {
        let slots = min(max(weight, 1), limit)
        try await acquire(slots)
        defer { release(slots) }
        return try await operation()
    }

    private func acquire(_ weight: Int) async throws {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    guard !state.waiters.isEmpty || state.available < weight else {
                        state.available -= weight
                        return .success(())
                    }
                    state.waiters.append(Waiter(id: id, weight: weight, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            // A cancelled waiter at the front may have been holding lighter ones back.
            let (cancelled, admitted) = state.withLock { state -> (CheckedContinuation<Void, any Error>?, [CheckedContinuation<Void, any Error>]) in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return (nil, []) }
                let waiter = state.waiters.remove(at: index)
                return (waiter.continuation, state.admit())
            }
            cancelled?.resume(throwing: CancellationError())
            for continuation in admitted { continuation.resume() }
        }
    }

    private func release(_ weight: Int) {
        let admitted = state.withLock { state in
            state.available += weight
            return state.admit()
        }
        for continuation in admitted { continuation.resume() }
    }
}
