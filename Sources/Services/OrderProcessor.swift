/// The processor's handling of one `orders.queue` delivery (one order, or a batch of them from the
/// gateway): decide the orders once in Redis, publish the decisions to `orders.topic` with
/// confirms — one message per kind of event, so a batch stays a batch — and only then let the
/// delivery be acknowledged.
public struct OrderProcessor: Sendable {
    private let store: any ReservationStore
    private let events: any ConfirmedPublisher
    private let retry: RetryPolicy
    private let confirmTimeout: Duration

    public init(store: any ReservationStore, events: any ConfirmedPublisher, retry: RetryPolicy = RetryPolicy(), confirmTimeout: Duration = .seconds(5)) {
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
            return .deadLetter(reason: "malformed order: \(error)")
        }
        let decisions: [OrderDecision]
        do {
            decisions = try await store.reserve(orders)
        } catch {
            return retry.afterFailure(attempt: attempt, reason: "reserve: \(error)")
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
        if let failure { return retry.afterFailure(attempt: attempt, reason: failure) }
        return .ack
    }

    /// Publishes events of one kind as one message and waits for its confirm; returns why it
    /// failed, or nil.
    private func publish(_ batch: [OrderEvent], routingKey: String) async -> String? {
        let messageID = batch.count == 1 ? batch[0].id : "\(batch[0].id)+\(batch.count - 1)"
        do {
            let outcome = try await events.publish(MessageBatch.body(batch.map(\.json)), routingKey: routingKey, messageID: messageID, timeout: confirmTimeout)
            return outcome == .confirmed ? nil : "event publish \(outcome)"
        } catch {
            return "event publish: \(error)"
        }
    }
}
