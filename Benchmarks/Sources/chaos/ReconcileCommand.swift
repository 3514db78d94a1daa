import CommandLineOptions
import Foundation
import RESP
import Services

/// `chaos reconcile`: checks the client ledger against Redis and the notification sender's log,
/// in Jepsen's terms, once the pipeline is quiet (or the wait runs out), together with what the
/// script measured of the scenario (recovery, processes, gateway memory); prints one table and
/// exits 1 on any violation.
struct ReconcileCommand {
    var redisURL: String
    var ledgerPath: String
    var senderLogPath: String
    /// Where this scenario's part of the sender's log starts (the log spans every scenario).
    var senderLogOffset: UInt64
    var samplesPath: String?
    var initialStock: Int
    var skus: Int
    var wait: Duration
    var scenario: String
    var recordFaults: Bool
    /// The gateway's request deadline and in-flight TTL as the script set them, and how much later
    /// than a deadline a claim started in time may run; nil skips the deadline audit.
    var deadline: DeadlineAudit?
    var checks: ScenarioChecks

    init(_ options: ParsedCommandLine) throws(CommandLineError) {
        redisURL = try options.string("redis")
        ledgerPath = try options.string("ledger")
        senderLogPath = try options.string("sender-log")
        senderLogOffset = UInt64(try options.int("sender-log-offset"))
        samplesPath = options.optionalString("samples")
        initialStock = try options.int("initial-stock")
        skus = try options.int("skus")
        wait = .seconds(try options.int("wait-seconds"))
        scenario = try options.string("scenario")
        switch try options.string("record-faults") {
        case "yes": recordFaults = true
        case "no": recordFaults = false
        case let other: throw CommandLineError("--record-faults must be yes or no, got '\(other)'")
        }
        if options.optionalString("deadline-ms") != nil {
            deadline = DeadlineAudit(deadlineMs: try options.double("deadline-ms"), slackMs: try options.double("deadline-slack-ms"),
                                     inFlightTTLMs: try options.double("inflight-ttl-ms"))
        }
        let recovery: RecoveryResult?
        do {
            recovery = try options.optionalString("recovery").map { try RecoveryResult.read(from: $0) }
        } catch {
            throw CommandLineError("--recovery: cannot read the probe's result: \(error)")
        }
        checks = ScenarioChecks(
            recovery: recovery,
            acceptBound: try options.double("accept-bound-seconds"), notifyBound: try options.double("notify-bound-seconds"),
            pidsBefore: ScenarioChecks.pids(options.optionalString("pids-before")), pidsAfter: ScenarioChecks.pids(options.optionalString("pids-after")),
            restarted: Set((options.optionalString("restarted") ?? "").split(separator: " ").map(String.init)),
            rssLimitKiB: try options.int("rss-limit-mib") * 1024
        )
    }

    func run() async throws -> Int32 {
        let ledger = try LedgerEntry.read(from: ledgerPath)
        let samples = try samplesPath.map { try LoadSamples.read(from: $0) }
        let redis = try ChaosRedis(url: redisURL)
        return try await redis.withRunning { client in try await reconcile(ledger, samples, client, redis.keys) }
    }

