import Foundation
import RESP

/// `chaos reconcile`: checks the client ledger against Redis and the notification sender's log,
/// in Jepsen's terms, once the pipeline is quiet (or the wait runs out), prints one table and
/// exits 1 on any violation.
struct ReconcileCommand {
    var redisURL: String
    var ledgerPath: String
    var senderLogPath: String
    var samplesPath: String?
    var initialStock: Int
    var skus: Int
    var wait: Duration
    var scenario: String
    var recordFaults: Bool

    init(_ options: Options) throws(Options.Invalid) {
        redisURL = try options.string("redis", default: "redis://127.0.0.1:6379/0")
        ledgerPath = try options.string("ledger")
        senderLogPath = try options.string("sender-log")
        samplesPath = options.optionalString("samples")
        initialStock = try options.int("initial-stock")
        skus = try options.int("skus", default: 4)
        wait = .seconds(try options.int("wait-seconds", default: 60))
        scenario = try options.string("scenario", default: "run")
        switch try options.string("record-faults", default: "no") {
        case "yes": recordFaults = true
        case "no": recordFaults = false
        case let other: throw Options.Invalid(description: "--record-faults must be yes or no, got '\(other)'")
        }
    }

    func run() async throws -> Int32 {
        let ledger = try LedgerEntry.read(from: ledgerPath)
        let samples = try samplesPath.map { try InventorySamples.read(from: $0) }
        let clock = ContinuousClock()
        let deadline = clock.now + wait
        let findings = try await RedisClient(url: redisURL).withRunning { redis in
            var findings = try await check(ledger, samples, redis)
            while !findings.settled, clock.now < deadline {
                try await Task.sleep(for: .seconds(1))
                findings = try await check(ledger, samples, redis)
            }
            return findings
        }
        let waited = LoadCommand.seconds(wait - (deadline - clock.now))
        print(table(findings, waited: waited))
        return findings.violations == 0 ? 0 : 1
    }

    private func check(_ ledger: [LedgerEntry], _ samples: InventorySamples?, _ redis: RedisClient) async throws -> ReconciliationFindings {
        let ids = Set(ledger.map(\.id))
        var stored = try await fetch(Array(ids), redis)
        for (id, sends) in try SenderLog.sends(in: senderLogPath, ids: ids) { stored[id, default: StoredOrder()].loggedSends = sends }
        var findings = ReconciliationFindings(ledger: ledger, stored: stored, recordFaults: recordFaults)
        var levels: [String: Int?] = [:]
        for index in 0..<skus {
            let sku = "chaos-sku-\(index)"
            levels[sku] = try await redis.get("inventory:\(sku)").flatMap { Int($0.description) }
        }
        findings.checkInventory(levels: levels, initialStock: initialStock)
        findings.samples = samples
        return findings
    }

    /// Reads every order's hashes, many requests in flight at once (the client pipelines them).
    private func fetch(_ ids: [String], _ redis: RedisClient) async throws -> [String: StoredOrder] {
        var stored: [String: StoredOrder] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 256).map({ ids[$0..<min($0 + 256, ids.count)] }) {
            try await withThrowingTaskGroup(of: (String, StoredOrder).self) { group in
                for id in chunk {
                    group.addTask {
                        let order = try await redis.hgetall("order:\(id)").mapValues(\.description)
                        let notification = try await redis.hgetall("notifications:\(id)").mapValues(\.description)
                        return (id, StoredOrder(
                            state: order["state"], sku: order["sku"], qty: order["qty"].flatMap { Int($0) },
                            reservations: order["reservations"].flatMap { Int($0) } ?? 0,
                            sent: notification["status"] == "sent", recordedSends: notification["sends"].flatMap { Int($0) } ?? 0
                        ))
                    }
                }
                for try await (id, value) in group { stored[id] = value }
            }
        }
        return stored
    }

    private func table(_ findings: ReconciliationFindings, waited: Double) -> String {
        let f = findings
        var rows: [(String, String, Bool)] = [
            ("lost (202 given, never decided)", "\(f.lost)", f.lost == 0),
            ("reserved twice (reservations > 1)", "\(f.doubleReserved)", f.doubleReserved == 0),
            ("sent twice (recorded sends > 1)", "\(f.doubleRecorded)", f.doubleRecorded == 0),
            ("sent twice (by the sender's own log)",
             f.doubleLoggedAfterLostRecord > 0 ? "\(f.doubleLogged) (\(f.doubleLoggedAfterLostRecord) after a lost record)" : "\(f.doubleLogged)",
             f.doubleLogged == f.doubleLoggedAfterLostRecord),
            ("recorded sends missing from the sender's log", "\(f.recordedNotLogged)", f.recordedNotLogged == 0),
            ("decided but not notified", "\(f.unnotified)", f.unnotified == 0),
            ("decided with a payload no effective request sent", "\(f.foreignPayload)", f.foreignPayload == 0),
            ("202 for a payload other than the decided one",
             f.ackedOtherPayloadExplained > 0 ? "\(f.ackedOtherPayload) (+\(f.ackedOtherPayloadExplained) after a 503/timeout)" : "\(f.ackedOtherPayload)",
             f.ackedOtherPayload == 0),
            ("answers contradicting the id's state", "\(f.unexpectedAnswers)", f.unexpectedAnswers == 0),
            ("no 202: timed out / ordered / ordered w/o cause",
             "\(f.noAckTimedOut) / \(f.noAckOrdered) / \(f.noAckOrderedUnexplained)", f.noAckOrderedUnexplained == 0),
            ("inventory = initial - reserved at the end",
             f.inventoryErrors.isEmpty ? "\(f.reservedUnits) units reserved" : f.inventoryErrors.joined(separator: "; "),
             f.inventoryErrors.isEmpty),
        ]
        if let samples = f.samples {
            rows.append((
                "inventory never < 0 during the load",
                "min \(samples.minimum.map(String.init) ?? "none") in \(samples.samples) samples (\(samples.failures) failed)",
                f.samplingViolations == 0
            ))
        }
        var lines = [
            "== \(scenario): reconciled after \(String(format: "%.0f", waited)) s of waiting for quiescence",
            "  \(f.requests) requests (\(f.plainRequests) without Idempotency-Key) for \(f.ids) ids, \(f.accepted) ids acknowledged (202)",
        ]
        for (name, value, ok) in rows {
            lines.append("  \(name.padding(toLength: 50, withPad: " ", startingAt: 0)) \(value.padding(toLength: 34, withPad: " ", startingAt: 0)) \(ok ? "ok" : "VIOLATION")")
        }
        for example in f.examples { lines.append("    e.g. \(example)") }
        lines.append("  result: \(f.violations == 0 ? "PASS" : "FAIL (\(f.violations) violation(s))")")
        return lines.joined(separator: "\n")
    }
}
