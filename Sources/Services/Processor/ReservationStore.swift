/// The processor's Redis operation, as a small protocol so its logic can be tested without
/// sockets; `RedisPipelineStore` is the live implementation.

/// Where an order stands, as `GET /orders/{id}` reports it.
public struct OrderDecision: Equatable, Sendable {
    /// `reserved` or `rejected` (the processor's decision), later `notified`.
    public var state: String
    /// Why an order was rejected (`unknown_sku`, `insufficient_stock`), empty otherwise.
    public var reason: String
    /// True only for the delivery that made the decision; redeliveries get the first decision back.
    public var isFirst: Bool

    public init(state: String, reason: String, isFirst: Bool) {
        self.state = state
        self.reason = reason
        self.isFirst = isFirst
    }
}

/// The processor's reservation step: one atomic decision per order id.
public protocol ReservationStore: Sendable {
    /// Decides each order (the orders of one message, in one atomic step); one decision per order.
    func reserve(_ orders: [Order]) async throws -> [OrderDecision]
}
