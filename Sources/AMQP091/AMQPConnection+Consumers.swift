import Synchronization

/// Consumers' delivery streams: what the state decides for them under the lock is carried out
/// after it, in the same order.
///
/// Yielding a delivery can wake the consumer's task, which is too much work to do while holding
/// the lock that acks and publishes need too. So a critical section only records the effect;
/// `locked` hands the effects, still under the lock and so in lock order, to `consumerOutbox`,
/// and applies them once the lock is released. The outbox's own lock keeps concurrent appliers
/// in that order: a delivery is never overtaken by the end of its stream.
extension AMQPConnection {
    struct ConsumerKey: Hashable {
        let channel: UInt16
        let tag: String
    }

    /// Where a consumer's deliveries go, and what to do when it ends on this connection: end
    /// its sequence (`AMQPConsumer`), or keep it open for the next connection when the loss is
    /// the connection's (`RecoveringConsumer`).
    struct ConsumerSink: Sendable {
        let queue: DeliveryQueue
        let end: @Sendable (AMQPConnectionError?) -> Void

        /// A sink whose sequence ends with the consumer.
        init(queue: DeliveryQueue) {
            self.init(queue: queue) { queue.end($0) }
        }

        init(queue: DeliveryQueue, end: @escaping @Sendable (AMQPConnectionError?) -> Void) {
            self.queue = queue
            self.end = end
        }
    }

    enum ConsumerEffect {
        case deliver(DeliveryQueue, AMQPDelivery)
        /// The consumer ended on this connection: normally when nil, else with the error.
        case end(ConsumerSink, AMQPConnectionError?)
    }

    /// Applies the effects recorded so far, oldest first. Each consumer is woken once, after
    /// all of its deliveries are in.
    func applyConsumerEffects() {
        consumerOutbox.withLock { outbox in
            var woken: [DeliveryQueue] = []
            while let effect = outbox.popFirst() {
                switch effect {
                case .deliver(let queue, let delivery):
                    queue.enqueue(delivery)
                    if !woken.contains(where: { $0 === queue }) { woken.append(queue) }
                case .end(let sink, let error):
                    sink.end(error)
                }
            }
            for queue in woken { queue.wake() }
        }
    }

    /// Ends a consumer on this connection (after its cancel): its sink's `end(nil)` runs.
    func removeConsumer(_ key: ConsumerKey) {
        locked { state in state.endConsumers(matching: { $0 == key }, nil) }
    }

    /// Drops the registration of a consume that failed, if it is still `sink`'s, without ending anything.
    func forgetConsumer(_ key: ConsumerKey, sink: ConsumerSink) {
        state.withLock { state in
            if state.consumers[key]?.queue === sink.queue { state.consumers[key] = nil }
        }
    }
}

extension AMQPConnection.State {
    /// Ends the streams of the consumers `matching` selects, normally when `error` is nil.
    mutating func endConsumers(matching: (AMQPConnection.ConsumerKey) -> Bool, _ error: AMQPConnectionError?) {
        cancelledConsumers = cancelledConsumers.filter { !matching($0.key) }
        for key in consumers.keys where matching(key) {
            consumerEffects.append(.end(consumers.removeValue(forKey: key)!, error))
        }
    }
}
