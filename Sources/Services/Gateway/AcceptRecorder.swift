import Bytes
import Synchronization

import Transport

/// Writes the accept records that Redis refused after the broker had confirmed the orders (Redis
/// down, or out of memory with `noeviction`), retrying with backoff until they land, so the
/// gateway can answer 202 at once instead of holding its clients for as long as Redis is away.
///
/// Until a write lands, the orders' scopes keep their in-flight records, which still name the
/// payload: a retry with the same payload takes the scope over and is published again (the
/// processor decides each order once), another payload is refused. What waits here is what the
/// records will say in the end: accepted (a keyed retry is then answered as a replay), and the
/// order's `accepted` state and total.
final class AcceptRecorder: Sendable {
    private struct State {
        var pending = FIFO<[IdempotencyClaim]>()
        var pendingClaims = 0
        /// `run()`, while it waits for work.
        var waiter: CheckedContinuation<Void, Never>?
    }

    /// A lock, not an actor: `retry` is called from request handlers, which must not hop executors.
    private let state = Mutex(State())
    private let store: any GatewayStore
    private let ttl: Duration
    private let logger: JSONLogger?
    private let loops: EventLoopGroup
    private let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5), jitter: 0.2)
    /// Most claims kept waiting; beyond it the oldest are dropped (and logged): their scopes stay
    /// in flight, which keeps refusing other payloads.
    let maxPendingClaims: Int

    init(store: any GatewayStore, ttl: Duration, logger: JSONLogger?, loops: EventLoopGroup, maxPendingClaims: Int = 65_536) {
        self.store = store
        self.ttl = ttl
        self.logger = logger
        self.loops = loops
        self.maxPendingClaims = maxPendingClaims
    }

    /// Claims waiting for their accept write.
    var pendingCount: Int { state.withLock { $0.pendingClaims } }

    /// Queues `claims` for another accept write after `error`.
    func retry(_ claims: [IdempotencyClaim], after error: any Error) {
        let (waiter, dropped) = state.withLock { state in
            state.pending.append(claims)
            state.pendingClaims += claims.count
            var dropped = 0
            while state.pendingClaims > maxPendingClaims, let oldest = state.pending.popFirst() {
                state.pendingClaims -= oldest.count
                dropped += oldest.count
            }
            defer { state.waiter = nil }
            return (state.waiter, dropped)
        }
        logger?.warning("accept write failed after the broker's confirm; retrying in the background", ["orders": .int(claims.count), "error": "\(error)"])
        if dropped > 0 {
            logger?.error("accept writes dropped: too many waiting; their scopes stay in flight", ["orders": .int(dropped)])
        }
        waiter?.resume()
    }

    /// Writes what is queued, oldest first, until the calling task is cancelled.
    func run() async {
        var failures = 0
        while !Task.isCancelled {
            guard let claims = await next() else { return }
            do {
                try await store.accept(claims, ttl: ttl)
                state.withLock { state in
                    _ = state.pending.popFirst()
                    state.pendingClaims -= claims.count
                }
                if failures > 0 { logger?.info("accept write landed after retries", ["orders": .int(claims.count), "attempts": .int(failures + 1)]) }
                failures = 0
            } catch {
                failures += 1
                try? await loops.currentOrNext().sleep(for: backoff.delay(attempt: failures))
            }
        }
    }

    /// The oldest queued claims, waiting until there are some; nil once the task is cancelled.
    private func next() async -> [IdempotencyClaim]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state in
                    if state.pending.first != nil || Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
            return Task.isCancelled ? nil : state.withLock { $0.pending.first }
        } onCancel: {
            state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }?.resume()
        }
    }
}
