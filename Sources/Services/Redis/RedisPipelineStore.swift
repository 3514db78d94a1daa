import RESP
import Tracing

/// The pipeline's Redis state through the RESP client: every multi-key step is a Lua script, one
/// per hash slot it touches (see `PipelineKeys`), so each is atomic and a crash never leaves half
/// of one behind. On one Redis master every step of a batch is one script.
///
/// Writes that back a 202 or an acknowledgement (claims, accepts, decisions, leases, sent
/// records) can wait for replicas (`Durability`): Redis replication is asynchronous, so a write
/// the master acknowledged can vanish when a replica is promoted, and with it the fact that an
/// order was claimed, decided or sent.
public struct RedisPipelineStore: GatewayStore, ReservationStore, NotificationStore, Sendable {
    /// A reply that does not have the shape the script returns, or a script that failed.
    public struct UnexpectedReply: Error, CustomStringConvertible {
        public let step: String
        public let reply: String
        public var description: String { "unexpected reply to \(step): \(reply)" }
    }

    /// How many replicas must have a write before it counts as done (Redis `WAIT`).
    public struct Durability: Sendable, Equatable {
        /// Replicas that must acknowledge; 0 waits for none.
        public var minReplicas: Int
        /// How long to wait for them.
        public var timeout: Duration

        public init(minReplicas: Int, timeout: Duration = .seconds(1)) {
            self.minReplicas = minReplicas
            self.timeout = timeout
        }

        /// Writes count as done once the master has them.
        public static let masterOnly = Durability(minReplicas: 0)
    }

    /// Fewer replicas than `Durability.minReplicas` acknowledged a write within its timeout. The
    /// write is on the master and may be lost should it fail now: the step is retried as failed.
    public struct ReplicationShortfall: Error, CustomStringConvertible {
        public let step: String
        public let acknowledged: Int
        public let required: Int
        public var description: String { "\(step): \(acknowledged) of \(required) replicas acknowledged the write in time" }
    }

    let redis: any RedisCommandSender
    /// The key schema: plain names on one master, sharded on a cluster.
    public let keys: PipelineKeys
    private let durability: Durability
    /// How script calls report their spans; nil: not traced.
    private var spans: RedisSpan?

    public init(redis: any RedisCommandSender, keys: PipelineKeys = .unsharded, durability: Durability = .masterOnly) {
        self.redis = redis
        self.keys = keys
        self.durability = durability
    }

    /// The same store, its script calls traced by `tracer` as children of the current span,
    /// naming `server` as the server.
    public func traced(by tracer: Tracer, server: RedisSpanTarget) -> RedisPipelineStore {
        var copy = self
        copy.spans = RedisSpan(tracer: tracer, target: server)
        return copy
    }

    /// Runs `body`, the call `operation` of script `script`, in a span when traced.
    func traced<Result>(_ operation: String, script: String, _ body: () async throws -> Result) async throws -> Result {
        guard let spans else { return try await body() }
        return try await spans.run(operation, script: script, body)
    }

    // MARK: Gateway

    /// How a claim's keys go to the gateway scripts: `b`, `o` or `k` (see `GatewayScripts`).
    private struct ClaimPart: Sendable {
        let index: Int
        let mode: String
        let shard: Int
        let keys: [String]
    }

    /// The parts of each claim: one when all its keys share a shard, else the key's scope first
    /// and the order's second.
    private func parts(_ claims: [IdempotencyClaim]) -> (first: [ClaimPart], second: [ClaimPart]) {
        var first: [ClaimPart] = [], second: [ClaimPart] = []
        for (index, claim) in claims.enumerated() {
            let orderShard = keys.shard(of: claim.orderID)
            let orderKeys = [keys.idempotency(orderID: claim.orderID), keys.order(claim.orderID)]
            guard let key = claim.idempotencyKey else {
                first.append(ClaimPart(index: index, mode: "o", shard: orderShard, keys: orderKeys))
                continue
            }
            let keyShard = keys.shard(of: key)
            if keyShard == orderShard {
                first.append(ClaimPart(index: index, mode: "b", shard: orderShard, keys: [keys.idempotency(key: key)] + orderKeys))
            } else {
                first.append(ClaimPart(index: index, mode: "k", shard: keyShard, keys: [keys.idempotency(key: key)]))
                second.append(ClaimPart(index: index, mode: "o", shard: orderShard, keys: orderKeys))
            }
        }
        return (first, second)
    }

