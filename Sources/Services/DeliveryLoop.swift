import AMQP091

/// Consumes one queue and applies a handler's `DeliveryAction` to each delivery, many at once (up
/// to the prefetch count, which the broker enforces).
public struct DeliveryLoop: Sendable {
    /// Handles one message body; `attempt` is 1 on first delivery.
    public typealias Handler = @Sendable (_ body: [UInt8], _ attempt: Int) async -> DeliveryAction

    private let consumer: AMQPConsumer
    private let task: Task<Void, Never>

    /// Starts consuming `queue` on a new channel of `connection`.
    public static func start(queue: String, prefetch: Int, on connection: AMQPConnection, metrics: ServiceMetrics, logger: JSONLogger, handler: @escaping Handler) async throws -> DeliveryLoop {
        let channel = try await connection.openChannel()
        try await channel.qos(prefetchCount: UInt16(clamping: prefetch))
        let consumer = try await channel.consume(queue: queue)
        let task = Task {
            // Discarding: a long-running consumer must not keep every finished handler's task.
            await withDiscardingTaskGroup { group in
                do {
                    for try await delivery in consumer {
                        group.addTask { await handle(delivery, handler: handler, metrics: metrics, logger: logger) }
                    }
                } catch {
                    logger.warning("consumer ended", ["queue": queue, "error": "\(error)"])
                }
            }
        }
        return DeliveryLoop(consumer: consumer, task: task)
    }

    /// Stops taking deliveries (basic.cancel) and waits for the handlers under way to finish and
    /// settle their messages.
    public func stop() async {
        try? await consumer.cancel()
        await task.value
    }

    private static func handle(_ delivery: AMQPDelivery, handler: Handler, metrics: ServiceMetrics, logger: JSONLogger) async {
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
                try await Task.sleep(for: delay)
                try delivery.nack(requeue: true)
            }
        } catch {
            // The channel is gone: the broker redelivers the message on the next connection.
            logger.warning("could not settle delivery", ["error": "\(error)"])
        }
    }
}
