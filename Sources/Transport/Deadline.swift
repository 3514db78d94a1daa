/// Runs `body` and returns its result, unless `deadline` passes first: then `body` is cancelled
/// and `TransportError` `.timedOut` (naming `operation`) is thrown.
///
/// The deadline is timed by `loop`'s timer heap, the same mechanism as every other timeout of
/// the project, and `body` runs on `loop`, so replies from sockets of that loop resume it
/// without a thread hop. A `body` that ignores cancellation delays the return until it ends.
/// Meant for operations made of several steps (connect and handshake, a retry loop); a single
/// socket wait takes its own timeout, and a connection's requests use `scheduleTask` directly.
///
/// - Throws: what `body` throws; `TransportError` `.timedOut` at the deadline;
///   `CancellationError` when the calling task is cancelled.
public func withDeadline<Result: Sendable>(
    _ deadline: ContinuousClock.Instant, on loop: EventLoop, operation: String,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask(executorPreference: loop) { try await body() }
        group.addTask(executorPreference: loop) {
            try await loop.sleep(until: deadline)
            return nil
        }
        defer { group.cancelAll() }
        // The first child to finish decides; a nil result is the deadline's.
        guard let result = try await group.next() ?? nil else {
            try Task.checkCancellation()
            throw TransportError.timedOut(operation: operation, address: nil)
        }
        return result
    }
}

/// `withDeadline(_:on:operation:_:)` with a deadline `timeout` from now.
public func withTimeout<Result: Sendable>(
    _ timeout: Duration, on loop: EventLoop, operation: String,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withDeadline(.now + timeout, on: loop, operation: operation, body)
}
