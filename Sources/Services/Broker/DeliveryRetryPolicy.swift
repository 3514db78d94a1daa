import Transport

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
