/// The Redis operations the services need, as small protocols so their logic can be tested without
/// sockets. The live implementations run `RedisScripts` through the RESP client.

/// The gateway's idempotency and order-state store.
public protocol GatewayStore: Sendable {
    /// Claims `key` with `record` for `ttl` unless a record is there; returns the existing record, or
    /// nil when the claim was taken.
    func claim(_ key: String, record: IdempotencyRecord, ttl: Duration) async throws -> IdempotencyRecord?
    /// Marks the order accepted and, when the claim is still `claimed`, turns it into `accepted`.
    func accept(_ key: String, orderID: String, claimed: IdempotencyRecord, accepted: IdempotencyRecord, ttl: Duration) async throws
    /// Deletes the claim if it is still `claimed`.
    func release(_ key: String, claimed: IdempotencyRecord) async throws
}

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
    func reserve(_ order: Order) async throws -> OrderDecision
}

/// The notifier's lease and delivery record.
public protocol NotificationStore: Sendable {
    /// True when `notifications:<id>` already says `sent`.
    func isSent(orderID: String) async throws -> Bool
    /// Takes the `notif:<id>` lease with `token` for `ttl`; false when another notifier holds it.
    func lease(orderID: String, token: String, ttl: Duration) async throws -> Bool
    /// Records `sent` if the lease still holds `token`; false when the lease was lost.
    func recordSent(orderID: String, token: String) async throws -> Bool
}

/// How a publish with confirms ended.
public enum PublishOutcome: Equatable, Sendable {
    /// The broker took responsibility for the message.
    case confirmed
    /// The broker refused it (basic.nack).
    case nacked
    /// No queue took it (basic.return of a mandatory publish).
    case returned
    /// No confirm came within the deadline; the broker may or may not have it.
    case timedOut
}

/// Publishing with publisher confirms (and mandatory routing) to one exchange.
public protocol ConfirmedPublisher: Sendable {
    func publish(_ body: [UInt8], routingKey: String, messageID: String, timeout: Duration) async throws -> PublishOutcome
}
