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
    typealias DeliverySink = AsyncThrowingStream<AMQPDelivery, any Error>.Continuation

    struct ConsumerKey: Hashable {
        let channel: UInt16
        let tag: String
    }

    enum ConsumerEffect {
        case deliver(DeliverySink, AMQPDelivery)
        /// Ends the stream: normally when nil, else throwing the error.
        case end(DeliverySink, AMQPConnectionError?)
    }

    /// Applies the effects recorded so far, oldest first.
    func applyConsumerEffects() {
        consumerOutbox.withLock { outbox in
            while let effect = outbox.popFirst() {
                switch effect {
                case .deliver(let sink, let delivery): sink.yield(delivery)
                case .end(let sink, nil): sink.finish()
                case .end(let sink, let error?): sink.finish(throwing: error)
                }
            }
        }
    }

    /// Ends a consumer's delivery stream (after its cancel, or a failed consume).
    func removeConsumer(_ key: ConsumerKey) {
        locked { state in state.endConsumers(matching: { $0 == key }, nil) }
    }
}

extension AMQPConnection.State {
    /// Ends the streams of the consumers `matching` selects, normally when `error` is nil.
    mutating func endConsumers(matching: (AMQPConnection.ConsumerKey) -> Bool, _ error: AMQPConnectionError?) {
        for key in consumers.keys where matching(key) {
            consumerEffects.append(.end(consumers.removeValue(forKey: key)!, error))
        }
    }
}
