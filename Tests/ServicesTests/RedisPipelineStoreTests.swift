import Foundation
import RESP
import Services
import Testing
import TestSupport
import Tracing

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

    func claim(_ id: String, key: String? = nil, token: String, fingerprint: String = "f") -> IdempotencyClaim {
        IdempotencyClaim(orderID: id, idempotencyKey: key, record: IdempotencyRecord(state: .inFlight, token: token, fingerprint: fingerprint),
                         payload: Order(id: id, sku: "SKU", qty: 1).canonicalJSON)
    }

    func stored(_ key: String) async throws -> String? {
        try await redis.get(key).map(String.init(describing:))
    }

    func claim(_ claims: [IdempotencyClaim], holding: Duration = .seconds(30)) async throws -> [ClaimResult] {
        try await store.claim(claims, inFlightTTL: holding, recordTTL: .seconds(3600))
    }

    /// The token of the record an `.existing` result names, or nil.
    func token(_ result: ClaimResult) -> String? {
        if case .existing(let record) = result { record.token } else { nil }
    }

    @Test func claimIsExclusiveAndOnlyTheOwnerReleasesIt() async throws {
        let mine = claim("claim-\(run)", token: "mine")
        let theirs = claim("claim-\(run)", token: "theirs")
        #expect(try await claim([mine]) == [.claimed])
        #expect(try await claim([theirs]).map(token) == ["mine"])
        try await store.settle([theirs], .release)
        #expect(try await stored(mine.scope)?.hasPrefix(mine.record.claimPrefix) == true)
        try await store.settle([mine], .release)
        #expect(try await redis.get(mine.scope) == nil)
    }

    @Test func aClaimHoldsItsScopeForTheInFlightTTLAndKeepsItsRecordForTheWindow() async throws {
        let request = claim("hold-\(run)", token: "t")
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(try await claim([request], holding: .seconds(30)) == [.claimed])
        let record = try #require(try await stored(request.scope).flatMap(IdempotencyRecord.init(stored:)))
        let until = try #require(record.inFlightUntil)
        #expect(until >= before + 29_000 && until <= before + 90_000, "until is the Redis clock plus the in-flight TTL: \(until)")
        guard case .seconds(let ttl) = try await redis.ttl(request.scope) else { Issue.record("no TTL"); return }
        #expect(ttl > 3000, "the record outlives its hold: it is kept for the idempotency window")
    }

    @Test func aBatchClaimDecidesEachRequestInOrder() async throws {
        let taken = claim("batch-taken-\(run)", token: "earlier")
        _ = try await claim([taken])
        let batch = [
            claim("batch-a-\(run)", token: "b.0"),
            claim("batch-taken-\(run)", token: "b.1"),
            claim("batch-a-\(run)", token: "b.2"),
            claim("batch-taken-\(run)", key: "k-\(run)", token: "b.3"),
            claim("batch-b-\(run)", key: "k2-\(run)", token: "b.4"),
        ]
        let results = try await claim(batch)
        #expect(results[0] == .claimed && results[3] == .orderTaken && results[4] == .claimed)
        #expect(token(results[1]) == "earlier" && token(results[2]) == "b.0")
        #expect(try await stored(batch[4].scope)?.hasPrefix(batch[4].record.claimPrefix) == true)
        #expect(try await stored(batch[4].orderScope)?.hasPrefix(batch[4].record.claimPrefix) == true, "a keyed request claims its order id too")
        #expect(try await redis.get(batch[3].scope) == nil, "a refused keyed request leaves its key free")
    }

    /// An abandoned claim (its request gave up not knowing whether the broker has the order) is
    /// taken over by the same payload only; other payloads are refused, keyed or not.
    @Test func anAbandonedClaimIsTakenOverByTheSamePayloadOnly() async throws {
        for key in [nil, "abandon-\(run)"] {
            let id = "abandon-\(key == nil ? "plain" : "keyed")-\(run)"
            let first = claim(id, key: key, token: "first", fingerprint: "payload-1")
            #expect(try await claim([first]) == [.claimed])
            #expect(try await claim([claim(id, key: key, token: "early", fingerprint: "payload-1")]).map(token) == ["first"], "held: in progress")
            try await store.settle([first], .abandon)
            let other = try await claim([claim(id, key: key, token: "other", fingerprint: "payload-2")])
            #expect(token(other[0]) == "first", "another payload finds the first one's record")
            #expect(try await claim([claim(id, key: key, token: "again", fingerprint: "payload-1")]) == [.tookOver])
            #expect(try await stored(first.orderScope)?.hasPrefix("inflight|again|payload-1|") == true)
        }
    }

    /// A keyed request under a new key whose order id holds an abandoned claim of the same payload
    /// takes it over; of another payload, it is refused.
    @Test func aNewKeyTakesOverAnAbandonedOrderClaimOfTheSamePayload() async throws {
        let id = "rekey-\(run)"
        let plain = claim(id, token: "plain", fingerprint: "p")
        _ = try await claim([plain])
        try await store.settle([plain], .abandon)
        #expect(try await claim([claim(id, key: "rekey-other-\(run)", token: "x", fingerprint: "q")]) == [.orderTaken])
        #expect(try await claim([claim(id, key: "rekey-\(run)", token: "y", fingerprint: "p")]) == [.tookOver])
    }

    @Test func anOrderThePipelineHasSeenIsTakenEvenWithoutRecords() async throws {
        let id = "seen-\(run)"
        try await redis.hset(PipelineKeys.unsharded.order(id), fields: [("state", "reserved")])
        #expect(try await claim([claim(id, token: "late")]) == [.orderTaken])
        #expect(try await claim([claim(id, key: "seen-\(run)", token: "later")]) == [.orderTaken])
        #expect(try await redis.get(PipelineKeys.unsharded.idempotency(orderID: id)) == nil, "a refused claim leaves nothing behind")
    }

    @Test func acceptTurnsOurClaimsIntoAcceptedRecordsAndMarksTheOrders() async throws {
        let plain = claim("accept-\(run)", token: "t.0")
        let keyed = claim("accept-keyed-\(run)", key: "accept-\(run)", token: "t.1")
        _ = try await claim([plain, keyed])
        let before = try await store.snapshot(sku: nil, orderID: nil).totals["accepted"] ?? 0
        try await store.accept([plain, keyed], ttl: .seconds(3600))
        for key in [plain.scope, keyed.scope, keyed.orderScope] {
            let record = try await stored(key).flatMap(IdempotencyRecord.init(stored:))
            let claim = key == plain.scope ? plain : keyed
            #expect(record?.state == .accepted && record?.token == claim.record.token && record?.fingerprint == claim.record.fingerprint)
            #expect((record?.inFlightUntil ?? 0) > 0, "the claim's hold stays in the accepted record")
            guard case .seconds(let ttl) = try await redis.ttl(key) else { Issue.record("no TTL on \(key)"); return }
            #expect(ttl > 3000)
        }
        for id in [plain.orderID, keyed.orderID] {
            #expect(try await redis.hget(PipelineKeys.unsharded.order(id), field: "state").map(String.init(describing:)) == "accepted")
            let acceptedAt = try await redis.hget(PipelineKeys.unsharded.order(id), field: "accepted_at").map(String.init(describing:))
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
        _ = try await store.claim(claims, inFlightTTL: .seconds(30), recordTTL: .seconds(60))
        let before = try await store.snapshot(sku: nil, orderID: nil).totals["accepted"] ?? 0
        try await store.accept(claims, ttl: .seconds(60))
        let stamped = try await isolated.hget(PipelineKeys.unsharded.order(claims[0].orderID), field: "accepted_at")
        try await store.accept(claims, ttl: .seconds(60))
        #expect(try await store.snapshot(sku: nil, orderID: nil).totals["accepted"] ?? 0 == before + 2)
        #expect(try await isolated.hget(PipelineKeys.unsharded.order(claims[0].orderID), field: "accepted_at") == stamped, "the first acceptance time stays")
    }

    /// The accept script adds a batch to the open orders a chunk of commands at a time: a batch
    /// larger than one chunk (500 orders) must join whole, each order once, the ones accepted
    /// before keeping their time. In a database of its own, so the count is this test's.
    @Test func aBatchLargerThanOneChunkJoinsTheOpenOrdersWhole() async throws {
        let isolated = try TestRedis.client(database: 10)
        let store = RedisPipelineStore(redis: isolated)
        let open = PipelineKeys.unsharded.openOrders(shard: 0)
        let claims = (0..<1_201).map { claim("open-\($0)-\(run)", token: "t.\($0)") }
        let early = claims[700]
        _ = try await store.claim(claims, inFlightTTL: .seconds(30), recordTTL: .seconds(60))
        try await store.accept([early], ttl: .seconds(60))
        let earlyScore = try await isolated.send(["ZSCORE", open, early.orderID])
        let before = try await isolated.send(["ZCARD", open])
        try await store.accept(claims, ttl: .seconds(60))
        guard case .integer(let count) = try await isolated.send(["ZCARD", open]), case .integer(let previous) = before else {
            Issue.record("ZCARD did not answer an integer"); return
        }
        #expect(count == previous + 1_200, "every order of the batch is open, the early one once")
        for id in [claims[0].orderID, claims[499].orderID, claims[500].orderID, claims[1_200].orderID] {
            #expect(try await isolated.send(["ZSCORE", open, id]).isNull == false, "\(id) is open")
        }
        #expect(try await isolated.send(["ZSCORE", open, early.orderID]) == earlyScore, "an order accepted before keeps its time")
        _ = try await isolated.send(["ZREM", open] + claims.map(\.orderID))
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
        let results = try await store.claim(batch, inFlightTTL: .seconds(30), recordTTL: .seconds(60))
        #expect(results[0] == .claimed && token(results[1]) == "d.0" && results[2] == .orderTaken && results[3] == .claimed)
        #expect(try await store.snapshot(sku: nil, orderID: nil).totals["duplicates"] ?? 0 == before + 2)
    }

    /// Regression: a claim that took an abandoned scope over and then failed for certain (a nack,
    /// a lost claim reply) was released, which erased the abandoned record: another payload was
    /// then accepted while the first one might still be queued.
    @Test func releasingAClaimThatTookOverAbandonsItInstead() async throws {
        for key in [nil, "retake-\(run)"] {
            let id = "retake-\(key == nil ? "plain" : "keyed")-\(run)"
            let first = claim(id, key: key, token: "first", fingerprint: "p")
            _ = try await claim([first])
            try await store.settle([first], .abandon)
            let second = claim(id, key: key, token: "second", fingerprint: "p")
            #expect(try await claim([second]) == [.tookOver])
            try await store.settle([second], .release)
            let record = try #require(try await stored(second.orderScope).flatMap(IdempotencyRecord.init(stored:)))
            #expect(record.token == "second" && record.isAbandoned && record.tookOver, "kept, abandoned")
            #expect(token(try await claim([claim(id, key: key, token: "third", fingerprint: "other")])[0]) == "second", "another payload is refused")
        }
    }

    @Test func settlingTouchesOnlyOurOwnRecords() async throws {
        let keyed = claim("release-\(run)", key: "release-\(run)", token: "ours")
        _ = try await claim([keyed])
        try await redis.set(keyed.orderScope, to: "someone else's")
        try await store.settle([keyed], .abandon)
        let abandoned = try #require(try await stored(keyed.scope).flatMap(IdempotencyRecord.init(stored:)))
        #expect(abandoned.isAbandoned && (abandoned.inFlightUntil ?? 0) > 0, "abandoned, its claim time kept")
        #expect(try await stored(keyed.orderScope) == "someone else's")
        try await store.settle([keyed], .release)
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
        #expect(try await redis.hget(PipelineKeys.unsharded.order(order.id), field: "reservations").map(String.init(describing:)) == "1")
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
        try await redis.hset(PipelineKeys.unsharded.order(id), fields: [("state", "reserved")])
        #expect(try await store.lease([id], token: "a", ttl: .seconds(30)) == [.taken])
        #expect(try await store.lease([id], token: "b", ttl: .seconds(30)) == [.held])
        #expect(try await store.recordSent([id], token: "b", sendID: "b-send") == [false])
        #expect(try await store.recordSent([id], token: "a", sendID: "a-send") == [true])
        #expect(try await store.lease([id], token: "c", ttl: .seconds(30)) == [.alreadySent])
        #expect(try await redis.hget(PipelineKeys.unsharded.order(id), field: "state").map(String.init(describing:)) == "notified")
        #expect(try await redis.get(PipelineKeys.unsharded.notificationLease(id)) == nil, "the lease is given back once sent")
        #expect(try await redis.hget(PipelineKeys.unsharded.notification(id), field: "sends").map(String.init(describing:)) == "2", "both completed sends are counted")
        #expect(try await store.recordSent([id], token: "a", sendID: "a-send") == [true])
        #expect(try await redis.hget(PipelineKeys.unsharded.notification(id), field: "sends").map(String.init(describing:)) == "2", "a repeated record of one send counts once")
    }

    @Test func leasesOfABatchAreDecidedOneByOne() async throws {
        let ids = ["l1-\(run)", "l2-\(run)", "l3-\(run)"]
        #expect(try await store.lease([ids[1]], token: "other", ttl: .seconds(30)) == [.taken])
        #expect(try await store.lease([ids[2]], token: "earlier", ttl: .seconds(30)) == [.taken])
        #expect(try await store.recordSent([ids[2]], token: "earlier", sendID: "earlier-send") == [true])
        #expect(try await store.lease(ids, token: "mine", ttl: .seconds(30)) == [.taken, .held, .alreadySent])
        #expect(try await store.recordSent(ids, token: "mine", sendID: "mine-send") == [true, false, true])
    }

    /// Regression: a lease taken by an attempt whose reply was lost read as another notifier's,
    /// and the retry waited the whole lease out.
    @Test func aLeaseHeldWithOurOwnTokenIsOursAgainAndRenewed() async throws {
        let id = "own-lease-\(run)"
        #expect(try await store.lease([id], token: "me", ttl: .seconds(2)) == [.taken])
        #expect(try await store.lease([id], token: "me", ttl: .seconds(60)) == [.taken])
        guard case .seconds(let ttl) = try await redis.ttl(PipelineKeys.unsharded.notificationLease(id)) else { Issue.record("no TTL"); return }
        #expect(ttl > 30, "the lease's TTL was renewed")
        #expect(try await store.lease([id], token: "someone else", ttl: .seconds(60)) == [.held])
    }

    @Test func aSendWhoseLeaseLapsedUnclaimedIsStillRecorded() async throws {
        let id = "lapsed-\(run)"
        #expect(try await store.lease([id], token: "a", ttl: .milliseconds(50)) == [.taken])
        try await eventually("the lease to lapse") { try await redis.ttl(PipelineKeys.unsharded.notificationLease(id)) == .keyMissing }
        #expect(try await store.recordSent([id], token: "a", sendID: "a-send") == [true])
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

    /// More replicas than any topology of the tests has (a Sentinel set has two), so a write that
    /// waits for them falls short on one server, a Sentinel master and a Cluster alike.
    static let moreReplicasThanExist = 16

    /// With replicas required, a write too few replicas acknowledged in time counts as failed.
    @Test func aWriteNoReplicaAcknowledgedIsAFailureWhenReplicasAreRequired() async throws {
        let durable = RedisPipelineStore(redis: redis, durability: .init(minReplicas: Self.moreReplicasThanExist, timeout: .milliseconds(50)))
        // A claim's shortfall fails the claims of its shard, not the whole batch.
        let claimed = try await durable.claim([claim("durable-\(run)", token: "t")], inFlightTTL: .seconds(30), recordTTL: .seconds(60))
        guard case .unavailable(let reason) = try #require(claimed.first) else { Issue.record("claimed: \(claimed)"); return }
        #expect(reason.hasPrefix("claim: ") && reason.hasSuffix("of \(Self.moreReplicasThanExist) replicas acknowledged the write in time"), "\(reason)")
        #expect(try await stored(PipelineKeys.unsharded.idempotency(orderID: "durable-\(run)")) != nil, "the master has the write all the same")
        _ = try await redis.send(["SCRIPT", "FLUSH"])
        await #expect(throws: RedisPipelineStore.ReplicationShortfall.self, "after NOSCRIPT too") {
            _ = try await durable.lease(["durable-\(run)"], token: "t", ttl: .seconds(30))
        }
    }

    @Test func scriptsSurviveAFlushedScriptCache() async throws {
        _ = try await redis.send(["SCRIPT", "FLUSH"])
        #expect(try await claim([claim("flush-\(run)", token: "t")]) == [.claimed])
    }

    @Test func readsBackWhatTheStepsWrote() async throws {
        let sku = "read-\(run)"
        let id = "read-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 9)
        let before = try await store.snapshot(sku: nil, orderID: nil).processedOrdersCount
        _ = try await store.reserve([Order(id: id, sku: sku, qty: 4)])
        #expect(try await store.lease([id], token: "t", ttl: .seconds(30)) == [.taken])
        #expect(try await store.recordSent([id], token: "t", sendID: "t-send") == [true])
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

    /// Script calls are client spans of the current span, with the attributes of the semantic
    /// conventions for Redis; outside any span they are not traced.
    @Test func scriptCallsAreClientSpansOfTheCurrentSpan() async throws {
        let collector = SpanCollector()
        let tracer = Tracer(sampler: .alwaysOn, processor: collector)
        let target = RedisSpanTarget(address: "redis.test", port: 6390, database: 3)
        let id = "span-\(run)"
        _ = try await store.traced(by: tracer, server: target).claim([claim(id, token: "t")], inFlightTTL: .seconds(30), recordTTL: .seconds(60))
        #expect(collector.all.isEmpty, "no span without a parent")
        let parent = tracer.startSpan("work", parent: nil)
        _ = try await Span.$current.withValue(parent) { try await store.traced(by: tracer, server: target).lease([id], token: "t", ttl: .seconds(5)) }
        let lease = try #require(collector.named("EVALSHA lease").first)
        #expect(lease.kind == .client && lease.parentSpanID == parent.context.spanID && lease.context.traceID == parent.context.traceID)
        #expect(lease.attribute("db.system.name") == "redis" && lease.attribute("db.operation.name") == "EVALSHA")
        #expect(lease.attribute("db.stored_procedure.name") == "lease" && lease.attribute("db.namespace") == "3")
        #expect(lease.attribute("server.address") == "redis.test" && lease.attribute("server.port") == 6390 && lease.status == .unset)
        // With replicas required, the script and its WAIT are one pipeline; a shortfall is an error.
        let durable = RedisPipelineStore(redis: redis, durability: .init(minReplicas: Self.moreReplicasThanExist, timeout: .milliseconds(50)))
            .traced(by: tracer, server: target)
        await #expect(throws: RedisPipelineStore.ReplicationShortfall.self) {
            _ = try await Span.$current.withValue(parent) { try await durable.lease([id], token: "t", ttl: .seconds(5)) }
        }
        let failed = try #require(collector.named("PIPELINE lease").first)
        #expect(failed.attribute("db.operation.name") == "PIPELINE" && failed.attribute("error.type") == "ReplicationShortfall")
        #expect(failed.events.map(\.name) == ["exception"])
        if case .error = failed.status {} else { Issue.record("status \(failed.status)") }
    }
}
