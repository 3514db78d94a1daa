import AMQP091
import Synchronization
import Transport

/// Consumes one queue and applies a handler's `DeliveryAction` to each delivery, many at once (up
/// to the prefetch count, which the broker enforces).
public struct DeliveryLoop: Sendable {
    /// Handles one message body; `attempt` is 1 on first delivery.
    public typealias Handler = @Sendable (_ body: [UInt8], _ attempt: Int) async -> DeliveryAction

    private let consumer: AMQPConsumer
    private let task: Task<Void, Never>
    private let stopping: StopSignal

    /// Starts consuming `queue` on a new channel of `connection`.
    public static func start(queue: String, prefetch: Int, on connection: AMQPConnection, metrics: ServiceMetrics, logger: JSONLogger, handler: @escaping Handler) async throws -> DeliveryLoop {
        let channel = try await connection.openChannel()
        try await channel.qos(prefetchCount: UInt16(clamping: prefetch))
        let consumer = try await channel.consume(queue: queue)
        let stopping = StopSignal()
        // On the connection's loop, with every handler: with one loop per process (the default)
        // the deliveries, the handlers' Redis replies and the broker's confirms all arrive on the
        // thread the handlers run on, and no step costs a thread hop.
        let task = Task(executorPreference: connection.eventLoop) {
            // Discarding: a long-running consumer must not keep every finished handler's task.
            await withDiscardingTaskGroup { group in
                do {
                    for try await delivery in consumer {
                        group.addTask { await handle(delivery, handler: handler, metrics: metrics, logger: logger, stopping: stopping) }
                    }
                } catch {
                    logger.warning("consumer ended", ["queue": queue, "error": "\(error)"])
                }
            }
        }
        return DeliveryLoop(consumer: consumer, task: task, stopping: stopping)
    }

    /// Stops taking deliveries (basic.cancel) and waits for the handlers under way to finish and
    /// settle their messages; messages waiting out a retry delay are requeued at once.
    public func stop() async {
        try? await consumer.cancel()
        stopping.raise()
        await task.value
    }

    private static func handle(_ delivery: AMQPDelivery, handler: Handler, metrics: ServiceMetrics, logger: JSONLogger, stopping: StopSignal) async {
        // Quorum queues count earlier deliveries in x-delivery-count; classic ones only flag redelivery.
        let attempt = Int(delivery.deliveryCount ?? (delivery.redelivered ? 1 : 0)) + 1
        let action = await handler(Array(delivery.body.readableBytesView), attempt)
        do {
            switch action {
            case .ack:
                try delivery.ack()
                metrics.increment("deliveries_total", [("outcome", "ack")])
            case .deadLetter(let reason):
                try delivery.reject(requeue: false)
                metrics.increment("deliveries_total", [("outcome", "dead_letter")])
                logger.warning("message dead-lettered", ["reason": reason, "routing_key": delivery.routingKey])
            case .retry(let delay, let reason):
                metrics.increment("deliveries_total", [("outcome", "retry")])
                logger.info("retrying message", ["reason": reason, "attempt": String(attempt), "delay_ms": String(delay.milliseconds)])
                await stopping.sleep(for: delay)
                try delivery.nack(requeue: true)
            }
        } catch {
            // The channel is gone: the broker redelivers the message on the next connection.
            logger.warning("could not settle delivery", ["error": "\(error)"])
        }
    }
}

/// Raised once when a loop stops; `sleep(for:)` ends early then, so shutdown does not sit out a
/// retry's backoff (up to a lease) while holding the message.
private final class StopSignal: Sendable {
    /// A lock, not an actor: the cancellation handler that removes a waiter runs synchronously.
    private let state = Mutex<(raised: Bool, waiters: [UInt64: CheckedContinuation<Void, Never>], next: UInt64)>((false, [:], 0))

    func raise() {
        let waiters = state.withLock { state in
            state.raised = true
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Sleeps for `delay`, or less when raised meanwhile.
    func sleep(for delay: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: delay) }
            group.addTask { await self.untilRaised() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns once raised, or when the calling task is cancelled.
    private func untilRaised() async {
        let id = state.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.raised || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
