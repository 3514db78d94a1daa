import Bytes

/// A message delivered to a consumer, with the means to settle it.
///
/// Settle each delivery once (unless the consumer uses noAck): `ack`, `nack` or `reject`.
/// A delivery belongs to the channel it came on; once that channel is gone (closed, or replaced
/// after a connection recovery), settling it throws `AMQPConnectionError.staleDelivery` and sends
/// nothing, since its tag would name a different message on any other channel. The broker
/// redelivers such messages itself.
public struct AMQPDelivery: Sendable {
    /// The message as delivered (method `.basicDeliver`).
    public let message: AMQPMessage
    /// The channel-scoped tag that `ack`/`nack`/`reject` refer to.
    public let deliveryTag: UInt64
    /// True when the broker delivered the message before and it was not acknowledged.
    public let redelivered: Bool
    /// The exchange the message was published to ("" for the default exchange).
    public let exchange: String
    /// The routing key it was published with.
    public let routingKey: String
    /// The consumer it was delivered to.
    public let consumerTag: String
    let channel: AMQPChannel

    init(message: AMQPMessage, deliver: BasicDeliver, channel: AMQPChannel) {
        self.message = message
        deliveryTag = deliver.deliveryTag
        redelivered = deliver.redelivered
        exchange = deliver.exchange
        routingKey = deliver.routingKey
        consumerTag = deliver.consumerTag
        self.channel = channel
    }

    /// The message body; a slice of the bytes received when it came in one body frame.
    public var body: ByteBuffer { message.body }
    /// The message's properties. A mandatory publish made with `publishConfirmed` carries an
    /// `x-publish-sequence` header the publisher added (see `AMQPChannel.publishConfirmed`).
    public var properties: BasicProperties { message.properties }

    /// True once the channel this delivery came on is gone (closed, or replaced by recovery): it
    /// can no longer be settled, and the broker redelivers it.
    public var isStale: Bool { !channel.isOpen }

    /// The `x-delivery-count` header quorum queues set on redeliveries (nil on a first delivery
    /// and for classic queues).
    public var deliveryCount: Int64? { message.properties.headers?["x-delivery-count"]?.integerValue }

    /// Acknowledges this delivery, and with `multiple` every earlier unsettled one on its channel.
    /// - Throws: `.staleDelivery` when its channel is gone.
    public func ack(multiple: Bool = false) throws(AMQPConnectionError) {
        try channel.settle(.basicAck(BasicAck(deliveryTag: deliveryTag, multiple: multiple)), deliveryTag: deliveryTag)
    }

    /// Rejects this delivery (and with `multiple` every earlier unsettled one): back to the queue
    /// when `requeue`, else dead-lettered (or dropped when the queue has no dead-letter exchange).
    public func nack(multiple: Bool = false, requeue: Bool = true) throws(AMQPConnectionError) {
        try channel.settle(.basicNack(BasicNack(deliveryTag: deliveryTag, multiple: multiple, requeue: requeue)), deliveryTag: deliveryTag)
    }

    /// Rejects this one delivery (`basic.reject`): requeued, or dead-lettered when `requeue` is false.
    public func reject(requeue: Bool = true) throws(AMQPConnectionError) {
        try channel.settle(.basicReject(BasicReject(deliveryTag: deliveryTag, requeue: requeue)), deliveryTag: deliveryTag)
    }
}

/// A consumer started by `AMQPChannel.consume`: an asynchronous sequence of its deliveries.
///
/// The sequence ends after `cancel()`, and throws when the channel or connection closes, or
/// `.consumerCancelled` when the server cancels the consumer.
///
/// Deliveries are buffered without waiting for the reader, so the connection never stalls on a
/// slow consumer: other channels' replies, confirms and heartbeats keep flowing. Prefetch is the
/// flow control that bounds the buffer: with manual acks it holds at most the `prefetchCount`
/// set with `AMQPChannel.qos` (per consumer, or per channel with `global`), since the broker
/// sends no more until some are settled. Without qos, or with `noAck`, nothing bounds it and it
/// can grow to the size of the queue; set a qos before consuming a queue that may be long.
public struct AMQPConsumer: AsyncSequence, Sendable {
    /// Each element is one delivery.
    public typealias Element = AMQPDelivery
    public typealias Failure = AMQPConnectionError

    /// The consumer tag.
    public let tag: String
    let deliveries: DeliveryQueue
    let channel: AMQPChannel

    /// Reads the deliveries, in the order the broker sent them.
    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Failure = AMQPConnectionError
        let deliveries: DeliveryQueue

        /// The next delivery; nil once the sequence has ended, or when the calling task is
        /// cancelled, which ends it (deliveries not yet read are dropped; the broker redelivers
        /// those not acknowledged once the channel closes).
        public mutating func next() async throws(AMQPConnectionError) -> AMQPDelivery? {
            try await deliveries.next()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(AMQPConnectionError) -> AMQPDelivery? {
            try await deliveries.next()
        }
    }

    /// The deliveries; one task at a time may iterate them.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(deliveries: deliveries)
    }

    /// Cancels the consumer (`basic.cancel`); the sequence ends once the broker confirms.
    /// Deliveries already received stay valid to settle.
    public func cancel(timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) {
        _ = try await channel.call(BasicCancel(consumerTag: tag), timeout: timeout)
        channel.connection.removeConsumer(.init(channel: channel.number, tag: tag))
    }
}