    public func claim(_ claims: [IdempotencyClaim], inFlightTTL: Duration, recordTTL: Duration) async throws -> [ClaimResult] {
        let (first, second) = parts(claims)
        var results = [ClaimResult?](repeating: nil, count: claims.count)
        for (part, result) in zip(first, try await claim(first, claims, inFlightTTL, recordTTL)) { results[part.index] = result }
        // A request whose key lies in another shard than its order id claims the order's scope
        // once its key's is held; when the order id is taken, the key's claim is given back.
        let held = second.filter { results[$0.index] == .claimed || results[$0.index] == .tookOver }
        guard !held.isEmpty else { return results.map { $0! } }
        var giveBack: [(claim: IdempotencyClaim, settlement: ClaimSettlement)] = []
        for (part, result) in zip(held, try await claim(held, claims, inFlightTTL, recordTTL)) {
            switch result {
            case .claimed, .tookOver, .unavailable:
                if result != .claimed { results[part.index] = result }
            case .orderTaken, .existing:
                // A key record taken over from a request that gave up keeps naming its payload.
                giveBack.append((claims[part.index], results[part.index] == .tookOver ? .abandon : .release))
                results[part.index] = .orderTaken
            }
        }
        for settlement in [ClaimSettlement.release, .abandon] {
            let settled = giveBack.filter { $0.settlement == settlement }.map(\.claim)
            if !settled.isEmpty { try await settleKeyScopes(settled, settlement) }
        }
        return results.map { $0! }
    }

    /// Claims `parts`, one script per shard. A shard whose script fails (its master is down or
    /// failing over) makes only its own claims `.unavailable`: the rest of the batch goes on.
    private func claim(_ parts: [ClaimPart], _ claims: [IdempotencyClaim], _ inFlightTTL: Duration, _ recordTTL: Duration) async throws -> [ClaimResult] {
        try await perShard(parts, shard: \.shard) { group, shard in
            do {
                return try await claimShard(group, shard, claims, inFlightTTL, recordTTL)
            } catch {
                return group.map { _ in .unavailable("\(error)") }
            }
        }
    }

    private func claimShard(_ group: [ClaimPart], _ shard: Int, _ claims: [IdempotencyClaim], _ inFlightTTL: Duration,
                            _ recordTTL: Duration) async throws -> [ClaimResult] {
        var scriptKeys = [keys.totals(shard: shard)]
        var arguments: [any RESPArgument] = [inFlightTTL.milliseconds, recordTTL.milliseconds]
        for part in group {
            scriptKeys += part.keys
            arguments.append(part.mode)
            arguments.append(claims[part.index].record.stored)
        }
        let reply = try await evalDurably(GatewayScripts.claim, step: "claim", keys: scriptKeys, arguments: arguments)
        guard case .array(let results) = reply, results.count == group.count else { throw UnexpectedReply(step: "claim", reply: "\(reply)") }
        return try results.map { result in
            switch result {
            case .integer(1): return .claimed
            case .integer(2): return .tookOver
            case .integer(0): return .orderTaken
            case .bulkString(let stored):
                guard let existing = IdempotencyRecord(stored: String(describing: stored)) else {
                    throw UnexpectedReply(step: "claim", reply: String(describing: stored))
                }
                return .existing(existing)
            default: throw UnexpectedReply(step: "claim", reply: "\(result)")
            }
        }
    }

    public func accept(_ claims: [IdempotencyClaim], ttl: Duration) async throws {
        let (first, second) = parts(claims)
        _ = try await perShard(first + second, shard: \.shard) { group, shard -> [Void] in
            var scriptKeys = [keys.totals(shard: shard), keys.openOrders(shard: shard), keys.payloads(shard: shard)]
            var arguments: [any RESPArgument] = [ttl.milliseconds]
            for part in group {
                let claim = claims[part.index]
                scriptKeys += part.keys
                arguments.append(part.mode)
                arguments.append(claim.record.claimPrefix)
                arguments.append(part.mode == "k" ? "" : claim.orderID)
                arguments.append(part.mode == "k" ? [] : claim.payload)
            }
            _ = try await evalDurably(GatewayScripts.accept, step: "accept", keys: scriptKeys, arguments: arguments)
            return group.map { _ in () }
        }
    }

