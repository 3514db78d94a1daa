import Tracing

/// The processor's handling of one `orders.queue` delivery (one order, or a batch of them from the
/// gateway): decide the orders once in Redis, publish the decisions to `orders.topic` with
/// confirms, mandatory — one message per kind of event, so a batch stays a batch — and only then
/// let the delivery be acknowledged.
///
/// Only a message that cannot be decided is dead-lettered: a malformed one at once, one whose
/// decision keeps failing once its retry budget is spent. Redis being unavailable (unreachable,
/// refusing writes, short of replicas: `RedisUnavailability`) holds the delivery instead, as it
/// is no fault of the message. Once decided, its events are published
/// until they go out, however long the broker blocks, alarms or finds no route: the delivery is
/// held, not given back (`DeliveryAction.hold`), so waiting spends none of the budget.
///
/// Each order is processed in a span of its own (`MessagingSpans.process`) that continues the
/// order's trace from the message and says what was decided (`order.decision`,
/// `order.rejection_reason`); the reservation script runs under the first recorded one, and
/// each event message is published in a span linked to its orders, carrying their contexts on.
public struct OrderProcessor: Sendable {
    private let store: any ReservationStore
    private let events: any ConfirmedPublisher
    private let retry: DeliveryRetryPolicy
    private let confirmTimeout: Duration
    private let spans: MessagingSpans

    public init(store: any ReservationStore, events: any ConfirmedPublisher, retry: DeliveryRetryPolicy = DeliveryRetryPolicy(), confirmTimeout: Duration = .seconds(5),
                tracer: Tracer = .disabled) {
        self.store = store
        self.events = events
        self.retry = retry
        self.confirmTimeout = confirmTimeout
        spans = MessagingSpans(tracer: tracer)
    }

    /// Handles a delivery of `body` without headers; see `handle(_:)`.
    public func handle(body: [UInt8], attempt: Int) async -> DeliveryAction {
        await handle(InboundMessage(body: body, attempt: attempt))
    }

    /// Handles a delivery. A failure retries the whole message: every step is idempotent per order.
    public func handle(_ message: InboundMessage) async -> DeliveryAction {
        let orders: [Order]
        do {
            orders = try Order.parseMessage(message.body)
        } catch {
            return .deadLetter(reason: "malformed order: \(error)", orderIDs: MessageBatch.orderIDs(in: message.body))
        }
        let trace = BatchTrace(spans.process(message, orders: orders.indices.map { ($0, orders[$0].id) }))
        let action = await decide(orders, attempt: message.attempt, trace: trace)
        MessagingSpans.end(trace.items, action: action)
        return action
    }

    private func decide(_ orders: [Order], attempt: Int, trace: BatchTrace) async -> DeliveryAction {
        let decisions: [OrderDecision]
        do {
            decisions = try await trace.run { try await store.reserve(orders) }
        } catch where RedisUnavailability.covers(error) {
            // Redis cannot decide anything now; the message is not at fault.
            return .hold(reason: "reserve: \(error)")
        } catch {
            // Any other failure before the decision may be the message's own, so it counts.
            return retry.afterFailure(attempt: attempt, reason: "reserve: \(error)", orderIDs: orders.map(\.id))
        }
        for (span, decision) in zip(trace.items, decisions) {
            span?.setAttribute("order.decision", .string(decision.state))
            if !decision.reason.isEmpty { span?.setAttribute("order.rejection_reason", .string(decision.reason)) }
        }
        // Published on redeliveries too: a crash after the decision but before this confirm must
        // not lose the event. The notifier ignores events it has already handled.
        let events = zip(orders, decisions).map { OrderEvent(order: $0, decision: $1) }
        let kinds = Dictionary(grouping: events.indices, by: { events[$0].routingKey })
        let failure = await withTaskGroup(of: String?.self) { group in
            for (routingKey, indices) in kinds {
                group.addTask { await publish(indices.map { events[$0] }, routingKey: routingKey, trace: BatchTrace(indices.map { trace.items[$0] })) }
            }
            var first: String?
            for await failure in group where first == nil { first = failure }
            return first
        }
        if let failure { return .hold(reason: failure) }
        return .ack
    }

    /// Publishes events of one kind as one message, in a publish span linked to their orders'
    /// spans (`trace`), and waits for its confirm; returns why it failed, or nil. A return (no
    /// queue bound for the event) is a failure like any other.
    private func publish(_ batch: [OrderEvent], routingKey: String, trace: BatchTrace) async -> String? {
        let messageID = batch.count == 1 ? batch[0].id : "\(batch[0].id)+\(batch.count - 1)"
        let body = MessageBatch.body(batch.map(\.json))
        let (span, messageTrace) = spans.publish(trace, ids: batch.map(\.id), exchange: events.exchange, routingKey: routingKey, messageID: messageID,
                                                 bodySize: body.count, broker: events.broker)
        do {
            let outcome = try await events.publish(body, routingKey: routingKey, messageID: messageID, trace: messageTrace, timeout: confirmTimeout)
            span.map { MessagingSpans.end($0, outcome: outcome) }
            return outcome == .confirmed ? nil : "\(routingKey) event \(outcome)"
        } catch {
            span.map { MessagingSpans.end($0, error: error) }
            return "\(routingKey) event not published: \(error)"
        }
    }
}
