import Foundation
import RESP
import Services
import Testing
import TestSupport

/// The Lua scripts and the adapter against the real Redis. Ids are unique per test so suites can
/// run in parallel on one server.
@Suite(.requires(.redis)) struct RedisPipelineStoreTests {
    let redis: any RedisClientProtocol
    let store: RedisPipelineStore
    let run = UUID().uuidString.prefix(8)

    init() throws {
        redis = try TestRedis.client()
        store = RedisPipelineStore(redis: redis)
    }

    func claim(_ id: String, key: String? = nil, token: String) -> IdempotencyClaim {
        IdempotencyClaim(scope: key.map { PipelineKeys.idempotency(key: $0) } ?? PipelineKeys.idempotency(orderID: id), orderID: id,
                         record: IdempotencyRecord(state: .inFlight, token: token, fingerprint: "f"))
    }

    func stored(_ key: String) async throws -> String? {
        try await redis.get(key).map(String.init(describing:))
    }

    @Test func claimIsExclusiveAndOnlyTheOwnerReleasesIt() async throws {
        let mine = claim("claim-\(run)", token: "mine")
        let theirs = claim("claim-\(run)", token: "theirs")
        #expect(try await store.claim([mine], ttl: .seconds(30)) == [.claimed])
        #expect(try await store.claim([theirs], ttl: .seconds(30)) == [.existing(mine.record)])
        try await store.release([theirs])
        #expect(try await stored(mine.scope) == mine.record.stored)
        try await store.release([mine])
        #expect(try await redis.get(mine.scope) == nil)
    }

    @Test func aBatchClaimDecidesEachRequestInOrder() async throws {
        let taken = claim("batch-taken-\(run)", token: "earlier")
        _ = try await store.claim([taken], ttl: .seconds(30))
        let batch = [
            claim("batch-a-\(run)", token: "b.0"),
            claim("batch-taken-\(run)", token: "b.1"),
            claim("batch-a-\(run)", token: "b.2"),
            claim("batch-taken-\(run)", key: "k-\(run)", token: "b.3"),
            claim("batch-b-\(run)", key: "k2-\(run)", token: "b.4"),
        ]
        let results = try await store.claim(batch, ttl: .seconds(30))
        #expect(results == [.claimed, .existing(taken.record), .existing(batch[0].record), .orderTaken, .claimed])
        #expect(try await stored(batch[4].scope) == batch[4].record.stored)
        #expect(try await stored(batch[4].orderScope) == batch[4].record.stored, "a keyed request claims its order id too")
        #expect(try await redis.get(batch[3].scope) == nil, "a refused keyed request leaves its key free")
    }

    @Test func anInFlightClaimExpiresOnItsOwn() async throws {
        let request = claim("expiry-\(run)", token: "t")
        #expect(try await store.claim([request], ttl: .milliseconds(50)) == [.claimed])
        try await Task.sleep(for: .milliseconds(150))
        #expect(try await store.claim([request], ttl: .seconds(30)) == [.claimed], "the expired claim no longer blocks")
    }

    @Test func acceptTurnsOurClaimsIntoAcceptedRecordsAndMarksTheOrders() async throws {
        let plain = claim("accept-\(run)", token: "t.0")
        let keyed = claim("accept-keyed-\(run)", key: "accept-\(run)", token: "t.1")
        _ = try await store.claim([plain, keyed], ttl: .seconds(30))
        let before = try await store.snapshot(sku: nil, orderID: nil).totals["accepted"] ?? 0
        try await store.accept([plain, keyed], ttl: .seconds(3600))
        for key in [plain.scope, keyed.scope, keyed.orderScope] {
            #expect(try await stored(key) == (key == plain.scope ? plain : keyed).accepted.stored)
            guard case .seconds(let ttl) = try await redis.ttl(key) else { Issue.record("no TTL on \(key)"); return }
            #expect(ttl > 3000)
        }
        for id in [plain.orderID, keyed.orderID] {
            #expect(try await redis.hget(PipelineKeys.order(id), field: "state").map(String.init(describing:)) == "accepted")
            let acceptedAt = try await redis.hget(PipelineKeys.order(id), field: "accepted_at").map(String.init(describing:))
            #expect(acceptedAt.flatMap { Int($0) }.map { abs($0 - Int(Date().timeIntervalSince1970 * 1000)) < 60_000 } == true,
                    "accepted_at is the Redis clock in whole ms: \(acceptedAt ?? "nil")")
        }
        #expect(try await store.snapshot(sku: nil, orderID: nil).totals["accepted"] ?? 0 >= before + 2)
    }

    /// Regression: the gateway retries the accept write when its reply is lost, and each retry
    /// counted the orders in the `accepted` total again. In a database of its own, so the total
    /// is this test's alone.
    @Test func acceptingTwiceCountsEachOrderOnce() async throws {
        let isolated = try TestRedis.client(database: 7)
        let store = RedisPipelineStore(redis: isolated)
        let claims = [claim("count-\(run)", token: "t.0"), claim("count-keyed-\(run)", key: "count-\(run)", token: "t.1")]
        _ = try await store.claim(claims, ttl: .seconds(30))
        let before = try await store.snapshot(sku: nil, orderID: nil).totals["accepted"] ?? 0
        try await store.accept(claims, ttl: .seconds(60))
        let stamped = try await isolated.hget(PipelineKeys.order(claims[0].orderID), field: "accepted_at")
        try await store.accept(claims, ttl: .seconds(60))
        #expect(try await store.snapshot(sku: nil, orderID: nil).totals["accepted"] ?? 0 == before + 2)
        #expect(try await isolated.hget(PipelineKeys.order(claims[0].orderID), field: "accepted_at") == stamped, "the first acceptance time stays")
    }

    /// In a database of its own, so the `duplicates` total is this test's alone.
    @Test func everyRefusedClaimCountsOneDuplicate() async throws {
        let store = RedisPipelineStore(redis: try TestRedis.client(database: 9))
        let before = try await store.snapshot(sku: nil, orderID: nil).totals["duplicates"] ?? 0
        let batch = [
            claim("dup-a-\(run)", token: "d.0"),
            claim("dup-a-\(run)", token: "d.1"),
            claim("dup-a-\(run)", key: "dup-\(run)", token: "d.2"),
            claim("dup-b-\(run)", token: "d.3"),
        ]
        #expect(try await store.claim(batch, ttl: .seconds(30)) == [.claimed, .existing(batch[0].record), .orderTaken, .claimed])
        #expect(try await store.snapshot(sku: nil, orderID: nil).totals["duplicates"] ?? 0 == before + 2)
    }

    @Test func releaseDeletesOnlyOurOwnRecords() async throws {
        let keyed = claim("release-\(run)", key: "release-\(run)", token: "ours")
        _ = try await store.claim([keyed], ttl: .seconds(30))
        try await redis.set(keyed.orderScope, to: "someone else's")
        try await store.release([keyed])
        #expect(try await redis.get(keyed.scope) == nil)
        #expect(try await stored(keyed.orderScope) == "someone else's")
    }

    @Test func reservationDecidesEachOrderOnce() async throws {
        let sku = "sku-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 5)
        let order = Order(id: "reserve-\(run)", sku: sku, qty: 2)
        #expect(try await store.reserve([order]) == [OrderDecision(state: "reserved", reason: "", isFirst: true)])
        #expect(try await store.reserve([order]) == [OrderDecision(state: "reserved", reason: "", isFirst: false)])
        #expect(try await redis.get(PipelineKeys.inventory(sku)).map(String.init(describing:)) == "3")
        #expect(try await redis.hget(PipelineKeys.order(order.id), field: "reservations").map(String.init(describing:)) == "1")
        let tooMany = Order(id: "too-many-\(run)", sku: sku, qty: 4)
        let unknown = Order(id: "unknown-\(run)", sku: "no-such-sku-\(run)", qty: 1)
        #expect(try await store.reserve([tooMany, unknown]) == [
            OrderDecision(state: "rejected", reason: "insufficient_stock", isFirst: true),
            OrderDecision(state: "rejected", reason: "unknown_sku", isFirst: true),
        ])
        #expect(try await redis.get(PipelineKeys.inventory(sku)).map(String.init(describing:)) == "3")
    }

    @Test func aBatchReservesInOrderUntilTheStockRunsOut() async throws {
        let sku = "batch-sku-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 3)
        let orders = (0..<5).map { Order(id: "batch-\(run)-\($0)", sku: sku, qty: 1) }
        let decisions = try await store.reserve(orders + [orders[0]])
        #expect(decisions.map(\.state) == ["reserved", "reserved", "reserved", "rejected", "rejected", "reserved"])
        #expect(decisions.map(\.isFirst) == [true, true, true, true, true, false])
        #expect(try await redis.get(PipelineKeys.inventory(sku)).map(String.init(describing:)) == "0")
    }

    /// The totals are bumped once per message: by the number of first decisions of each kind, and
    /// not at all for a redelivered order. In a database of its own, so the totals are this test's.
    @Test func aBatchCountsEachFirstDecisionOnceInTheTotals() async throws {
        let isolated = try TestRedis.client(database: 8)
        let store = RedisPipelineStore(redis: isolated)
        let sku = "totals-sku-\(run)"
        try await isolated.set(PipelineKeys.inventory(sku), to: 2)
        let orders = (0..<4).map { Order(id: "totals-\(run)-\($0)", sku: sku, qty: 1) } + [Order(id: "totals-\(run)-x", sku: "none-\(run)", qty: 1)]
        let before = try await store.snapshot(sku: nil, orderID: nil)
        _ = try await store.reserve(orders + [orders[0]])
        _ = try await store.reserve([orders[1]])
        let after = try await store.snapshot(sku: nil, orderID: nil)
        #expect(after.processedOrdersCount - before.processedOrdersCount == 5)
        #expect((after.totals["reserved"] ?? 0) - (before.totals["reserved"] ?? 0) == 2)
        #expect((after.totals["rejected"] ?? 0) - (before.totals["rejected"] ?? 0) == 3)
    }

    @Test func concurrentReservationsNeverOversell() async throws {
        let sku = "race-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 10)
        let decisions = try await withThrowingTaskGroup(of: OrderDecision.self) { group in
            for i in 0..<25 {
                group.addTask { try await store.reserve([Order(id: "race-\(run)-\(i)", sku: sku, qty: 1)])[0] }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(decisions.filter { $0.state == "reserved" }.count == 10)
        #expect(decisions.filter { $0.reason == "insufficient_stock" }.count == 15)
        #expect(try await redis.get(PipelineKeys.inventory(sku)).map(String.init(describing:)) == "0")
    }

    @Test func sentIsNotRecordedWhileAnotherNotifierHoldsTheLease() async throws {
        let id = "notify-\(run)"
        _ = try await store.reserve([Order(id: id, sku: "none-\(run)", qty: 1)])
        try await redis.hset(PipelineKeys.order(id), fields: [("state", "reserved")])
        #expect(try await store.lease([id], token: "a", ttl: .seconds(30)) == [.taken])
        #expect(try await store.lease([id], token: "b", ttl: .seconds(30)) == [.held])
        #expect(try await store.recordSent([id], token: "b") == [false])
        #expect(try await store.recordSent([id], token: "a") == [true])
        #expect(try await store.lease([id], token: "c", ttl: .seconds(30)) == [.alreadySent])
        #expect(try await redis.hget(PipelineKeys.order(id), field: "state").map(String.init(describing:)) == "notified")
        #expect(try await redis.get(PipelineKeys.notificationLease(id)) == nil, "the lease is given back once sent")
        #expect(try await redis.hget(PipelineKeys.notification(id), field: "sends").map(String.init(describing:)) == "2", "both completed sends are counted")
        #expect(try await store.recordSent([id], token: "a") == [true])
        #expect(try await redis.hget(PipelineKeys.notification(id), field: "sends").map(String.init(describing:)) == "2", "a repeated record of one send counts once")
    }

    @Test func leasesOfABatchAreDecidedOneByOne() async throws {
        let ids = ["l1-\(run)", "l2-\(run)", "l3-\(run)"]
        #expect(try await store.lease([ids[1]], token: "other", ttl: .seconds(30)) == [.taken])
        #expect(try await store.lease([ids[2]], token: "earlier", ttl: .seconds(30)) == [.taken])
        #expect(try await store.recordSent([ids[2]], token: "earlier") == [true])
        #expect(try await store.lease(ids, token: "mine", ttl: .seconds(30)) == [.taken, .held, .alreadySent])
        #expect(try await store.recordSent(ids, token: "mine") == [true, false, true])
    }

    @Test func aSendWhoseLeaseLapsedUnclaimedIsStillRecorded() async throws {
        let id = "lapsed-\(run)"
        #expect(try await store.lease([id], token: "a", ttl: .milliseconds(50)) == [.taken])
        try await Task.sleep(for: .milliseconds(150))
        #expect(try await store.recordSent([id], token: "a") == [true])
        #expect(try await store.lease([id], token: "b", ttl: .seconds(30)) == [.alreadySent])
    }

    @Test func aLeaseIsReleasedOnlyByItsHolder() async throws {
        let id = "release-lease-\(run)"
        #expect(try await store.lease([id], token: "a", ttl: .seconds(30)) == [.taken])
        try await store.releaseLeases([id], token: "b")
        #expect(try await store.lease([id], token: "b", ttl: .seconds(30)) == [.held])
        try await store.releaseLeases([id], token: "a")
        #expect(try await store.lease([id], token: "b", ttl: .seconds(30)) == [.taken])
    }

    @Test func scriptsSurviveAFlushedScriptCache() async throws {
        _ = try await redis.send(["SCRIPT", "FLUSH"])
        #expect(try await store.claim([claim("flush-\(run)", token: "t")], ttl: .seconds(5)) == [.claimed])
    }

    @Test func readsBackWhatTheStepsWrote() async throws {
        let sku = "read-\(run)"
        let id = "read-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 9)
        let before = try await store.snapshot(sku: nil, orderID: nil).processedOrdersCount
        _ = try await store.reserve([Order(id: id, sku: sku, qty: 4)])
        #expect(try await store.lease([id], token: "t", ttl: .seconds(30)) == [.taken])
        #expect(try await store.recordSent([id], token: "t") == [true])
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
