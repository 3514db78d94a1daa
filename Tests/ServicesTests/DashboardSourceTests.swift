import Foundation
import RESP
import Services
import Testing
import TestSupport

/// The dashboard's reads against a real Redis, unsharded and sharded, each in a database of its
/// own so the streams hold this suite's entries alone: the processor's and the notifier's scripts
/// append what they record to the stream of recent orders, and the dashboard reads it from a
/// cursor on.
@Suite(.requires(.redis), .serialized) struct DashboardSourceTests {
    let run = UUID().uuidString.prefix(8)

    func accept(_ ids: [String], _ store: RedisPipelineStore) async throws {
        let claims = ids.map { IdempotencyClaim(orderID: $0, idempotencyKey: nil, record: IdempotencyRecord(state: .inFlight, token: "t", fingerprint: "f"), payload: []) }
        _ = try await store.claim(claims, inFlightTTL: .seconds(30), recordTTL: .seconds(3600))
        try await store.accept(claims, ttl: .seconds(3600))
    }

    @Test(arguments: [PipelineKeys.unsharded, PipelineKeys(shardTags: ["{p0}", "{p1}", "{p2}"])])
    func decisionsAndNotificationsReachTheStreamOnce(keys: PipelineKeys) async throws {
        let redis = try TestRedis.client(database: keys.isSharded ? 7 : 6)
        let store = RedisPipelineStore(redis: redis, keys: keys)
        let sku = "dash-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 10)
        let start = try await store.recentOrders(after: nil, initial: 1_000)
        let ids = (0..<4).map { "dash-\(run)-\($0)" }
        try await accept(ids, store)
        let orders = ids.dropLast().map { Order(id: $0, sku: sku, qty: 2, email: "someone@example.com") } + [Order(id: ids[3], sku: "none-\(run)", qty: 1)]
        _ = try await store.reserve(orders)
        _ = try await store.reserve(orders)   // a redelivery records nothing, and appends nothing
        let decided = try await store.recentOrders(after: start.cursors, initial: 1_000)
        #expect(Set(decided.events.map(\.orderID)) == Set(ids) && decided.events.count == 4)
        let rejected = decided.events.first { $0.orderID == ids[3] }
        #expect(rejected?.state == "rejected" && rejected?.reason == "unknown_sku" && rejected?.sku == "none-\(run)")
        #expect(decided.events.allSatisfy { !$0.notified && $0.latencyMilliseconds == nil })

        _ = try await store.lease(ids, token: "n", ttl: .seconds(30))
        _ = try await store.recordSent(ids, token: "n", sendID: "s1")
        let notified = try await store.recentOrders(after: decided.cursors, initial: 1_000)
        #expect(notified.events.count == 4 && notified.events.allSatisfy(\.notified))
        #expect(notified.events.allSatisfy { ($0.latencyMilliseconds ?? -1) >= 0 }, "accepted → notified, on the Redis clock")
        #expect(Set(notified.events.filter { $0.state == "notified" }.map(\.orderID)) == Set(ids.dropLast()))
        #expect(notified.events.first { $0.orderID == ids[3] }?.state == "rejected")
        let none = try await store.recentOrders(after: notified.cursors, initial: 1_000)
        #expect(none.events.isEmpty && none.cursors == notified.cursors)
        let latest = try await store.recentOrders(after: nil, initial: 2)
        #expect((2...2 * keys.shardCount).contains(latest.events.count), "at most the newest two of each shard to start with")

        let stock: [String: Int64?] = [sku: Int64?.some(4), "none-\(run)": Int64?.none]
        #expect(try await store.inventory(skus: [sku, "none-\(run)"]) == stock)
        for shard in 0..<keys.shardCount where keys.isSharded {
            #expect(keys.recentOrders(shard: shard).contains(keys.shardTags[shard]), "the stream lies in its shard's slot")
        }
    }
}