    public func settle(_ claims: [IdempotencyClaim], _ settlement: ClaimSettlement) async throws {
        var scopes: [(key: String, shard: Int, prefix: String)] = []
        for claim in claims {
            scopes.append((keys.idempotency(orderID: claim.orderID), keys.shard(of: claim.orderID), claim.record.claimPrefix))
            if let key = claim.idempotencyKey { scopes.append((keys.idempotency(key: key), keys.shard(of: key), claim.record.claimPrefix)) }
        }
        try await settle(scopes, settlement)
    }

    private func settleKeyScopes(_ claims: [IdempotencyClaim], _ settlement: ClaimSettlement) async throws {
        try await settle(claims.compactMap { claim in
            claim.idempotencyKey.map { (keys.idempotency(key: $0), keys.shard(of: $0), claim.record.claimPrefix) }
        }, settlement)
    }

    private func settle(_ scopes: [(key: String, shard: Int, prefix: String)], _ settlement: ClaimSettlement) async throws {
        _ = try await perShard(scopes, shard: \.shard) { group, _ -> [Void] in
            _ = try await traced("EVALSHA", script: "settle claims") {
                try await redis.eval(GatewayScripts.settleClaims, keys: group.map(\.key), arguments: [settlement.rawValue] + group.map(\.prefix))
            }
            return group.map { _ in () }
        }
    }

    // MARK: Processor

    public func reserve(_ orders: [Order]) async throws -> [OrderDecision] {
        guard keys.isSharded else {
            var scriptKeys = [keys.totals(shard: 0), keys.processedCount(shard: 0)]
            var arguments: [any RESPArgument] = []
            scriptKeys.reserveCapacity(3 + 2 * orders.count)
            arguments.reserveCapacity(3 * orders.count)
            for order in orders {
                scriptKeys.append(keys.order(order.id))
                scriptKeys.append(PipelineKeys.inventory(order.sku))
                arguments.append(order.qty)
                arguments.append(order.sku)
                arguments.append(order.id)
            }
            scriptKeys.append(keys.recentOrders(shard: 0))
            return try Self.decisions(try await evalDurably(ReservationScripts.decideAndRecord, step: "reserve", keys: scriptKeys, arguments: arguments), count: orders.count)
        }
        // Deciding happens in each SKU's slot, beside its stock; recording in each order's.
        let decisions = try await perShard(orders, shard: { $0.sku }) { group, _ in
            let scriptKeys = group.flatMap { [keys.decision(orderID: $0.id, sku: $0.sku), PipelineKeys.inventory($0.sku)] }
            let arguments: [any RESPArgument] = group.flatMap { [$0.qty, $0.sku] as [any RESPArgument] }
            return try Self.decisions(try await evalDurably(ReservationScripts.decideInSlot, step: "decide", keys: scriptKeys, arguments: arguments), count: group.count)
        }
        let decided = Array(zip(orders, decisions))
        let recorded = try await eachShard(decided, shard: { keys.shard(of: $0.0.id) }) { group, shard in
            let scriptKeys = [keys.totals(shard: shard), keys.processedCount(shard: shard)] + group.map { keys.order($0.0.id) } + [keys.recentOrders(shard: shard)]
            let arguments: [any RESPArgument] = group.flatMap { order, decision in [decision.state, decision.reason, order.sku, order.qty, order.id] as [any RESPArgument] }
            let reply = try await evalDurably(ReservationScripts.recordInSlot, step: "record decisions", keys: scriptKeys, arguments: arguments)
            guard case .integer(let count) = reply else { throw UnexpectedReply(step: "record decisions", reply: "\(reply)") }
            return Int(count)
        }
        // The seed's counter, as a mirror of the per-shard ones: best effort, as it lies in a
        // slot of its own (the dashboard sums the shards).
        let newlyRecorded = recorded.reduce(0) { $0 + $1.result }
        if newlyRecorded > 0 { _ = try? await redis.send(["INCRBY", PipelineKeys.processedCount, newlyRecorded]) }
        return decisions
    }

    private static func decisions(_ reply: RESPValue, count: Int) throws -> [OrderDecision] {
        guard case .array(let decisions) = reply, decisions.count == count else { throw UnexpectedReply(step: "reserve", reply: "\(reply)") }
        return try decisions.map { decision in
            guard case .array(let parts) = decision, parts.count == 3, let state = parts[0].string, let reason = parts[1].string,
                  case .integer(let first) = parts[2] else {
                throw UnexpectedReply(step: "reserve", reply: "\(decision)")
            }
            return OrderDecision(state: state, reason: reason, isFirst: first == 1)
        }
    }

