import Synchronization
import Transport

/// A value that is missing at times (the master while it is being found, a cluster's slot map
/// before it is first read), which callers wait for until their deadline.
///
/// A deadline is a timer on an event loop, like every timeout of the project, and a cancelled
/// caller stops waiting at once. A mutex rather than an actor: every section is a few steps
/// that never suspend, and readers on the hot path only look at the value.
final class AwaitedValue<Value: Sendable>: Sendable {
    private struct Waiter {
        let continuation: UnsafeContinuation<Result<Value, RedisClientError>, Never>
        let timer: Scheduled
    }

    private struct State {
        var value: Value?
        var waiters: [UInt64: Waiter] = [:]
        var lastID: UInt64 = 0
    }

    private let state: Mutex<State>

    init(_ value: Value? = nil) {
        state = Mutex(State(value: value))
    }

    /// The value now, if there is one.
    var current: Value? { state.withLock { $0.value } }

    /// The value, waiting for it until `deadline` when there is none.
    /// - Throws: what `fail` hands the waiters, `timeout` at the deadline, `.cancelled`.
    func wait(until deadline: ContinuousClock.Instant, on loop: EventLoop, timeout: RedisClientError) async throws(RedisClientError) -> Value {
        let id = state.withLock { state in
            state.lastID &+= 1
            return state.lastID
        }
        let outcome = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Value, RedisClientError>, Never>) in
                let now: Result<Value, RedisClientError>? = state.withLock { state in
                    if let value = state.value { return .success(value) }
                    if Task.isCancelled { return .failure(.cancelled) }
                    guard ContinuousClock.now < deadline else { return .failure(timeout) }
                    // Armed under the lock, so whoever takes the waiter out finds its timer.
                    let timer = loop.scheduleTask(at: deadline) { [weak self] in self?.end(id, with: .failure(timeout)) }
                    state.waiters[id] = Waiter(continuation: continuation, timer: timer)
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            end(id, with: .failure(.cancelled))
        }
        return try outcome.get()
    }

    /// Replaces the value; a value hands itself to every waiter.
    func set(_ value: Value?) {
        update { $0 = value }
    }

    /// Changes the value under the lock, handing a new value to every waiter; returns what
    /// `body` returns.
    func update<Result>(_ body: (inout Value?) -> Result) -> Result {
        let (result, value, waiters) = state.withLock { state in
            let result = body(&state.value)
            return (result, state.value, state.value == nil ? [] : Self.takeAll(&state))
        }
        if let value { for waiter in waiters { Self.resume(waiter, with: .success(value)) } }
        return result
    }

    /// Ends every current wait with `error`; the value stays missing.
    func fail(_ error: RedisClientError) {
        let waiters = state.withLock { Self.takeAll(&$0) }
        for waiter in waiters { Self.resume(waiter, with: .failure(error)) }
    }

    private func end(_ id: UInt64, with outcome: Result<Value, RedisClientError>) {
        guard let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) }) else { return }
        Self.resume(waiter, with: outcome)
    }

    private static func takeAll(_ state: inout State) -> [Waiter] {
        defer { state.waiters = [:] }
        return Array(state.waiters.values)
    }

    private static func resume(_ waiter: Waiter, with outcome: Result<Value, RedisClientError>) {
        waiter.timer.cancel()
        waiter.continuation.resume(returning: outcome)
    }
}
