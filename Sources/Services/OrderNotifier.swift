import Foundation

/// A notification ready to send.
public struct Notification: Sendable, Equatable {
    public var orderID: String
    public var email: String?
    /// One line for the recipient.
    public var message: String
}

/// Delivers notifications; the pipeline's default only logs, with a configurable latency.
public protocol NotificationSender: Sendable {
    func send(_ notification: Notification) async throws
}

/// The notifier's handling of one `notifier.queue` delivery: skip what was sent, take a lease so
/// only one notifier sends, send, and record `sent` only while the lease still holds.
public struct OrderNotifier: Sendable {
    private let store: any NotificationStore
    private let sender: any NotificationSender
    private let lease: Duration
    private let sendTimeout: Duration
    private let retry: RetryPolicy
    private let makeToken: @Sendable () -> String

    /// `sendTimeout` must stay well below `lease`, so a send cannot outlive its lease and let a
    /// second notifier send the same notification.
    public init(
        store: any NotificationStore,
        sender: any NotificationSender,
        lease: Duration = .seconds(30),
        sendTimeout: Duration = .seconds(10),
        retry: RetryPolicy = RetryPolicy(),
        makeToken: @escaping @Sendable () -> String = { UUIDToken.make() }
    ) {
        precondition(sendTimeout < lease, "the send timeout must be shorter than the lease")
        self.store = store
        self.sender = sender
        self.lease = lease
        self.sendTimeout = sendTimeout
        self.retry = retry
        self.makeToken = makeToken
    }

    public func handle(body: [UInt8], attempt: Int) async -> DeliveryAction {
        guard let event = try? JSONDecoder().decode(OrderEvent.self, from: Data(body)) else {
            return .deadLetter(reason: "malformed event")
        }
        let token = makeToken()
        do {
            if try await store.isSent(orderID: event.id) { return .ack }
            guard try await store.lease(orderID: event.id, token: token, ttl: lease) else {
                // A held lease is no failure of this message: its holder records the send (the next
                // attempt then acks) or dies and the lease expires. Waiting out the lease, rather
                // than spending attempts, keeps the message from being dead-lettered while a lease
                // of a killed notifier, or of a send whose record failed, still stands.
                return .retry(after: lease, reason: "lease held by another notifier")
            }
        } catch {
            return retry.afterFailure(attempt: attempt, reason: "redis: \(error)")
        }
        let text = event.event == "order.created"
            ? "Order \(event.id) confirmed: \(event.qty) x \(event.sku)"
            : "Order \(event.id) rejected: \(event.reason)"
        let sendStarted = ContinuousClock.now
        do {
            try await withDeadline(sendTimeout) {
                try await sender.send(Notification(orderID: event.id, email: event.email, message: text))
            }
        } catch {
            // Free the lease so the retry need not wait for it to lapse. A send that timed out may
            // still have gone out, which nothing here can know: delivery is at least once.
            try? await store.releaseLease(orderID: event.id, token: token)
            return retry.afterFailure(attempt: attempt, reason: "send: \(error)")
        }
        // The notification is out. Keep trying to record it for as long as the lease lasts: a
        // retry of the whole message would send it a second time.
        var delay = Duration.milliseconds(50)
        while true {
            do {
                // false: another notifier holds the lease now; it sends and records.
                _ = try await store.recordSent(orderID: event.id, token: token)
                return .ack
            } catch {
                guard ContinuousClock.now + delay < sendStarted + lease else {
                    return retry.afterFailure(attempt: attempt, reason: "record sent: \(error)")
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}
