import Synchronization

/// The newest of a stream of values, for many connections to send as fast as each can take
/// them: every value published replaces the one before, and a reader asks for anything newer
/// than the version it last took. A connection that is slow to write simply takes the newest
/// value when it is ready again, skipping those it had no time for: updates coalesce, and
/// nothing is ever queued per reader.
///
/// ```swift
/// let broadcast = WebSocketBroadcast<WebSocketPreparedMessage>()
/// router.webSocket("/live") { _, socket in
///     var seen: UInt64 = 0
///     while true {
///         let (version, update) = try await broadcast.next(after: seen)
///         try await socket.send(update)       // waits while the peer is slow
///         seen = version
///     }
/// }
/// broadcast.publish(WebSocketPreparedMessage(.text("...")))   // from one producer
/// ```
public final class WebSocketBroadcast<Value: Sendable>: Sendable {
    private struct State {
        var version: UInt64 = 0
        var value: Value?
        var nextWaiter = 0
        var waiters: [Int: (after: UInt64, continuation: CheckedContinuation<(UInt64, Value), any Error>)] = [:]
    }

    /// A lock rather than an actor: publishing and taking never suspend while holding it.
    private let state = Mutex(State())

    public init() {}

    /// The newest value and its version (counted from 1), if any was published.
    public var latest: (version: UInt64, value: Value)? {
        state.withLock { state in state.value.map { (state.version, $0) } }
    }

    /// Readers waiting for a value newer than the one they have.
    public var waitingReaders: Int { state.withLock { $0.waiters.count } }

    /// Makes `value` the newest, and hands it to every reader waiting.
    public func publish(_ value: Value) {
        let (version, ready) = state.withLock { state in
            state.version += 1
            state.value = value
            defer { state.waiters = [:] }
            return (state.version, Array(state.waiters.values))
        }
        for waiter in ready { waiter.continuation.resume(returning: (version, value)) }
    }

    /// The newest value once its version is above `version` (at once when it already is).
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    public func next(after version: UInt64) async throws -> (version: UInt64, value: Value) {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        let (newVersion, value) = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(UInt64, Value), any Error>) in
                let outcome = state.withLock { state -> Result<(UInt64, Value), any Error>? in
                    if let value = state.value, state.version > version { return .success((state.version, value)) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = (version, continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
        return (newVersion, value)
    }
}
