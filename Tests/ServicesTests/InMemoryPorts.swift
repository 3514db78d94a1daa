import Services
import Synchronization
import TestSupport

/// In-memory stand-ins for the Redis and broker ports, so the handlers' logic is tested alone.
/// The live adapters are exercised end to end against real servers.

extension IdempotencyClaim {
    /// The scope the request is keyed by, as named on one Redis master.
    var scope: String { idempotencyKey.map { PipelineKeys.unsharded.idempotency(key: $0) } ?? orderScope }
    /// The order id's scope, as named on one Redis master.
    var orderScope: String { PipelineKeys.unsharded.idempotency(orderID: orderID) }
}

final class MemoryGatewayStore: GatewayStore {
    let records = Mutex<[String: IdempotencyRecord]>([:])
    /// Orders the pipeline has seen (`order:<id>` exists).
    let orders = Mutex<Set<String>>([])
    let acceptedOrders = Mutex<[String]>([])
    let failClaims = Mutex(false)
    /// While set, claims are written and then fail, like a script whose reply was lost.
    let loseClaimReplies = Mutex(false)
    /// Accept attempts that fail before one succeeds.
    let acceptFailures = Mutex(0)
    /// Orders whose part of the store does not answer, as a Cluster master that is down: their
    /// claims are `.unavailable` and write nothing; the others of a batch go on.
    let unreachableOrders = Mutex<Set<String>>([])
    /// Sizes of the batches claimed, in order.
    let claimBatches = Mutex<[Int]>([])
    /// The store's clock, in ms, as Redis's `TIME`; tests move it to make claims stale.
    let now = Mutex<Int64>(1_000_000)

    struct Down: Error {}

    /// The claim script's rules, on a dictionary.
    func claim(_ claims: [IdempotencyClaim], inFlightTTL: Duration, recordTTL: Duration) async throws -> [ClaimResult] {
        if failClaims.withLock({ $0 }) { throw Down() }
        claimBatches.withLock { $0.append(claims.count) }
        let now = now.withLock { $0 }
        let unreachable = unreachableOrders.withLock { $0 }
        let results: [ClaimResult] = records.withLock { records in
            claims.map { claim in
                if unreachable.contains(claim.orderID) { return .unavailable("shard down") }
                func stale(_ record: IdempotencyRecord?) -> Bool {
                    guard let record else { return false }
                    return record.fingerprint == claim.record.fingerprint && record.isStale(at: now)
                }
                let existing = records[claim.scope]
                if let existing, !stale(existing) { return .existing(existing) }
                let taken = claim.orderScope == claim.scope ? nil : records[claim.orderScope]
                if let taken, !stale(taken) { return .orderTaken }
                if existing == nil, taken == nil, orders.withLock({ $0.contains(claim.orderID) }) { return .orderTaken }
                var record = claim.record
                record.inFlightUntil = now + Int64(inFlightTTL.components.seconds * 1000)
                record.tookOver = existing != nil || taken != nil
                records[claim.scope] = record
                records[claim.orderScope] = record
                return existing == nil && taken == nil ? .claimed : .tookOver
            }
        }
        if loseClaimReplies.withLock({ $0 }) { throw Down() }
        return results
    }

    func accept(_ claims: [IdempotencyClaim], ttl: Duration) async throws {
        if acceptFailures.withLock({ f in defer { f = max(f - 1, 0) }; return f > 0 }) { throw Down() }
        acceptedOrders.withLock { $0 += claims.map(\.orderID) }
        orders.withLock { $0.formUnion(claims.map(\.orderID)) }
        records.withLock { records in
            for claim in claims {
                for key in [claim.scope, claim.orderScope] where records[key]?.state == .inFlight && records[key]?.token == claim.record.token {
                    records[key] = claim.accepted
                }
            }
        }
    }

    func settle(_ claims: [IdempotencyClaim], _ settlement: ClaimSettlement) async throws {
        records.withLock { records in
            for claim in claims {
                for key in [claim.scope, claim.orderScope] where records[key]?.state == .inFlight && records[key]?.token == claim.record.token {
                    if settlement == .release && records[key]?.tookOver == false {
                        records[key] = nil
                    } else {
                        records[key]?.isAbandoned = true
                    }
                }
            }
        }
    }
}

final class ScriptedPublisher: ConfirmedPublisher {
    struct Sent: Equatable {
        var body: [UInt8]
        var routingKey: String
        var trace: MessageTrace
    }

    let exchange: String
    var broker: BrokerAddress? { BrokerAddress(host: "broker.test", port: 5672) }

    let outcomes = Mutex<[PublishOutcome]>([])
    /// Errors to throw (after recording the publish), before any outcome is given.
    let failures = Mutex<[any Error]>([])
    let sent = Mutex<[Sent]>([])
    /// The broker's reason while "it" blocks publishing.
    let blocked = Mutex<String?>(nil)

    var blockedReason: String? { blocked.withLock { $0 } }
    /// While set, publishes wait (after being recorded) at this gate until `open()`.
    private let held = Mutex<Gate?>(nil)

