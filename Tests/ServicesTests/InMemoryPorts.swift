import Services
import Synchronization

/// In-memory stand-ins for the Redis and broker ports, so the handlers' logic is tested alone.
/// The live adapters are exercised end to end against real servers.
final class MemoryGatewayStore: GatewayStore {
    let records = Mutex<[String: IdempotencyRecord]>([:])
    let acceptedOrders = Mutex<[String]>([])
    let failClaims = Mutex(false)

    struct Down: Error {}

    func claim(_ key: String, record: IdempotencyRecord, ttl: Duration) async throws -> IdempotencyRecord? {
        if failClaims.withLock({ $0 }) { throw Down() }
        return records.withLock { records in
            if let existing = records[key] { return existing }
            records[key] = record
            return nil
        }
    }

    func accept(_ key: String, orderID: String, claimed: IdempotencyRecord, accepted: IdempotencyRecord, ttl: Duration) async throws {
        acceptedOrders.withLock { $0.append(orderID) }
        records.withLock { if $0[key] == claimed { $0[key] = accepted } }
    }

    func release(_ key: String, claimed: IdempotencyRecord) async throws {
        records.withLock { if $0[key] == claimed { $0[key] = nil } }
    }
}

final class ScriptedPublisher: ConfirmedPublisher {
    struct Sent: Equatable {
        var body: [UInt8]
        var routingKey: String
    }

    let outcomes = Mutex<[PublishOutcome]>([])
    let sent = Mutex<[Sent]>([])
    let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)

    /// Outcomes to give, in order; `.confirmed` once they run out.
    init(_ outcomes: [PublishOutcome] = []) { self.outcomes.withLock { $0 = outcomes } }

    func publish(_ body: [UInt8], routingKey: String, messageID: String, timeout: Duration) async throws -> PublishOutcome {
        sent.withLock { $0.append(Sent(body: body, routingKey: routingKey)) }
        return outcomes.withLock { $0.isEmpty ? .confirmed : $0.removeFirst() }
    }
}

final class MemoryReservations: ReservationStore {
    let stock = Mutex<[String: Int]>([:])
    let decisions = Mutex<[String: OrderDecision]>([:])
    let failures = Mutex(0)

    struct Down: Error {}

    func reserve(_ order: Order) async throws -> OrderDecision {
        if failures.withLock({ f in defer { f = max(f - 1, 0) }; return f > 0 }) { throw Down() }
        return decisions.withLock { decisions in
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

    func isSent(orderID: String) async throws -> Bool { sent.withLock { $0.contains(orderID) } }

    func lease(orderID: String, token: String, ttl: Duration) async throws -> Bool {
        leases.withLock { leases in
            guard leases[orderID] == nil else { return false }
            leases[orderID] = token
            return true
        }
    }

    func recordSent(orderID: String, token: String) async throws -> Bool {
        guard leases.withLock({ $0[orderID] == token }) else { return false }
        sent.withLock { _ = $0.insert(orderID) }
        leases.withLock { $0[orderID] = nil }
        return true
    }
}

final class RecordingSender: NotificationSender {
    let delivered = Mutex<[Notification]>([])
    /// Sends under way now and the most there ever were at once.
    let concurrency = Mutex((now: 0, peak: 0))
    let delay: Duration

    init(delay: Duration = .zero) { self.delay = delay }

    func send(_ notification: Notification) async throws {
        concurrency.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
        defer { concurrency.withLock { $0.now -= 1 } }
        if delay > .zero { try await Task.sleep(for: delay) }
        delivered.withLock { $0.append(notification) }
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
