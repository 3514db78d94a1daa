import Bytes
import RESP

/// The pipeline's Redis state through the RESP client: every multi-key step is one Lua script, so
/// each is atomic and a crash can never leave half of one behind.
public struct RedisPipelineStore: GatewayStore, ReservationStore, NotificationStore, Sendable {
    /// A reply that does not have the shape the script returns.
    public struct UnexpectedReply: Error, CustomStringConvertible {
        public let step: String
        public let reply: String
        public var description: String { "unexpected reply to \(step): \(reply)" }
    }

    private static let claimScript = RedisScript(RedisScripts.claim)
    private static let acceptScript = RedisScript(RedisScripts.accept)
    private static let settleClaimsScript = RedisScript(RedisScripts.settleClaims)
    private static let compareAndDeleteScript = RedisScript(RedisScripts.compareAndDelete)
    private static let reserveScript = RedisScript(RedisScripts.reserve)
    private static let leaseScript = RedisScript(RedisScripts.lease)
    private static let recordSentScript = RedisScript(RedisScripts.recordSent)

    private let redis: any RedisCommandSender

    public init(redis: any RedisCommandSender) {
        self.redis = redis
    }

    public func claim(_ claims: [IdempotencyClaim], inFlightTTL: Duration, recordTTL: Duration) async throws -> [ClaimResult] {
        var keys = [PipelineKeys.totals]
        var arguments: [any RESPArgument] = [inFlightTTL.milliseconds, recordTTL.milliseconds]
        keys.reserveCapacity(1 + 3 * claims.count)
        arguments.reserveCapacity(2 + claims.count)
        for claim in claims {
            keys.append(claim.scope)
            keys.append(claim.orderScope)
            keys.append(PipelineKeys.order(claim.orderID))
            arguments.append(claim.record.stored)
        }
        let reply = try await redis.eval(Self.claimScript, keys: keys, arguments: arguments)
        guard case .array(let results) = reply, results.count == claims.count else { throw UnexpectedReply(step: "claim", reply: "\(reply)") }
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
        var keys = [PipelineKeys.totals]
        var arguments: [any RESPArgument] = [ttl.milliseconds]
        keys.reserveCapacity(1 + 3 * claims.count)
        arguments.reserveCapacity(1 + claims.count)
        for claim in claims {
            keys.append(claim.scope)
            keys.append(claim.orderScope)
            keys.append(PipelineKeys.order(claim.orderID))
            arguments.append(claim.record.claimPrefix)
        }
        _ = try await redis.eval(Self.acceptScript, keys: keys, arguments: arguments)
    }

    public func settle(_ claims: [IdempotencyClaim], _ settlement: ClaimSettlement) async throws {
        var keys: [String] = []
        var arguments: [any RESPArgument] = [settlement.rawValue]
        for claim in claims {
            let prefix = claim.record.claimPrefix
            for key in claim.scope == claim.orderScope ? [claim.scope] : [claim.scope, claim.orderScope] {
                keys.append(key)
                arguments.append(prefix)
            }
        }
        _ = try await redis.eval(Self.settleClaimsScript, keys: keys, arguments: arguments)
    }

    public func reserve(_ orders: [Order]) async throws -> [OrderDecision] {
        var keys = [PipelineKeys.totals, PipelineKeys.processedCount]
        var arguments: [any RESPArgument] = []
        keys.reserveCapacity(2 + 2 * orders.count)
        arguments.reserveCapacity(2 * orders.count)
        for order in orders {
            keys.append(PipelineKeys.order(order.id))
            keys.append(PipelineKeys.inventory(order.sku))
            arguments.append(order.qty)
            arguments.append(order.sku)
        }
        let reply = try await redis.eval(Self.reserveScript, keys: keys, arguments: arguments)
        guard case .array(let decisions) = reply, decisions.count == orders.count else { throw UnexpectedReply(step: "reserve", reply: "\(reply)") }
        return try decisions.map { decision in
            guard case .array(let parts) = decision, parts.count == 3, let state = parts[0].string, let reason = parts[1].string,
                  case .integer(let first) = parts[2] else {
                throw UnexpectedReply(step: "reserve", reply: "\(decision)")
            }
            return OrderDecision(state: state, reason: reason, isFirst: first == 1)
        }
    }

    public func lease(_ orderIDs: [String], token: String, ttl: Duration) async throws -> [LeaseResult] {
        let keys = orderIDs.flatMap { [PipelineKeys.notification($0), PipelineKeys.notificationLease($0)] }
        let reply = try await redis.eval(Self.leaseScript, keys: keys, arguments: [token, ttl.milliseconds])
        guard case .array(let results) = reply, results.count == orderIDs.count else { throw UnexpectedReply(step: "lease", reply: "\(reply)") }
        return try results.map { result in
            switch result {
            case .integer(0): return .alreadySent
            case .integer(1): return .taken
            case .integer(2): return .held
            default: throw UnexpectedReply(step: "lease", reply: "\(result)")
            }
        }
    }

    public func releaseLeases(_ orderIDs: [String], token: String) async throws {
        let tokens: [any RESPArgument] = orderIDs.map { _ in token }
        _ = try await redis.eval(Self.compareAndDeleteScript, keys: orderIDs.map(PipelineKeys.notificationLease), arguments: tokens)
    }

    public func recordSent(_ orderIDs: [String], token: String, sendID: String) async throws -> [Bool] {
        var keys = [PipelineKeys.totals]
        keys.reserveCapacity(1 + 3 * orderIDs.count)
        for id in orderIDs {
            keys.append(PipelineKeys.notificationLease(id))
            keys.append(PipelineKeys.notification(id))
            keys.append(PipelineKeys.order(id))
        }
        let reply = try await redis.eval(Self.recordSentScript, keys: keys, arguments: [token, sendID])
        guard case .array(let results) = reply, results.count == orderIDs.count else { throw UnexpectedReply(step: "record sent", reply: "\(reply)") }
        return try results.map { result in
            guard case .integer(let recorded) = result else { throw UnexpectedReply(step: "record sent", reply: "\(result)") }
            return recorded == 1
        }
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
        var commands: [[any RESPArgument]] = [["GET", PipelineKeys.processedCount], ["HGETALL", PipelineKeys.totals]]
        if let sku { commands.append(["GET", PipelineKeys.inventory(sku)]) }
        if let orderID { commands.append(["HGET", PipelineKeys.notification(orderID), "status"]) }
        // One round trip for all the reads.
        var replies = try await redis.pipeline(commands)[...]
        var snapshot = DashboardSnapshot(processedOrdersCount: Self.integer(replies.removeFirst()) ?? 0)
        if case .array(let pairs) = replies.removeFirst() {
            for index in stride(from: 0, to: pairs.count - 1, by: 2) {
                if let name = pairs[index].string, let value = Self.integer(pairs[index + 1]) { snapshot.totals[name] = value }
            }
        }
        if sku != nil { snapshot.inventoryLevel = Self.integer(replies.removeFirst()) }
        if orderID != nil { snapshot.notificationStatus = replies.removeFirst().string }
        return snapshot
    }

    public func status(orderID: String) async throws -> OrderStatus? {
        let fields = try await redis.hgetall(PipelineKeys.order(orderID))
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
