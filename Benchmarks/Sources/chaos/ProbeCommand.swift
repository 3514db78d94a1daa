import CommandLineOptions
import Foundation
import RESP
import Synchronization

/// `chaos probe`: how soon the pipeline serves again once a fault is lifted. From its start it
/// posts a fresh order every `interval`, each with a short timeout of its own (so a hanging
/// gateway does not stretch the schedule), until one is answered 202; then it waits until that
/// order is notified (its notification record, `notifications:<id>` on one master, says `sent`). Its requests go to a ledger of their
/// own, which the script appends to the load's so the reconciliation covers them as well, and the
/// times to a JSON file for `chaos reconcile --recovery`.
struct ProbeCommand {
    var host: String
    var port: Int
    var redisURL: String
    var ledgerPath: String
    var resultPath: String
    var nonce: String
    /// A SKU of its own, with stock the script sets, so probe orders are reserved (and so end
    /// `notified`) without touching the load's inventory check.
    var sku: String
    var giveUp: Duration
    var interval: Duration
    var requestTimeout: Duration

    init(_ options: ParsedCommandLine) throws(CommandLineError) {
        (host, port) = try options.endpoint("gateway")
        redisURL = try options.string("redis")
        ledgerPath = try options.string("ledger")
        resultPath = try options.string("result")
        nonce = options.optionalString("nonce") ?? String(UInt32.random(in: 0...UInt32.max), radix: 36)
        sku = try options.string("sku")
        giveUp = .seconds(try options.int("give-up-seconds"))
        interval = .milliseconds(try options.int("interval-ms"))
        requestTimeout = .milliseconds(try options.int("timeout-ms"))
    }

    func run() async throws -> Int32 {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + giveUp
        let firstAccepted = FirstAccepted()
        let (host, port, sku, timeout) = (host, port, sku, requestTimeout)
        let ledger = await withTaskGroup(of: LedgerEntry.self) { group in
            var index = 0
            while clock.now < deadline, firstAccepted.value == nil {
                let id = "\(nonce)-probe-\(index)"
                index += 1
                group.addTask {
                    let sent = clock.now
                    let sentAtMs = LedgerEntry.wallClockMs()
                    let result = await OneShotHTTP.exchange(host: host, port: port, request: OneShotHTTP.orderRequest(id: id, sku: sku, qty: 1), timeout: timeout)
                    let answered = clock.now
                    if case .status(202) = result { firstAccepted.offer(id, after: start.duration(to: answered)) }
                    return LedgerEntry((id, sku, 1), kind: .first, keyed: true, result: result, sentAtMs: sentAtMs, latency: sent.duration(to: answered))
                }
                try? await clock.sleep(for: interval)
            }
            return await group.reduce(into: [LedgerEntry]()) { $0.append($1) }.sorted { $0.sentAtMs < $1.sentAtMs }
        }
        try LedgerEntry.write(ledger, to: ledgerPath)
        let accepted = firstAccepted.value
        var result = RecoveryResult(acceptedAfter: accepted.map { LoadCommand.seconds($0.after) }, attempts: ledger.count, gaveUpAfter: LoadCommand.seconds(giveUp))
        if let accepted, try await waitUntilNotified(accepted.id, deadline: deadline) {
            result.notifiedAfter = LoadCommand.seconds(start.duration(to: clock.now))
        }
        try result.write(to: resultPath)
        print("probe: \(result.summary)")
        return 0
    }

    /// Polls the order's notification record every 100 ms; false when `deadline` passes first.
    private func waitUntilNotified(_ id: String, deadline: ContinuousClock.Instant) async throws -> Bool {
        let redis = try ChaosRedis(url: redisURL, polling: true)
        let notification = redis.keys.notification(id)
        return try await redis.withRunning { client in
            while ContinuousClock.now < deadline {
                if let status = try? await client.hget(notification, field: "status"), status.description == "sent" { return true }
                try? await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
    }
}

/// The first probe order answered 202, shared by the probe's concurrent requests; a mutex,
/// since any of them may answer first.
private final class FirstAccepted: Sendable {
    private let first = Mutex<(id: String, after: Duration)?>(nil)

    var value: (id: String, after: Duration)? { first.withLock { $0 } }

    func offer(_ id: String, after: Duration) {
        first.withLock { first in
            if first == nil { first = (id, after) }
        }
    }
}

/// What the recovery probe measured, in seconds from its start (the moment the fault was lifted).
struct RecoveryResult: Codable, Sendable {
    /// Until the first 202; nil when none came before the probe gave up.
    var acceptedAfter: Double?
    /// Until that order was notified; nil when it was not before the probe gave up.
    var notifiedAfter: Double?
    /// Orders posted.
    var attempts: Int
    var gaveUpAfter: Double

    var summary: String {
        let accepted = acceptedAfter.map { String(format: "202 after %.1f s", $0) } ?? String(format: "no 202 within %.0f s", gaveUpAfter)
        let notified = notifiedAfter.map { String(format: ", notified after %.1f s", $0) } ?? (acceptedAfter == nil ? "" : String(format: ", not notified within %.0f s", gaveUpAfter))
        return "\(accepted)\(notified) (\(attempts) orders posted)"
    }

    static func read(from path: String) throws -> RecoveryResult {
        try JSONDecoder().decode(RecoveryResult.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func write(to path: String) throws {
        try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: path))
    }
}
