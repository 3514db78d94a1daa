import Foundation
import RESP
@testable import Services
import Testing
import TestSupport

/// The open orders and their sweep against a real Redis, each test on shard tags of its own (so
/// its open orders are its own) in a database of the suite's. The events publisher is a
/// recording one: what is tested is what the sweep finds and hands to the processor.
@Suite(.requires(.redis)) struct OpenOrderSweeperTests {
    let redis: any RedisClientProtocol
    let keys: PipelineKeys
    let store: RedisPipelineStore
    let run = UUID().uuidString.prefix(8)

    init() throws {
        redis = try TestRedis.client(database: 6)
        keys = PipelineKeys(shardTags: ["{sweep-\(run)}"])
        store = RedisPipelineStore(redis: redis, keys: keys)
    }

    /// Claims and accepts `orders` as the gateway does once the broker confirmed them.
    func accept(_ orders: [Order]) async throws {
        let claims = orders.map {
            IdempotencyClaim(orderID: $0.id, idempotencyKey: nil, record: IdempotencyRecord(state: .inFlight, token: "t-\($0.id)", fingerprint: "f"),
                             payload: $0.canonicalJSON)
        }
        _ = try await store.claim(claims, inFlightTTL: .seconds(30), recordTTL: .seconds(3600))
        try await store.accept(claims, ttl: .seconds(3600))
    }

    func openOrders() async throws -> [String] {
        guard case .array(let members) = try await redis.send(["ZRANGE", keys.openOrders(shard: 0), "0", "-1"]) else { return [] }
        return members.compactMap { if case .bulkString(let id) = $0 { String(describing: id) } else { nil } }
    }

    func sweeper(_ events: ScriptedPublisher, age: Duration = .zero, maxSweeps: Int = 5, quiet: Bool = true) -> OpenOrderSweeper {
        var configuration = OpenOrderSweeper.Configuration()
        configuration.age = age
        configuration.batch = 2
        configuration.maxSweeps = maxSweeps
        return OpenOrderSweeper(store: store, processor: OrderProcessor(store: store, events: events), configuration: configuration) { quiet }
    }

    func field(_ orderID: String, _ name: String) async throws -> String? {
        try await redis.hget(keys.order(orderID), field: name).map(String.init(describing:))
    }

    func payload(_ orderID: String) async throws -> String? {
        try await redis.hget(keys.payloads(shard: 0), field: orderID).map(String.init(describing:))
    }

    func encoding(_ key: String) async throws -> String {
        String(describing: try await redis.send(["OBJECT", "ENCODING", key]).string ?? "")
    }

    @Test func anAcceptedOrderIsOpenWithItsPayloadUntilNotified() async throws {
        let order = Order(id: "open-\(run)", sku: "S-\(run)", qty: 2, email: "a@example.com")
        try await accept([order])
        #expect(try await openOrders() == [order.id])
        #expect(try await payload(order.id) == String(decoding: order.canonicalJSON, as: UTF8.self))
        #expect(try await field(order.id, "payload") == nil, "the payload is not on the order's hash")
        _ = try await store.lease([order.id], token: "n", ttl: .seconds(30))
        #expect(try await store.recordSent([order.id], token: "n", sendID: "n-1") == [true])
        #expect(try await openOrders() == [])
        #expect(try await payload(order.id) == nil, "the payload, personal data included, goes once notified")
    }

    /// Regression: the payload (over 64 bytes) was a field of the order's hash, which turned the
    /// hash into a hash table for good: 736 bytes per notified order instead of 216.
    @Test func anOrderHashStaysCompactThroughItsLife() async throws {
        let order = Order(id: "compact-\(run)", sku: "S-\(run)", qty: 2, email: "someone.with.a.long.address@example.com")
        #expect(order.canonicalJSON.count > 64)
        _ = try await redis.set(PipelineKeys.inventory(order.sku), to: "2")
        try await accept([order])
        _ = try await store.reserve([order])
        _ = try await store.lease([order.id], token: "n", ttl: .seconds(30))
        #expect(try await store.recordSent([order.id], token: "n", sendID: "n-1") == [true])
        #expect(try await field(order.id, "state") == "notified")
        #expect(try await encoding(keys.order(order.id)) == "listpack")
    }

    /// Orders accepted by an earlier version kept their payload on their hash: they are still
    /// decided from it, and it goes once they are notified.
    @Test func aPayloadOnTheOrderHashIsStillFoundAndDeleted() async throws {
        let earlier = Order(id: "earlier-\(run)", sku: "E-\(run)", qty: 1)
        _ = try await redis.set(PipelineKeys.inventory(earlier.sku), to: "1")
        try await accept([earlier])
        let json = String(decoding: earlier.canonicalJSON, as: UTF8.self)
        _ = try await redis.send(["HDEL", keys.payloads(shard: 0), earlier.id])
        _ = try await redis.send(["HSET", keys.order(earlier.id), "payload", json])
        let events = ScriptedPublisher(exchange: "orders.topic")
        #expect(await sweeper(events).sweep() == 1, "decided from the payload on its hash")
        #expect(try await field(earlier.id, "state") == "reserved")
        _ = try await store.lease([earlier.id], token: "n", ttl: .seconds(30))
        #expect(try await store.recordSent([earlier.id], token: "n", sendID: "n-1") == [true])
        #expect(try await field(earlier.id, "payload") == nil, "deleted once notified")
        #expect(try await openOrders() == [])
    }

    @Test func anOrderWhoseMessageWasLostIsDecidedOnceAndItsEventPublished() async throws {
        let sku = "S-\(run)"
        _ = try await redis.set(PipelineKeys.inventory(sku), to: "5")
        let orders = (0..<3).map { Order(id: "lost-\(run)-\($0)", sku: sku, qty: 1) }
        try await accept(orders)
        let events = ScriptedPublisher(exchange: "orders.topic")
        // Three orders, decided in batches of two.
        #expect(await sweeper(events).sweep() == 3)
        for order in orders { #expect(try await field(order.id, "state") == "reserved") }
        let published = events.sent.withLock { $0.map { String(decoding: $0.body, as: UTF8.self) } }
        for order in orders { #expect(published.contains { $0.contains(order.id) }, "an event for \(order.id)") }
        // Still not notified, so swept again: the decision stands and no stock is taken twice.
        #expect(await sweeper(events).sweep() == 3)
        #expect(try await redis.get(PipelineKeys.inventory(sku)).map(String.init(describing:)) == "2")
        #expect(events.sent.withLock { $0.count } == 4, "each round publishes the decisions again, two messages a round")
    }

    @Test func anOrderIsLeftAloneForTheAgeAfterEachSweep() async throws {
        let order = Order(id: "age-\(run)", sku: "S-\(run)", qty: 1)
        try await accept([order])
        let events = ScriptedPublisher(exchange: "orders.topic")
        #expect(await sweeper(events, age: .seconds(60)).sweep() == 0, "accepted just now")
        #expect(await sweeper(events).sweep() == 1)
        #expect(await sweeper(events, age: .seconds(60)).sweep() == 0, "swept just now")
    }

    @Test func nothingIsSweptWhileTheQueuesHaveABacklog() async throws {
        let order = Order(id: "backlog-\(run)", sku: "S-\(run)", qty: 1)
        try await accept([order])
        let events = ScriptedPublisher(exchange: "orders.topic")
        #expect(await sweeper(events, quiet: false).sweep() == 0)
        #expect(events.sent.withLock { $0.isEmpty })
        #expect(try await openOrders() == [order.id])
    }

    @Test func notifiedOrdersAndOrdersSweptTooOftenLeaveTheOpenOrders() async throws {
        let notified = Order(id: "notified-\(run)", sku: "S-\(run)", qty: 1)
        let stuck = Order(id: "stuck-\(run)", sku: "S-\(run)", qty: 1)
        try await accept([notified, stuck])
        // Notified while its accept's open entry was still on its way (a record of the send
        // that ran before the accept): the sweep finds it sent and closes it.
        _ = try await redis.send(["HSET", keys.notification(notified.id), "status", "sent"])
        let events = ScriptedPublisher(exchange: "orders.topic")
        #expect(await sweeper(events, maxSweeps: 1).sweep() == 1)
        #expect(try await openOrders() == [stuck.id])
        #expect(await sweeper(events, maxSweeps: 1).sweep() == 0)
        #expect(try await openOrders() == [], "given up after one sweep")
        #expect(try await payload(stuck.id) != nil, "kept for an operator")
        #expect(try await payload(notified.id) == nil, "a notified order's payload goes")
    }
}
