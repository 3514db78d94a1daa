import Transport

/// What a consumer does with a delivery once its handler is done.
public enum DeliveryAction: Equatable, Sendable {
    /// Processed (or already processed before): acknowledge.
    case ack
    /// Can never be processed (malformed, say): the message goes to the dead-letter queue with
    /// `reason` and the ids of the orders it names, in its headers and in the log line.
    case deadLetter(reason: String, orderIDs: [String])
    /// A failure that may be the message's own, so may never pass (a Redis script error on its
    /// data, say): wait, then give it back to the queue. The redelivery counts towards the
    /// queue's delivery limit, and the handler's `DeliveryRetryPolicy` dead-letters it once its
    /// budget is spent.
    case retry(after: Duration, reason: String)
    /// A failure of something the message waits on, not of the message (a blocked or alarmed
    /// broker, an event that found no route yet): keep the delivery and handle it again after a
    /// backoff, for as long as it takes. Nothing is given back, so nothing counts towards the
    /// delivery limit.
    case hold(reason: String)
}

/// What to do after a failed attempt that counts (`DeliveryAction.retry`): exponential backoff,
/// then dead-lettering once the budget is spent.
public struct DeliveryRetryPolicy: Sendable {
    /// Deliveries of one message before it is dead-lettered: as many as the queues' delivery
    /// limit allows, so that with the delays below a message waits out about 30 s of Redis
    /// outage (a restart replaying its AOF answers LOADING for a while) instead of being
    /// dead-lettered as if it could never be processed.
    public var maxAttempts = Int(PipelineTopology.deliveryLimit)
    /// The wait before each new attempt: 100 ms, doubling up to 10 s.
    public var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(10))

    public init() {}

    /// The action after failed attempt number `attempt` (1-based); `orderIDs` name the orders of
    /// a message given up on.
    public func afterFailure(attempt: Int, reason: String, orderIDs: [String]) -> DeliveryAction {
        guard attempt < maxAttempts else { return .deadLetter(reason: "gave up after \(attempt) attempts: \(reason)", orderIDs: orderIDs) }
        return .retry(after: backoff.delay(attempt: attempt), reason: reason)
    }
}
