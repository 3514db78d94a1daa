import Synchronization

/// Runs `operation` in a task of its own and returns what it returns, or throws `TestTimeout`
/// naming `what` when it has not finished within `limit`: the operation is then cancelled and
/// left to end on its own, since one that ignores cancellation cannot be made to return, and a
/// test must fail rather than hang.
public func within<Value: Sendable>(
    _ limit: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let race = Race<Value>()
    // Both owned by the race: the first to finish ends the wait and cancels the other.
    let work = Task {
        do {
            race.finish(.success(try await operation()))
        } catch {
            race.finish(.failure(error))
        }
    }
    let timer = Task {
        guard (try? await Task.sleep(for: limit)) != nil else { return }
        race.finish(.failure(TestTimeout(what: what, limit: limit)))
        work.cancel()
    }
    defer { timer.cancel() }
    return try await withCheckedThrowingContinuation { race.wait($0) }
}

/// The first event of `events` that `matching` accepts; throws `TestTimeout` when none comes
/// within `limit`, or when the sequence ends first.
public func firstEvent<Event: Sendable>(
    in events: AsyncStream<Event>, within limit: Duration = testPatience, _ what: String = "a matching event",
    matching: @escaping @Sendable (Event) -> Bool
) async throws -> Event {
    try await within(limit, what) {
        for await event in events where matching(event) { return event }
        throw TestTimeout(what: "\(what) (the events ended)", limit: limit)
    }
}

/// Hands the first of two racing outcomes to the waiter; the later one is dropped.
private final class Race<Value: Sendable>: Sendable {
    private let state = Mutex<(waiter: CheckedContinuation<Value, any Error>?, outcome: Result<Value, any Error>?)>((nil, nil))

    func wait(_ continuation: CheckedContinuation<Value, any Error>) {
        let outcome = state.withLock { state -> Result<Value, any Error>? in
            guard let outcome = state.outcome else {
                state.waiter = continuation
                return nil
            }
            return outcome
        }
        if let outcome { continuation.resume(with: outcome) }
    }

    func finish(_ outcome: Result<Value, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, any Error>? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: outcome)
    }
}
