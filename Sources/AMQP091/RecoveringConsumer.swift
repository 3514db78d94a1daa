/// A consumer of a `RecoveringChannel`: its deliveries, across recoveries, as one sequence.
///
/// The sequence does not end when the connection is lost, when the server closes the channel,
/// or when the server cancels the consumer (its queue was deleted, say): the client consumes
/// again once it can, declaring the queue's recorded topology again first. It ends after
/// `cancel()`, or when the client stops (normally), and throws when recovery gave up.
/// `isActive` tells whether the broker is delivering to it now. Buffering as for `AMQPConsumer`.
public struct RecoveringConsumer: AsyncSequence, Sendable {
    /// Each element is one delivery.
    public typealias Element = AMQPDelivery
    public typealias Failure = AMQPConnectionError

    /// The consumer tag, the same on every connection the client recovers to.
    public let tag: String
    let deliveries: DeliveryQueue
    let channel: RecoveringChannel

    /// The deliveries, across recoveries; one task at a time may iterate them. Iteration works
    /// as `AMQPConsumer.AsyncIterator`'s does.
    public func makeAsyncIterator() -> AMQPConsumer.AsyncIterator {
        AMQPConsumer.AsyncIterator(deliveries: deliveries)
    }

    /// True while the consumer is registered with the broker on the current connection; false
    /// while a recovery (a reconnect, a reopened channel, consuming again after a server cancel)
    /// is under way, and once it is cancelled.
    public var isActive: Bool { channel.isActive(tag) }

    /// Opens its channel again and consumes again (declaring the queue's recorded topology
    /// first), for a consumer the broker no longer feeds although it sent no cancel (RabbitMQ
    /// 3.10 can leave the consumers of a deleted quorum queue so). Deliveries received before
    /// can no longer be settled; the broker redelivers them if their queue still exists. Does
    /// nothing while a recovery is under way.
    public func resubscribe() async {
        await channel.resubscribe(tag)
    }

    /// Cancels the consumer; it is not registered again after later recoveries.
    public func cancel(timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) {
        try await channel.cancelConsumer(tag, timeout: timeout)
    }
}
