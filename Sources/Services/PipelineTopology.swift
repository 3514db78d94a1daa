import AMQP091
import Bytes

/// The exchanges and queues of the pipeline, declared by every service on every (re)connection;
/// declaring is idempotent, so whichever service starts first creates them.
public enum PipelineTopology {
    /// Direct exchange the gateway publishes orders to.
    public static let ordersExchange = "orders.direct"
    public static let ordersQueue = "orders.queue"
    public static let ordersRoutingKey = "orders"
    /// Topic exchange for `order.created` / `order.rejected` events.
    public static let eventsExchange = "orders.topic"
    public static let notifierQueue = "notifier.queue"
    /// Where rejected (poison or exhausted) messages go, and the queue that keeps them.
    public static let deadLetterExchange = "orders.dlx"
    public static let deadLetterQueue = "orders.dead"
    /// Deliveries of one message before the broker dead-letters it even if no consumer decided so:
    /// a backstop for a message that crashes its consumer every time.
    public static let deliveryLimit: Int64 = 10

    /// Declares everything. Work queues are quorum queues (replicated where the broker is clustered,
    /// and they count deliveries, which the delivery limit and retry policy rely on).
    public static func declare(on channel: AMQPChannel) async throws {
        let workQueue: FieldTable = [
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": .longString(ByteBuffer(string: deadLetterExchange)),
            "x-delivery-limit": .int64(deliveryLimit),
        ]
        let _: ExchangeDeclareOk = try await channel.call(ExchangeDeclare(exchange: ordersExchange, type: "direct", durable: true))
        let _: ExchangeDeclareOk = try await channel.call(ExchangeDeclare(exchange: eventsExchange, type: "topic", durable: true))
        let _: ExchangeDeclareOk = try await channel.call(ExchangeDeclare(exchange: deadLetterExchange, type: "fanout", durable: true))
        let _: QueueDeclareOk = try await channel.call(QueueDeclare(queue: deadLetterQueue, durable: true, arguments: ["x-queue-type": "quorum"]))
        let _: QueueBindOk = try await channel.call(QueueBind(queue: deadLetterQueue, exchange: deadLetterExchange, routingKey: ""))
        let _: QueueDeclareOk = try await channel.call(QueueDeclare(queue: ordersQueue, durable: true, arguments: workQueue))
        let _: QueueBindOk = try await channel.call(QueueBind(queue: ordersQueue, exchange: ordersExchange, routingKey: ordersRoutingKey))
        let _: QueueDeclareOk = try await channel.call(QueueDeclare(queue: notifierQueue, durable: true, arguments: workQueue))
        for event in ["order.created", "order.rejected"] {
            let _: QueueBindOk = try await channel.call(QueueBind(queue: notifierQueue, exchange: eventsExchange, routingKey: event))
        }
    }

    /// Messages waiting in the dead-letter queue (a passive declare, which creates nothing).
    public static func deadLetterDepth(on channel: AMQPChannel) async throws -> Int64 {
        let ok: QueueDeclareOk = try await channel.call(QueueDeclare(queue: deadLetterQueue, passive: true))
        return Int64(ok.messageCount)
    }
}
