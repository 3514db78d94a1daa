import Foundation

/// The processor's handling of one `orders.queue` delivery: decide the order once in Redis, publish
/// the decision to `orders.topic` with confirms, and only then let the delivery be acknowledged.
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

    /// Handles a delivery; `attempt` is 1 for the first delivery and counts redeliveries.
    public func handle(body: [UInt8], attempt: Int) async -> DeliveryAction {
        let order: Order
        do {
            order = try Order.parse(json: body)
        } catch {
            return .deadLetter(reason: "malformed order: \(error)")
        }
        let decision: OrderDecision
        do {
            decision = try await store.reserve(order)
        } catch {
            return retry.afterFailure(attempt: attempt, reason: "reserve: \(error)")
        }
        // Published on redeliveries too: a crash after the decision but before this confirm must
        // not lose the event. The notifier ignores events it has already handled.
        let event = OrderEvent(order: order, decision: decision)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let body = try? encoder.encode(event) else { return .deadLetter(reason: "event not encodable") }
        do {
            let outcome = try await events.publish(Array(body), routingKey: event.routingKey, messageID: order.id, timeout: confirmTimeout)
            guard outcome == .confirmed else { return retry.afterFailure(attempt: attempt, reason: "event publish \(outcome)") }
        } catch {
            return retry.afterFailure(attempt: attempt, reason: "event publish: \(error)")
        }
        return .ack
    }
}
