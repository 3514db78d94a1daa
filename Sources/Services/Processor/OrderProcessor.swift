/// The processor's handling of one `orders.queue` delivery (one order, or a batch of them from the
/// gateway): decide the orders once in Redis, publish the decisions to `orders.topic` with
/// confirms, mandatory — one message per kind of event, so a batch stays a batch — and only then
/// let the delivery be acknowledged.
///
/// Only a message that cannot be decided is dead-lettered: a malformed one at once, one whose
/// decision keeps failing once its retry budget is spent. Once decided, its events are published
/// until they go out, however long the broker blocks, alarms or finds no route: the delivery is
/// held, not given back (`DeliveryAction.hold`), so waiting spends none of the budget.
public struct OrderProcessor: Sendable {
    private let store: any ReservationStore
    private let events: any ConfirmedPublisher
    private let retry: DeliveryRetryPolicy
    private let confirmTimeout: Duration

    public init(store: any ReservationStore, events: any ConfirmedPublisher, retry: DeliveryRetryPolicy = DeliveryRetryPolicy(), confirmTimeout: Duration = .seconds(5)) {
        self.store = store
        self.events = events
        self.retry = retry
        self.confirmTimeout = confirmTimeout
    }

    /// Handles a delivery; `attempt` is 1 for the first delivery and counts redeliveries. A failure
    /// retries the whole message: every step is idempotent per order.
    public func handle(body: [UInt8], attempt: Int) async -> DeliveryAction {
        let orders: [Order]
        do {
            orders = try Order.parseMessage(body)
        } catch {
            return .deadLetter(reason: "malformed order: \(error)", orderIDs: MessageBatch.orderIDs(in: body))
        }
        let decisions: [OrderDecision]
        do {
            decisions = try await store.reserve(orders)
        } catch {
            // Before the decision: a failure here may be the message's own, so it counts.
            return retry.afterFailure(attempt: attempt, reason: "reserve: \(error)", orderIDs: orders.map(\.id))
        }
        // Published on redeliveries too: a crash after the decision but before this confirm must
        // not lose the event. The notifier ignores events it has already handled.
        let events = zip(orders, decisions).map { OrderEvent(order: $0, decision: $1) }
        let kinds = Dictionary(grouping: events, by: \.routingKey)
        let failure = await withTaskGroup(of: String?.self) { group in
            for (routingKey, batch) in kinds {
                group.addTask { await publish(batch, routingKey: routingKey) }
            }
            var first: String?
            for await failure in group where first == nil { first = failure }
            return first
        }
        if let failure { return .hold(reason: failure) }
        return .ack
    }

    /// Publishes events of one kind as one message and waits for its confirm; returns why it
    /// failed, or nil. A return (no queue bound for the event) is a failure like any other.
    private func publish(_ batch: [OrderEvent], routingKey: String) async -> String? {
        let messageID = batch.count == 1 ? batch[0].id : "\(batch[0].id)+\(batch.count - 1)"
        do {
            let outcome = try await events.publish(MessageBatch.body(batch.map(\.json)), routingKey: routingKey, messageID: messageID, timeout: confirmTimeout)
            return outcome == .confirmed ? nil : "\(routingKey) event \(outcome)"
        } catch {
            return "\(routingKey) event not published: \(error)"
        }
    }
}