    // MARK: Notifier

    public func lease(_ orderIDs: [String], token: String, ttl: Duration) async throws -> [LeaseResult] {
        try await perShard(orderIDs, shard: keys.shard(of:)) { group, _ in
            let scriptKeys = group.flatMap { [keys.notification($0), keys.notificationLease($0)] }
            let reply = try await evalDurably(NotificationScripts.lease, step: "lease", keys: scriptKeys, arguments: [token, ttl.milliseconds])
            guard case .array(let results) = reply, results.count == group.count else { throw UnexpectedReply(step: "lease", reply: "\(reply)") }
            return try results.map { result in
                switch result {
                case .integer(0): return .alreadySent
                case .integer(1): return .taken
                case .integer(2): return .held
                default: throw UnexpectedReply(step: "lease", reply: "\(result)")
                }
            }
        }
    }

    public func releaseLeases(_ orderIDs: [String], token: String) async throws {
        _ = try await perShard(orderIDs, shard: keys.shard(of:)) { group, _ -> [Void] in
            _ = try await traced("EVALSHA", script: "release leases") {
                try await redis.eval(NotificationScripts.compareAndDelete, keys: group.map(keys.notificationLease), arguments: group.map { _ in token })
            }
            return group.map { _ in () }
        }
    }

    public func recordSent(_ orderIDs: [String], token: String, sendID: String) async throws -> [Bool] {
        let recorded = try await perShard(orderIDs, shard: keys.shard(of:)) { group, shard in
            var scriptKeys = [keys.totals(shard: shard), keys.openOrders(shard: shard), keys.payloads(shard: shard)]
            scriptKeys.reserveCapacity(4 + 3 * group.count)
            for id in group { scriptKeys += [keys.notificationLease(id), keys.notification(id), keys.order(id)] }
            scriptKeys.append(keys.recentOrders(shard: shard))
            let reply = try await evalDurably(NotificationScripts.recordSent, step: "record sent", keys: scriptKeys, arguments: [token, sendID] + group)
            guard case .array(let results) = reply, results.count == group.count else { throw UnexpectedReply(step: "record sent", reply: "\(reply)") }
            return try results.map { result in
                guard case .integer(let recorded) = result else { throw UnexpectedReply(step: "record sent", reply: "\(result)") }
                return recorded == 1
            }
        }
        if keys.isSharded {
            // The seed's `notifications:<id>` status, as a mirror: best effort, in slots of their own.
            let mirrors: [[any RESPArgument]] = zip(orderIDs, recorded).filter(\.1).map { ["HSET", PipelineKeys.plainNotification($0.0), "status", "sent"] }
            if !mirrors.isEmpty { _ = try? await redis.pipeline(mirrors) }
        }
        return recorded
    }

    // MARK: Running scripts

    /// Runs `body` once per group of `items` that share a shard (concurrently when there are
    /// several) and returns its results, one per item, in the order of `items`. On one master
    /// there is one group.
    private func perShard<Item: Sendable, Shard: Hashable & Sendable, Result: Sendable>(
        _ items: [Item], shard: (Item) -> Shard, _ body: @escaping @Sendable ([Item], Shard) async throws -> [Result]
    ) async throws -> [Result] {
        var results = [Result?](repeating: nil, count: items.count)
        for (indices, groupResults) in try await eachShard(items, shard: shard, { group, shard in
            let groupResults = try await body(group, shard)
            precondition(groupResults.count == group.count, "one result per item")
            return groupResults
        }) {
            for (index, result) in zip(indices, groupResults) { results[index] = result }
        }
        return results.map { $0! }
    }

    /// Runs `body` once per group of `items` that share a shard, concurrently when there are
    /// several; returns each group's item indices with its result.
    private func eachShard<Item: Sendable, Shard: Hashable & Sendable, Result: Sendable>(
        _ items: [Item], shard: (Item) -> Shard, _ body: @escaping @Sendable ([Item], Shard) async throws -> Result
    ) async throws -> [(indices: [Int], result: Result)] {
        var groups: [Shard: [Int]] = [:]
        var order: [Shard] = []
        for (index, item) in items.enumerated() {
            let key = shard(item)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(index)
        }
        if order.count == 1 { return [(Array(items.indices), try await body(items, order[0]))] }
        return try await withThrowingTaskGroup(of: ([Int], Result).self) { tasks in
            for key in order {
                let indices = groups[key]!
                let group = indices.map { items[$0] }
                tasks.addTask { (indices, try await body(group, key)) }
            }
            var results: [(indices: [Int], result: Result)] = []
            for try await (indices, result) in tasks { results.append((indices, result)) }
            return results
        }
    }

