import JSON

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
