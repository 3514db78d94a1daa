import AMQP091
import Bytes

import Transport

/// Consumes one queue through a recovering client and applies a handler's `DeliveryAction` to
/// each delivery, many at once (up to the prefetch count, which the broker enforces).
///
/// The consumer survives what the client recovers from: a lost connection, a closed channel, a
/// server cancel (its queue deleted). Deliveries received before such an interruption can no
/// longer be settled; the broker redelivers them.
public final class DeliveryLoop: Sendable {
    /// Handles one message: its body, attempt and trace (`TraceHeaders`), and where it came from.
    public typealias Handler = @Sendable (InboundMessage) async -> DeliveryAction

    /// The queue consumed.
    public let queue: String
    private let consumer: RecoveringConsumer
    /// A confirm-mode channel that dead letters are published on, with their headers.
    private let deadLetters: RecoveringChannel
    private let deadLetterExchange: String
    private let handler: Handler
    /// The broker consumed from, for the spans of the handlers.
    private let broker: BrokerAddress?
    private let metrics: ServiceMetrics
    private let logger: JSONLogger
    /// The loops that time retries and holds and run the handlers.
    private let loops: EventLoopGroup
    private let stopping = StopSignal()
    /// Waits between rounds of a held delivery: 100 ms doubling to 10 s.
    private static let holdBackoff = Backoff(initial: .milliseconds(100), maximum: .seconds(10))

    private init(
        queue: String, consumer: RecoveringConsumer, deadLetters: RecoveringChannel, deadLetterExchange: String, handler: @escaping Handler,
        broker: BrokerAddress?, metrics: ServiceMetrics, logger: JSONLogger, loops: EventLoopGroup
    ) {
        self.queue = queue
        self.broker = broker
        self.consumer = consumer
        self.deadLetters = deadLetters
        self.deadLetterExchange = deadLetterExchange
        self.handler = handler
        self.metrics = metrics
        self.logger = logger
        self.loops = loops
    }

    /// Starts consuming `queue` on a new channel of `client`; `run()` handles the deliveries.
    /// Messages the handler gives up on are published to `deadLetterExchange`.
    public static func start(
        queue: String, prefetch: Int, on client: AMQPClient, deadLetterExchange: String = PipelineTopology.deadLetterExchange,
        metrics: ServiceMetrics, logger: JSONLogger, loops: EventLoopGroup, handler: @escaping Handler
    ) async throws(AMQPConnectionError) -> DeliveryLoop {
        let deadLetters = try await client.openChannel()
        try await deadLetters.confirmSelect(window: 64)
        let channel = try await client.openChannel()
        try await channel.qos(prefetchCount: UInt16(clamping: prefetch))
        let consumer = try await channel.consume(queue: queue)
        let broker = client.endpoints.count == 1 ? BrokerAddress(host: client.endpoints[0].host, port: client.endpoints[0].port) : nil
        return DeliveryLoop(
            queue: queue, consumer: consumer, deadLetters: deadLetters, deadLetterExchange: deadLetterExchange, handler: handler, broker: broker,
            metrics: metrics, logger: logger, loops: loops)
    }

    /// True while the broker delivers to this consumer (false while the client recovers it).
    public var isConsuming: Bool { consumer.isActive }

    /// Handles deliveries until `stop()`; returns once the handlers under way have settled their
    /// messages. Run it in the service's task group.
    public func run() async {
        // Each handler runs on a loop: with one loop per process (the default) the deliveries,
        // the handlers' Redis replies and the broker's confirms all arrive on the thread the
        // handlers run on, and no step costs a thread hop. Discarding: a long-running consumer
        // must not keep every finished handler's task.
        await withDiscardingTaskGroup { group in
            do {
                for try await delivery in consumer {
                    group.addTask(executorPreference: loops.next()) { await self.handle(delivery) }
                }
            } catch {
                logger.error("consumer ended: the broker client gave up", ["queue": .string(queue), "error": "\(error)"])
            }
        }
    }

    /// Stops taking deliveries (basic.cancel), so `run()` returns once the handlers under way are
    /// done; messages waiting out a retry delay or held are given back at once.
    public func stop() async {
        try? await consumer.cancel()
        stopping.raise()
    }

