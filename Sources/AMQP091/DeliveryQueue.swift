import Bytes
import Synchronization

/// Deliveries on their way from a connection's reader to one consumer's sequence.
///
/// The reader enqueues what one read brought, then wakes a waiting consumer once for all of it.
/// A stream that resumes its consumer per element (`AsyncThrowingStream`) costs a thread switch
/// per delivery whenever the consumer keeps up, which is more than the delivery itself costs.
/// The queue is unbounded: prefetch (`basic.qos`) is what limits it, see `AMQPConsumer`.
final class DeliveryQueue: Sendable {
    private struct State {
        var buffer = FIFO<AMQPDelivery>()
        /// The consumer's `next()`, while it waits for a delivery.
        var waiter: CheckedContinuation<AMQPDelivery?, any Error>?
        /// Set once the sequence ends (after the deliveries still buffered).
        var ended = false
        var failure: AMQPConnectionError?
    }

    /// A Mutex: the reader and the consumer each hold it for a few instructions, never across a wait.
    private let state = Mutex(State())

    /// Whether the consumer waits in `next()` now; tests wait on it to know a reader has reached its wait.
    var isWaiting: Bool { state.withLock { $0.waiter != nil } }

    /// Adds a delivery without waking the consumer; `wake()` does, once a batch is in.
    func enqueue(_ delivery: AMQPDelivery) {
        state.withLock { state in
            guard !state.ended else { return }
            state.buffer.append(delivery)
        }
    }

    /// Hands the oldest delivery to a consumer waiting for one.
    func wake() {
        let handoff = state.withLock { state -> (CheckedContinuation<AMQPDelivery?, any Error>, AMQPDelivery)? in
            guard let waiter = state.waiter, let delivery = state.buffer.popFirst() else { return nil }
            state.waiter = nil
            return (waiter, delivery)
        }
        if let (waiter, delivery) = handoff { waiter.resume(returning: delivery) }
    }

    /// Ends the sequence once the buffered deliveries are read: normally, or throwing `error`.
    /// Later deliveries and ends are ignored.
    func end(_ error: AMQPConnectionError?) {
        let handoff = state.withLock { state -> (CheckedContinuation<AMQPDelivery?, any Error>, Result<AMQPDelivery?, any Error>)? in
            guard !state.ended else { return nil }
            state.ended = true
            state.failure = error
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            // Deliveries enqueued but not yet handed over (no `wake()` yet) come before the end.
            if let delivery = state.buffer.popFirst() { return (waiter, .success(delivery)) }
            return (waiter, error.map { .failure($0) } ?? .success(nil))
        }
        if let (waiter, result) = handoff { waiter.resume(with: result) }
    }

    /// The next delivery; nil once the sequence has ended normally, or when the calling task is
    /// cancelled (which ends it). One task at a time may call it.
    func next() async throws(AMQPConnectionError) -> AMQPDelivery? {
        if let delivery = state.withLock({ $0.buffer.popFirst() }) { return delivery }
        do {
            return try await waitForNext()
        } catch {
            // Only `end` fails the wait, always with an `AMQPConnectionError`.
            throw AMQPConnectionError(error)
        }
    }

    private func waitForNext() async throws -> AMQPDelivery? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<AMQPDelivery?, any Error>) in
                let ready = state.withLock { state -> Result<AMQPDelivery?, any Error>? in
                    if let delivery = state.buffer.popFirst() { return .success(delivery) }
                    if state.ended { return state.failure.map { .failure($0) } ?? .success(nil) }
                    precondition(state.waiter == nil, "one task at a time may iterate a consumer's deliveries")
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            cancelled()
        }
    }

    /// The consumer's task was cancelled: the sequence ends, as an `AsyncStream`'s does.
    private func cancelled() {
        let waiter = state.withLock { state -> CheckedContinuation<AMQPDelivery?, any Error>? in
            state.ended = true
            state.buffer.removeAll()
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }
}
