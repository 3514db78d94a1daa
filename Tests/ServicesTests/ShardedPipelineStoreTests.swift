import Foundation
import RESP
import Services
import Testing
import TestSupport

/// The store with cluster-safe keys (shard tags), against one real Redis: every script's keys
/// lie in one shard and the steps split by shard as they would on a cluster. In a database of
/// its own, so the summed totals are this suite's alone.
@Suite(.requires(.redis), .serialized) struct ShardedPipelineStoreTests {
    let redis: any RedisClientProtocol
    let keys = PipelineKeys(shardTags: ["{p0}", "{p1}", "{p2}", "{p3}"])
    let store: RedisPipelineStore
    let run = UUID().uuidString.prefix(8)

    init() throws {
        redis = try TestRedis.client(database: 5)
        store = RedisPipelineStore(redis: redis, keys: keys)
    }

    func claim(_ id: String, key: String? = nil, token: String, fingerprint: String = "f") -> IdempotencyClaim {
        IdempotencyClaim(orderID: id, idempotencyKey: key, record: IdempotencyRecord(state: .inFlight, token: token, fingerprint: fingerprint),
                         payload: Order(id: id, sku: "SKU", qty: 1).canonicalJSON)
    }

    func claim(_ claims: [IdempotencyClaim]) async throws -> [ClaimResult] {
        try await store.claim(claims, inFlightTTL: .seconds(30), recordTTL: .seconds(3600))
    }

    /// An order id and an `Idempotency-Key` that fall in different shards.
    func splitPair(_ name: String) -> (id: String, key: String) {
        var index = 0
        while true {
            let id = "\(name)-\(run)-\(index)", key = "key-\(name)-\(run)-\(index)"
            if keys.shard(of: id) != keys.shard(of: key) { return (id, key) }
            index += 1
        }
    }

    @Test func everyKeyOfAnOrderCarriesItsShardsTagAndStockKeepsItsName() {
        let shard = keys.shardTags[keys.shard(of: "o-1")]
        for key in [keys.idempotency(orderID: "o-1"), keys.order("o-1"), keys.notification("o-1"), keys.notificationLease("o-1")] {
            #expect(key.contains(shard), "\(key)")
        }
        #expect(keys.idempotency(key: "k").contains(keys.shardTags[keys.shard(of: "k")]))
        #expect(PipelineKeys.inventory("ABC") == "inventory:ABC")
        #expect(keys.decision(orderID: "o-1", sku: "ABC") == "{inventory:ABC}:decided:o-1")
        #expect(PipelineKeys.unsharded.order("o-1") == "order:o-1" && PipelineKeys.unsharded.totals(shard: 0) == "metrics:totals")
    }

    @Test func shardTagsSpreadEvenlyOverTheSlots() {
        let spread = PipelineKeys.sharded(count: 4) { key in Int(key.utf8.reduce(UInt32(7)) { $0 &* 31 &+ UInt32($1) } % 16_384) }
        #expect(spread.shardTags.count == 4 && Set(spread.shardTags).count == 4)
    }

    /// A request whose key lies in another shard than its order id claims both, in two steps.
    @Test func aKeyInAnotherShardIsClaimedInTwoStepsAndGivenBackWhenTheOrderIsTaken() async throws {
        let (id, key) = splitPair("split")
        #expect(try await claim([claim(id, key: key, token: "t1")]) == [.claimed])
        #expect(try await redis.get(keys.idempotency(key: key)).map(String.init(describing:))?.hasPrefix("inflight|t1|") == true)
        #expect(try await redis.get(keys.idempotency(orderID: id)).map(String.init(describing:))?.hasPrefix("inflight|t1|") == true)
        let (otherID, otherKey) = splitPair("taken")
        _ = try await claim([claim(otherID, token: "plain")])
        #expect(try await claim([claim(otherID, key: otherKey, token: "t2")]) == [.orderTaken])
        #expect(try await redis.get(keys.idempotency(key: otherKey)) == nil, "the key's claim was given back")
        let claims = [claim(id, key: key, token: "t1")]
        try await store.accept(claims, ttl: .seconds(60))
        #expect(try await redis.get(keys.idempotency(key: key)).map(String.init(describing:))?.hasPrefix("accepted|t1|") == true)
        #expect(try await redis.hget(keys.order(id), field: "state").map(String.init(describing:)) == "accepted")
    }

    @Test func decisionsLiveBesideTheStockAndAreRecordedOnTheOrderOnce() async throws {
        let sku = "sharded-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 3)
        let orders = (0..<6).map { Order(id: "res-\(run)-\($0)", sku: sku, qty: 1) }
        let mirrorBefore = try await redis.get(PipelineKeys.processedCount).flatMap { Int(String(describing: $0)) } ?? 0
        let before = try await store.snapshot(sku: sku, orderID: nil)
        let decisions = try await store.reserve(orders)
        #expect(decisions.map(\.state) == ["reserved", "reserved", "reserved", "rejected", "rejected", "rejected"])
        #expect(decisions.allSatisfy { $0.isFirst })
        #expect(try await store.reserve(orders).allSatisfy { !$0.isFirst }, "a redelivery gets the first decisions back")
        let after = try await store.snapshot(sku: sku, orderID: nil)
        #expect(after.inventoryLevel == 0)
        // The counters are the whole database's, and suites running beside this one (the pipeline
        // end to end) count into them too: they must grow by at least this test's orders. That each
        // order is recorded once is checked on its own records: one reservation, and a redelivery
        // answered with the first decision.
        #expect(after.processedOrdersCount >= before.processedOrdersCount + 6, "the shards' counts sum to every order")
        #expect((after.totals["reserved"] ?? 0) >= (before.totals["reserved"] ?? 0) + 3)
        #expect(try await redis.get(PipelineKeys.processedCount).flatMap { Int(String(describing: $0)) } ?? 0 >= mirrorBefore + 6, "the seed's counter is mirrored")
        for order in orders.prefix(3) {
            #expect(try await redis.hget(keys.decision(orderID: order.id, sku: sku), field: "reservations").map(String.init(describing:)) == "1")
        }
        #expect(try await store.status(orderID: orders[4].id) == OrderStatus(id: orders[4].id, state: "rejected", reason: "insufficient_stock"))
    }

    @Test func notificationsAreLeasedAndRecordedPerShardWithTheSeedsMirror() async throws {
        let ids = (0..<8).map { "note-\(run)-\($0)" }
        #expect(Set((0..<8).map { keys.shard(of: ids[$0]) }).count > 1, "the batch spans shards")
        #expect(try await store.lease(ids, token: "me", ttl: .seconds(30)) == Array(repeating: .taken, count: 8))
        #expect(try await store.lease([ids[0]], token: "them", ttl: .seconds(30)) == [.held])
        #expect(try await store.recordSent(ids, token: "me", sendID: "s1") == Array(repeating: true, count: 8))
        #expect(try await store.lease(ids, token: "them", ttl: .seconds(30)) == Array(repeating: .alreadySent, count: 8))
        #expect(try await redis.hget(PipelineKeys.plainNotification(ids[3]), field: "status").map(String.init(describing:)) == "sent")
        #expect(try await store.snapshot(sku: nil, orderID: ids[5]).notificationStatus == "sent")
    }
}