    private func handle(_ delivery: AMQPDelivery) async {
        // Quorum queues count earlier deliveries in x-delivery-count; classic ones only flag redelivery.
        let attempt = Int(delivery.deliveryCount ?? (delivery.redelivered ? 1 : 0)) + 1
        let message = InboundMessage(
            body: Array(delivery.body.readableBytesView), attempt: attempt, trace: TraceHeaders.read(delivery.properties.headers),
            messageID: delivery.properties.messageID, exchange: delivery.exchange, routingKey: delivery.routingKey, queue: queue,
            deliveryTag: delivery.deliveryTag, broker: broker)
        var holds = 0
        do {
            while true {
                switch await handler(message) {
                case .ack:
                    try delivery.ack()
                    metrics.increment("deliveries_total", [("outcome", "ack")])
                    return
                case .deadLetter(let reason, let orderIDs):
                    try await deadLetter(delivery, reason: reason, orderIDs: orderIDs)
                    return
                case .retry(let delay, let reason):
                    metrics.increment("deliveries_total", [("outcome", "retry")])
                    logger.info("retrying message", [
                        "queue": .string(queue), "message_id": .string(delivery.properties.messageID ?? ""), "reason": .string(reason), "attempt": .int(attempt),
                        "delay_ms": .int(delay.milliseconds),
                    ])
                    await stopping.sleep(for: delay, on: loops)
                    try delivery.nack(requeue: true)
                    return
                case .hold(let reason):
                    holds += 1
                    metrics.increment("deliveries_total", [("outcome", "hold")])
                    // The first hold and then every tenth: a long alarm should not flood the log.
                    if holds % 10 == 1 {
                        logger.warning("holding message until it can be handled", [
                            "queue": .string(queue), "message_id": .string(delivery.properties.messageID ?? ""), "reason": .string(reason), "rounds": .int(holds),
                        ])
                    }
                    await stopping.sleep(for: Self.holdBackoff.delay(attempt: holds), on: loops)
                    if stopping.isRaised {
                        try delivery.nack(requeue: true)
                        return
                    }
                    // Its channel is gone (a reconnect, say): the broker redelivers it, and that
                    // delivery is handled instead.
                    guard !delivery.isStale else { return }
                }
            }
        } catch {
            // The channel is gone: the broker redelivers the message on the next one.
            logger.warning("could not settle delivery", ["queue": .string(queue), "error": "\(error)"])
        }
    }

    /// Publishes the message to the dead-letter exchange with `reason` and the order ids in its
    /// headers, then acknowledges it. Should that publish fail, the message is rejected instead,
    /// which dead-letters it as it is (the reason then only in the log).
    private func deadLetter(_ delivery: AMQPDelivery, reason: String, orderIDs: [String]) async throws(AMQPConnectionError) {
        var properties = delivery.properties
        var headers = properties.headers ?? FieldTable()
        headers[DeadLetterHeaders.reason] = .longString(ByteBuffer(string: reason))
        headers[DeadLetterHeaders.orderIDs] = .longString(ByteBuffer(string: orderIDs.joined(separator: ",")))
        headers[DeadLetterHeaders.queue] = .longString(ByteBuffer(string: queue))
        properties.headers = headers
        let published: Bool
        do {
            published = try await deadLetters.publishConfirmed(
                exchange: deadLetterExchange, routingKey: delivery.routingKey, body: delivery.body, properties: properties, mandatory: true,
                timeout: .seconds(5)) == .ack
        } catch {
            published = false
        }
        if published { try delivery.ack() } else { try delivery.reject(requeue: false) }
        metrics.increment("deliveries_total", [("outcome", "dead_letter")])
        logger.warning("message dead-lettered", [
            "queue": .string(queue), "message_id": .string(delivery.properties.messageID ?? ""), "order_ids": .string(orderIDs.joined(separator: ",")),
            "reason": .string(reason), "routing_key": .string(delivery.routingKey), "headers_added": .bool(published),
        ])
    }
}

/// The headers a dead-lettered message carries, beside its original ones.
public enum DeadLetterHeaders {
    /// Why it could not be handled.
    public static let reason = "x-dead-letter-reason"
    /// The ids of the orders it names, comma-separated (empty when none could be read).
    public static let orderIDs = "x-order-ids"
    /// The queue it was consumed from.
    public static let queue = "x-dead-letter-queue"
}
