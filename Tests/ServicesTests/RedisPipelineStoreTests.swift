import Foundation
import RESP
import Services
import Testing
import TestSupport

/// The Lua scripts and the adapter against the real Redis. Ids are unique per test so suites can
/// run in parallel on one server.
@Suite(.requires(.redis)) struct RedisPipelineStoreTests {
    let redis: RedisClient
    let store: RedisPipelineStore
    let run = UUID().uuidString.prefix(8)

    init() throws {
        redis = try RedisClient(url: TestServer.redis.url())
        store = RedisPipelineStore(redis: redis)
    }

    @Test func claimIsExclusiveAndOnlyTheOwnerReleasesIt() async throws {
        let key = PipelineKeys.idempotency(orderID: "claim-\(run)")
        let mine = IdempotencyRecord(state: .inFlight, token: "mine", fingerprint: "f")
        let theirs = IdempotencyRecord(state: .inFlight, token: "theirs", fingerprint: "f")
        #expect(try await store.claim(key, record: mine, ttl: .seconds(30)) == nil)
        #expect(try await store.claim(key, record: theirs, ttl: .seconds(30)) == mine)
        try await store.release(key, claimed: theirs)
        #expect(try await redis.get(key).map(String.init(describing:)) == mine.stored)
        try await store.release(key, claimed: mine)
        #expect(try await redis.get(key) == nil)
    }

    @Test func anInFlightClaimExpiresOnItsOwn() async throws {
        let key = PipelineKeys.idempotency(orderID: "expiry-\(run)")
        let claim = IdempotencyRecord(state: .inFlight, token: "t", fingerprint: "f")
        #expect(try await store.claim(key, record: claim, ttl: .milliseconds(50)) == nil)
        try await Task.sleep(for: .milliseconds(150))
        #expect(try await store.claim(key, record: claim, ttl: .seconds(30)) == nil, "the expired claim no longer blocks")
    }

    @Test func acceptTurnsOurClaimIntoTheAcceptedRecordAndMarksTheOrder() async throws {
        let id = "accept-\(run)"
        let key = PipelineKeys.idempotency(orderID: id)
        let claim = IdempotencyRecord(state: .inFlight, token: "t", fingerprint: "f")
        var accepted = claim
        accepted.state = .accepted
        _ = try await store.claim(key, record: claim, ttl: .seconds(30))
        try await store.accept(key, orderID: id, claimed: claim, accepted: accepted, ttl: .seconds(3600))
        #expect(try await redis.get(key).map(String.init(describing:)) == accepted.stored)
        guard case .seconds(let ttl) = try await redis.ttl(key) else { Issue.record("no TTL on the accepted record"); return }
        #expect(ttl > 3000)
        #expect(try await redis.hget(PipelineKeys.order(id), field: "state").map(String.init(describing:)) == "accepted")
    }

    @Test func reservationDecidesEachOrderOnce() async throws {
        let sku = "sku-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 5)
        let order = Order(id: "reserve-\(run)", sku: sku, qty: 2)
        #expect(try await store.reserve(order) == OrderDecision(state: "reserved", reason: "", isFirst: true))
        #expect(try await store.reserve(order) == OrderDecision(state: "reserved", reason: "", isFirst: false))
        #expect(try await redis.get(PipelineKeys.inventory(sku)).map(String.init(describing:)) == "3")
        #expect(try await redis.hget(PipelineKeys.order(order.id), field: "reservations").map(String.init(describing:)) == "1")
        let tooMany = Order(id: "too-many-\(run)", sku: sku, qty: 4)
        #expect(try await store.reserve(tooMany) == OrderDecision(state: "rejected", reason: "insufficient_stock", isFirst: true))
        let unknown = Order(id: "unknown-\(run)", sku: "no-such-sku-\(run)", qty: 1)
        #expect(try await store.reserve(unknown) == OrderDecision(state: "rejected", reason: "unknown_sku", isFirst: true))
        #expect(try await redis.get(PipelineKeys.inventory(sku)).map(String.init(describing:)) == "3")
    }

    @Test func concurrentReservationsNeverOversell() async throws {
        let sku = "race-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 10)
        let decisions = try await withThrowingTaskGroup(of: OrderDecision.self) { group in
            for i in 0..<25 {
                group.addTask { try await store.reserve(Order(id: "race-\(run)-\(i)", sku: sku, qty: 1)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(decisions.filter { $0.state == "reserved" }.count == 10)
        #expect(decisions.filter { $0.reason == "insufficient_stock" }.count == 15)
        #expect(try await redis.get(PipelineKeys.inventory(sku)).map(String.init(describing:)) == "0")
    }

    @Test func sentIsRecordedOnlyUnderTheLease() async throws {
        let id = "notify-\(run)"
        _ = try await store.reserve(Order(id: id, sku: "none-\(run)", qty: 1))
        try await redis.hset(PipelineKeys.order(id), fields: [("state", "reserved")])
        #expect(try await store.lease(orderID: id, token: "a", ttl: .seconds(30)))
        #expect(try await store.lease(orderID: id, token: "b", ttl: .seconds(30)) == false)
        #expect(try await store.recordSent(orderID: id, token: "b") == false)
        #expect(try await store.isSent(orderID: id) == false)
        #expect(try await store.recordSent(orderID: id, token: "a"))
        #expect(try await store.isSent(orderID: id))
        #expect(try await redis.hget(PipelineKeys.order(id), field: "state").map(String.init(describing:)) == "notified")
        #expect(try await redis.get(PipelineKeys.notificationLease(id)) == nil, "the lease is given back once sent")
        #expect(try await redis.hget(PipelineKeys.notification(id), field: "sends").map(String.init(describing:)) == "2", "both completed sends are counted")
    }

    @Test func scriptsSurviveAFlushedScriptCache() async throws {
        _ = try await redis.send(["SCRIPT", "FLUSH"])
        let key = PipelineKeys.idempotency(orderID: "flush-\(run)")
        #expect(try await store.claim(key, record: IdempotencyRecord(state: .inFlight, token: "t", fingerprint: "f"), ttl: .seconds(5)) == nil)
    }

    @Test func readsBackWhatTheStepsWrote() async throws {
        let sku = "read-\(run)"
        let id = "read-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 9)
        let before = try await store.snapshot(sku: nil, orderID: nil).processedOrdersCount
        _ = try await store.reserve(Order(id: id, sku: sku, qty: 4))
        #expect(try await store.lease(orderID: id, token: "t", ttl: .seconds(30)))
        #expect(try await store.recordSent(orderID: id, token: "t"))
        let snapshot = try await store.snapshot(sku: sku, orderID: id)
        #expect(snapshot.inventoryLevel == 5)
        #expect(snapshot.notificationStatus == "sent")
        #expect(snapshot.processedOrdersCount > before)
        #expect((snapshot.totals["reserved"] ?? 0) >= 1 && (snapshot.totals["notified"] ?? 0) >= 1)
        #expect(try await store.status(orderID: id) == OrderStatus(id: id, state: "notified"))
        #expect(try await store.status(orderID: "never-\(run)") == nil)
        let unknown = try await store.snapshot(sku: "never-\(run)", orderID: "never-\(run)")
        #expect(unknown.inventoryLevel == nil && unknown.notificationStatus == nil)
    }
}
