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

/// The notifier's handling of one `notifier.queue` delivery (one event, or a batch of them):
/// skip what was sent, take a lease on each notification so only one notifier sends it, send them
/// all at once, and record `sent` unless another notifier took the lease meanwhile.
public struct OrderNotifier: Sendable {
    private let store: any NotificationStore
    private let sender: any NotificationSender
    private let lease: Duration
    private let sendTimeout: Duration
    private let retry: RetryPolicy
    private let makeToken: @Sendable () -> String
    private let sending: AsyncLimiter

    /// `sendTimeout` bounds the sends of one message, waits for one of the `concurrency` sending
    /// slots included; it must stay well below `lease`, so a send cannot outlive its lease and let
    /// a second notifier send the same notification. The slots bound the sends in flight whatever the prefetch
    /// and the batch sizes (a prefetch of 64 batch messages can hold thousands of notifications).
    public init(
        store: any NotificationStore,
        sender: any NotificationSender,
        lease: Duration = .seconds(30),
        sendTimeout: Duration = .seconds(10),
        concurrency: Int = 512,
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
        sending = AsyncLimiter(limit: concurrency)
    }

    /// Handles a delivery; `attempt` is 1 for the first delivery and counts redeliveries.
    public func handle(body: [UInt8], attempt: Int) async -> DeliveryAction {
        guard let parsed = try? OrderEvent.parseMessage(body) else {
            return .deadLetter(reason: "malformed event")
        }
        var seen = Set<String>()
        let events = parsed.filter { seen.insert($0.id).inserted }
        let token = makeToken()
        let leasedAt = ContinuousClock.now
        let leases: [LeaseResult]
        do {
            leases = try await store.lease(events.map(\.id), token: token, ttl: lease)
        } catch {
            return retry.afterFailure(attempt: attempt, reason: "redis: \(error)")
        }
        let due = zip(events, leases).filter { $0.1 == .taken }.map(\.0)
        let (sent, failure) = await send(due)
        let failed = due.map(\.id).filter { !sent.contains($0) }
        if !failed.isEmpty {
            // Free the leases so the retry need not wait for them to lapse. A send that timed out
            // may still have gone out, which nothing here can know: delivery is at least once.
            try? await store.releaseLeases(failed, token: token)
        }
        if !sent.isEmpty, let recordFailure = await record(due.map(\.id).filter(sent.contains), token: token, leasedAt: leasedAt) {
            return retry.afterFailure(attempt: attempt, reason: "record sent: \(recordFailure)")
        }
        if let failure { return retry.afterFailure(attempt: attempt, reason: "send: \(failure)") }
        if leases.contains(.held) {
            // A held lease is no failure of this message: its holder records the send (the next
            // attempt then skips it) or dies and the lease expires. Waiting out the lease, rather
            // than spending attempts, keeps the message from being dead-lettered while a lease
            // of a killed notifier, or of a send whose record failed, still stands.
            return .retry(after: lease, reason: "lease held by another notifier")
        }
        return .ack
    }

    /// Sends the notifications at once (as far as the sending slots allow), all within
    /// `sendTimeout`: one deadline for the message rather than a timer per notification. Returns
    /// the ids sent and the first failure; sends still under way at the deadline are cancelled
    /// and count as failed.
    private func send(_ events: [OrderEvent]) async -> (sent: Set<String>, failure: String?) {
        await withTaskGroup(of: (id: String, error: String?)?.self) { group in
            group.addTask {
                try? await Task.sleep(for: sendTimeout)
                return nil
            }
            for event in events {
                group.addTask {
                    do {
                        try await sending.run { try await sender.send(Self.notification(for: event)) }
                        return (event.id, nil)
                    } catch {
                        return (event.id, "\(error)")
                    }
                }
            }
            var sent = Set<String>()
            var failure: String?
            var remaining = events.count
            while remaining > 0, let result = await group.next() {
                guard let (id, error) = result else {
                    failure = failure ?? "\(DeadlineExceeded(limit: sendTimeout))"
                    break
                }
                remaining -= 1
                if let error { failure = failure ?? error } else { sent.insert(id) }
            }
            group.cancelAll()
            return (sent, failure)
        }
    }

    /// Records sent notifications, retrying a failing Redis for as long as the leases last: a
    /// retry of the whole message would send them a second time. Returns the last error when it
    /// gives up. A notification another notifier holds the lease of now is left to it.
    private func record(_ ids: [String], token: String, leasedAt: ContinuousClock.Instant) async -> String? {
        await retrying(until: leasedAt + lease, maxDelay: .seconds(2)) {
            _ = try await store.recordSent(ids, token: token)
        }.map { "\($0)" }
    }

    private static func notification(for event: OrderEvent) -> Notification {
        let text = event.event == "order.created"
            ? "Order \(event.id) confirmed: \(event.qty) x \(event.sku)"
            : "Order \(event.id) rejected: \(event.reason)"
        return Notification(orderID: event.id, email: event.email, message: text)
    }
}
