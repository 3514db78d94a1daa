import Synchronization

/// The first of several racing results (a lookup thread, a timer, cancellation), delivered to
/// one waiter. The lock makes sure it is delivered exactly once, whichever comes first and
/// whether or not the waiter has started waiting yet.
final class FirstOutcome<Value: Sendable>: Sendable {
    private enum State {
        case pending
        case waiting(CheckedContinuation<Value, Error>)
        case finished(Result<Value, Error>)
        case delivered
    }

    private let state = Mutex(State.pending)

    func value() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let early = state.withLock { state -> Result<Value, Error>? in
                guard case .finished(let result) = state else {
                    state = .waiting(continuation)
                    return nil
                }
                state = .delivered
                return result
            }
            if let early { continuation.resume(with: early) }
        }
    }

    func finish(_ result: Result<Value, Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, Error>? in
            switch state {
            case .pending:
                state = .finished(result)
                return nil
            case .waiting(let continuation):
                state = .delivered
                return continuation
            case .finished, .delivered:
                return nil
            }
        }
        waiter?.resume(with: result)
    }
}
