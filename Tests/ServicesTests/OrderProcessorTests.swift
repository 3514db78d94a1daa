import Foundation
import Services
import RESP
import Testing

@Suite struct OrderProcessorTests {
    let store = MemoryReservations()

    init() { store.stock.withLock { $0 = ["sku-1": 5] } }

    func event(_ sent: ScriptedPublisher.Sent) throws -> OrderEvent {
        try JSONDecoder().decode(OrderEvent.self, from: Data(sent.body))
    }

    @Test func reservesOnceAndPublishesOrderCreated() async throws {
        let events = ScriptedPublisher()
        let processor = OrderProcessor(store: store, events: events)
        #expect(await processor.handle(body: bytes(#"{"id":"o-1","sku":"sku-1","qty":2}"#), attempt: 1) == .ack)
        #expect(store.stock.withLock { $0["sku-1"] } == 3)
        let sent = try #require(events.sent.withLock { $0.first })
        #expect(sent.routingKey == "order.created")
        #expect(try event(sent).qty == 2)
    }

    @Test func aRedeliveryChangesNothingButRepublishesTheEvent() async throws {
        let events = ScriptedPublisher()
        let processor = OrderProcessor(store: store, events: events)
        let body = bytes(#"{"id":"o-1","sku":"sku-1","qty":2}"#)
        _ = await processor.handle(body: body, attempt: 1)
        #expect(await processor.handle(body: body, attempt: 2) == .ack)
        #expect(store.stock.withLock { $0["sku-1"] } == 3)
        #expect(events.sent.withLock { $0.map(\.routingKey) } == ["order.created", "order.created"])
    }

    @Test(arguments: [(#"{"id":"o-2","sku":"nope","qty":1}"#, "unknown_sku"), (#"{"id":"o-3","sku":"sku-1","qty":6}"#, "insufficient_stock")])
    func rejectsWithAReason(body: String, reason: String) async throws {
        let events = ScriptedPublisher()
        #expect(await OrderProcessor(store: store, events: events).handle(body: bytes(body), attempt: 1) == .ack)
        let sent = try #require(events.sent.withLock { $0.first })
        #expect(sent.routingKey == "order.rejected")
        #expect(try event(sent).reason == reason)
        #expect(store.stock.withLock { $0["sku-1"] } == 5)
    }

    /// One message per kind of event: the created ones as a batch, the rejected one alone.
    @Test func aBatchMessageDecidesEveryOrderAndPublishesItsEventsByKind() async throws {
        let events = ScriptedPublisher()
        let body = bytes(#"[{"id":"b-1","qty":2,"sku":"sku-1"},{"id":"b-2","qty":9,"sku":"sku-1"},{"id":"b-3","qty":3,"sku":"sku-1"}]"#)
        #expect(await OrderProcessor(store: store, events: events).handle(body: body, attempt: 1) == .ack)
        #expect(store.stock.withLock { $0["sku-1"] } == 0)
        let sent = events.sent.withLock { $0 }
        #expect(sent.count == 2)
        for message in sent {
            let published = try OrderEvent.parseMessage(message.body)
            #expect(published.allSatisfy { $0.event == message.routingKey })
            #expect(published.map(\.id) == (message.routingKey == "order.created" ? ["b-1", "b-3"] : ["b-2"]))
        }
    }

    @Test(arguments: ["[]", #"[{"id":"ok","qty":1,"sku":"sku-1"},{"id":"","qty":1,"sku":"sku-1"}]"#, #"[{"id":"ok","qty":1,"sku":"sku-1"},7]"#])
    func aBatchWithAnyBadElementIsDeadLetteredWhole(body: String) async {
        let events = ScriptedPublisher()
        guard case .deadLetter = await OrderProcessor(store: store, events: events).handle(body: bytes(body), attempt: 1) else {
            Issue.record("expected dead-lettering")
            return
        }
        #expect(store.stock.withLock { $0["sku-1"] } == 5 && events.sent.withLock { $0.isEmpty })
    }

    @Test func malformedMessagesAreDeadLettered() async {
        let processor = OrderProcessor(store: store, events: ScriptedPublisher())
        guard case .deadLetter = await processor.handle(body: bytes("garbage"), attempt: 1) else {
            Issue.record("expected dead-lettering")
            return
        }
    }

    @Test func aFailureBeforeTheDecisionBacksOffThenDeadLettersWithTheOrderIDs() async {
        store.failures.withLock { $0 = 100 }
        var policy = DeliveryRetryPolicy()
        policy.maxAttempts = 3
        let processor = OrderProcessor(store: store, events: ScriptedPublisher(), retry: policy)
        let body = bytes(#"{"id":"o-1","sku":"sku-1","qty":1}"#)
        guard case .retry(let first, _) = await processor.handle(body: body, attempt: 1),
              case .retry(let second, _) = await processor.handle(body: body, attempt: 2) else {
            Issue.record("expected retries")
            return
        }
        #expect(second == first * 2)
        guard case .deadLetter(_, let orderIDs) = await processor.handle(body: body, attempt: 3) else {
            Issue.record("expected dead-lettering after the last attempt")
            return
        }
        #expect(orderIDs == ["o-1"])
    }

    /// Regression: Redis refusing writes for 60 s (OOM under `maxmemory`) spent the attempts of
    /// the orders in hand, and dead-lettered orders the gateway had answered 202 for. Redis
    /// being unavailable holds the message at any attempt; other failures still count.
    @Test(arguments: [
        RedisClientError.server(RedisServerError(reply: "OOM command not allowed when used memory > 'maxmemory'")),
        RedisClientError.server(RedisServerError(reply: "READONLY You can't write against a read only replica.")),
        RedisClientError.commandTimeout(.seconds(5)),
        RedisClientError.connectionClosed(reason: "the server closed the connection"),
    ])
    func redisBeingUnavailableHoldsTheMessageAtAnyAttempt(error: RedisClientError) async {
        store.failures.withLock { $0 = 1 }
        store.failure.withLock { $0 = error }
        let processor = OrderProcessor(store: store, events: ScriptedPublisher())
        let action = await processor.handle(body: bytes(#"{"id":"o-1","sku":"sku-1","qty":1}"#), attempt: 10)
        guard case .hold = action else {
            Issue.record("expected a hold, got \(action)")
            return
        }
    }

    @Test func aRedisErrorAboutTheDataStillCountsTowardsDeadLettering() async {
        store.failures.withLock { $0 = 1 }
        store.failure.withLock { $0 = RedisClientError.server(RedisServerError(reply: "WRONGTYPE Operation against a key holding the wrong kind of value")) }
        var policy = DeliveryRetryPolicy()
        policy.maxAttempts = 3
        let processor = OrderProcessor(store: store, events: ScriptedPublisher(), retry: policy)
        guard case .deadLetter = await processor.handle(body: bytes(#"{"id":"o-1","sku":"sku-1","qty":1}"#), attempt: 3) else {
            Issue.record("expected dead-lettering after the last attempt")
            return
        }
    }

    /// Regression: five attempts gave up within 1.5 s, so a Redis restart (LOADING while it replays
    /// its AOF) dead-lettered orders the gateway had already answered 202 for.
    @Test func theDefaultPolicyOutlastsARedisRestart() {
        let policy = DeliveryRetryPolicy()
        var waited = Duration.zero
        var attempt = 1
        while case .retry(let delay, _) = policy.afterFailure(attempt: attempt, reason: "LOADING", orderIDs: []) {
            waited += delay
            attempt += 1
        }
        #expect(waited >= .seconds(30))
        #expect(attempt <= Int(PipelineTopology.deliveryLimit), "the broker's delivery limit must not cut the retries short")
    }

    @Test(arguments: [PublishOutcome.nacked, .returned, .timedOut, .blocked(reason: "low on memory")])
    func anUnpublishedEventIsHeldNotAcked(outcome: PublishOutcome) async {
        let processor = OrderProcessor(store: store, events: ScriptedPublisher([outcome]))
        guard case .hold(let reason) = await processor.handle(body: bytes(#"{"id":"o-1","sku":"sku-1","qty":1}"#), attempt: 1) else {
            Issue.record("expected the delivery to be held")
            return
        }
        #expect(reason == "order.created event \(outcome)")
        #expect(!reason.contains("timedOut"), "the reason reads as words")
    }

    /// Regression: after the ten-attempt budget (about 85 s of a broker alarm) a decided order was
    /// dead-lettered, so the dead-letter queue held an order that was decided but never notified.
    @Test func aDecidedOrdersEventIsHeldHoweverManyAttemptsWentBefore() async {
        let processor = OrderProcessor(store: store, events: ScriptedPublisher([.timedOut]))
        let attempts = Int(PipelineTopology.deliveryLimit) * 3
        guard case .hold = await processor.handle(body: bytes(#"{"id":"o-1","sku":"sku-1","qty":1}"#), attempt: attempts) else {
            Issue.record("a decided order whose event did not go out must not be dead-lettered")
            return
        }
    }

    @Test func aMalformedBatchIsDeadLetteredWithTheOrderIDsItNames() async {
        let body = bytes(#"[{"id":"m-1","qty":1,"sku":"sku-1"},{"id":"m-2","qty":"two","sku":"sku-1"}]"#)
        guard case .deadLetter(let reason, let orderIDs) = await OrderProcessor(store: store, events: ScriptedPublisher()).handle(body: body, attempt: 1) else {
            Issue.record("expected dead-lettering")
            return
        }
        #expect(reason.hasPrefix("malformed order"))
        #expect(orderIDs == ["m-1", "m-2"])
    }
}
