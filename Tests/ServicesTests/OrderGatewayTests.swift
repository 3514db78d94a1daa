import Services
import Testing

@Suite struct OrderGatewayTests {
    let store = MemoryGatewayStore()
    let order = bytes(#"{"id":"o-1","sku":"sku-1","qty":2}"#)

    func gateway(_ publisher: ScriptedPublisher) -> OrderGateway {
        OrderGateway(store: store, publisher: publisher)
    }

    @Test func acceptsOnlyAfterTheConfirmAndPublishesTheCanonicalOrder() async {
        let publisher = ScriptedPublisher()
        let outcome = await gateway(publisher).submit(body: order, idempotencyKey: nil)
        #expect(outcome == .accepted(orderID: "o-1", replayed: false))
        #expect(publisher.sent.withLock { $0 } == [.init(body: bytes(#"{"id":"o-1","qty":2,"sku":"sku-1"}"#), routingKey: "orders")])
        #expect(store.records.withLock { $0["idem:order:o-1"]?.state } == .accepted)
        #expect(store.acceptedOrders.withLock { $0 } == ["o-1"])
    }

    @Test func aSecondOrderWithTheSameIDIsADuplicateAndNotPublished() async {
        let publisher = ScriptedPublisher()
        _ = await gateway(publisher).submit(body: order, idempotencyKey: nil)
        let again = await gateway(publisher).submit(body: bytes(#"{"id":"o-1","sku":"other","qty":9}"#), idempotencyKey: nil)
        #expect(again == .duplicate)
        #expect(publisher.sent.withLock { $0.count } == 1)
    }

    @Test(arguments: [PublishOutcome.nacked, .returned, .timedOut])
    func aFailedPublishAnswers503AndReleasesTheClaim(failure: PublishOutcome) async {
        let publisher = ScriptedPublisher([failure])
        let first = await gateway(publisher).submit(body: order, idempotencyKey: nil)
        #expect(first.status == 503)
        #expect(store.records.withLock { $0.isEmpty })
        let retry = await gateway(publisher).submit(body: order, idempotencyKey: nil)
        #expect(retry == .accepted(orderID: "o-1", replayed: false))
    }

    @Test func redisDownAnswers503WithoutPublishing() async {
        store.failClaims.withLock { $0 = true }
        let publisher = ScriptedPublisher()
        #expect(await gateway(publisher).submit(body: order, idempotencyKey: nil).status == 503)
        #expect(publisher.sent.withLock { $0.isEmpty })
    }

    @Test func idempotencyKeyReplaysTheAcceptanceAndRefusesAnotherPayload() async {
        let publisher = ScriptedPublisher()
        let first = await gateway(publisher).submit(body: order, idempotencyKey: "k-1")
        #expect(first == .accepted(orderID: "o-1", replayed: false))
        #expect(await gateway(publisher).submit(body: order, idempotencyKey: "k-1") == .accepted(orderID: "o-1", replayed: true))
        let other = bytes(#"{"id":"o-1","sku":"sku-1","qty":3}"#)
        #expect(await gateway(publisher).submit(body: other, idempotencyKey: "k-1") == .payloadMismatch)
        #expect(publisher.sent.withLock { $0.count } == 1)
    }

    @Test func aRequestStillInFlightUnderTheSameKeyIsAConflict() async {
        let record = IdempotencyRecord(state: .inFlight, token: "someone-else", fingerprint: IdempotencyRecord.fingerprint(of: bytes(#"{"id":"o-1","qty":2,"sku":"sku-1"}"#)))
        store.records.withLock { $0["idem:key:k-2"] = record }
        #expect(await gateway(ScriptedPublisher()).submit(body: order, idempotencyKey: "k-2") == .inFlight)
    }

    @Test(arguments: ["", "has space", String(repeating: "k", count: 256)])
    func rejectsMalformedIdempotencyKeys(key: String) async {
        #expect(await gateway(ScriptedPublisher()).submit(body: order, idempotencyKey: key) == .invalidFields(field: "Idempotency-Key"))
    }

    @Test func badBodiesNeverReachRedisOrTheBroker() async {
        let publisher = ScriptedPublisher()
        #expect(await gateway(publisher).submit(body: bytes("{oops"), idempotencyKey: nil) == .invalidJSON)
        #expect(await gateway(publisher).submit(body: bytes(#"{"id":"a","sku":"b","qty":0}"#), idempotencyKey: nil) == .invalidFields(field: "qty"))
        #expect(store.records.withLock { $0.isEmpty } && publisher.sent.withLock { $0.isEmpty })
    }
}
