/// The gateway's Redis operations, as a small protocol so its logic can be tested without
/// sockets; `RedisPipelineStore` is the live implementation.

/// One request's claim on its idempotency scopes: the order id's, and the `Idempotency-Key`'s
/// when the request has one (which scope names these are in Redis is the store's business).
public struct IdempotencyClaim: Sendable, Equatable {
    public var orderID: String
    /// The request's `Idempotency-Key`; nil when the order id is its only scope.
    public var idempotencyKey: String?
    /// The in-flight record the claim writes.
    public var record: IdempotencyRecord
    /// The order as published (its canonical JSON), kept with the accepted order until it is
    /// notified, so an order the broker confirmed and then lost can still be decided.
    public var payload: [UInt8]

    public init(orderID: String, idempotencyKey: String?, record: IdempotencyRecord, payload: [UInt8]) {
        self.orderID = orderID
        self.idempotencyKey = idempotencyKey
        self.record = record
        self.payload = payload
    }

    /// The record once the broker confirmed the order.
    public var accepted: IdempotencyRecord {
        var accepted = record
        accepted.state = .accepted
        return accepted
    }
}

/// How one claim ended.
public enum ClaimResult: Sendable, Equatable {
    /// The scope was free and is now ours.
    case claimed
    /// The scope held a stale claim of the same payload (its request gave up, or its gateway
    /// died), which is now ours: the order may already be queued, and is published again.
    case tookOver
    /// The scope already held this record.
    case existing(IdempotencyRecord)
    /// The scope was free but the order id was already taken under another key.
    case orderTaken
    /// The claim's part of the store did not answer (a Redis Cluster master down or failing
    /// over): nothing of it is known to hold. Other claims of the batch may still go on.
    case unavailable(String)
}

/// The gateway's idempotency and order-state store. Every operation takes a batch of requests and
/// is one atomic step, so a burst of orders costs one round trip and one script run per step.
public protocol GatewayStore: Sendable {
    /// Claims each request's scopes unless taken: the claim holds them for `inFlightTTL`, and its
    /// records are kept for `recordTTL` whatever happens. Returns one result per claim, in order.
    func claim(_ claims: [IdempotencyClaim], inFlightTTL: Duration, recordTTL: Duration) async throws -> [ClaimResult]
    /// Marks the orders accepted and turns each claim that still holds into its accepted record,
    /// kept for `ttl`.
    func accept(_ claims: [IdempotencyClaim], ttl: Duration) async throws
    /// Settles the records each claim still holds (see `ClaimSettlement`).
    func settle(_ claims: [IdempotencyClaim], _ settlement: ClaimSettlement) async throws
}

/// What becomes of a claim whose request is not answered 202.
public enum ClaimSettlement: String, Sendable {
    /// Nothing reached the broker (or it refused the message): the records are deleted, so any
    /// payload may be sent again.
    case release
    /// The broker may have the order (no confirm came): the records stay, no longer held, so
    /// the same payload may take the scope over and another is refused.
    case abandon
}