    /// Outcomes to give, in order; `.confirmed` once they run out.
    init(_ outcomes: [PublishOutcome] = [], exchange: String = "orders.direct") {
        self.exchange = exchange
        self.outcomes.withLock { $0 = outcomes }
    }

    /// Makes publishes wait for `open()`, like a broker slow to confirm.
    func hold() { held.withLock { $0 = Gate() } }

    /// Lets every waiting and later publish finish.
    func open() {
        held.withLock { gate in
            defer { gate = nil }
            return gate
        }?.open()
    }

    func publish(_ body: [UInt8], routingKey: String, messageID: String, trace: MessageTrace, timeout: Duration) async throws -> PublishOutcome {
        sent.withLock { $0.append(Sent(body: body, routingKey: routingKey, trace: trace)) }
        try await held.withLock { $0 }?.pass()
        // As a real client does when its caller is cancelled while waiting for the confirm.
        try Task.checkCancellation()
        if let failure = failures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { throw failure }
        return outcomes.withLock { $0.isEmpty ? .confirmed : $0.removeFirst() }
    }
}

final class MemoryReservations: ReservationStore {
    let stock = Mutex<[String: Int]>([:])
    let decisions = Mutex<[String: OrderDecision]>([:])
    let failures = Mutex(0)
    /// What each failure throws.
    let failure = Mutex<any Error & Sendable>(Down())

    struct Down: Error {}

    func reserve(_ orders: [Order]) async throws -> [OrderDecision] {
        if failures.withLock({ f in defer { f = max(f - 1, 0) }; return f > 0 }) { throw failure.withLock { $0 } }
        return orders.map(decide)
    }

    private func decide(_ order: Order) -> OrderDecision {
        decisions.withLock { decisions in
            if var first = decisions[order.id] {
                first.isFirst = false
                return first
            }
            let decision: OrderDecision = stock.withLock { stock in
                guard let level = stock[order.sku] else { return OrderDecision(state: "rejected", reason: "unknown_sku", isFirst: true) }
                guard level >= order.qty else { return OrderDecision(state: "rejected", reason: "insufficient_stock", isFirst: true) }
                stock[order.sku] = level - order.qty
                return OrderDecision(state: "reserved", reason: "", isFirst: true)
            }
            decisions[order.id] = decision
            return decision
        }
    }
}

final class MemoryNotifications: NotificationStore {
    let leases = Mutex<[String: String]>([:])
    let sent = Mutex<Set<String>>([])
    /// Record attempts that fail before one succeeds.
    let recordFailures = Mutex(0)

    struct Down: Error {}

    /// Lease calls that take their leases and then fail, like a script whose reply was lost.
    let loseLeaseReplies = Mutex(0)
    /// Lease calls that fail before taking anything, like Redis down.
    let leaseFailures = Mutex(0)

    /// The lease script's rules.
    func lease(_ orderIDs: [String], token: String, ttl: Duration) async throws -> [LeaseResult] {
        if leaseFailures.withLock({ f in defer { f = max(f - 1, 0) }; return f > 0 }) { throw Down() }
        let results: [LeaseResult] = orderIDs.map { id in
            if sent.withLock({ $0.contains(id) }) { return .alreadySent }
            return leases.withLock { leases in
                guard leases[id] == nil || leases[id] == token else { return .held }
                leases[id] = token
                return .taken
            }
        }
        if loseLeaseReplies.withLock({ f in defer { f = max(f - 1, 0) }; return f > 0 }) { throw Down() }
        return results
    }

    func releaseLeases(_ orderIDs: [String], token: String) async throws {
        leases.withLock { leases in
            for id in orderIDs where leases[id] == token { leases[id] = nil }
        }
    }

    /// The record script's rules: refused only while another token holds the lease.
    func recordSent(_ orderIDs: [String], token: String, sendID: String) async throws -> [Bool] {
        if recordFailures.withLock({ f in defer { f = max(f - 1, 0) }; return f > 0 }) { throw Down() }
        return orderIDs.map { id in
            leases.withLock { leases in
                guard leases[id] == nil || leases[id] == token else { return false }
                leases[id] = nil
                sent.withLock { _ = $0.insert(id) }
                return true
            }
        }
    }
}

final class RecordingSender: NotificationSender {
    let delivered = Mutex<[Notification]>([])
    /// Sends under way now and the most there ever were at once.
    let concurrency = Mutex((now: 0, peak: 0))
    let delay: Duration

    /// Whether a send finishes its delay even when cancelled, like a request already on the wire.
    let ignoresCancellation: Bool

    init(delay: Duration = .zero, ignoresCancellation: Bool = false) {
        self.delay = delay
        self.ignoresCancellation = ignoresCancellation
    }

    func send(_ notification: Notification) async throws {
        concurrency.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
        defer { concurrency.withLock { $0.now -= 1 } }
        if delay > .zero {
            if ignoresCancellation {
                await Task.detached { [delay] in try? await letTimePass(delay, because: .slowPeer) }.value
            } else {
                try await letTimePass(delay, because: .slowPeer)
            }
        }
        delivered.withLock { $0.append(notification) }
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
