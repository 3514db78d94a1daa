import Foundation
import RESP

/// `chaos reconcile`: checks the client ledger against Redis, in Jepsen's terms, once the
/// pipeline is quiet (or the wait runs out), prints one table and exits 1 on any violation.
struct ReconcileCommand {
    var redisURL: String
    var ledgerPath: String
    var initialStock: Int
    var skus: Int
    var wait: Duration
    var scenario: String

    init(_ options: Options) throws(Options.Invalid) {
        redisURL = try options.string("redis", default: "redis://127.0.0.1:6379/0")
        ledgerPath = try options.string("ledger")
        initialStock = try options.int("initial-stock")
        skus = try options.int("skus", default: 4)
        wait = .seconds(try options.int("wait-seconds", default: 60))
        scenario = try options.string("scenario", default: "run")
    }

    /// What Redis holds for one order id.
    private struct Stored {
        var state: String?
        var sku: String?
        var qty: Int?
        var reservations = 0
        var sent = false
        var sends = 0
    }

    /// The counts the table prints; `violations` is the sum of those that break an invariant.
    private struct Findings {
        var requests = 0, accepted = 0, ids = 0, indeterminateIDs = 0, indeterminateOrdered = 0
        var lost = 0, doubleReserved = 0, doubleSent = 0, unnotified = 0, foreignPayload = 0, ackedOtherPayload = 0
        var inventoryErrors: [String] = []
        var reservedUnits = 0

        var violations: Int { lost + doubleReserved + doubleSent + unnotified + foreignPayload + inventoryErrors.count }
        var settled: Bool { lost == 0 && unnotified == 0 }
    }

    func run() async throws -> Int32 {
        let ledger = try LedgerEntry.read(from: ledgerPath)
        let redis = try RedisClient(url: redisURL)
        let clock = ContinuousClock()
        let deadline = clock.now + wait
        var findings = try await check(ledger, redis)
        while !findings.settled, clock.now < deadline {
            try await Task.sleep(for: .seconds(1))
            findings = try await check(ledger, redis)
        }
        let waited = ReconcileCommand.seconds(wait - (deadline - clock.now))
        print(table(findings, waited: waited))
        return findings.violations == 0 ? 0 : 1
    }

    private func check(_ ledger: [LedgerEntry], _ redis: RedisClient) async throws -> Findings {
        let byID = Dictionary(grouping: ledger, by: \.id)
        let stored = try await fetch(Array(byID.keys), redis)
        var findings = Findings()
        findings.requests = ledger.count
        findings.ids = byID.count
        var reservedBySKU: [String: Int] = [:]
        for (id, requests) in byID {
            let order = stored[id] ?? Stored()
            let decided = order.state.map { ["reserved", "rejected", "notified"].contains($0) } ?? false
            let acks = requests.filter { $0.status == 202 }
            if !acks.isEmpty { findings.accepted += 1 }
            if !acks.isEmpty, !decided { findings.lost += 1 }
            if acks.isEmpty, requests.contains(where: { $0.outcome == .indeterminate }) {
                findings.indeterminateIDs += 1
                if order.state != nil { findings.indeterminateOrdered += 1 }
            }
            if order.reservations > 1 { findings.doubleReserved += 1 }
            if order.sends > 1 { findings.doubleSent += 1 }
            if decided, !order.sent { findings.unnotified += 1 }
            if decided, let sku = order.sku, let qty = order.qty {
                // An order may only ever carry a payload some client actually sent for its id.
                if !requests.contains(where: { $0.sku == sku && $0.qty == qty }) { findings.foreignPayload += 1 }
                if acks.contains(where: { $0.sku != sku || $0.qty != qty }) { findings.ackedOtherPayload += 1 }
                reservedBySKU[sku, default: 0] += qty * order.reservations
            }
        }
        for index in 0..<skus {
            let sku = "chaos-sku-\(index)"
            let reserved = reservedBySKU[sku] ?? 0
            findings.reservedUnits += reserved
            let level = try await redis.get("inventory:\(sku)").flatMap { Int(String(describing: $0)) }
            guard let level else { findings.inventoryErrors.append("\(sku): missing"); continue }
            if level < 0 { findings.inventoryErrors.append("\(sku): negative (\(level))") }
            if level != initialStock - reserved {
                findings.inventoryErrors.append("\(sku): \(level) != \(initialStock) - \(reserved)")
            }
        }
        return findings
    }

    /// Reads every order's hashes, many requests in flight at once (the client pipelines them).
    private func fetch(_ ids: [String], _ redis: RedisClient) async throws -> [String: Stored] {
        var stored: [String: Stored] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 256).map({ ids[$0..<min($0 + 256, ids.count)] }) {
            try await withThrowingTaskGroup(of: (String, Stored).self) { group in
                for id in chunk {
                    group.addTask {
                        let order = try await redis.hgetall("order:\(id)").mapValues { String(describing: $0) }
                        let notification = try await redis.hgetall("notifications:\(id)").mapValues { String(describing: $0) }
                        return (id, Stored(
                            state: order["state"], sku: order["sku"], qty: order["qty"].flatMap { Int($0) },
                            reservations: order["reservations"].flatMap { Int($0) } ?? 0,
                            sent: notification["status"] == "sent", sends: notification["sends"].flatMap { Int($0) } ?? 0
                        ))
                    }
                }
                for try await (id, value) in group { stored[id] = value }
            }
        }
        return stored
    }

    private func table(_ findings: Findings, waited: Double) -> String {
        let rows: [(String, String, Bool)] = [
            ("requests / ids / ids acknowledged (202)", "\(findings.requests) / \(findings.ids) / \(findings.accepted)", true),
            ("lost (202 given, never decided)", "\(findings.lost)", findings.lost == 0),
            ("reserved twice (reservations > 1)", "\(findings.doubleReserved)", findings.doubleReserved == 0),
            ("sent twice (sends > 1)", "\(findings.doubleSent)", findings.doubleSent == 0),
            ("decided but not notified", "\(findings.unnotified)", findings.unnotified == 0),
            ("decided with a payload never sent", "\(findings.foreignPayload)", findings.foreignPayload == 0),
            ("202 for a payload other than the decided one", "\(findings.ackedOtherPayload)", true),
            ("indeterminate ids / of which ordered (<= 1 each)", "\(findings.indeterminateIDs) / \(findings.indeterminateOrdered)", true),
            ("inventory = initial - reserved, never < 0", findings.inventoryErrors.isEmpty
                ? "ok (\(findings.reservedUnits) units reserved)" : findings.inventoryErrors.joined(separator: "; "),
             findings.inventoryErrors.isEmpty),
        ]
        var lines = ["== \(scenario): reconciled after \(String(format: "%.0f", waited)) s of waiting for quiescence"]
        for (name, value, ok) in rows {
            lines.append("  \(name.padding(toLength: 50, withPad: " ", startingAt: 0)) \(value.padding(toLength: 28, withPad: " ", startingAt: 0)) \(ok ? "ok" : "VIOLATION")")
        }
        lines.append("  result: \(findings.violations == 0 ? "PASS" : "FAIL (\(findings.violations) violation(s))")")
        return lines.joined(separator: "\n")
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