    /// Runs `script` and, when `durability` asks for replicas, `WAIT`s for them on the same
    /// connection (so for this write and those before it).
    /// - Throws: `ReplicationShortfall` when too few replicas acknowledged in time.
    private func evalDurably(_ script: RedisScript, step: String, keys scriptKeys: [String], arguments: [any RESPArgument]) async throws -> RESPValue {
        guard durability.minReplicas > 0 else {
            return try await traced("EVALSHA", script: step) { try await redis.eval(script, keys: scriptKeys, arguments: arguments) }
        }
        return try await traced("PIPELINE", script: step) { try await evalAndWait(script, step: step, keys: scriptKeys, arguments: arguments) }
    }

    /// `evalDurably` with replicas to wait for: the script and a `WAIT` in one pipeline.
    private func evalAndWait(_ script: RedisScript, step: String, keys scriptKeys: [String], arguments: [any RESPArgument]) async throws -> RESPValue {
        let tail: [any RESPArgument] = [scriptKeys.count] + scriptKeys + arguments
        let wait: [any RESPArgument] = ["WAIT", durability.minReplicas, durability.timeout.milliseconds]
        var replies = try await redis.pipeline([["EVALSHA", script.sha1] + tail, wait])
        if case .error(let text) = replies[0], String(describing: text).hasPrefix("NOSCRIPT") {
            replies = try await redis.pipeline([["EVAL", script.source] + tail, wait])
        }
        if case .error(let text) = replies[0] { throw UnexpectedReply(step: step, reply: String(describing: text)) }
        guard case .integer(let acknowledged) = replies[1] else { throw UnexpectedReply(step: "\(step) (WAIT)", reply: "\(replies[1])") }
        guard acknowledged >= durability.minReplicas else {
            throw ReplicationShortfall(step: step, acknowledged: Int(acknowledged), required: durability.minReplicas)
        }
        return replies[0]
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so a short TTL never becomes 0 (which Redis refuses).
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return max(1, Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
    }
}

extension RedisPipelineStore: PipelineReader {
    public func snapshot(sku: String?, orderID: String?) async throws -> DashboardSnapshot {
        let shards = 0..<keys.shardCount
        var commands: [[any RESPArgument]] = shards.map { ["GET", keys.processedCount(shard: $0)] } + shards.map { ["HGETALL", keys.totals(shard: $0)] }
        if let sku { commands.append(["GET", PipelineKeys.inventory(sku)]) }
        if let orderID { commands.append(["HGET", keys.notification(orderID), "status"]) }
        // One round trip for all the reads (one per node on a cluster).
        var replies = try await redis.pipeline(commands)[...]
        var snapshot = DashboardSnapshot(processedOrdersCount: 0)
        for _ in shards { snapshot.processedOrdersCount += Self.integer(replies.removeFirst()) ?? 0 }
        for _ in shards {
            guard case .array(let pairs) = replies.removeFirst() else { continue }
            for index in stride(from: 0, to: pairs.count - 1, by: 2) {
                if let name = pairs[index].string, let value = Self.integer(pairs[index + 1]) { snapshot.totals[name, default: 0] += value }
            }
        }
        if sku != nil { snapshot.inventoryLevel = Self.integer(replies.removeFirst()) }
        if orderID != nil { snapshot.notificationStatus = replies.removeFirst().string }
        return snapshot
    }

    public func status(orderID: String) async throws -> OrderStatus? {
        let fields = try await redis.hgetall(keys.order(orderID))
        guard let state = fields["state"].map(String.init(describing:)) else { return nil }
        let reason = fields["reason"].map(String.init(describing:)).flatMap { $0.isEmpty ? nil : $0 }
        return OrderStatus(id: orderID, state: state, reason: reason)
    }

    private static func integer(_ value: RESPValue) -> Int64? {
        switch value {
        case .integer(let number): number
        case .bulkString: value.string.flatMap { Int64($0) }
        default: nil
        }
    }
}
