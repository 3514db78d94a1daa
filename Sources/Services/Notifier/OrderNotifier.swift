import Synchronization
import Tracing
import Transport

/// The notifier's handling of one `notifier.queue` delivery (one event, or a batch of them):
/// skip what was sent, take a lease on each notification so only one notifier sends it, send them
/// all at once, and record `sent` unless another notifier took the lease meanwhile.
///
/// Each notification is handled in a span of its own (`MessagingSpans.process`) that continues
/// its order's trace from the message and says how its lease went (`notification.lease`); the
/// lease and record scripts run under the first recorded one, and each send is a child span
/// (`send notification`) in which the sender logs.
///
/// Every order it sees was decided, so only a failed send counts towards the message's attempts
/// (and so towards dead-lettering). What is not the message's fault (Redis failing, a lease
/// another notifier holds, a notification another handler here has in hand) holds the delivery
/// and handles it again with backoff, for as long as it takes: giving it back would count a
/// redelivery, and ten of those dead-letter a decided order.
public struct OrderNotifier: Sendable {
    private let store: any NotificationStore
    private let sender: any NotificationSender
    private let lease: Duration
    private let sendTimeout: Duration
    private let retry: DeliveryRetryPolicy
    private let makeToken: @Sendable () -> String
    private let sending: AsyncLimiter
    /// This notifier's lease token, the same for every attempt: a retry whose earlier lease reply
    /// was lost finds its own lease and carries on, instead of waiting it out as another's.
    private let leaseToken: String
    /// Notifications one of this notifier's handlers has in hand. The lease token is shared by
    /// all of them, so two deliveries of one notification (the processor re-publishes an event
    /// after a redelivery) are kept apart here rather than by the lease.
    private let inHand: InHandSet
    private let tracer: Tracer
    private let spans: MessagingSpans
    /// The loops that time the send deadline and the retries of a record.
    private let loops: EventLoopGroup
    /// Between attempts to record sends: 50 ms doubling to 2 s, within the leases.
    private static let recordBackoff = Backoff(initial: .milliseconds(50), maximum: .seconds(2))

    /// `sendTimeout` bounds the sends of one message; it must stay well below `lease`, so a send
    /// cannot outlive its lease and let a second notifier send the same notification.
    /// `concurrency` bounds the notifications in hand at once whatever the prefetch and the batch
    /// sizes (a prefetch of 64 batch messages can hold thousands): a message takes a slot per
    /// notification before it leases any, so time spent waiting for slots never eats into a lease.
    public init(
        store: any NotificationStore,
        sender: any NotificationSender,
        lease: Duration = .seconds(30),
        sendTimeout: Duration = .seconds(10),
        concurrency: Int = 512,
        retry: DeliveryRetryPolicy = DeliveryRetryPolicy(),
        makeToken: @escaping @Sendable () -> String = { UUIDToken.make() },
        tracer: Tracer = .disabled,
        loops: EventLoopGroup = .shared
    ) {
        precondition(sendTimeout < lease, "the send timeout must be shorter than the lease")
        self.store = store
        self.sender = sender
        self.lease = lease
        self.sendTimeout = sendTimeout
        self.retry = retry
        self.makeToken = makeToken
        leaseToken = makeToken()
        inHand = InHandSet()
        sending = AsyncLimiter(limit: concurrency)
        self.tracer = tracer
        spans = MessagingSpans(tracer: tracer)
        self.loops = loops
    }

    /// Handles a delivery of `body` without headers; see `handle(_:)`.
    public func handle(body: [UInt8], attempt: Int) async -> DeliveryAction {
        await handle(InboundMessage(body: body, attempt: attempt))
    }

    /// Handles a delivery.
    public func handle(_ message: InboundMessage) async -> DeliveryAction {
        guard let parsed = try? OrderEvent.parseMessage(message.body) else {
            return .deadLetter(reason: "malformed event", orderIDs: MessageBatch.orderIDs(in: message.body))
        }
        var seen = Set<String>()
        let documents = parsed.indices.filter { seen.insert(parsed[$0].id).inserted }
        let events = documents.map { parsed[$0] }
        let trace = BatchTrace(spans.process(message, orders: documents.map { ($0, parsed[$0].id) }))
        let action: DeliveryAction
        do {
            action = try await sending.run(weight: events.count) { await notify(events, trace: trace, attempt: message.attempt) }
        } catch {
            action = .retry(after: retry.backoff.initial, reason: "cancelled while waiting for a sending slot")
        }
        MessagingSpans.end(trace.items, action: action)
        return action
    }

    /// Leases, sends and records the notifications of one message, holding its sending slots.
    private func notify(_ events: [OrderEvent], trace: BatchTrace, attempt: Int) async -> DeliveryAction {
        let mine = inHand.take(events.map(\.id))
        defer { inHand.give(mine) }
        let kept = events.indices.filter { mine.contains(events[$0].id) }
        let action = await leaseSendAndRecord(kept.map { events[$0] }, trace: BatchTrace(kept.map { trace.items[$0] }), attempt: attempt)
        guard mine.count < events.count, action == .ack else { return action }
        // The rest are being sent by another handler of this notifier; the next round of this
        // delivery finds them sent.
        return .hold(reason: "notifications already in hand here")
    }

