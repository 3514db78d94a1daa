/// The Redis operations the services need, as small protocols so their logic can be tested without
/// sockets. The live implementations run `RedisScripts` through the RESP client.

/// One request's claim on its idempotency scopes: the order id's, and the `Idempotency-Key`'s
/// when the request has one (which scope names these are in Redis is the store's business).
public struct IdempotencyClaim: Sendable, Equatable {
    public var orderID: String
    /// The request's `Idempotency-Key`; nil when the order id is its only scope.
    public var idempotencyKey: String?
    /// The in-flight record the claim writes.
    public var record: IdempotencyRecord

    public init(orderID: String, idempotencyKey: String?, record: IdempotencyRecord) {
        self.orderID = orderID
        self.idempotencyKey = idempotencyKey
        self.record = record
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

/// Where one notification stands after `NotificationStore.lease`.
public enum LeaseResult: Sendable, Equatable {
    /// Already recorded as sent: nothing to do.
    case alreadySent
    /// The lease is ours: send, then record.
    case taken
    /// Another notifier holds the lease: it sends and records.
    case held
}

/// The notifier's leases and delivery records, for the notifications of one message at a time.
public protocol NotificationStore: Sendable {
    /// For each order (distinct ids): reports one already sent, else takes its `notif:<id>` lease
    /// with `token` for `ttl` unless another notifier holds it. A lease `token` already holds is
    /// taken again (its TTL renewed): an earlier attempt took it and lost the reply.
    func lease(_ orderIDs: [String], token: String, ttl: Duration) async throws -> [LeaseResult]
    /// Gives up the leases `token` still holds, so a retry need not wait for them to lapse.
    func releaseLeases(_ orderIDs: [String], token: String) async throws
    /// Records each as sent unless another token holds its lease; per order, false when one does
    /// (its holder records the send). `sendID` names this attempt's sends, which the record counts
    /// once however often it is retried.
    func recordSent(_ orderIDs: [String], token: String, sendID: String) async throws -> [Bool]
}

/// How a publish with confirms ended.
public enum PublishOutcome: Equatable, Sendable, CustomStringConvertible {
    /// The broker took responsibility for the message.
    case confirmed
    /// The broker refused it (basic.nack).
    case nacked
    /// No queue took it (basic.return of a mandatory publish).
    case returned
    /// No confirm came within the deadline; the broker may or may not have it.
    case timedOut
    /// The broker blocks publishing (`connection.blocked`, a memory or disk alarm) and did not
    /// unblock within the deadline; the message was not sent.
    case blocked(reason: String)

    public var description: String {
        switch self {
        case .confirmed: "confirmed"
        case .nacked: "refused by the broker (nack)"
        case .returned: "returned by the broker: no queue is bound for it"
        case .timedOut: "not confirmed in time"
        case .blocked(let reason): "not sent: the broker blocks publishing (\(reason))"
        }
    }
}

/// Thrown by a `ConfirmedPublisher` when the message certainly did not reach the broker (no
/// connection, say). Any other error leaves it unknown whether the broker has the message.
public struct PublishNotSent: Error, Sendable, CustomStringConvertible {
    /// Why nothing was sent.
    public var reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { "not sent: \(reason)" }
}

/// Publishing with publisher confirms (and mandatory routing) to one exchange.
public protocol ConfirmedPublisher: Sendable {
    /// Publishes `body` as a persistent message and waits (at most `timeout`) for the broker's verdict.
    func publish(_ body: [UInt8], routingKey: String, messageID: String, timeout: Duration) async throws -> PublishOutcome
    /// The broker's reason while it blocks publishing (`connection.blocked`); nil otherwise. A
    /// publish then can only wait and time out, so callers answer at once instead.
    var blockedReason: String? { get }
}
