/// What the processor publishes to `orders.topic` once an order is decided.
public struct OrderEvent: Codable, Sendable, Equatable {
    /// `order.created` or `order.rejected`; also the routing key.
    public var event: String
    public var id: String
    public var sku: String
    public var qty: Int
    public var email: String?
    /// Why the order was rejected; empty when it was created.
    public var reason: String

    /// The event kinds, which are also the routing keys.
    static let kinds: Set<String> = ["order.created", "order.rejected"]

    /// The event for `order`'s decision.
    public init(order: Order, decision: OrderDecision) {
        self.init(event: decision.state == "rejected" ? "order.rejected" : "order.created", order: order, reason: decision.reason)
    }

    init(event: String, order: Order, reason: String) {
        self.event = event
        id = order.id
        sku = order.sku
        qty = order.qty
        email = order.email
        self.reason = reason
    }

    /// The routing key on the topic exchange.
    public var routingKey: String { event }

    /// The events of one `orders.topic` message: one event, or a batch of events of the same
    /// kind (`MessageBatch`). Each event's order part is validated as an order is.
    public static func parseMessage(_ body: [UInt8], limits: OrderLimits = OrderLimits()) throws(OrderInputError) -> [OrderEvent] {
        try OrderReader.readMessage(body).map { fields throws(OrderInputError) in try fields.event(limits: limits) }
    }

    /// The event as published: compact JSON with sorted keys, `email` only when known.
    public var json: [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        if let email { writer.field("email", email) }
        writer.field("event", event)
        writer.field("id", id)
        writer.field("qty", qty)
        writer.field("reason", reason)
        writer.field("sku", sku)
        writer.endObject()
        return writer.bytes
    }
}

/// What a consumer does with a delivery once its handler is done.
public enum DeliveryAction: Equatable, Sendable {
    /// Processed (or already processed before): acknowledge.
    case ack
    /// Can never be processed: reject without requeue so the broker dead-letters it.
    case deadLetter(reason: String)
    /// A transient failure: wait, then requeue for another attempt.
    case retry(after: Duration, reason: String)
}

/// Retry policy for transient failures: exponential backoff, then dead-lettering.
public struct RetryPolicy: Sendable {
    /// Deliveries of one message before it is dead-lettered. As many as the queues' delivery limit
    /// allows, so that with the delays below a message waits out about 30 s of Redis or broker
    /// outage (a restart replaying its AOF answers LOADING for a while) instead of being
    /// dead-lettered as if it could never be processed.
    public var maxAttempts = Int(PipelineTopology.deliveryLimit)
    /// Wait before the second attempt; doubles each time up to `maxDelay`.
    public var baseDelay: Duration = .milliseconds(100)
    public var maxDelay: Duration = .seconds(10)

    public init() {}

    /// The action after failed attempt number `attempt` (1-based).
    public func afterFailure(attempt: Int, reason: String) -> DeliveryAction {
        guard attempt < maxAttempts else { return .deadLetter(reason: "gave up after \(attempt) attempts: \(reason)") }
        let factor = 1 << min(max(attempt - 1, 0), 20)
        return .retry(after: min(baseDelay * factor, maxDelay), reason: reason)
    }
}