    private func reconcile(_ ledger: [LedgerEntry], _ samples: LoadSamples?, _ redis: any RedisClientProtocol, _ keys: PipelineKeys) async throws -> Int32 {
        var checks = checks
        checks.rss = samples?.gatewayRSS
        let clock = ContinuousClock()
        let deadline = clock.now + wait
        var skusOf: [String: Set<String>] = [:]
        for entry in ledger { skusOf[entry.id, default: []].insert(entry.sku) }
        let ids = Array(skusOf.keys)
        // While waiting, only the ids still on their way are read again; once quiet (or out of
        // time) everything is read once more, so a late second effect on an early id is seen too.
        var stored = try await fetch(ids, skusOf, redis, keys)
        var findings = ReconciliationFindings(ledger: ledger, stored: stored, recordFaults: recordFaults)
        var waitedAtAll = false
        while !findings.settled, clock.now < deadline {
            waitedAtAll = true
            try await Task.sleep(for: .seconds(1))
            stored.merge(try await fetch(findings.unsettledIDs, skusOf, redis, keys)) { $1 }
            findings = ReconciliationFindings(ledger: ledger, stored: stored, recordFaults: recordFaults)
        }
        if waitedAtAll { stored = try await fetch(ids, skusOf, redis, keys) }
        for (id, sends) in try SenderLog.sends(in: senderLogPath, from: senderLogOffset, ids: Set(ids)) { stored[id, default: StoredOrder()].loggedSends = sends }
        findings = ReconciliationFindings(ledger: ledger, stored: stored, recordFaults: recordFaults, deadline: self.deadline)
        var levels: [String: Int?] = [:]
        for index in 0..<skus {
            let sku = "chaos-sku-\(index)"
            levels[sku] = try await redis.get(PipelineKeys.inventory(sku)).flatMap { Int($0.description) }
        }
        findings.checkInventory(levels: levels, initialStock: initialStock)
        findings.samples = samples?.inventory
        let waited = LoadCommand.seconds(wait - (deadline - clock.now))
        let scenarioRows = checks.rows
        print(table(findings, scenarioRows, waited: waited, longestGap: Self.longestGapBetweenAcceptances(ledger)))
        return findings.violations == 0 && scenarioRows.allSatisfy(\.ok) ? 0 : 1
    }

