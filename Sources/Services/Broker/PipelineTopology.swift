import AMQP091

import Bytes

/// The exchanges and queues of the pipeline, declared by every service through each of its broker
/// clients, which record them: a client declares them again after a reconnect, the queue's part
/// after a server cancel, an exchange's part after an unroutable publish. Declaring is
/// idempotent, so whichever service starts first creates them.
public enum PipelineTopology {
    /// Direct exchange the gateway publishes orders to.
    public static let ordersExchange = "orders.direct"
    public static let ordersQueue = "orders.queue"
    public static let ordersRoutingKey = "orders"
    /// Topic exchange for `order.created` / `order.rejected` events.
    public static let eventsExchange = "orders.topic"
    public static let notifierQueue = "notifier.queue"
    /// Where messages that cannot be handled go, and the queue that keeps them.
    public static let deadLetterExchange = "orders.dlx"
    public static let deadLetterQueue = "orders.dead"
    /// Deliveries of one message before the broker dead-letters it even if no consumer decided so.
    /// A backstop for a message that crashes its consumer every time: the consumers give messages
    /// back (which counts) only for failures that may be the message's own, within the same
    /// budget (`DeliveryRetryPolicy`), and hold them, uncounted, while the broker or an event's
    /// route is what fails.
    public static let deliveryLimit: Int64 = 10

    /// Declares everything. Work queues are quorum queues (replicated where the broker is clustered,
    /// and they count deliveries, which the delivery limit and retry policy rely on).
    public static func declare(on channel: RecoveringChannel) async throws(AMQPConnectionError) {
        let workQueue = QueueArguments(type: .quorum, deadLetterExchange: deadLetterExchange, deliveryLimit: deliveryLimit)
        try await channel.exchangeDeclare(ordersExchange, type: "direct", durable: true)
        try await channel.exchangeDeclare(eventsExchange, type: "topic", durable: true)
        try await channel.exchangeDeclare(deadLetterExchange, type: "fanout", durable: true)
        try await channel.queueDeclare(deadLetterQueue, durable: true, arguments: QueueArguments(type: .quorum))
        try await channel.queueBind(deadLetterQueue, exchange: deadLetterExchange)
        try await channel.queueDeclare(ordersQueue, durable: true, arguments: workQueue)
        try await channel.queueBind(ordersQueue, exchange: ordersExchange, routingKey: ordersRoutingKey)
        try await channel.queueDeclare(notifierQueue, durable: true, arguments: workQueue)
        for event in ["order.created", "order.rejected"] {
            try await channel.queueBind(notifierQueue, exchange: eventsExchange, routingKey: event)
        }
    }

    /// Messages waiting in the dead-letter queue (a passive declare, which creates nothing).
    public static func deadLetterDepth(on channel: RecoveringChannel, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) -> Int64 {
        Int64(try await channel.queueDeclare(deadLetterQueue, passive: true, timeout: timeout).messageCount)
    }
}