    private func leaseSendAndRecord(_ events: [OrderEvent], trace: BatchTrace, attempt: Int) async -> DeliveryAction {
        guard !events.isEmpty else { return .ack }
        let sendID = makeToken()
        let leasedAt = ContinuousClock.now
        let leases: [LeaseResult]
        do {
            leases = try await trace.run { try await store.lease(events.map(\.id), token: leaseToken, ttl: lease) }
        } catch {
            return .hold(reason: "redis: \(error)")
        }
        for (span, lease) in zip(trace.items, leases) { span?.setAttribute("notification.lease", .string(lease.name)) }
        let due = events.indices.filter { leases[$0] == .taken }
        if !due.isEmpty {
            let (sent, failure) = await send(due.map { (events[$0], trace.items[$0]) }, deadline: .now + sendTimeout)
            let failed = due.map { events[$0].id }.filter { !sent.contains($0) }
            if !failed.isEmpty {
                // Free the leases so the retry need not wait for them to lapse. A send that timed
                // out may still have gone out, which nothing here can know: delivery is at least once.
                try? await trace.run { try await store.releaseLeases(failed, token: leaseToken) }
            }
            if !sent.isEmpty, let recordFailure = await record(due.map { events[$0].id }.filter(sent.contains), sendID: sendID, leasedAt: leasedAt, trace: trace) {
                return .hold(reason: "record sent: \(recordFailure)")
            }
            if let failure { return retry.afterFailure(attempt: attempt, reason: "send: \(failure)", orderIDs: events.map(\.id)) }
        }
        if leases.contains(.held) {
            // A held lease is no failure of this message: its holder records the send (a later
            // round then skips it) or dies and the lease expires. Holding, rather than spending
            // attempts, keeps the message from being dead-lettered while a lease of a killed
            // notifier, or of a send whose record failed, still stands.
            return .hold(reason: "lease held by another notifier")
        }
        return .ack
    }

    /// Sends the notifications, as many at once as there are sending slots, all by `deadline`:
    /// one timer for the message rather than one per notification. Returns the ids sent and the
    /// first failure; sends still under way at the deadline are cancelled, and count as sent only
    /// if they finish anyway. Each send is a child span of its notification's span.
    private func send(_ events: [(event: OrderEvent, span: Span?)], deadline: ContinuousClock.Instant) async -> (sent: Set<String>, failure: String?) {
        var sent = Set<String>()
        var failure: String?
        for start in stride(from: 0, to: events.count, by: sending.limit) where failure == nil {
            let chunk = events[start..<min(start + sending.limit, events.count)]
            await withTaskGroup(of: (id: String, error: String?)?.self) { group in
                group.addTask {
                    try? await loops.sleep(until: deadline)
                    return nil
                }
                for (event, parent) in chunk {
                    group.addTask {
                        do {
                            try await send(event, in: parent)
                            return (event.id, nil)
                        } catch {
                            return (event.id, "\(error)")
                        }
                    }
                }
                var remaining = chunk.count
                while remaining > 0, let result = await group.next() {
                    guard let (id, error) = result else {
                        failure = failure ?? "sends not done within \(sendTimeout)"
                        group.cancelAll()
                        continue
                    }
                    remaining -= 1
                    if let error { failure = failure ?? error } else { sent.insert(id) }
                }
                group.cancelAll()
            }
        }
        return (sent, failure)
    }

    /// Sends `event`'s notification in a span `send notification`, the child of `parent` (the
    /// notification's own span), in which the sender's log lines are written.
    private func send(_ event: OrderEvent, in parent: Span?) async throws {
        guard let parent, parent.context.isValid else { return try await sender.send(Self.notification(for: event)) }
        try await tracer.withSpan("send notification", kind: .client, parent: parent.context) { span in
            span.setAttribute("order.id", .string(event.id))
            try await sender.send(Self.notification(for: event))
        }
    }

    /// Records sent notifications, retrying a failing Redis for as long as the leases last: a
    /// retry of the whole message would send them a second time. Returns the last error when it
    /// gives up. A notification another notifier holds the lease of now is left to it. Each
    /// attempt is a span under the batch's parent (`trace`).
    private func record(_ ids: [String], sendID: String, leasedAt: ContinuousClock.Instant, trace: BatchTrace) async -> String? {
        await retrying(until: leasedAt + lease, backoff: Self.recordBackoff, on: loops) {
            _ = try await trace.run { try await store.recordSent(ids, token: leaseToken, sendID: sendID) }
        }.map { "\($0)" }
    }

    private static func notification(for event: OrderEvent) -> Notification {
        let text = event.event == "order.created"
            ? "Order \(event.id) confirmed: \(event.qty) x \(event.sku)"
            : "Order \(event.id) rejected: \(event.reason)"
        return Notification(orderID: event.id, email: event.email, message: text)
    }
}

/// The notification ids a notifier's handlers have in hand, each taken by one handler at a time.
private final class InHandSet: Sendable {
    /// A lock: handlers take and give ids in short, non-suspending sections.
    private let ids = Mutex<Set<String>>([])

    /// Takes those of `candidates` no other handler has; returns them.
    func take(_ candidates: [String]) -> Set<String> {
        ids.withLock { ids in Set(candidates.filter { ids.insert($0).inserted }) }
    }

    func give(_ taken: Set<String>) {
        ids.withLock { $0.subtract(taken) }
    }
}

private extension LeaseResult {
    /// The lease as a notification span's `notification.lease` names it.
    var name: String {
        switch self {
        case .alreadySent: "already_sent"
        case .taken: "taken"
        case .held: "held"
        }
    }
}
