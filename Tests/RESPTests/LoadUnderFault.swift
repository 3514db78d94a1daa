@testable import RESP
import Synchronization
import Testing
import TestSupport

/// Load for fault tests: tasks that each INCR a counter of their own, one command at a time,
/// until stopped, recording what every command came to. A write lost or applied twice shows in
/// the counter; the failures show what the client reported while the fault lasted.
final class LoadUnderFault: Sendable {
    /// What one task saw.
    struct Record: Sendable {
        let key: String
        var acknowledged = 0
        var failures: [(at: ContinuousClock.Instant, error: RedisClientError)] = []
        var lastSuccess: ContinuousClock.Instant?
    }

    /// Shared by the tasks and the test.
    private final class Progress: Sendable {
        let stopped = Atomic<Bool>(false)
        let successes = Atomic<Int>(0)
    }

    private let progress = Progress()
    private let tasks: [Task<Record, Never>]

    /// Starts one task per key.
    init(keys: [String], on redis: any RedisCommandSender) {
        let progress = progress
        // Owned by the load: `finish()` stops them and waits for each.
        tasks = keys.map { key in
            Task {
                var record = Record(key: key)
                while !progress.stopped.load(ordering: .relaxed) {
                    do throws(RedisClientError) {
                        _ = try await redis.incr(key)
                        record.acknowledged += 1
                        record.lastSuccess = .now
                        progress.successes.add(1, ordering: .relaxed)
                    } catch {
                        record.failures.append((.now, error))
                        try? await letTimePass(.milliseconds(10), because: .retryDelay)
                    }
                }
                return record
            }
        }
    }

    /// Commands acknowledged so far, all tasks together.
    var acknowledged: Int { progress.successes.load(ordering: .relaxed) }

    /// Waits until `more` further commands have been acknowledged.
    func waitForProgress(_ more: Int, within limit: Duration) async throws {
        let target = acknowledged + more
        try await TopologyControl.waitUntil("\(more) more acknowledged commands", within: limit) { acknowledged >= target }
    }

    /// Stops the tasks and returns what each saw.
    func finish() async -> [Record] {
        progress.stopped.store(true, ordering: .relaxed)
        var records: [Record] = []
        for task in tasks { records.append(await task.value) }
        return records
    }

    /// What `verify` found.
    struct Verdict {
        /// Every failure the tasks saw.
        var failures: [RedisClientError] = []
        /// Acknowledged INCRs missing from the counters: writes the old master acknowledged and
        /// never replicated before a failover (replication is asynchronous).
        var lost = 0
    }

    /// Checks each counter against its task's record: no INCR applied twice (the counter holds
    /// at most one more than acknowledged per failure that may have run), none lost unless
    /// `losesAcknowledged` (a failover that promotes a replica behind its master), and failures
    /// only of the `allowed` kinds.
    static func verify(
        _ records: [Record], on redis: any RedisCommandSender, allowed: Set<RedisClientError.Code>, losesAcknowledged: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Verdict {
        var verdict = Verdict()
        for record in records {
            let value = try await redis.get(record.key).flatMap { Int(String(describing: $0)) } ?? 0
            let mayHaveRun = record.failures.filter { !(RedisPipelineUnits.didNotRun($0.error) || $0.error.code == .topologyUnavailable) }.count
            #expect(value <= record.acknowledged + mayHaveRun,
                    "\(record.key): \(value) after \(record.acknowledged) acknowledged and \(mayHaveRun) uncertain: a write ran twice", sourceLocation: sourceLocation)
            if !losesAcknowledged {
                #expect(value >= record.acknowledged, "\(record.key): \(value) after \(record.acknowledged) acknowledged", sourceLocation: sourceLocation)
            }
            verdict.lost += max(0, record.acknowledged - value)
            for failure in record.failures {
                #expect(allowed.contains(failure.error.code), "unexpected failure: \(failure.error)", sourceLocation: sourceLocation)
            }
            verdict.failures += record.failures.map(\.error)
        }
        return verdict
    }
}
