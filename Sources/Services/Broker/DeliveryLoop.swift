import AMQP091
import Bytes
import Synchronization

import Transport

/// Consumes one queue through a recovering client and applies a handler's `DeliveryAction` to
/// each delivery, many at once (up to the prefetch count, which the broker enforces).
///
/// The consumer survives what the client recovers from: a lost connection, a closed channel, a
/// server cancel (its queue deleted). Deliveries received before a lost connection or a closed
/// channel can no longer be settled; the broker redelivers them.
///
/// A deleted queue takes its messages with it, including those in hand here, and RabbitMQ 3.10
/// does not always cancel the consumers of a deleted quorum queue: they stay attached to
/// nothing (declared again at once, the queue may even count them as its consumers, yet deliver
/// nothing). So while no delivery comes, the loop checks every `attachmentCheckInterval` that
/// its queue exists, has a consumer, and has no messages waiting while this consumer could take
/// more; when not, it consumes again (declaring the queue first), and deliveries in hand from
/// before are still handled, a retried one being published to the queue again rather than
/// given back to a queue that is gone.
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
    /// Where the attachment checks declare the queue passively (a 404 closes it, and the client
    /// opens it again).
    private let checks: RecoveringChannel
    /// Deliveries received, so a check runs only when none came since the last one.
    private let received = Atomic<UInt64>(0)
    /// Deliveries being handled, against `prefetch`: a consumer with room for more should not
    /// leave messages waiting.
    private let inHand = Atomic<Int>(0)
    private let prefetch: Int
    /// Times the consumer was found detached and consumed again; a delivery from before was
    /// from a queue that may be gone.
    private let detachments = Atomic<UInt64>(0)
    /// How often an idle consumer checks that it is attached to its queue.
    static let attachmentCheckInterval: Duration = .seconds(1)
    /// Waits between rounds of a held delivery: 100 ms doubling to 10 s.
    private static let holdBackoff = Backoff(initial: .milliseconds(100), maximum: .seconds(10))

    private init(
        queue: String, prefetch: Int, consumer: RecoveringConsumer, deadLetters: RecoveringChannel, checks: RecoveringChannel,
        deadLetterExchange: String, handler: @escaping Handler, broker: BrokerAddress?, metrics: ServiceMetrics, logger: JSONLogger, loops: EventLoopGroup
    ) {
        self.queue = queue
        self.broker = broker
        self.consumer = consumer
        self.deadLetters = deadLetters
        self.checks = checks
        self.prefetch = prefetch
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
        let checks = try await client.openChannel()
        let channel = try await client.openChannel()
        try await channel.qos(prefetchCount: UInt16(clamping: prefetch))
        let consumer = try await channel.consume(queue: queue)
        let broker = client.endpoints.count == 1 ? BrokerAddress(host: client.endpoints[0].host, port: client.endpoints[0].port) : nil
        return DeliveryLoop(
            queue: queue, prefetch: prefetch, consumer: consumer, deadLetters: deadLetters, checks: checks, deadLetterExchange: deadLetterExchange,
            handler: handler, broker: broker,
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
            group.addTask { await self.watchAttachment() }
            do {
                for try await delivery in consumer {
                    received.add(1, ordering: .relaxed)
                    inHand.add(1, ordering: .relaxed)
                    group.addTask(executorPreference: loops.next()) {
                        await self.handle(delivery)
                        self.inHand.subtract(1, ordering: .relaxed)
                    }
                }
            } catch {
                logger.error("consumer ended: the broker client gave up", ["queue": .string(queue), "error": "\(error)"])
            }
            // Ended by `stop()` or by the client: the watch ends too.
            stopping.raise()
        }
    }

    /// Until stopped: after each interval without a delivery, checks that the queue exists and
    /// has a consumer, and that messages do not wait while this consumer has room (twice in a
    /// row: one may have come just now), and consumes again when not. With several consumers of
    /// one queue (other processes) the others drain it meanwhile.
    private func watchAttachment() async {
        var seen = received.load(ordering: .relaxed)
        var waitingSeen = false
        while true {
            await stopping.sleep(for: Self.attachmentCheckInterval, on: loops)
            if stopping.isRaised { return }
            let now = received.load(ordering: .relaxed)
            defer { seen = received.load(ordering: .relaxed) }
            guard now == seen, consumer.isActive else {
                waitingSeen = false
                continue
            }
            let detached: String
            do {
                let ok = try await checks.queueDeclare(queue, passive: true, timeout: .seconds(5))
                if ok.consumerCount == 0 {
                    detached = "the queue has no consumer"
                } else if ok.messageCount > 0, inHand.load(ordering: .relaxed) < prefetch {
                    defer { waitingSeen = true }
                    guard waitingSeen else { continue }
                    detached = "messages wait while this consumer gets none"
                } else {
                    waitingSeen = false
                    continue
                }
            } catch {
                // Anything but "no such queue" is the client's to recover from.
                guard error.code == .channelClosed, error.replyCode == .notFound else { continue }
                detached = "the queue is gone"
            }
            waitingSeen = false
            guard !stopping.isRaised, consumer.isActive else { continue }
            detachments.add(1, ordering: .relaxed)
            logger.warning("consumer detached from its queue without a cancel; declaring the queue again and consuming again", [
                "queue": .string(queue), "reason": .string(detached),
            ])
            await consumer.resubscribe()
        }
    }

    /// Stops taking deliveries (basic.cancel), so `run()` returns once the handlers under way are
    /// done; messages waiting out a retry delay or held are given back at once. A broker that
    /// cannot be reached within 5 s is not told: the consumer ends anyway, and the broker gives
    /// its messages back when the connection closes.
    public func stop() async {
        try? await consumer.cancel(timeout: .seconds(5))
        stopping.raise()
    }

    private func handle(_ delivery: AMQPDelivery) async {
        // Quorum queues count earlier deliveries in x-delivery-count; classic ones only flag redelivery.
        let attempt = Int(delivery.deliveryCount ?? (delivery.redelivered ? 1 : 0)) + 1
        let message = InboundMessage(
            body: Array(delivery.body.readableBytesView), attempt: attempt, trace: TraceHeaders.read(delivery.properties.headers),
            messageID: delivery.properties.messageID, exchange: delivery.exchange, routingKey: delivery.routingKey, queue: queue,
            deliveryTag: delivery.deliveryTag, broker: broker)
        let detachedBefore = detachments.load(ordering: .relaxed)
        /// Whether the consumer was found detached since this delivery came: its queue may be
        /// gone, and the message with it unless handled here.
        var orphaned: Bool { detachments.load(ordering: .relaxed) != detachedBefore }
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
                    if orphaned, await requeueByPublishing(delivery) { return }
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
                    // delivery is handled instead; unless its queue went, when only this one is left.
                    guard !delivery.isStale || orphaned else { return }
                }
            }
        } catch {
            // The channel is gone: the broker redelivers the message on the next one.
            logger.warning("could not settle delivery", ["queue": .string(queue), "error": "\(error)"])
        }
    }

    /// Publishes the message to its queue again (its properties, and so its delivery count, kept)
    /// and acknowledges the delivery; for a message whose queue may have been deleted, which a
    /// nack would drop. False when the publish was not confirmed.
    private func requeueByPublishing(_ delivery: AMQPDelivery) async -> Bool {
        let published = (try? await deadLetters.publishConfirmed(
            routingKey: queue, body: delivery.body, properties: delivery.properties, mandatory: true, timeout: .seconds(5))) == .ack
        guard published else { return false }
        try? delivery.ack()
        metrics.increment("deliveries_total", [("outcome", "republished")])
        logger.info("message published to its queue again", ["queue": .string(queue), "message_id": .string(delivery.properties.messageID ?? "")])
        return true
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
