import Foundation
import Services
import Testing

@Suite struct OrderNotifierTests {
    let store = MemoryNotifications()
    let created = bytes(#"{"event":"order.created","id":"o-1","sku":"s","qty":1,"reason":""}"#)

    @Test func sendsOnceAndRecordsSent() async {
        let sender = RecordingSender()
        let notifier = OrderNotifier(store: store, sender: sender)
        #expect(await notifier.handle(body: created, attempt: 1) == .ack)
        #expect(await notifier.handle(body: created, attempt: 2) == .ack)
        #expect(sender.delivered.withLock { $0.map(\.orderID) } == ["o-1"])
        #expect(store.sent.withLock { $0 } == ["o-1"])
    }

    @Test func waitsWhileAnotherNotifierHoldsTheLease() async {
        _ = try? await store.lease(["o-1"], token: "other", ttl: .seconds(30))
        let sender = RecordingSender()
        #expect(await OrderNotifier(store: store, sender: sender).handle(body: created, attempt: 1) == .hold(reason: "lease held by another notifier"))
        #expect(sender.delivered.withLock { $0.isEmpty })
    }

    /// Regression: when the lease script ran but its reply was lost, the retry found the lease
    /// taken by its own earlier attempt, took it for another notifier's and waited the lease out.
    @Test func aRetryRecognisesItsOwnLeaseWhoseReplyWasLost() async {
        store.loseLeaseReplies.withLock { $0 = 1 }
        let sender = RecordingSender()
        let notifier = OrderNotifier(store: store, sender: sender, lease: .seconds(30), sendTimeout: .seconds(5))
        guard case .hold = await notifier.handle(body: created, attempt: 1) else {
            Issue.record("expected a hold after the lost reply")
            return
        }
        #expect(await notifier.handle(body: created, attempt: 1) == .ack)
        #expect(sender.delivered.withLock { $0.map(\.orderID) } == ["o-1"])
    }

    /// Two deliveries of one notification in one notifier (the processor re-publishes an event
    /// when its message is redelivered) share its lease token: only one of them sends.
    @Test func twoDeliveriesOfOneNotificationInOneNotifierSendItOnce() async {
        let sender = RecordingSender(delay: .milliseconds(100))
        let notifier = OrderNotifier(store: store, sender: sender)
        async let first = notifier.handle(body: created, attempt: 1)
        async let second = notifier.handle(body: created, attempt: 1)
        let actions = await [first, second]
        #expect(actions.contains(.ack))
        #expect(sender.delivered.withLock { $0.count } == 1)
        #expect(await notifier.handle(body: created, attempt: 2) == .ack)
        #expect(sender.delivered.withLock { $0.count } == 1)
    }

    /// Regression: a lease left by a notifier killed mid-send (or by a send whose record failed)
    /// used up every attempt within a second or two and dead-lettered the notification. Waiting
    /// for it is a hold, which gives nothing back to the queue and so counts no attempt.
    @Test func aHeldLeaseIsWaitedOutNotDeadLettered() async {
        _ = try? await store.lease(["o-1"], token: "killed", ttl: .seconds(30))
        let notifier = OrderNotifier(store: store, sender: RecordingSender(), lease: .seconds(3), sendTimeout: .seconds(1))
        let action = await notifier.handle(body: created, attempt: DeliveryRetryPolicy().maxAttempts)
        #expect(action == .hold(reason: "lease held by another notifier"))
    }

    /// Regression: Redis failing (a restart, a lost reply, contention after a peer was killed)
    /// spent the message's attempts like a failure of its own, and the last one dead-lettered
    /// decided orders. It is a hold now, however many deliveries came before.
    @Test func redisFailuresHoldTheMessageAndNeverDeadLetterIt() async {
        let sender = RecordingSender()
        let notifier = OrderNotifier(store: store, sender: sender)
        store.leaseFailures.withLock { $0 = 1 }
        guard case .hold = await notifier.handle(body: created, attempt: DeliveryRetryPolicy().maxAttempts) else {
            Issue.record("a failing lease script must hold the message, not spend an attempt")
            return
        }
        store.loseLeaseReplies.withLock { $0 = 1 }
        guard case .hold = await notifier.handle(body: created, attempt: DeliveryRetryPolicy().maxAttempts + 5) else {
            Issue.record("a lost lease reply must hold the message, not spend an attempt")
            return
        }
        #expect(await notifier.handle(body: created, attempt: DeliveryRetryPolicy().maxAttempts + 5) == .ack)
        #expect(sender.delivered.withLock { $0.map(\.orderID) } == ["o-1"])
    }

    /// A failed send is the one failure that counts: it may be the notification's own.
    @Test func aSendFailingOnTheLastAttemptIsDeadLettered() async {
        let notifier = OrderNotifier(store: store, sender: RecordingSender(delay: .seconds(5)), lease: .seconds(2), sendTimeout: .milliseconds(20))
        guard case .deadLetter = await notifier.handle(body: created, attempt: DeliveryRetryPolicy().maxAttempts) else {
            Issue.record("expected dead-lettering after the last attempt's send failed")
            return
        }
    }

    @Test func aSendSlowerThanItsTimeoutIsRetried() async {
        let notifier = OrderNotifier(store: store, sender: RecordingSender(delay: .seconds(5)), lease: .seconds(2), sendTimeout: .milliseconds(50))
        guard case .retry = await notifier.handle(body: created, attempt: 1) else {
            Issue.record("expected a retry")
            return
        }
        #expect(store.sent.withLock { $0.isEmpty })
    }

    /// A send that finishes after the message's deadline went out all the same: it is recorded,
    /// so the retry the deadline causes does not send it a second time.
    @Test func aSendFinishingAfterTheDeadlineIsRecordedNotSentAgain() async {
        let sender = RecordingSender(delay: .milliseconds(200), ignoresCancellation: true)
        let notifier = OrderNotifier(store: store, sender: sender, lease: .seconds(30), sendTimeout: .milliseconds(20))
        guard case .retry = await notifier.handle(body: created, attempt: 1) else {
            Issue.record("expected a retry: the send missed its deadline")
            return
        }
        #expect(store.sent.withLock { $0 } == ["o-1"])
        #expect(await notifier.handle(body: created, attempt: 2) == .ack)
        #expect(sender.delivered.withLock { $0.count } == 1)
    }

    @Test func sendsConcurrentlyRatherThanOneAtATime() async {
        let sender = RecordingSender(delay: .milliseconds(200))
        let notifier = OrderNotifier(store: store, sender: sender)
        await withTaskGroup(of: DeliveryAction.self) { group in
            for i in 0..<20 {
                group.addTask { await notifier.handle(body: bytes(#"{"event":"order.created","id":"o-\#(i)","sku":"s","qty":1,"reason":""}"#), attempt: 1) }
            }
            for await action in group { #expect(action == .ack) }
        }
        #expect(sender.delivered.withLock { $0.count } == 20)
        #expect(sender.concurrency.withLock { $0.peak } > 1, "sends overlapped instead of running one after another")
    }

    @Test func aBatchSendsNoMoreAtOnceThanTheSendingSlots() async {
        let sender = RecordingSender(delay: .milliseconds(20))
        let notifier = OrderNotifier(store: store, sender: sender, concurrency: 4)
        let events = (0..<30).map { #"{"event":"order.created","id":"c-\#($0)","sku":"s","qty":1,"reason":""}"# }
        #expect(await notifier.handle(body: bytes("[" + events.joined(separator: ",") + "]"), attempt: 1) == .ack)
        #expect(sender.delivered.withLock { $0.count } == 30)
        #expect(sender.concurrency.withLock { $0.peak } == 4)
    }

    @Test func malformedEventsAreDeadLettered() async {
        guard case .deadLetter = await OrderNotifier(store: store, sender: RecordingSender()).handle(body: bytes("{}"), attempt: 1) else {
            Issue.record("expected dead-lettering")
            return
        }
    }

    /// A send that went out is recorded even when Redis fails for a moment afterwards, without a
    /// second send: retrying the whole message would notify twice.
    @Test func aFailedRecordIsRetriedWithoutSendingAgain() async {
        store.recordFailures.withLock { $0 = 3 }
        let sender = RecordingSender()
        #expect(await OrderNotifier(store: store, sender: sender).handle(body: created, attempt: 1) == .ack)
        #expect(sender.delivered.withLock { $0.count } == 1)
        #expect(store.sent.withLock { $0 } == ["o-1"])
    }

    @Test func aFailedSendGivesTheLeaseBackSoTheRetryNeedNotWait() async {
        let notifier = OrderNotifier(store: store, sender: RecordingSender(delay: .seconds(5)), lease: .seconds(30), sendTimeout: .milliseconds(50))
        guard case .retry = await notifier.handle(body: created, attempt: 1) else {
            Issue.record("expected a retry")
            return
        }
        #expect(store.leases.withLock { $0["o-1"] } == nil)
        let sender = RecordingSender()
        #expect(await OrderNotifier(store: store, sender: sender).handle(body: created, attempt: 2) == .ack)
        #expect(sender.delivered.withLock { $0.count } == 1)
    }

    @Test func aBatchSendsWhatIsDueSkipsWhatWasSentAndWaitsOnlyForHeldLeases() async {
        let sender = RecordingSender()
        let notifier = OrderNotifier(store: store, sender: sender)
        store.sent.withLock { _ = $0.insert("done") }
        _ = try? await store.lease(["held"], token: "other", ttl: .seconds(30))
        let batch = bytes(#"[{"event":"order.created","id":"a","sku":"s","qty":1,"reason":""},{"event":"order.created","id":"done","sku":"s","qty":1,"reason":""},{"event":"order.created","id":"held","sku":"s","qty":1,"reason":""},{"event":"order.created","id":"b","sku":"s","qty":2,"reason":""},{"event":"order.created","id":"a","sku":"s","qty":1,"reason":""}]"#)
        #expect(await notifier.handle(body: batch, attempt: 1) == .hold(reason: "lease held by another notifier"))
        #expect(sender.delivered.withLock { $0.map(\.orderID).sorted() } == ["a", "b"], "a repeated id in one message is sent once")
        #expect(store.sent.withLock { $0 } == ["a", "b", "done"])
        store.leases.withLock { $0["held"] = nil }
        #expect(await notifier.handle(body: batch, attempt: 1) == .ack)
        #expect(sender.delivered.withLock { $0.map(\.orderID).sorted() } == ["a", "b", "held"])
    }
}