    /// Reads every order's hashes, scope record and decisions, many requests in flight at once
    /// (the client pipelines them), under the names the services give them (`keys`). On a Cluster
    /// a decision lies beside its SKU's stock, apart from the order, so the reservations are read
    /// from the decision of every SKU the ledger sent for the id: a second payload reserved under
    /// another SKU counts as a second reservation. On one master every decision is the order's hash.
    private func fetch(_ ids: [String], _ skusOf: [String: Set<String>], _ redis: any RedisClientProtocol, _ keys: PipelineKeys) async throws -> [String: StoredOrder] {
        var stored: [String: StoredOrder] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 256).map({ ids[$0..<min($0 + 256, ids.count)] }) {
            try await withThrowingTaskGroup(of: (String, StoredOrder).self) { group in
                for id in chunk {
                    let decisions = Set((skusOf[id] ?? []).map { keys.decision(orderID: id, sku: $0) })
                    group.addTask {
                        let order = try await redis.hgetall(keys.order(id)).mapValues(\.description)
                        let notification = try await redis.hgetall(keys.notification(id)).mapValues(\.description)
                        let record = try await redis.get(keys.idempotency(orderID: id)).map(\.description)
                        var reservations = 0
                        for decision in decisions {
                            reservations += try await redis.hget(decision, field: "reservations").flatMap { Int($0.description) } ?? 0
                        }
                        return (id, StoredOrder(
                            state: order["state"], sku: order["sku"], qty: order["qty"].flatMap { Int($0) },
                            reservations: reservations,
                            sent: notification["status"] == "sent", recordedSends: notification["sends"].flatMap { Int($0) } ?? 0,
                            claimUntilMs: StoredOrder.claimUntil(ofRecord: record)
                        ))
                    }
                }
                for try await (id, value) in group { stored[id] = value }
            }
        }
        return stored
    }

    /// The longest time, by send time, in which no request of the load (the probe's are not)
    /// was answered 202, from the load's first request to its last: how long the pipeline took
    /// no order, whatever the fault (shown, not checked).
    static func longestGapBetweenAcceptances(_ ledger: [LedgerEntry]) -> Double {
        let load = ledger.filter { $0.sku != ChaosSyntax.probeSKU }
        guard let first = load.map(\.sentAtMs).min(), let last = load.map(\.sentAtMs).max() else { return 0 }
        let marks = [first] + load.filter { $0.status == 202 }.map(\.sentAtMs).sorted() + [last]
        return zip(marks, marks.dropFirst()).map { $1 - $0 }.max().map { $0 / 1000 } ?? 0
    }

    private func table(_ findings: ReconciliationFindings, _ scenarioRows: [TableRow], waited: Double, longestGap: Double) -> String {
        let f = findings
        var rows: [TableRow] = [
            TableRow(name: "lost (202 given, never decided)", value: "\(f.lost)", ok: f.lost == 0),
            TableRow(name: "reserved twice (reservations > 1)", value: "\(f.doubleReserved)", ok: f.doubleReserved == 0),
            TableRow(name: "sent twice (recorded sends > 1)", value: "\(f.doubleRecorded)", ok: f.doubleRecorded == 0),
            TableRow(name: "sent twice (by the sender's own log)",
                  value: f.doubleLoggedAfterLostRecord > 0 ? "\(f.doubleLogged) (\(f.doubleLoggedAfterLostRecord) after a lost record)" : "\(f.doubleLogged)",
                  ok: f.doubleLogged == f.doubleLoggedAfterLostRecord),
            TableRow(name: "recorded sends missing from the sender's log", value: "\(f.recordedNotLogged)", ok: f.recordedNotLogged == 0),
            TableRow(name: "decided but not notified", value: "\(f.unnotified)", ok: f.unnotified == 0),
            TableRow(name: "decided with a payload no effective request sent", value: "\(f.foreignPayload)", ok: f.foreignPayload == 0),
            TableRow(name: "202 for a payload other than the decided one", value: "\(f.ackedOtherPayload)", ok: f.ackedOtherPayload == 0),
            TableRow(name: "answers contradicting the id's state", value: "\(f.unexpectedAnswers)", ok: f.unexpectedAnswers == 0),
            TableRow(name: "no 202: timed out / ordered / ordered w/o cause",
                  value: "\(f.noAckTimedOut) / \(f.noAckOrdered) / \(f.noAckOrderedUnexplained)", ok: f.noAckOrderedUnexplained == 0),
        ]
        if let audit = f.deadline {
            rows.append(TableRow(name: "committed after the request's deadline (+\(String(format: "%.0f", audit.slackMs / 1000)) s slack)",
                              value: audit.summary, ok: audit.late == 0))
        }
        rows.append(TableRow(name: "inventory = initial - reserved at the end",
                          value: f.inventoryErrors.isEmpty ? "\(f.reservedUnits) units reserved" : f.inventoryErrors.joined(separator: "; "),
                          ok: f.inventoryErrors.isEmpty))
        if let samples = f.samples {
            rows.append(TableRow(name: "inventory never < 0 during the load",
                              value: "min \(samples.minimum.map(String.init) ?? "none") in \(samples.samples) samples (\(samples.failures) failed)",
                              ok: f.samplingViolations == 0))
        }
        rows += scenarioRows
        var lines = [
            "== \(scenario): reconciled after \(String(format: "%.0f", waited)) s of waiting for quiescence",
            "  \(f.requests) requests (\(f.plainRequests) without Idempotency-Key) for \(f.ids) ids, \(f.accepted) ids acknowledged (202)",
            "  longest time without a 202 (by send time): \(String(format: "%.1f", longestGap)) s",
        ]
        for row in rows {
            lines.append("  \(Self.padded(row.name, 54)) \(Self.padded(row.value, 40)) \(row.ok ? "ok" : "VIOLATION")")
        }
        for example in f.examples { lines.append("    e.g. \(example)") }
        let violations = f.violations + scenarioRows.count { !$0.ok }
        lines.append("  result: \(violations == 0 ? "PASS" : "FAIL (\(violations) violation(s))")")
        return lines.joined(separator: "\n")
    }

    /// `text` with spaces up to `width`; longer text is kept whole.
    private static func padded(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}

/// One line of the reconciliation's table: what was checked, what was seen, and whether it holds.
struct TableRow {
    var name: String
    var value: String
    var ok: Bool
}
